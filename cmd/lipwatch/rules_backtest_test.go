package main

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// rules backtest on the synthetic county: the flags are checked (exit 2);
// with the data as loaded by each date it finds nothing (the county was
// loaded today) and says why; with --data now the last date fires for
// exactly the households truth.json plants, and the JSON adds up; --rules
// replays another directory's rules, and a lower medical line raises more
// medical warnings.
func TestRulesBacktestCLI(t *testing.T) {
	runCounty(t)
	for _, args := range [][]string{
		{"rules", "backtest"},
		{"rules", "backtest", "--from", "2026-13-01"},
		{"rules", "backtest", "--from", "2026-06-01", "--every", "36h"},
		{"rules", "backtest", "--from", "2026-06-01", "--every", "0"},
		{"rules", "backtest", "--from", "2026-06-01", "--to", "2026-05-01"},
		{"rules", "backtest", "--from", "2026-06-01", "--data", "sometimes"},
		{"rules", "backtest", "--from", "2016-06-01", "--every", "1d"},
		{"rules", "backtest", "--from", "2026-06-01", "--rules", "no-such-dir-or-rev"},
	} {
		out, err := runCLI(t, args...)
		var ex *exitError
		if !errors.As(err, &ex) || ex.code != 2 {
			t.Errorf("%v: want exit 2, got %v\n%s", args, err, out)
		}
	}
	out, err := runCLI(t, "rules", "backtest", "--from", "2026-06-01", "--every", "28d")
	if err != nil || !strings.Contains(out, "note: nothing had been loaded by 2026-11-28") || !strings.Contains(out, "--data now") {
		t.Errorf("data as loaded then: %v\n%s", err, out)
	}

	var truth struct{ Planted []json.RawMessage }
	b, _ := os.ReadFile("../../testdata/county/truth.json")
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	run := func(extra ...string) backtestJSON {
		t.Helper()
		out, err := runCLI(t, append([]string{"rules", "backtest", "--from", "2026-06-01", "--every", "4w", "--data", "now", "--json"}, extra...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var bt backtestJSON
		// Progress lines go to stderr, which runCLI mixes in: the JSON is
		// the last part.
		if err := json.Unmarshal([]byte(out[strings.Index(out, "{\n"):]), &bt); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		return bt
	}
	bt := run()
	if n := len(bt.Dates); n != 9 || bt.Dates[0].Day != "2026-05-04" || !bt.Dates[0].Warmup || bt.Dates[n-1].Day != "2026-11-28" {
		t.Fatalf("dates %+v", bt.Dates)
	}
	if last := bt.Dates[len(bt.Dates)-1]; last.Hits != len(truth.Planted) {
		t.Errorf("on 2026-11-28 the rules fire for %d households, truth plants %d", last.Hits, len(truth.Planted))
	}
	raised := func(bt backtestJSON, rule string) (dates, months, perRule int) {
		for _, d := range bt.Dates {
			dates += d.Raised
		}
		for _, m := range bt.Months {
			if rule == "" || m.Rule == rule {
				months += m.Raised
			}
			if m.Raised != m.Enrolled+m.Aid+m.Stopped+m.NotEligible+m.Unreachable+m.Open+m.NeverListed {
				t.Errorf("a month's counts do not add up: %+v", m)
			}
		}
		for _, r := range bt.PerRule {
			if rule == "" || r.Rule == rule {
				perRule += r.Raised
			}
		}
		return
	}
	d, m, r := raised(bt, "")
	if d == 0 || d != m || m != r {
		t.Errorf("raised: %d by date, %d by month, %d by rule", d, m, r)
	}
	_, medBefore, _ := raised(bt, "MED-OOP-UNCOVERED")

	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(dir, "params.yaml")
	b, _ = os.ReadFile(params)
	os.WriteFile(params, []byte(strings.Replace(string(b), "    2024-01-01: 20000", "    2024-01-01: 15000", 1)), 0o600)
	lower := run("--rules", dir)
	if lower.Rules != dir {
		t.Errorf("rules replayed: %s, want %s", lower.Rules, dir)
	}
	_, medAfter, _ := raised(lower, "MED-OOP-UNCOVERED")
	if medAfter+lower.Standing["MED-OOP-UNCOVERED"] <= medBefore+bt.Standing["MED-OOP-UNCOVERED"] {
		t.Errorf("a lower medical line: %d standing + %d raised, the live line %d + %d", lower.Standing["MED-OOP-UNCOVERED"],
			medAfter, bt.Standing["MED-OOP-UNCOVERED"], medBefore)
	}
	// The table names no ID number or 户号.
	out, err = runCLI(t, "rules", "backtest", "--from", "2026-06-01", "--every", "4w", "--data", "now")
	if err != nil || !strings.Contains(out, "城关镇") {
		t.Fatalf("%v\n%s", err, out)
	}
	if strings.Contains(out, "3407") {
		t.Errorf("the backtest prints an ID number or 户号:\n%s", out)
	}
}
