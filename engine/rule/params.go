package rule

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// ErrNoValue is returned (wrapped) when a param is asked for its value on
// a day before its first date.
var ErrNoValue = errors.New("no value")

// Param is a threshold whose value changes on dates, referred to in
// conditions as params.NAME.
type Param struct {
	Name string
	// Type is int when every value is a whole number written without a
	// decimal point, number when any has one (20000 is int, 20000.0 and
	// 1170.5 are number), bool or string otherwise. Conditions compare
	// int and number freely.
	Type   Type
	Values []Dated // sorted by From
	// Doc is the comment above the param's name in its file, without the
	// #s: where its figures come from.
	Doc string
	// ReviewBy is the day by which someone must confirm the values again
	// (review_by, in the long form of a param), zero when none is set.
	// Past it, rules check warns and the night lists the param; it is
	// evaluated as always (a date running out never stops a night).
	ReviewBy time.Time
	// ReviewPos is where the review_by date is written.
	ReviewPos Pos
	// Source is where the figures come from (source, in the long form),
	// e.g. a document's number; "" when not given.
	Source string
	Pos    Pos
	index  int // place in the env's params struct
}

// Dated is a value that holds from a day on, until the next one's day.
type Dated struct {
	From  time.Time // a civil date, UTC midnight
	Value any       // int64, float64, bool or string, by the param's Type
	Pos   Pos
}

// At returns the value in force on day (its calendar date, in day's own
// location): the last value whose From is on or before it. Before the
// first date there is none and the error wraps ErrNoValue.
func (p *Param) At(day time.Time) (any, error) {
	d := civil(day)
	i, found := slices.BinarySearchFunc(p.Values, d, func(v Dated, t time.Time) int { return v.From.Compare(t) })
	if found {
		return p.Values[i].Value, nil
	}
	if i == 0 {
		first := ""
		if len(p.Values) > 0 {
			first = p.Values[0].From.Format(time.DateOnly)
		}
		return nil, fmt.Errorf("param %s: %w on %s (its first date is %s)", p.Name, ErrNoValue, d.Format(time.DateOnly), first)
	}
	return p.Values[i-1].Value, nil
}

// parseParams reads a file's `params:` mapping into params, reporting
// names defined twice. Params with a problem are reported, left out and
// named in broken.
func parseParams(f *yfile, n *yaml.Node, params map[string]*Param, broken map[string]bool) {
	ps, _ := f.mapping(n, "params", "a mapping of param names to dated values")
	for _, p := range ps {
		name := p.key.Value
		if !f.checkName(p.key, "params", "param") {
			broken[name] = true
			continue
		}
		if first, dup := params[name]; dup {
			f.errf(p.key, "param "+name, "defined twice (first at %s)", first.Pos)
			continue
		}
		if broken[name] {
			f.errf(p.key, "param "+name, "defined twice")
			continue
		}
		param, ok := parseParam(f, p)
		if !ok {
			broken[name] = true
			continue
		}
		params[name] = param
	}
}

// paramKeys are the keys of a param written in its long form.
var paramKeys = []string{"values", "review_by", "source"}

