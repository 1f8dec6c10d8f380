package dataset

import (
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// TestNumber1904AndComputed: a plain number read as a date in a 1904
// workbook counts from 1904-01-01, and is a number in an identifier
// column; a formula's computed value is taken as written (it may be text).
func TestNumber1904AndComputed(t *testing.T) {
	ds, _ := Lookup("households")
	m, err := NewMapper(ds, []string{"户号", "收入核定日期"}, Mapping{Columns: map[string]string{"household_id": "户号", "income_assessed_date": "收入核定日期"}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(ds.Fields))
	for _, tc := range []struct {
		hh, date string
		kinds    []connectors.CellKind
		wantHH   string
		wantDate string
		code     string
	}{
		{"100001", "44620", []connectors.CellKind{connectors.KindText, connectors.KindNumber1904}, "100001", "2026-03-01", ""},
		{"100001", "46082", []connectors.CellKind{connectors.KindText, connectors.KindNumber}, "100001", "2026-03-01", ""},
		{"100001.0", "2026-03-01", []connectors.CellKind{connectors.KindComputed, connectors.KindText}, "100001", "2026-03-01", ""},
		{"3407990010010002", "2026-03-01", []connectors.CellKind{connectors.KindComputed, connectors.KindText}, "3407990010010002", "2026-03-01", ""},
		{"3407990010010000", "2026-03-01", []connectors.CellKind{connectors.KindNumber1904, connectors.KindText}, "", "", DamagedNumber},
	} {
		_, p := m.MapRow([]string{tc.hh, tc.date}, tc.kinds, out)
		switch {
		case tc.code != "":
			if p == nil || p.Code != tc.code {
				t.Errorf("%q %v: problem %v, want %s", tc.hh, tc.kinds, p, tc.code)
			}
		case p != nil:
			t.Errorf("%q %v: %v", tc.hh, tc.kinds, p)
		default:
			if out[0] != tc.wantHH || out[3].(time.Time).Format(time.DateOnly) != tc.wantDate {
				t.Errorf("%q %q %v: got %v %v", tc.hh, tc.date, tc.kinds, out[0], out[3])
			}
		}
	}
}

// TestEpochSecondsPlausible: under formats epoch_s, 20260501 (a yyyymmdd
// date) or 46143 (an Excel serial) would be a day of 1970: quarantined.
func TestEpochSecondsPlausible(t *testing.T) {
	ds, _ := Lookup("medical")
	m, err := NewMapper(ds, medicalHeader, Mapping{Columns: medicalColumns, Formats: map[string]string{"settle_date": FormatEpochSeconds}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(ds.Fields))
	row := func(date string) []string {
		return []string{"YB1", "11010519491231002X", date, "医院", "100", "", "", "", "50", ""}
	}
	for _, v := range []string{"20260501", "46143"} {
		if _, p := m.Map(row(v), out); p == nil || p.Code != BadDate || !strings.Contains(p.Reason, "not Unix seconds") {
			t.Errorf("%s: %v", v, p)
		}
	}
	if _, p := m.Map(row("1788969600"), out); p != nil {
		t.Errorf("a real epoch: %v", p)
	} else if got := out[2].(time.Time).Format(time.DateOnly); got != "2026-09-10" {
		t.Errorf("1788969600 read as %s", got)
	}
}
