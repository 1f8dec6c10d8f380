package xlsxtest

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
)

// Cell is an expected value with its kind.
type Cell struct {
	V string
	K connectors.CellKind
}

// Text is a text cell.
func Text(v string) Cell { return Cell{v, connectors.KindText} }

// Number is a number cell.
func Number(v string) Cell { return Cell{v, connectors.KindNumber} }

// Number1904 is a number cell of a workbook in the 1904 date system.
func Number1904(v string) Cell { return Cell{v, connectors.KindNumber1904} }

// Date is a date cell, converted.
func Date(v string) Cell { return Cell{v, connectors.KindDate} }

// Error is an error value.
func Error(v string) Cell { return Cell{v, connectors.KindError} }

// Computed is a formula calculated by the reader.
func Computed(v string) Cell { return Cell{v, connectors.KindComputed} }

// Filled is c as a cell covered by a merged range shows it: the top-left
// cell's value and kind, marked filled.
func Filled(c Cell) Cell { return Cell{c.V, c.K | connectors.KindFilled} }

// Uncomputed is a formula that could not be calculated.
var Uncomputed = Cell{"", connectors.KindUncomputed}

// Cells builds an expected row of typed cells; none means a blank row.
func Cells(pos int64, cs ...Cell) connectors.Row {
	r := connectors.Row{Pos: pos}
	for _, c := range cs {
		r.Values = append(r.Values, c.V)
		r.Kinds = append(r.Kinds, c.K)
	}
	return r
}

// ReadRows reads every row of rr, copying Values and Kinds (readers reuse
// them), and fails the test on an error or on kinds not aligned with the
// values.
func ReadRows(t testing.TB, rr connectors.RowReader) []connectors.Row {
	t.Helper()
	var rows []connectors.Row
	for {
		r, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return rows
		}
		if err != nil {
			t.Fatalf("next after %d rows: %v", len(rows), err)
		}
		if len(r.Values) != len(r.Kinds) {
			t.Fatalf("row %d: %d values but %d kinds", r.Pos, len(r.Values), len(r.Kinds))
		}
		r.Values = append([]string(nil), r.Values...)
		r.Kinds = append([]connectors.CellKind(nil), r.Kinds...)
		rows = append(rows, r)
	}
}

// CheckRows compares rows with their values and kinds.
func CheckRows(t testing.TB, got, want []connectors.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("got %d rows, want %d:\n got%s\nwant%s", len(got), len(want), show(got), show(want))
		return
	}
	for i := range want {
		g, w := got[i], want[i]
		if g.Pos != w.Pos || len(g.Values) != len(w.Values) ||
			(len(w.Values) > 0 && (!reflect.DeepEqual(g.Values, w.Values) || !reflect.DeepEqual(g.Kinds, w.Kinds))) {
			t.Errorf("row %d: got%s\nwant%s", i, show(got[i:i+1]), show(want[i:i+1]))
		}
	}
}

func show(rows []connectors.Row) string {
	var b strings.Builder
	for _, r := range rows {
		fmt.Fprintf(&b, "\n  %d:", r.Pos)
		for i, v := range r.Values {
			k := "?"
			if i < len(r.Kinds) {
				k = r.Kinds[i].String()
			}
			fmt.Fprintf(&b, " %q(%s)", v, k)
		}
	}
	return b.String()
}
