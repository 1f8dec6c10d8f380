package config

import (
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/lipwatch/lipwatch/engine/internal/textdist"
)

var (
	durationType = reflect.TypeFor[Duration]()
	sizeType     = reflect.TypeFor[Size]()
)

// decoder fills a Config from viper's merged settings, walking the struct
// by its mapstructure tags. It does its own walk rather than
// viper.UnmarshalExact so that every unknown key and wrong type is reported
// with its full path (and so its line), not as one mapstructure message,
// and so that strings from the environment, and only those, may be read as
// numbers and booleans.
type decoder struct {
	c *collector
}

// decode sets out from in, reporting problems at path. lenient lets a
// number or boolean stand for a string (the canonical side of values:,
// where "true" and "1" are ordinary answers).
func (d decoder) decode(path string, in any, out reflect.Value, lenient bool) {
	if in == nil {
		return
	}
	t := out.Type()
	switch {
	case t == durationType:
		d.duration(path, in, out)
	case t == sizeType:
		d.size(path, in, out)
	case t.Kind() == reflect.Struct:
		m, ok := in.(map[string]any)
		if !ok {
			d.wrong(path, "a mapping of keys", in)
			return
		}
		fields := map[string]int{}
		var names []string
		for i := range t.NumField() {
			tag := t.Field(i).Tag.Get("mapstructure")
			if tag == "" || tag == "-" {
				continue
			}
			fields[tag] = i
			names = append(names, tag)
		}
		for _, k := range sortedKeys(m) {
			i, ok := fields[k]
			if !ok {
				d.c.bad[join(path, k)] = true
				if strings.Contains(k, ".") {
					d.c.addFile(join(path, k), "unknown key (dotted keys are not expanded: nest them, one key per line)")
				} else {
					d.c.addFile(join(path, k), "unknown key%s", hint(k, names))
				}
				continue
			}
			d.decode(join(path, k), m[k], out.Field(i), k == "values")
		}
	case t.Kind() == reflect.Map:
		m, ok := in.(map[string]any)
		if !ok {
			d.wrong(path, "a mapping of keys", in)
			return
		}
		out.Set(reflect.MakeMapWithSize(t, len(m)))
		for _, k := range sortedKeys(m) {
			if t.Elem().Kind() == reflect.Interface {
				// Options: checked later against the connector's spec.
				out.SetMapIndex(reflect.ValueOf(k), reflect.ValueOf(m[k]))
				continue
			}
			e := reflect.New(t.Elem()).Elem()
			d.decode(join(path, k), m[k], e, lenient)
			out.SetMapIndex(reflect.ValueOf(k), e)
		}
	case t.Kind() == reflect.Slice:
		var elems []any
		switch v := in.(type) {
		case []any:
			elems = v
		case string:
			if !d.fromEnv(path) {
				d.wrong(path, "a list", in)
				return
			}
			// LIPWATCH_DISPATCH_FORMATS=xlsx,csv
			for _, e := range strings.Split(v, ",") {
				elems = append(elems, strings.TrimSpace(e))
			}
		default:
			d.wrong(path, "a list", in)
			return
		}
		out.Set(reflect.MakeSlice(t, len(elems), len(elems)))
		for i, e := range elems {
			d.decode(elemPath(path, i), e, out.Index(i), lenient)
		}
	case t.Kind() == reflect.Pointer:
		e := reflect.New(t.Elem())
		d.decode(path, in, e.Elem(), lenient)
		if !d.c.bad[path] {
			out.Set(e)
		}
	case t.Kind() == reflect.String:
		switch v := in.(type) {
		case string:
			out.SetString(v)
		case bool, int, int64, uint64, float64:
			if lenient {
				out.SetString(fmt.Sprint(v))
				return
			}
			// Show the value as written: 010101 is read as the octal 4161.
			written, got := fmt.Sprint(v), describe(in)
			if at, ok := d.c.pos[path]; ok && at.scalar != "" && !d.fromEnv(path) {
				written = at.scalar
				if _, isBool := v.(bool); !isBool {
					got = "number " + written
				}
			}
			d.c.bad[path] = true
			d.c.add(path, "want a string, got %s (write it in quotes: %q)", got, written)
		default:
			d.wrong(path, "a string", in)
		}
	case t.Kind() == reflect.Int:
		switch v := in.(type) {
		case int:
			out.SetInt(int64(v))
			return
		case int64:
			out.SetInt(v)
			return
		case uint64:
			if v <= uint64(1<<62) {
				out.SetInt(int64(v))
				return
			}
		case float64:
			if v == float64(int64(v)) {
				out.SetInt(int64(v))
				return
			}
		case string:
			if d.fromEnv(path) {
				if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
					out.SetInt(int64(n))
					return
				}
			}
		}
		d.wrong(path, "a whole number", in)
	case t.Kind() == reflect.Bool:
		switch v := in.(type) {
		case bool:
			out.SetBool(v)
			return
		case string:
			if d.fromEnv(path) {
				if b, err := strconv.ParseBool(strings.TrimSpace(v)); err == nil {
					out.SetBool(b)
					return
				}
			}
		}
		d.wrong(path, "true or false", in)
	case t.Kind() == reflect.Float64:
		switch v := in.(type) {
		case float64:
			out.SetFloat(v)
			return
		case int:
			out.SetFloat(float64(v))
			return
		case int64:
			out.SetFloat(float64(v))
			return
		case uint64:
			out.SetFloat(float64(v))
			return
		case string:
			if d.fromEnv(path) {
				if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
					out.SetFloat(f)
					return
				}
			}
		}
		d.wrong(path, "a number", in)
	default:
		panic("config: no decoding for " + t.String())
	}
}

