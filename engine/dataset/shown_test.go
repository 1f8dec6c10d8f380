package dataset

import (
	"strings"
	"testing"
)

// TestReasonsShowNoPersonalData: a reason quotes a bad value so a clerk can
// find it, unless the value may be personal data — a name that landed in an
// amount column when the columns shifted, an ID number in a date column.
func TestReasonsShowNoPersonalData(t *testing.T) {
	ds, _ := Lookup("medical")
	m, err := NewMapper(ds, medicalHeader, Mapping{Columns: medicalColumns})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(ds.Fields))
	row := func(date, total string) []string {
		return []string{"YB1", "11010519491231002X", date, "医院", total, "", "", "", "100", ""}
	}
	for _, tc := range []struct {
		values      []string
		hidden      string // must not appear
		shownQuoted string // must appear
	}{
		{row("2026-03-01", "董海波"), "董海波", ""},
		{row("110105194912310021", "100"), "110105194912310021", ""},
		{row("2026-03-01", "12,34"), "", `"12,34"`},
		{row("2026年2月30日", "100"), "", `"2026年2月30日"`},
	} {
		_, p := m.Map(tc.values, out)
		if p == nil {
			t.Fatalf("%q loaded", tc.values)
		}
		if tc.hidden != "" && (strings.Contains(p.Reason, tc.hidden) || !strings.Contains(p.Reason, "not shown")) {
			t.Errorf("reason %q shows %q", p.Reason, tc.hidden)
		}
		if tc.shownQuoted != "" && !strings.Contains(p.Reason, tc.shownQuoted) {
			t.Errorf("reason %q does not quote %s", p.Reason, tc.shownQuoted)
		}
	}
}
