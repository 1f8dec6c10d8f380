package pipeline

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/store"
)

// countyHistory gives the synthetic county's rows a history, as a county
// that has run for a while has: the registry, households, roster, fishers,
// disability and employment files known since 2025-01-01, and each
// month's medical settlement file (medical_YYYY-MM.csv) arriving on the
// 3rd of the next month at 10:00 county time, November's on 2026-11-28.
func countyHistory(t *testing.T, p *Pipeline) {
	t.Helper()
	for _, ds := range dataset.Names() {
		q := `UPDATE ` + ds + ` SET _loaded_at = TIMESTAMP '2025-01-01 02:00:00'`
		if ds == "medical" {
			// 10:00 in the county (UTC+8) is 02:00 UTC.
			q = `UPDATE medical SET _loaded_at = least(
				strptime(regexp_extract(_stream, 'medical_(\d{4}-\d{2})\.csv', 1) || '-03 02:00:00', '%Y-%m-%d %H:%M:%S') + INTERVAL 1 MONTH,
				TIMESTAMP '2026-11-28 02:00:00')`
		}
		if _, err := p.Store.DB().Exec(q); err != nil {
			t.Fatalf("%s: %v", ds, err)
		}
	}
	var n int
	p.Store.DB().QueryRow(`SELECT count(DISTINCT _loaded_at) FROM medical`).Scan(&n)
	if n != 14 {
		t.Fatalf("medical arrives on %d dates, want the 14 months of testdata", n)
	}
}