// parseParam reads a param in either of its forms: the short one, dates
// to values,
//
//	NAME: {YYYY-MM-DD: value, ...}
//
// or the long one, the same under values with what is known of them:
//
//	NAME:
//	  values: {YYYY-MM-DD: value, ...}
//	  review_by: YYYY-MM-DD   # optional: the day to confirm the values again by
//	  source: 县民政局〔2024〕12号  # optional: where the figures come from
//
// A mapping with a key of the long form, or one misspelt, is the long
// form.
func parseParam(f *yfile, p pair) (*Param, bool) {
	ctx := "param " + p.key.Value
	param := &Param{Name: p.key.Value, Pos: f.pos(p.key), Doc: commentText(p.key.HeadComment)}
	if p.val.Kind == yaml.ScalarNode && !isNull(p.val) {
		f.errf(p.val, ctx, "want dated values, e.g. \"2025-01-01: %s\" on the next line, indented", p.val.Value)
		return nil, false
	}
	ds, ok := f.mapping(p.val, ctx, "a mapping of dates (YYYY-MM-DD) to values")
	if !ok {
		return nil, false
	}
	long := false
	for _, d := range ds {
		long = long || slices.Contains(paramKeys, d.key.Value) || closest(d.key.Value, paramKeys) != ""
	}
	if !long {
		if len(ds) == 0 {
			f.errf(p.key, ctx, "no values: write one date and value per line, e.g. \"2025-01-01: 20000\"")
			return nil, false
		}
		return param, parseValues(f, ctx, ds, param)
	}
	good := true
	var values *pair
	for _, d := range ds {
		switch d.key.Value {
		case "values":
			values = &d
		case "review_by":
			if isNull(d.val) {
				f.errf(d.key, ctx, "review_by: missing date (write YYYY-MM-DD: the day by which the values must be confirmed again)")
				good = false
				continue
			}
			if d.val.Kind != yaml.ScalarNode {
				f.errf(d.val, ctx, "review_by: want a date (YYYY-MM-DD), got %s", describe(d.val))
				good = false
				continue
			}
			day, ok := parseDate(d.val.Value)
			if !ok {
				f.errf(d.val, ctx, "review_by: %s is not a date (write YYYY-MM-DD: the day by which the values must be confirmed again)", d.val.Value)
				good = false
				continue
			}
			param.ReviewBy, param.ReviewPos = day, f.pos(d.val)
		case "source":
			src, ok := f.text(d, ctx)
			good = good && ok
			param.Source = strings.TrimSpace(src)
		default:
			good = false
			if _, isDate := parseDate(d.key.Value); isDate {
				f.errf(d.key, ctx, "%s: the dated values go under values: beside review_by and source", d.key.Value)
				continue
			}
			if h := hint(d.key.Value, paramKeys); h != "" {
				f.errf(d.key, ctx, "unknown key %s%s", d.key.Value, h)
			} else {
				f.errf(d.key, ctx, "unknown key %s (a param has values, review_by and source)", d.key.Value)
			}
		}
	}
	switch {
	case values == nil:
		if !slices.ContainsFunc(ds, func(d pair) bool {
			_, isDate := parseDate(d.key.Value)
			return isDate || closest(d.key.Value, paramKeys) == "values" // reported as such
		}) {
			f.errf(p.key, ctx, "no values: write them under values:, one date and value per line, e.g. \"2025-01-01: 20000\"")
		}
		return nil, false
	case values.val.Kind == yaml.ScalarNode && !isNull(values.val):
		f.errf(values.val, ctx, "values: want dated values, e.g. \"2025-01-01: %s\" on the next line, indented", values.val.Value)
		return nil, false
	}
	vs, ok := f.mapping(values.val, ctx+": values", "a mapping of dates (YYYY-MM-DD) to values")
	if !ok {
		return nil, false
	}
	if len(vs) == 0 {
		f.errf(values.key, ctx, "no values: write one date and value per line under values:, e.g. \"2025-01-01: 20000\"")
		return nil, false
	}
	good = parseValues(f, ctx, vs, param) && good
	return param, good
}

// parseValues reads a param's dates and values into it, reporting every
// bad one.
func parseValues(f *yfile, ctx string, ds []pair, param *Param) bool {
	good := true
	seen := map[time.Time]int{}
	var hasFraction bool
	for _, d := range ds {
		day, ok := parseDate(d.key.Value)
		if !ok {
			if d.key.Value != "" && (d.key.Value[0] < '0' || d.key.Value[0] > '9') {
				f.errf(d.key, ctx, "%s is not a date (write YYYY-MM-DD; the long form of a param has values, review_by and source)", d.key.Value)
			} else {
				f.errf(d.key, ctx, "%s is not a date (write YYYY-MM-DD)", d.key.Value)
			}
			good = false
			continue
		}
		if line, dup := seen[day]; dup {
			f.errf(d.key, ctx, "date %s given twice (first at line %d)", d.key.Value, line)
			good = false
			continue
		}
		seen[day] = d.key.Line
		v, err := scalarValue(d.val)
		if err == nil && v == nil {
			err = errors.New("missing value")
		}
		if x, ok := v.(float64); err == nil && ok && !finite(x) {
			err = fmt.Errorf("%s is not a finite number (a threshold cannot be NaN or infinite)", d.val.Value)
		}
		if err != nil {
			f.errf(d.val, ctx, "%s: %v", d.key.Value, err)
			good = false
			continue
		}
		t := typeOf(v)
		if t == Number {
			hasFraction = true
		}
		switch {
		case param.Type == "":
			param.Type = t
		case isNumeric(param.Type) && isNumeric(t):
		case param.Type != t:
			f.errf(d.val, ctx, "%s: value is %s but the earlier values are %s; all values of a param have one type", d.key.Value, t, param.Type)
			good = false
			continue
		}
		param.Values = append(param.Values, Dated{From: day, Value: v, Pos: f.pos(d.val)})
	}
	if !good {
		return false
	}
	if hasFraction {
		param.Type = Number
		for i := range param.Values {
			if x, ok := param.Values[i].Value.(int64); ok {
				param.Values[i].Value = float64(x)
			}
		}
	}
	slices.SortFunc(param.Values, func(a, b Dated) int { return a.From.Compare(b.From) })
	return true
}

// typeOf is the Type of a value decoded by scalarValue.
func typeOf(v any) Type {
	switch v.(type) {
	case int64:
		return Int
	case float64:
		return Number
	case bool:
		return Bool
	}
	return String
}

func isNumeric(t Type) bool { return t == Int || t == Number }

// commentText strips the # marks from a YAML comment block.
func commentText(c string) string {
	var lines []string
	for line := range strings.SplitSeq(c, "\n") {
		line = strings.TrimSpace(line)
		line = strings.TrimSpace(strings.TrimPrefix(line, "#"))
		lines = append(lines, line)
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}