func (d decoder) duration(path string, in any, out reflect.Value) {
	d.withUnit(path, in, out, `a duration such as "15m" or "180d"`, func(s string) (int64, error) {
		v, err := ParseDuration(s)
		return int64(v), err
	})
}

func (d decoder) size(path string, in any, out reflect.Value) {
	d.withUnit(path, in, out, `a size such as "1GiB" or "256MiB"`, func(s string) (int64, error) {
		v, err := ParseSize(s)
		return int64(v), err
	})
}

// withUnit decodes a value written with a unit (a Duration, a Size): text
// parsed by parse, a bare number refused asking for the unit, or a value
// of out's own type (a default) taken as it is.
func (d decoder) withUnit(path string, in any, out reflect.Value, want string, parse func(string) (int64, error)) {
	var s string
	switch v := in.(type) {
	case string:
		s = v
	case int, int64, uint64, float64:
		s = fmt.Sprint(v) // rejected by parse, asking for a unit
	default:
		if rv := reflect.ValueOf(in); in != nil && rv.Type() == out.Type() {
			out.SetInt(rv.Int())
			return
		}
		d.wrong(path, want, in)
		return
	}
	v, err := parse(s)
	if err != nil {
		d.c.bad[path] = true
		d.c.add(path, "%v", err)
		return
	}
	out.SetInt(v)
}

func (d decoder) fromEnv(path string) bool {
	_, ok := d.c.envOf(path)
	return ok
}

func (d decoder) wrong(path, want string, got any) {
	d.c.bad[path] = true
	d.c.add(path, "want %s, got %s", want, describe(got))
}

// describe names a value's YAML type, with the value when it is a scalar.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case int, int64, uint64, float64:
		return fmt.Sprintf("number %v", v)
	case []any:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Hint is the config's "did you mean" for other parts of lipwatch (the
// CLI's filters): " (did you mean X?)" for the closest of known to a
// misspelt name, or the list of known when none is close; "" when known
// is empty.
func Hint(name string, known []string) string { return hint(name, known) }

// hint suggests the closest of known to a misspelt name, or lists known
// when none is close.
func hint(name string, known []string) string {
	if len(known) == 0 {
		return ""
	}
	best := textdist.Closest(name, known)
	if best != "" {
		return " (did you mean " + best + "?)"
	}
	known = slices.Clone(known)
	sort.Strings(known)
	return " (known: " + strings.Join(known, ", ") + ")"
}
