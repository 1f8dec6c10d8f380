package pipeline

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/store"
)

// TestHealthMemoFollowsItsInputs: a health check whose inputs have not
// changed is the last one's, and a check after any change of what it
// reads equals one computed afresh. The mini county's roster has one
// impossible start date in three rows: a person held back one by one (a
// gap), the source ok at the default threshold (50%) and degraded at 20%.
// Each step changes one input; taking that input out of the memo's key
// makes the memo answer wrong, so the test can fail.
func TestHealthMemoFollowsItsInputs(t *testing.T) {
	ctx := context.Background()
	m := newMini(t)
	asst := m.sources["assistance"]
	const head = "身份证号,户号,救助类别,开始日期,结束日期,月救助金额\n"
	others := "340799197506060677,3407990020010002,低保边缘,2025-01-01,,0\n340799196005010116,3407990010010001,其他,2025-01-01,,0\n"
	asst.body = []byte(head + "34079919700909055X,3407990020010001,农村低保,2024-13-01,,600\n" + others)
	m.set("assistance", asst)
	m.run()

	fresh := func() *Health {
		t.Helper()
		healthMemoOff = true
		defer func() { healthMemoOff = false }()
		h, err := m.p.CheckHealth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	// same compares two checks but for their time.
	same := func(a, b *Health) bool {
		x, y := *a, *b
		x.Checked, y.Checked = time.Time{}, time.Time{}
		return reflect.DeepEqual(x, y)
	}
	// check is a check with the memo: it must equal a fresh one, and be
	// one made before (by the night or an earlier check: "kept"), one
	// made by this call ("new"), or either ("").
	check := func(step, want string) *Health {
		t.Helper()
		start := time.Now()
		h, err := m.p.CheckHealth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if f := fresh(); !same(h, f) {
			t.Errorf("%s: the memo's health differs from a fresh check:\n%+v\n%+v", step, h, f)
		}
		got := "new"
		if h.Checked.Before(start) {
			got = "kept"
		}
		if want != "" && got != want {
			t.Errorf("%s: the check is %s (at %v), want %s", step, got, h.Checked, want)
		}
		return h
	}
	// staleWithout keeps a check under a key without part (after
	// before), makes the change, and says whether the memo's answer then
	// differs from a fresh check's.
	staleWithout := func(part string, before, change func()) bool {
		t.Helper()
		healthMemoWithout = part
		defer func() { healthMemoWithout = "" }()
		before()
		if _, err := m.p.CheckHealth(ctx); err != nil {
			t.Fatal(err)
		}
		change()
		stale, err := m.p.CheckHealth(ctx)
		if err != nil {
			t.Fatal(err)
		}
		healthMemoWithout = ""
		return !same(stale, fresh())
	}
	h := check("after the first night", "kept") // the night's own
	if len(h.Gaps["assistance"]) == 0 || len(h.Degraded()) != 0 {
		t.Fatalf("the roster's bad row: gaps %v, degraded %v", h.Gaps, h.Degraded())
	}
	check("nothing changed", "kept")

	// A night with nothing new: every file skipped as unchanged, which the
	// ledger records, is still the same health.
	m.run()
	check("a night with nothing new", "kept")

	// The quality threshold: 1 of 3 rows bad degrades the roster at 20%.
	m.p.Cfg.Quality.DegradedQuarantinedPct = 20
	if h := check("a lower threshold", "new"); len(h.Degraded()) != 1 {
		t.Errorf("a lower threshold: degraded %v", h.Degraded())
	}
	check("nothing changed since", "kept")
	m.p.Cfg.Quality.DegradedQuarantinedPct = 50
	check("the threshold back", "new")
	// Without the config in its key, the memo keeps the degraded roster.
	if !staleWithout("config", func() { m.p.Cfg.Quality.DegradedQuarantinedPct = 20 }, func() { m.p.Cfg.Quality.DegradedQuarantinedPct = 50 }) {
		t.Error("without the config in the memo's key, the threshold's change still showed: the test shows nothing")
	}
	check("the config back in the key", "new")

	// The quarantine pruned: the bad row is gone, and so is the gap.
	if n, err := m.p.Store.PruneQuarantine(ctx, time.Now().Add(time.Hour)); err != nil || n == 0 {
		t.Fatalf("prune: %d, %v", n, err)
	}
	if h := check("the quarantine pruned", "new"); len(h.Gaps["assistance"]) != 0 {
		t.Errorf("the quarantine pruned: gaps %v", h.Gaps)
	}
	// Without the store's inputs in its key, the memo keeps the gap. The
	// roster is sent again, its rows in another order: the bad row is
	// quarantined again.
	again := asst
	again.body = []byte(head + others[len(others)/2:] + "34079919700909055X,3407990020010001,农村低保,2024-13-01,,600\n" + others[:len(others)/2])
	m.set("assistance", again)
	m.run()
	before := fresh()
	if len(before.Gaps["assistance"]) == 0 {
		t.Fatal("the roster loaded again has no gap")
	}
	prune := func() {
		if _, err := m.p.Store.PruneQuarantine(ctx, time.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if !staleWithout("inputs", func() {}, prune) {
		t.Error("without the store's inputs in the memo's key, the pruned quarantine still showed: the test shows nothing")
	}
	check("the store's inputs back in the key", "new")

	// A new version of a file, then a file gone (its source failed).
	med := m.sources["medical"]
	med.body = append(slices.Clone(med.body), []byte("YB0009,340799197506060677,2026-11-02,示例县人民医院,900,100,0,0,800\n")...)
	m.set("medical", med)
	m.run()
	check("a new medical file", "kept") // the night's own check
	check("nothing changed since", "kept")
	emp := m.sources["employment"]
	emp.body = nil
	m.set("employment", emp)
	m.run()
	if h := check("the employment file gone", "kept"); !slices.ContainsFunc(h.Degraded(), func(s store.SourceHealth) bool { return s.Source == "employment" }) {
		t.Errorf("the employment file gone: degraded %v", h.Degraded())
	}
	m.run()
	check("gone again the next night", "kept")
	check("nothing changed since", "kept")
}
