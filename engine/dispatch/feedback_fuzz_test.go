package dispatch

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// longDigits is a run of digits long enough to be an ID number.
var longDigits = regexp.MustCompile(`[0-9０-９]{15,}`)

// FuzzReadFeedback feeds returned lists of any bytes (seeded with a real
// list in CSV and in xlsx, as WriteTownship* writes them, and a filled-in
// one) to ReadFeedback: it never panics, a row it takes has a well-formed
// case id and a known outcome, and no rejection reason carries an ID
// number, whatever the township wrote.
func FuzzReadFeedback(f *testing.F) {
	fx := newFixture(f)
	dir := f.TempDir()
	for _, name := range []string{"list.csv", "list.xlsx"} {
		path := filepath.Join(dir, name)
		var err error
		if filepath.Ext(name) == ".csv" {
			err = WriteTownshipCSV(path, fx.items, testOptions())
		} else {
			err = WriteTownshipXLSX(path, fx.items, testOptions())
		}
		if err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("预警编号,核实结果,核实日期\nYJ-20261128-0001,纳入低保,2026-12-01\nYJ-20261128-0002,已核实,110105194912310021\n,纳入特困,\n"))
	f.Add([]byte("\xef\xbb\xbf预警编号,核实结果\r\nYJ-20261128-0003,不符合条件\r\n"))
	outs, err := readOptions().outcomes()
	if err != nil {
		f.Fatal(err)
	}
	known := map[string]bool{}
	for _, o := range outs {
		known[o.Code] = true
	}
	caseID := regexp.MustCompile(`^YJ-\d{8}-\d{4,}$`)
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "returned")
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		got, rejected, err := readBack(path, readOptions())
		if err != nil {
			return
		}
		for _, fb := range got {
			if !caseID.MatchString(fb.CaseID) || !known[fb.Outcome] {
				t.Fatalf("took row %d: case %q outcome %q", fb.Row, fb.CaseID, fb.Outcome)
			}
		}
		for _, r := range rejected {
			if longDigits.MatchString(r.Reason) {
				t.Fatalf("reason carries a long number: %q", r.Reason)
			}
		}
	})
}
