package rule

import (
	"fmt"
	"time"

	"go.yaml.in/yaml/v3"
)

// FactTest is one test beside a fact group in facts.yaml: rows given per
// dataset, an evaluation date, and the field values expected per key
// (ID number or 户号, as the group's scope). A key the query returns no
// row for has each field's default, as rules see it.
//
//	tests:
//	  - name: 恰好12个月前结算的不计入
//	    as_of: 2026-11-28
//	    given:
//	      medical:
//	        - {id_number: p1, settle_date: 2025-11-28, out_of_pocket: 100}
//	    expect:
//	      p1: {claims_12m: 0}
//
// Only the columns that matter are given; the rest are NULL, or for a
// column that cannot be NULL its type's zero (” or 0; a date must be
// given). Rows of a dataset are loaded in order: a later row is newer
// (its _position, and its _load_id unless given).
type FactTest struct {
	Name   string
	AsOf   time.Time
	Given  []GivenRows
	Expect []Expected
	Pos    Pos
}

// GivenRows are a test's rows of one dataset.
type GivenRows struct {
	Dataset string
	Pos     Pos
	Rows    []GivenRow
}

// GivenRow is one row: the columns given, in file order.
type GivenRow struct {
	Pos  Pos
	Cols []GivenCol
}

// GivenCol is one column's value as written, loaded with a cast to the
// column's type; Null when written null or ~.
type GivenCol struct {
	Name  string
	Value string
	Null  bool
	Pos   Pos
}

// Expected is what a test expects of one key's facts.
type Expected struct {
	Key    string
	Pos    Pos
	Fields []ExpectedField
}

// ExpectedField is one expected fact value, of the field's Go type.
type ExpectedField struct {
	Field *Field
	Value any
	Pos   Pos
}

// parseFactTests reads a group's `tests:` list; its fields must be read
// already. ok is false if any test had a problem.
// Unless fieldsOK, an expected value of an unknown field is not reported
// (the field itself is, where it is declared).
func parseFactTests(f *yfile, g *Group, n *yaml.Node, fieldsOK bool) ([]*FactTest, bool) {
	gctx := "group " + g.Name
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.SequenceNode {
		f.errf(n, gctx, "tests: want a list of tests (each starting with \"- name:\"), got %s", describe(n))
		return nil, false
	}
	var out []*FactTest
	good := true
	names := map[string]int{}
	for i, item := range n.Content {
		item = resolve(item)
		t := &FactTest{Name: fmt.Sprintf("#%d", i+1), Pos: f.pos(item)}
		if item.Kind == yaml.MappingNode {
			for j := 0; j+1 < len(item.Content); j += 2 {
				if k, v := item.Content[j], resolve(item.Content[j+1]); k.Value == "name" && v.Kind == yaml.ScalarNode && v.Value != "" {
					t.Name = v.Value
				}
			}
		}
		ctx := fmt.Sprintf("%s: test %q", gctx, t.Name)
		m, ok := f.keys(item, ctx, "a test (a mapping with name, as_of, given, expect)", "name", "as_of", "given", "expect")
		if !ok {
			good = false
			continue
		}
		tgood := true
		if p, has := m["name"]; has {
			if line, dup := names[t.Name]; dup {
				f.errf(p.val, ctx, "a test of this group has this name already (line %d)", line)
				tgood = false
			} else {
				names[t.Name] = p.val.Line
			}
		}
		if p, has := m["as_of"]; !has {
			f.missing(item, ctx, "as_of", "missing as_of (the evaluation date the test asserts at, YYYY-MM-DD)")
			tgood = false
		} else if s, ok := f.text(p, ctx); !ok {
			tgood = false
		} else if t.AsOf, ok = parseDate(s); !ok {
			f.errf(p.val, ctx, "as_of: %s is not a date (write YYYY-MM-DD)", s)
			tgood = false
		}
		if p, has := m["given"]; has {
			tgood = parseGivenRows(f, t, p.val, ctx) && tgood
		}
		if p, has := m["expect"]; !has {
			f.missing(item, ctx, "expect", "missing expect (per key, the expected fact values: {p1: {field: value}})")
			tgood = false
		} else {
			tgood = parseExpected(f, g, t, p.val, ctx, fieldsOK) && tgood
		}
		if tgood {
			out = append(out, t)
		}
		good = good && tgood
	}
	return out, good
}

