package connectors

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Check validates options against the spec: unknown names, missing
// required options, wrong types and values outside an enumeration are all
// reported together.
func (s Spec) Check(opts Options) error {
	var errs []error
	known := map[string]Field{}
	for _, f := range s.Fields {
		known[f.Name] = f
	}
	names := make([]string, 0, len(opts))
	for k := range opts {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		f, ok := known[k]
		if !ok {
			errs = append(errs, fmt.Errorf("options.%s: unknown option for kind %s", k, s.Kind))
			continue
		}
		if err := checkType(f, opts[k]); err != nil {
			errs = append(errs, fmt.Errorf("options.%s: %w", k, err))
		}
	}
	for _, f := range s.Fields {
		if _, ok := opts[f.Name]; f.Required && !ok {
			errs = append(errs, fmt.Errorf("options.%s: required for kind %s", f.Name, s.Kind))
		}
	}
	if len(errs) == 0 && s.Validate != nil {
		if err := s.Validate(opts); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func checkType(f Field, v any) error {
	switch f.Type {
	case "string", "duration":
		s, ok := v.(string)
		if !ok {
			return fmt.Errorf("want a string, got %v", v)
		}
		if len(f.Enum) > 0 && !slices.Contains(f.Enum, strings.ToLower(s)) {
			return fmt.Errorf("%q is not one of %s", s, strings.Join(f.Enum, ", "))
		}
	case "lookback":
		// A duration for a time watermark ("48h"), or a count for a
		// numeric one (1000: re-read the last 1000 ids).
		switch n := v.(type) {
		case string:
		case int, int64:
		case float64:
			if n != float64(int64(n)) {
				return fmt.Errorf("want a duration such as 48h or a whole number, got %v", v)
			}
		default:
			return fmt.Errorf("want a duration such as 48h or a whole number, got %v", v)
		}
	case "int":
		switch n := v.(type) {
		case int, int64:
		case float64:
			if n != float64(int64(n)) {
				return fmt.Errorf("want a whole number, got %v", v)
			}
		default:
			return fmt.Errorf("want a whole number, got %v", v)
		}
	case "bool":
		if _, ok := v.(bool); !ok {
			return fmt.Errorf("want true or false, got %v", v)
		}
	case "list":
		switch v.(type) {
		case []any, []string:
		default:
			return fmt.Errorf("want a list, got %v", v)
		}
	}
	return nil
}

// String returns option o as a string, or def when absent.
func (o Options) String(name, def string) string {
	if v, ok := o[name].(string); ok && v != "" {
		return v
	}
	return def
}

// Int returns option o as an int, or def when absent.
func (o Options) Int(name string, def int) int {
	switch n := o[name].(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return def
}
