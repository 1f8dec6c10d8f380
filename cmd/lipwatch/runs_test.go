package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/store"
)

// TestRunsCommand: the run ledger as a table (the first line of an error,
// a summary in words), filtered by kind, status and day, limited, as
// JSON, and one run in full.
func TestRunsCommand(t *testing.T) {
	tempStore(t)
	if _, err := runCLI(t, "run"); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	day := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	// Before the run above, whatever the clock says: newest first is 1, 3, 2.
	start := time.Now().Add(-2 * time.Hour).Truncate(time.Second)
	err = st.RecordRuns(context.Background(), []store.Run{
		{Kind: "sync", AsOf: day, Started: start, Finished: start.Add(2 * time.Second), Status: "failed",
			Summary: `{"source":"medical","read":10,"loaded":8,"duplicates":0,"quarantined":2}`,
			Error:   "read incoming/医保/medical_11.csv: unexpected EOF\nsecond line of detail"},
		{Kind: "run", AsOf: day, Started: start.Add(time.Minute), Finished: start.Add(time.Minute), Status: store.RunBusy,
			Summary: `{"trigger":"scheduled","due":"2026-11-29T02:00:00+08:00","try":3}`,
			Error:   `store busy (try 3, next in 2m0s): held by "lipwatch feedback import" (pid 42)`},
	})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}

	out, err := runCLI(t, "runs")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`(?m)^ID +KIND +AS-OF +STARTED +DURATION +STATUS +SUMMARY +ERROR$`,
		`(?m)^3 +run +2026-11-29 +\S+ \S+ +0s +busy +scheduled, try 3 +store busy \(try 3`,
		`(?m)^2 +sync +2026-11-29 +\S+ \S+ +2s +failed +medical: read 10, loaded 8, 2 quarantined +read incoming/医保/medical_11.csv: unexpected EOF$`,
		fmt.Sprintf(`(?m)^1 +run +2026-11-28 .* ok +%d sources, \d+ hits, %[2]d new, 0 updated cases, %[2]d dispatched, 0 overdue`, countySources(t), plantedCases(t)),
		`(?m)^3 runs$`,
	} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("runs: no %s in\n%s", want, out)
		}
	}
	if strings.Contains(out, "second line") {
		t.Errorf("runs shows more than an error's first line:\n%s", out)
	}
	for _, tc := range []struct {
		args []string
		ids  []int64
	}{
		{[]string{"--kind", "sync"}, []int64{2}},
		{[]string{"--kind", "run", "--status", "ok,busy"}, []int64{1, 3}},
		{[]string{"--kind", "run", "--status", "ok", "--status", "busy"}, []int64{1, 3}},
		{[]string{"--status", "failed"}, []int64{2}},
		{[]string{"--since", "2000-01-01"}, []int64{1, 3, 2}},
		{[]string{"--since", time.Now().AddDate(0, 0, 2).Format(time.DateOnly)}, nil},
		{[]string{"--limit", "1"}, []int64{1}},
	} {
		out, err := runCLI(t, append([]string{"runs", "--json"}, tc.args...)...)
		var got []runRecord
		if err == nil {
			err = json.Unmarshal([]byte(out), &got)
		}
		if err != nil {
			t.Fatalf("runs %v --json: %v\n%s", tc.args, err, out)
		}
		var ids []int64
		for _, r := range got {
			ids = append(ids, r.ID)
		}
		if !equalIDs(ids, tc.ids) {
			t.Errorf("runs %v: ids %v, want %v", tc.args, ids, tc.ids)
		}
	}
	// A kind or status no run can have is refused, never "0 runs"; one
	// the ledger has none of yet is 0 runs, and what there is.
	var ex *exitError
	for _, tc := range []struct{ args []string }{{[]string{"--kind", "nightly"}}, {[]string{"--kind", "run,evaluat"}}, {[]string{"--status", "bogus"}}} {
		if _, err := runCLI(t, append([]string{"runs"}, tc.args...)...); !errors.As(err, &ex) || ex.code != 2 || !strings.Contains(ex.msg, "want one of") {
			t.Errorf("runs %v: %v", tc.args, err)
		}
	}
	if _, err := runCLI(t, "runs", "--kind", "run,evaluat"); err == nil || !strings.Contains(err.Error(), `--kind "evaluat": did you mean evaluate?`) {
		t.Errorf("runs --kind evaluat: %v", err)
	}
	out, _ = runCLI(t, "runs", "--kind", "feedback")
	if !strings.Contains(out, "0 runs") || !strings.Contains(out, "kinds in the ledger: run, sync") {
		t.Errorf("a kind the ledger does not have:\n%s", out)
	}
	out, err = runCLI(t, "runs", "show", "2")
	if err != nil || !strings.Contains(out, "status:    failed") || !strings.Contains(out, "unexpected EOF\nsecond line of detail") ||
		!strings.Contains(out, `"source": "medical"`) {
		t.Errorf("runs show 2: %v\n%s", err, out)
	}
	if _, err := runCLI(t, "runs", "show", "99"); !errors.As(err, &ex) || ex.code != 2 || !strings.Contains(ex.msg, "run 99: no such run") {
		t.Errorf("runs show 99: %v", err)
	}
	if _, err := runCLI(t, "runs", "--since", "29.11.2026"); !errors.As(err, &ex) || ex.code != 2 {
		t.Errorf("a bad --since: %v", err)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOpsOutputIsClean: what runs, backup and restore print names no
// person: no ID number, no registry name (scanned as the privacy test
// does), after a night and a returned list with rejected rows.
func TestOpsOutputIsClean(t *testing.T) {
	s := loadSecrets(t, "../../testdata/county/registry.csv")
	tempStore(t)
	dir := filepath.Dir(os.Getenv("LIPWATCH_STORE_PATH"))
	var outs []string
	do := func(args ...string) string {
		out, err := runCLI(t, args...)
		var ex *exitError
		if err != nil && !(errors.As(err, &ex) && ex.code == exitDegraded) {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
		outs = append(outs, out)
		return out
	}
	do("run")
	do("--as-of", "2026-12-01", "feedback", "import", returnedList(t, &privacyEnv{t: t, dir: dir}))
	list := do("runs", "--limit", "0")
	do("runs", "--json", "--limit", "0")
	for _, id := range regexp.MustCompile(`(?m)^(\d+) `).FindAllStringSubmatch(list, -1) {
		do("runs", "show", id[1])
	}
	bk := filepath.Join(t.TempDir(), "bk")
	do("backup", "--out", bk)
	t.Setenv("LIPWATCH_STORE_PATH", filepath.Join(t.TempDir(), "lw.duckdb"))
	do("restore", "--from", bk)
	for _, out := range outs {
		if found := s.scan(out); len(found) > 0 {
			t.Errorf("personal data %v in\n%s", found, out)
		}
	}
}
