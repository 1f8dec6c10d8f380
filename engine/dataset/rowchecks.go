package dataset

import (
	"fmt"
	"time"
)

// A rowRule judges one row's parsed values together (Dataset.Check):
// what no single cell shows. rowChecks builds a Check from several, the
// first that fails naming its field.
type rowRule func(ds *Dataset) func(v []any) *Problem

// fieldIndex is a field's position; a rule naming a field the dataset does
// not have is a programming error.
func fieldIndex(ds *Dataset, name string) int {
	for i, f := range ds.Fields {
		if f.Name == name {
			return i
		}
	}
	panic("dataset " + ds.Name + ": no field " + name)
}

// nonNegative refuses a negative amount or quantity (a fee, what a family
// paid, an area, an income): a minus sign would lower a household's
// spending or income silently.
func nonNegative(name string) rowRule {
	return func(ds *Dataset) func(v []any) *Problem {
		i := fieldIndex(ds, name)
		f := ds.Fields[i]
		return func(v []any) *Problem {
			if n, ok := v[i].(int64); ok && n < 0 {
				return &Problem{Code: BadNumber, Field: name, Reason: fmt.Sprintf("%s (%s) is negative: it cannot be; a refund or a correction is sent as the corrected row", f.Doc, name)}
			}
			return nil
		}
	}
}

// notMore refuses a part larger than its whole (个人负担 over 费用合计).
func notMore(part, whole string) rowRule {
	return func(ds *Dataset) func(v []any) *Problem {
		p, w := fieldIndex(ds, part), fieldIndex(ds, whole)
		return func(v []any) *Problem {
			a, okA := v[p].(int64)
			b, okB := v[w].(int64)
			if okA && okB && a > b {
				return &Problem{Code: BadValue, Field: part, Reason: fmt.Sprintf("%s (%s) is more than %s (%s): the columns are shifted or an amount is wrong",
					ds.Fields[p].Doc, part, ds.Fields[w].Doc, whole)}
			}
			return nil
		}
	}
}

// notBefore refuses an end before its start (离校 before 入学, 终止 before
// 备案, 注销 before 登记).
func notBefore(end, start string) rowRule {
	return func(ds *Dataset) func(v []any) *Problem {
		e, s := fieldIndex(ds, end), fieldIndex(ds, start)
		return func(v []any) *Problem {
			a, okA := v[e].(time.Time)
			b, okB := v[s].(time.Time)
			if okA && okB && a.Before(b) {
				return &Problem{Code: BadDate, Field: end, Reason: fmt.Sprintf("%s (%s) %s is before %s (%s) %s: one of the dates is wrong",
					ds.Fields[e].Doc, end, a.Format(time.DateOnly), ds.Fields[s].Doc, start, b.Format(time.DateOnly))}
			}
			return nil
		}
	}
}

// differ refuses a row whose two ID numbers are the same person (a staff
// member declared as his own relative).
func differ(a, b string) rowRule {
	return func(ds *Dataset) func(v []any) *Problem {
		i, j := fieldIndex(ds, a), fieldIndex(ds, b)
		return func(v []any) *Problem {
			x, okX := v[i].(string)
			y, okY := v[j].(string)
			if okX && okY && x != "" && x == y {
				return &Problem{Code: BadValue, Field: a, Reason: fmt.Sprintf("%s (%s) and %s (%s) are the same person", ds.Fields[i].Doc, a, ds.Fields[j].Doc, b)}
			}
			return nil
		}
	}
}

// withChecks sets d.Check from rules (after any Check it has) and returns d.
func withChecks(d *Dataset, rules ...rowRule) *Dataset {
	fns := make([]func([]any) *Problem, 0, len(rules)+1)
	if d.Check != nil {
		fns = append(fns, d.Check)
	}
	for _, r := range rules {
		fns = append(fns, r(d))
	}
	d.Check = func(v []any) *Problem {
		for _, f := range fns {
			if p := f(v); p != nil {
				return p
			}
		}
		return nil
	}
	return d
}
