package connectors

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A kind's options are a Go struct, one field per option, declared by tags
// on the field; they are the one statement of the option's name, type,
// default and allowed values, from which the kind's Spec (its Fields: the
// config's environment variables, the docs and their checks) is derived:
//
//	type Options struct {
//		Path      string `option:"path,required" doc:"..." example:"medical/*.csv"`
//		Format    string `option:"format" default:"auto" enum:"auto csv xlsx" doc:"..." example:"csv"`
//		HeaderRow int    `option:"header_row" default:"1" doc:"..." example:"2"`
//	}
//
// The tags:
//
//   - option: the name in config, then ",required" when the option must be
//     given.
//   - default: the value when the option is not given, written as text the
//     way an environment variable gives it ("30m", "1", "true", "0,200" for
//     a list). The decoded struct holds it; the kind's code never repeats it.
//   - computed: for a default the kind works out from other options, how
//     (for the docs: "3 with verify, else 1"); the field is left unset.
//   - enum: the allowed values of a string option, separated by spaces.
//     A value is matched ignoring case and stored as the enum spells it.
//   - min and max: the range of an int option, ends included ("want 1
//     or more, got 0"). A duration is never negative.
//   - doc and example: what the option does, and a value for the docs.
//
// Field types: string, int, bool, []string (a list of strings),
// time.Duration (read by ParseDuration), or a type whose pointer is an
// OptionValue. An embedded Given is told which options the config wrote.

// OptionValue is implemented by a pointer to an option type that reads
// itself from what the config gave: a string, bool, int, int64, uint64 or
// float64 for a scalar, []any for a list, as YAML decodes them. Text
// (an environment variable, a default tag) comes as a string, or, for a
// type whose kind is a slice, as []any of the strings between commas.
// An error is reported as the option's; it need not name the option.
type OptionValue interface {
	DecodeOption(v any) error
}

// OptionTyper may be implemented by an OptionValue to name its type in
// Field.Type ("lookback"); otherwise a slice is a "list" and anything else
// a "string".
type OptionTyper interface {
	OptionType() string
}

// Given, embedded in a kind's options struct, tells which options the
// source's config wrote: for options whose meaning depends on being
// written at all (one that only applies with another, say). An option left
// to its default is not given.
type Given struct {
	names map[string]bool
}

// Gave reports whether the config wrote option name.
func (g Given) Gave(name string) bool { return g.names[name] }

// ErrUnknownOption is wrapped by the OptionError for an option the kind
// does not have.
var ErrUnknownOption = errors.New("unknown option")

// OptionError is one problem with one option of a source. Checking a
// source's options returns every problem at once, as OptionErrors joined
// (errors.Join); OptionErrors takes them apart again.
type OptionError struct {
	// Option is the option's name as given in config, or "" for a problem
	// with the options as a whole.
	Option string
	// Err says what is wrong, without the option's name.
	Err error
}

// Error is "options.NAME: what is wrong".
func (e *OptionError) Error() string {
	if e.Option == "" {
		return "options: " + e.Err.Error()
	}
	return "options." + e.Option + ": " + e.Err.Error()
}

// Unwrap returns what is wrong.
func (e *OptionError) Unwrap() error { return e.Err }

// OptionErrorf is an OptionError about option, with a message as
// fmt.Errorf makes it (%w wraps).
func OptionErrorf(option, format string, args ...any) *OptionError {
	return &OptionError{Option: option, Err: fmt.Errorf(format, args...)}
}

// OptionErrors lists the OptionErrors in err, a joined error such as
// Spec.Check returns (possibly wrapped, as connectors.New wraps it), in
// order. An error in it that is no OptionError is listed as one about the
// options as a whole (Option ""). A nil err gives nil.
func OptionErrors(err error) []*OptionError {
	var out []*OptionError
	var walk func(error)
	walk = func(e error) {
		if e == nil {
			return
		}
		if oe, ok := e.(*OptionError); ok {
			out = append(out, oe)
			return
		}
		if j, ok := e.(interface{ Unwrap() []error }); ok {
			for _, x := range j.Unwrap() {
				walk(x)
			}
			return
		}
		var oe *OptionError
		if errors.As(e, &oe) {
			walk(errors.Unwrap(e))
			return
		}
		out = append(out, &OptionError{Err: e})
	}
	walk(err)
	return out
}

// Decode reads opts into a T, a kind's options struct (see the tags
// above): defaults for the options not given, each given one checked
// against its field's type and enumeration, and every required one
// present. It returns every problem as an OptionError, joined, in a stable
// order (the given options by name, then the missing ones), with T filled
// as far as it could be.
func Decode[T any](kind string, opts Options) (T, error) {
	var out T
	fs := fieldsOf(reflect.TypeFor[T]())
	err := fs.decode(kind, opts, reflect.ValueOf(&out).Elem())
	return out, err
}

