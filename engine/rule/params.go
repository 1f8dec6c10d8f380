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
	Doc   string
	Pos   Pos
	index int // place in the env's params struct
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

// parseParam reads `NAME: {YYYY-MM-DD: value, ...}`.
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
	if len(ds) == 0 {
		f.errf(p.key, ctx, "no values: write one date and value per line, e.g. \"2025-01-01: 20000\"")
		return nil, false
	}
	good := true
	seen := map[time.Time]int{}
	var hasFraction bool
	for _, d := range ds {
		day, ok := parseDate(d.key.Value)
		if !ok {
			f.errf(d.key, ctx, "%s is not a date (write YYYY-MM-DD)", d.key.Value)
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
		return nil, false
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
	return param, true
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
