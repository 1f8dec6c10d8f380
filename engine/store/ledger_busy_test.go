package store

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestRecordRunsAndLastAsOf: tries recorded after the fact keep their
// times, status and holder, in the order given, before the run that
// follows; the catch-up date is the newest as-of of an ok run, not the
// newest run, and never a future date.
func TestRecordRunsAndLastAsOf(t *testing.T) {
	ctx := context.Background()
	s, path := openTemp(t)
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, time.UTC) }

	if _, ok, err := s.LastAsOf(ctx, "run", "ok", day(30)); err != nil || ok {
		t.Fatalf("empty ledger: %v %v", ok, err)
	}
	held := `open store x: store is in use by another process: held by "lipwatch cases list" (pid 7 on h, since 2026-11-28T18:29:00Z)`
	busy := []Run{
		{Kind: "run", AsOf: day(28), Started: at(28, 18, 30), Finished: at(28, 18, 30), Status: RunBusy, Error: held},
		{Kind: "run", AsOf: day(28), Started: at(28, 18, 31), Finished: at(28, 18, 31), Status: RunBusy, Error: "gave up after 1m: " + held},
		{Kind: "sync", AsOf: day(28), Started: at(28, 18, 32), Status: RunBusy, Summary: `{"source":"fishers"}`, Error: held},
	}
	if err := s.RecordRuns(ctx, busy); err != nil {
		t.Fatal(err)
	}
	// The night then runs, for the 28th, after midnight (UTC+8: 16:10 UTC on the 28th is 00:10 on the 29th).
	id, err := s.BeginRun(ctx, "run", day(28))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.FinishRun(ctx, id, "{}", nil); err != nil {
		t.Fatal(err)
	}
	// A re-run of an older date, and a test of a future one, later still.
	for _, d := range []int{20, 30} {
		id, _ := s.BeginRun(ctx, "run", day(d))
		s.FinishRun(ctx, id, "{}", nil)
	}
	id, _ = s.BeginRun(ctx, "run", day(29))
	s.FinishRun(ctx, id, "{}", errors.New("evaluate: boom"))

	got, ok, err := s.LastAsOf(ctx, "run", "ok", day(29))
	if err != nil || !ok || !got.Equal(day(28)) {
		t.Errorf("LastAsOf = %s %v %v, want 2026-11-28 (the 20th is older, the 30th is after the 29th, the 29th failed)", got, ok, err)
	}

	// Reopening (which marks running runs interrupted) leaves busy rows be.
	s.Close()
	s2, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	rows, err := s2.DB().QueryContext(ctx, `SELECT kind, status, started_at, finished_at, coalesce(summary, ''), coalesce(error, '') FROM runs ORDER BY run_id LIMIT 4`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var i int
	for ; rows.Next(); i++ {
		var kind, status, summary, msg string
		var started time.Time
		var finished *time.Time
		if err := rows.Scan(&kind, &status, &started, &finished, &summary, &msg); err != nil {
			t.Fatal(err)
		}
		if i == 3 {
			if kind != "run" || status != "ok" {
				t.Errorf("row 4 = %s %s, want the ok run after the busy tries", kind, status)
			}
			continue
		}
		want := busy[i]
		if kind != want.Kind || status != RunBusy || !started.Equal(want.Started) || msg != want.Error || summary != want.Summary ||
			(finished == nil) != want.Finished.IsZero() {
			t.Errorf("row %d = %s %s %s %v %q %q, want %+v", i+1, kind, status, started, finished, summary, msg, want)
		}
	}
	if i != 4 {
		t.Errorf("%d rows", i)
	}
}