// KindSpec declares a connector kind whose options are the struct T; its
// Spec method makes the Spec to Register.
type KindSpec[T any] struct {
	// Kind is the name in config (kind: file).
	Kind string
	// Doc says what the kind reads, for the docs.
	Doc string
	// Incremental says the kind's streams can read only what changed
	// since a saved watermark (connectors.Incremental), so that a
	// periodic full re-read (config reconcile) means something.
	Incremental bool
	// Check, when set, checks what the tags cannot say (ranges, options
	// that go together, text that must parse) once decoding found no
	// problem. It returns every problem, each an *OptionError, joined.
	Check func(T) error
	// New builds a connector from the source and its decoded and checked
	// options (src.Options is the map they were decoded from).
	New func(src Source, opts T) (Connector, error)
}

// Spec makes the registrable Spec of the kind, its Fields derived from T.
// It panics when T's tags are wrong, a programming error found at start-up.
func (k KindSpec[T]) Spec() Spec {
	fs := fieldsOf(reflect.TypeFor[T]())
	s := Spec{Kind: k.Kind, Doc: k.Doc, Incremental: k.Incremental, fields: fs}
	for _, f := range fs.list {
		s.Fields = append(s.Fields, f.Field)
	}
	s.decode = func(o Options) (any, error) {
		v, err := Decode[T](k.Kind, o)
		if err == nil && k.Check != nil {
			err = k.Check(v)
		}
		return v, err
	}
	s.build = func(src Source, v any) (Connector, error) {
		if k.New == nil {
			return nil, fmt.Errorf("source %s: kind %s builds no connector", src.Name, k.Kind)
		}
		return k.New(src, v.(T))
	}
	return s
}

// Check decodes opts as the kind's options and checks them: unknown
// names, missing required options, wrong types, values outside an
// enumeration, then what the kind checks itself. Every problem is an
// *OptionError, all joined; an unknown option's wraps ErrUnknownOption.
func (s Spec) Check(opts Options) error {
	if s.decode == nil {
		return fmt.Errorf("kind %s has no options declared (make its Spec with KindSpec)", s.Kind)
	}
	_, err := s.decode(opts)
	return err
}

// Field returns the option of the given name.
func (s Spec) Field(name string) (Field, bool) {
	i := slices.IndexFunc(s.Fields, func(f Field) bool { return f.Name == name })
	if i < 0 {
		return Field{}, false
	}
	return s.Fields[i], true
}

// Names lists the kind's option names, in declaration order.
func (s Spec) Names() []string {
	out := make([]string, len(s.Fields))
	for i, f := range s.Fields {
		out[i] = f.Name
	}
	return out
}

// FromText reads text from an environment variable as the value YAML
// would have given for the option: a number for an int option ("3"), a
// boolean for a bool ("true"), a list of the parts between commas for a
// list ("0,200"), and the text itself otherwise (durations, strings). An
// option the kind does not have gives the text back. The error says what
// was wanted; it does not name the option.
func (s Spec) FromText(option, text string) (any, error) {
	if s.fields == nil {
		return text, nil
	}
	f, ok := s.fields.byName[option]
	if !ok {
		return text, nil
	}
	return f.fromText(text)
}

// field is one option of an options struct.
type field struct {
	Field
	index    []int         // the struct field's index
	typ      reflect.Type  // its type
	def      reflect.Value // the default (the zero value when none)
	min, max *int64        // an int's range, when bounded
}

// fields are an options struct's options.
type fields struct {
	list   []*field
	byName map[string]*field
	given  []int // the index of the embedded Given, or nil
}

var (
	durationType = reflect.TypeFor[time.Duration]()
	givenType    = reflect.TypeFor[Given]()
	valueType    = reflect.TypeFor[OptionValue]()
	fieldCache   sync.Map // reflect.Type -> *fields
)

