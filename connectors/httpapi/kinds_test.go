package httpapi_test

import (
	"slices"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// An identifier that went through a float serializer (户号 written as
// 3.40799001001E15) comes out as its digits with KindNumber, so that the
// dataset layer can tell it went through a number; an integer literal is
// exact and stays text, as does a string that looks like a number. A page
// without such a number has no kinds, not the last page's.
func TestNumberKinds(t *testing.T) {
	srv := pagesServer(t,
		`[{"户号": 3.40799001001E15, "人口": 3, "面积": 85.5},
		  {"户号": 340799001001, "人口": 2, "面积": "3.40799001001E15"}]`,
		`[{"户号": "340799001002", "人口": 4, "面积": "60"}]`,
	)
	rr := connectortest.OpenOnly(t, newSource(t, connectors.Options{"url": srv.URL + "/api", "pagination": "page", "page_size": 2}))
	var rows []connectors.Row
	for range 3 {
		row, err := rr.Next()
		if err != nil {
			t.Fatal(err)
		}
		// Kinds copied as the sync would use them, before the next call.
		row.Values = slices.Clone(row.Values)
		row.Kinds = slices.Clone(row.Kinds)
		rows = append(rows, row)
	}
	const T, N = connectors.KindText, connectors.KindNumber
	want := []struct {
		values []string
		kinds  []connectors.CellKind
	}{
		{[]string{"3407990010010000", "3", "85.5"}, []connectors.CellKind{N, T, N}},
		{[]string{"340799001001", "2", "3.40799001001E15"}, []connectors.CellKind{T, T, T}},
		{[]string{"340799001002", "4", "60"}, nil},
	}
	for i, w := range want {
		if !slices.Equal(rows[i].Values, w.values) || !slices.Equal(rows[i].Kinds, w.kinds) {
			t.Errorf("row %d: %q %v, want %q %v", i+1, rows[i].Values, rows[i].Kinds, w.values, w.kinds)
		}
	}
}