// parseGivenRows reads `given: {dataset: [{column: value, ...}, ...]}`.
// Datasets and columns are checked against the store's tables when the
// test runs (and by rules check).
func parseGivenRows(f *yfile, t *FactTest, n *yaml.Node, ctx string) bool {
	ctx += ": given"
	ds, ok := f.mapping(n, ctx, "a mapping of datasets to lists of rows")
	good := ok
	for _, d := range ds {
		gr := GivenRows{Dataset: d.key.Value, Pos: f.pos(d.key)}
		rows := resolve(d.val)
		if isNull(rows) {
			t.Given = append(t.Given, gr)
			continue
		}
		if rows.Kind != yaml.SequenceNode {
			f.errf(rows, ctx+" "+gr.Dataset, "want a list of rows (each \"- {column: value, ...}\"), got %s", describe(rows))
			good = false
			continue
		}
		for _, rn := range rows.Content {
			rn = resolve(rn)
			cols, ok := f.mapping(rn, ctx+" "+gr.Dataset, "a row: a mapping of columns to values")
			if !ok {
				good = false
				continue
			}
			row := GivenRow{Pos: f.pos(rn)}
			for _, c := range cols {
				if c.val.Kind != yaml.ScalarNode {
					f.errf(c.val, ctx+" "+gr.Dataset, "%s: want a single value, got %s", c.key.Value, describe(c.val))
					good = false
					continue
				}
				row.Cols = append(row.Cols, GivenCol{Name: c.key.Value, Value: c.val.Value, Null: isNull(c.val), Pos: f.pos(c.val)})
			}
			gr.Rows = append(gr.Rows, row)
		}
		t.Given = append(t.Given, gr)
	}
	return good
}

// parseExpected reads `expect: {KEY: {field: value, ...}}`, each value
// converted to its field's type.
func parseExpected(f *yfile, g *Group, t *FactTest, n *yaml.Node, ctx string, fieldsOK bool) bool {
	ctx += ": expect"
	keys, ok := f.mapping(n, ctx, "a mapping of keys (ID numbers or 户号 as given) to {field: value}")
	good := ok
	var fieldNames []string
	for _, fd := range g.Fields {
		fieldNames = append(fieldNames, fd.Name)
	}
	for _, k := range keys {
		e := Expected{Key: k.key.Value, Pos: f.pos(k.key)}
		fs, ok := f.mapping(k.val, ctx+" "+e.Key, "a mapping of fields to values")
		good = good && ok
		for _, fp := range fs {
			var fd *Field
			for i := range g.Fields {
				if g.Fields[i].Name == fp.key.Value {
					fd = &g.Fields[i]
				}
			}
			if fd == nil && !fieldsOK {
				good = false
				continue
			}
			if fd == nil {
				f.errf(fp.key, ctx+" "+e.Key, "unknown field %s of group %s%s", fp.key.Value, g.Name, hint(fp.key.Value, fieldNames))
				good = false
				continue
			}
			raw, err := scalarValue(fp.val)
			if err == nil && raw == nil {
				err = fmt.Errorf("missing value (a key without a row has the field's default, %v)", fd.Default)
			}
			var v any
			if err == nil {
				v, err = convert(raw, fd.Type)
			}
			if err != nil {
				f.errf(fp.val, ctx+" "+e.Key, "%s: %v", fd.Name, err)
				good = false
				continue
			}
			e.Fields = append(e.Fields, ExpectedField{Field: fd, Value: v, Pos: f.pos(fp.val)})
		}
		t.Expect = append(t.Expect, e)
	}
	return good
}

// FactValue converts a value a fact query returned (nil for SQL NULL) to
// the field's Go type as rules see it: NULL is the default.
func (fd *Field) FactValue(v any) (any, error) {
	if v == nil {
		return fd.Default, nil
	}
	return convert(v, fd.Type)
}