// fieldsOf reads the options of struct type t from its tags, once.
func fieldsOf(t reflect.Type) *fields {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.(*fields)
	}
	if t.Kind() != reflect.Struct {
		panic(fmt.Sprintf("connectors: options type %s is not a struct", t))
	}
	fs := &fields{byName: map[string]*field{}}
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Type == givenType && sf.Anonymous {
			fs.given = sf.Index
			continue
		}
		tag, ok := sf.Tag.Lookup("option")
		if !ok {
			continue
		}
		name, flags, _ := strings.Cut(tag, ",")
		f := &field{index: sf.Index, typ: sf.Type}
		f.Name = name
		f.Required = flags == "required"
		if name == "" || (flags != "" && !f.Required) {
			panic(fmt.Sprintf("connectors: %s.%s: bad option tag %q", t, sf.Name, tag))
		}
		if _, dup := fs.byName[name]; dup {
			panic(fmt.Sprintf("connectors: %s: option %s declared twice", t, name))
		}
		f.Type = typeName(sf.Type)
		if f.Type == "" {
			panic(fmt.Sprintf("connectors: %s.%s: options of type %s cannot be decoded", t, sf.Name, sf.Type))
		}
		if e := sf.Tag.Get("enum"); e != "" {
			if sf.Type.Kind() != reflect.String {
				panic(fmt.Sprintf("connectors: %s.%s: enum on a %s", t, sf.Name, sf.Type))
			}
			f.Enum = strings.Split(e, " ")
		}
		for _, b := range []struct {
			tag string
			dst **int64
		}{{"min", &f.min}, {"max", &f.max}} {
			v, ok := sf.Tag.Lookup(b.tag)
			if !ok {
				continue
			}
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || f.Type != "int" {
				panic(fmt.Sprintf("connectors: %s.%s: %s:%q on a %s", t, sf.Name, b.tag, v, f.Type))
			}
			*b.dst = &n
		}
		f.Doc, f.Example = sf.Tag.Get("doc"), sf.Tag.Get("example")
		f.def = reflect.New(sf.Type).Elem()
		def, hasDef := sf.Tag.Lookup("default")
		computed, hasComputed := sf.Tag.Lookup("computed")
		switch {
		case hasDef && (hasComputed || f.Required):
			panic(fmt.Sprintf("connectors: %s.%s: a default with computed or required", t, sf.Name))
		case hasDef:
			v, err := f.fromText(def)
			if err == nil {
				err = f.set(v, f.def)
			}
			if err != nil {
				panic(fmt.Sprintf("connectors: %s.%s: default %q: %v", t, sf.Name, def, err))
			}
			f.Default = def
		case hasComputed:
			f.Default, f.Computed = computed, true
		}
		fs.list = append(fs.list, f)
		fs.byName[name] = f
	}
	actual, _ := fieldCache.LoadOrStore(t, fs)
	return actual.(*fields)
}

// typeName is Field.Type for a Go type, or "" when it cannot be decoded.
func typeName(t reflect.Type) string {
	if reflect.PointerTo(t).Implements(valueType) {
		if ty, ok := reflect.New(t).Interface().(OptionTyper); ok {
			return ty.OptionType()
		}
		if t.Kind() == reflect.Slice {
			return "list"
		}
		return "string"
	}
	switch {
	case t == durationType:
		return "duration"
	case t.Kind() == reflect.String:
		return "string"
	case t.Kind() == reflect.Int:
		return "int"
	case t.Kind() == reflect.Bool:
		return "bool"
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.String:
		return "list"
	}
	return ""
}

// decode fills out from opts; see Decode.
func (fs *fields) decode(kind string, opts Options, out reflect.Value) error {
	given := map[string]bool{}
	for _, f := range fs.list {
		if f.def.IsValid() && !f.def.IsZero() {
			out.FieldByIndex(f.index).Set(cloneValue(f.def))
		}
	}
	var errs []error
	names := make([]string, 0, len(opts))
	for k := range opts {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		f, ok := fs.byName[k]
		if !ok {
			errs = append(errs, &OptionError{Option: k, Err: fmt.Errorf("%w for kind %s", ErrUnknownOption, kind)})
			continue
		}
		if opts[k] == nil {
			continue // "sheet:" with nothing after it: not given
		}
		if err := f.set(opts[k], out.FieldByIndex(f.index)); err != nil {
			errs = append(errs, &OptionError{Option: k, Err: err})
			continue
		}
		given[k] = true
	}
	for _, f := range fs.list {
		if f.Required && opts[f.Name] == nil {
			errs = append(errs, OptionErrorf(f.Name, "required for kind %s", kind))
		}
	}
	if fs.given != nil {
		out.FieldByIndex(fs.given).Set(reflect.ValueOf(Given{names: given}))
	}
	return errors.Join(errs...)
}

// cloneValue copies a default, so that a slice default is not shared.
func cloneValue(v reflect.Value) reflect.Value {
	if v.Kind() != reflect.Slice {
		return v
	}
	c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	reflect.Copy(c, v)
	return c
}