// firing is what a pack fires for at a date: (rule, subject) -> township.
func firing(t *testing.T, p *Pipeline, day, known time.Time) map[[2]string]string {
	t.Helper()
	ev := &evaluate.Evaluator{Store: p.Store, Pack: p.Pack, KnownBy: known}
	res, err := ev.Hits(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	out := map[[2]string]string{}
	for _, h := range res.Hits {
		if !h.Mark { // a mark is not a warning
			out[[2]string{h.RuleID, h.Subject()}] = p.Router.Township(h.TownshipCode)
		}
	}
	return out
}

// The backtest over the synthetic county with a history: what it says was
// known and raised at each date is what an evaluation finds on a store
// that really held only the rows loaded by then (the later rows deleted,
// date by date, newest first), and each raised warning carries the
// outcome the townships returned for its household.
func TestBacktestCounty(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	if _, err := c.p.Run(ctx, c.day); err != nil {
		t.Fatal(err)
	}
	countyHistory(t, c.p)
	// Outcomes for two households: one enrolled, one not eligible.
	heads, err := c.p.Store.CaseHeadsWhere(ctx, "", "", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(heads) != len(c.truth.Planted) {
		t.Fatalf("%d cases, truth plants %d", len(heads), len(c.truth.Planted))
	}
	closed := map[string]string{}
	for i, outcome := range []string{"dibao", "not_eligible"} {
		h := heads[i*7]
		if _, err := c.p.Store.CloseCase(ctx, store.Closing{CaseID: h.ID, Outcome: outcome, VerifiedBy: "测试", On: c.day,
			Until: c.day.AddDate(0, 6, 0)}); err != nil {
			t.Fatal(err)
		}
		closed[h.Subject] = dispatch.OutcomeClass(outcome)
	}
	caseOf := map[string]bool{}
	for _, h := range heads {
		caseOf[h.Subject] = true
	}

	from := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	bt, err := c.p.Backtest(ctx, BacktestOptions{From: from, To: c.day, EveryDays: 28})
	if err != nil {
		t.Fatal(err)
	}
	// Dates: the warm-up (2026-05-04), 06-01 … 11-16 every 28 days, and 11-28.
	var days []string
	for _, d := range bt.Dates {
		days = append(days, d.Day.Format(time.DateOnly))
	}
	want := []string{"2026-05-04", "2026-06-01", "2026-06-29", "2026-07-27", "2026-08-24", "2026-09-21", "2026-10-19",
		"2026-11-16", "2026-11-28"}
	if !slices.Equal(days, want) {
		t.Fatalf("dates %v, want %v", days, want)
	}
	// On the last date every file is known: the rules fire for exactly
	// the planted households, as the real night did.
	last := bt.Dates[len(bt.Dates)-1]
	if last.Hits != len(c.truth.Planted) {
		t.Errorf("on %s the rules fire for %d households, truth plants %d", c.day.Format(time.DateOnly), last.Hits, len(c.truth.Planted))
	}
	if bt.Dates[0].Rows >= last.Rows || bt.Dates[0].Hits >= last.Hits {
		t.Errorf("the warm-up date knows %d rows and %d households with hits, the last %d and %d: no history replayed",
			bt.Dates[0].Rows, bt.Dates[0].Hits, last.Rows, last.Hits)
	}

	// The oracle: delete, newest date first, the rows loaded after each
	// date and evaluate what is left, with no KnownBy.
	sets := make([]map[[2]string]string, len(bt.Dates))
	for i := len(bt.Dates) - 1; i >= 0; i-- {
		cut := c.p.endOfDay(bt.Dates[i].Day)
		for _, ds := range dataset.Names() {
			if _, err := c.p.Store.DB().Exec(fmt.Sprintf(`DELETE FROM %s WHERE _loaded_at >= TIMESTAMP '%s'`, ds,
				cut.UTC().Format("2006-01-02 15:04:05"))); err != nil {
				t.Fatal(err)
			}
		}
		sets[i] = firing(t, c.p, bt.Dates[i].Day, time.Time{})
		if got := len(subjects(sets[i])); got != bt.Dates[i].Hits {
			t.Errorf("%s: the backtest saw %d households with hits, the store holding only that day's rows %d",
				bt.Dates[i].Day.Format(time.DateOnly), bt.Dates[i].Hits, got)
		}
	}
	standing := map[string]int{}
	for k := range sets[0] {
		standing[k[0]]++
	}
	if !maps.Equal(standing, bt.Standing) {
		t.Errorf("standing at the warm-up %v, the oracle %v", bt.Standing, standing)
	}
	var wantW []BacktestWarning
	byRule := map[string]int{}
	for i := 1; i < len(sets); i++ {
		for _, k := range slices.SortedFunc(maps.Keys(sets[i]), compareKeys) {
			if _, ok := sets[i-1][k]; ok {
				continue
			}
			w := BacktestWarning{Day: bt.Dates[i].Day, Rule: k[0], Subject: k[1], Township: sets[i][k]}
			switch {
			case closed[k[1]] != "":
				w.Class = closed[k[1]]
			case caseOf[k[1]]:
				w.Class = "open"
			}
			wantW = append(wantW, w)
			byRule[k[0]]++
		}
	}
	if len(wantW) == 0 {
		t.Fatal("the oracle raises nothing in the period: the history does not test anything")
	}
	got := bt.Warnings
	for i := range got {
		got[i].CaseID = ""
	}
	if !slices.Equal(got, wantW) {
		t.Errorf("%d warnings raised, the oracle %d", len(got), len(wantW))
		for i := range min(len(got), len(wantW)) {
			if got[i] != wantW[i] {
				t.Errorf("first difference at %d: %+v, want %+v", i, got[i], wantW[i])
				break
			}
		}
	}
	for _, d := range bt.Dates {
		t.Logf("%s rows %d people %d households with hits %d raised %d", d.Day.Format(time.DateOnly), d.Rows, d.People, d.Hits, d.Raised)
	}
	for _, r := range bt.Rules {
		t.Logf("%s standing %d %+v", r.Rule, bt.Standing[r.Rule], r.BacktestCount)
	}
	// Totals per rule and per month add up to the warnings.
	var enrolled, notEligible, sum int
	for _, r := range bt.Rules {
		if r.Warnings != byRule[r.Rule] {
			t.Errorf("rule %s raised %d, the oracle %d", r.Rule, r.Warnings, byRule[r.Rule])
		}
		if r.Warnings != r.Closed()+r.Open+r.Unlisted {
			t.Errorf("rule %s: %+v does not add up", r.Rule, r.BacktestCount)
		}
		enrolled += r.Enrolled
		notEligible += r.NotEligible
	}
	for _, r := range bt.Rows {
		sum += r.Warnings
	}
	if sum != len(wantW) {
		t.Errorf("the monthly rows count %d warnings, want %d", sum, len(wantW))
	}
	var wantEnrolled, wantNot int
	for _, w := range wantW {
		switch w.Class {
		case dispatch.ClassEnrolled:
			wantEnrolled++
		case dispatch.ClassNotEligible:
			wantNot++
		}
	}
	if enrolled != wantEnrolled || notEligible != wantNot || wantEnrolled+wantNot == 0 {
		t.Errorf("enrolled %d not eligible %d, want %d and %d (and some)", enrolled, notEligible, wantEnrolled, wantNot)
	}
}

// The pool's connections never keep the shadows: a query after a backtest
// on any connection reads every row.
func TestKnownByLeavesNoShadow(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	if _, err := c.p.Sync(ctx, nil, false); err != nil {
		t.Fatal(err)
	}
	all, err := evaluate.KnownRows(ctx, c.p.Store.DB(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	past := firing(t, c.p, c.day, time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC))
	if len(past) != 0 {
		t.Errorf("with nothing known the rules fire %d times", len(past))
	}
	// Every pooled connection, a few times over.
	for range 8 {
		conns := make([]interface{ Close() error }, 0, 4)
		for range 4 {
			conn, err := c.p.Store.DB().Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var n int64
			if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM medical`).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != all["medical"] {
				t.Fatalf("a pooled connection reads %d medical rows, the store holds %d", n, all["medical"])
			}
			conns = append(conns, conn)
		}
		for _, conn := range conns {
			conn.Close()
		}
	}
	if all["medical"] == 0 {
		t.Fatal("nothing synced")
	}
}

func TestMatchCase(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	cs := []*cases.Case{
		{ID: "a", OpenedOn: d("2026-01-10"), ClosedOn: d("2026-02-01"), State: cases.StateClosed, Outcome: "not_eligible"},
		{ID: "b", OpenedOn: d("2026-05-01"), State: cases.StateDispatched},
	}
	for day, want := range map[string]string{"2026-01-01": "a", "2026-01-10": "a", "2026-02-01": "a", "2026-02-02": "b",
		"2026-05-01": "b", "2026-09-01": "b"} {
		got := matchCase(cs, d(day))
		if got == nil || got.ID != want {
			t.Errorf("%s: %v, want %s", day, got, want)
		}
	}
	if got := matchCase(cs[:1], d("2026-03-01")); got != nil {
		t.Errorf("after the only case closed: %v", got)
	}
}