// set decodes v, as YAML gave it, into dst, of f's type.
func (f *field) set(v any, dst reflect.Value) error {
	if ov, ok := dst.Addr().Interface().(OptionValue); ok {
		return ov.DecodeOption(v)
	}
	switch {
	case f.typ == durationType:
		var s string
		switch x := v.(type) {
		case string:
			s = x
		case int, int64, uint64, float64:
			s = fmt.Sprint(x) // refused by ParseDuration, asking for a unit
		default:
			return fmt.Errorf(`want a duration such as "30s" or "48h", got %s`, describe(v))
		}
		d, err := ParseDuration(s)
		if err != nil {
			return err
		}
		if d < 0 {
			return fmt.Errorf("want 0 or more, got %s", strings.TrimSpace(s))
		}
		dst.SetInt(int64(d))
	case f.typ.Kind() == reflect.String:
		s, ok := v.(string)
		if !ok {
			return wantString(v)
		}
		if len(f.Enum) > 0 {
			i := slices.IndexFunc(f.Enum, func(e string) bool { return strings.EqualFold(e, s) })
			if i < 0 {
				return fmt.Errorf("%q is not one of %s", s, enumList(f.Enum))
			}
			s = f.Enum[i]
		}
		dst.SetString(s)
	case f.typ.Kind() == reflect.Int:
		n, ok := wholeNumber(v)
		if !ok {
			return fmt.Errorf("want a whole number, got %s", describe(v))
		}
		switch {
		case f.min != nil && f.max != nil && (n < *f.min || n > *f.max):
			return fmt.Errorf("want %d to %d, got %d", *f.min, *f.max, n)
		case f.min != nil && n < *f.min:
			return fmt.Errorf("want %d or more, got %d", *f.min, n)
		case f.max != nil && n > *f.max:
			return fmt.Errorf("want %d or less, got %d", *f.max, n)
		}
		dst.SetInt(n)
	case f.typ.Kind() == reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			return fmt.Errorf("want true or false, got %s", describe(v))
		}
		dst.SetBool(b)
	case f.typ.Kind() == reflect.Slice:
		var l []any
		switch x := v.(type) {
		case []any:
			l = x
		case []string:
			for _, s := range x {
				l = append(l, s)
			}
		default:
			return fmt.Errorf("want a list, got %s", describe(v))
		}
		out := reflect.MakeSlice(f.typ, len(l), len(l))
		for i, e := range l {
			s, ok := e.(string)
			if !ok {
				return fmt.Errorf("want a list of strings; element %d is %s", i+1, describeQuoted(e))
			}
			out.Index(i).SetString(s)
		}
		dst.Set(out)
	default:
		return fmt.Errorf("cannot decode a %s", f.typ)
	}
	return nil
}

// fromText reads text (an environment variable, a default tag) as the
// value YAML would give for f's type.
func (f *field) fromText(s string) (any, error) {
	switch {
	case f.typ == durationType:
		return s, nil
	case f.typ.Kind() == reflect.Slice:
		var out []any
		for _, e := range strings.Split(s, ",") {
			out = append(out, strings.TrimSpace(e))
		}
		return out, nil
	case f.typ.Kind() == reflect.Int && f.Type == "int":
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("want a whole number, got %q", s)
		}
		return n, nil
	case f.typ.Kind() == reflect.Bool && f.Type == "bool":
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("want true or false, got %q", s)
		}
		return b, nil
	}
	return s, nil
}

// enumList lists allowed values for a message, quoting those that are
// not plain words: auto, csv; ",", "\t", tab.
func enumList(enum []string) string {
	out := make([]string, len(enum))
	for i, e := range enum {
		out[i] = e
		if strings.IndexFunc(e, func(r rune) bool {
			return !(r == '-' || r == '_' || '0' <= r && r <= '9' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z')
		}) >= 0 || e == "" {
			out[i] = strconv.Quote(e)
		}
	}
	return strings.Join(out, ", ")
}

// wholeNumber reads an int option's value as YAML gives it.
func wholeNumber(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<62 {
			return int64(n), true
		}
	}
	return 0, false
}

func wantString(v any) error {
	return fmt.Errorf("want a string, got %s", describeQuoted(v))
}

// describeQuoted is describe, asking for quotes around a number or a
// boolean where text was wanted.
func describeQuoted(v any) string {
	switch v.(type) {
	case bool, int, int64, uint64, float64:
		return describe(v) + " (write it in quotes)"
	}
	return describe(v)
}

// describe names a config value's type, with the value when it is a
// scalar, for messages: "two" quoted, number 3, true, a list, a mapping
// (as engine/config's decoder names the config's other values).
func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "nothing"
	case string:
		return strconv.Quote(v)
	case bool:
		return strconv.FormatBool(v)
	case int, int64, uint64, float64:
		return fmt.Sprintf("number %v", v)
	case []any, []string:
		return "a list"
	case map[string]any:
		return "a mapping"
	}
	return fmt.Sprintf("%T", v)
}
