package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/rule"
)

// incrementalDays are the nights after the county's first (2026-11-28)
// that TestIncrementalEqualsFull evaluates, each after the one before it:
// one day at a time across the planted edges (12 months minus a day, a
// declaration ended on as_of), a month's first day (the contributions'
// months) and the nights after it (on the 4th the months' edge reaches
// no one: a month column's margin is a day), a jump of several days, the
// turn of the year (anniversaries) and the end of February (months that
// clamp), a leap day's anniversary.
var incrementalDays = []string{
	"2026-11-29", "2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-09",
	"2026-12-31", "2027-01-01", "2027-02-28", "2027-03-01",
}

// TestIncrementalEqualsFull proves that a night whose data did not change
// (evaluate.Prior: only what the date reaches is evaluated again) gives
// exactly what a full evaluation of everyone gives on the same day: the
// same hits with the same reasons, facts and evidence, the same people
// count, and the same plan for the cases — night after night, each
// incremental night building on the one before.
func TestIncrementalEqualsFull(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates the synthetic county 23 times")
	}
	c := openCounty(t)
	ctx := context.Background()
	if _, err := c.p.Run(ctx, c.day); err != nil {
		t.Fatal(err)
	}
	for _, d := range incrementalDays {
		day, _ := time.Parse(time.DateOnly, d)
		full, inc := fullAndIncremental(t, c.p, day)
		if !inc.Incremental {
			t.Fatalf("%s: the night was not incremental: %s", d, inc.FullWhy)
		}
		if diff := diffResults(full, inc); diff != "" {
			t.Fatalf("%s: the incremental night (%d people evaluated again) differs from a full evaluation:\n%s", d, inc.Reached, diff)
		}
		t.Logf("%s: %d of %d people evaluated again; %d hits, %d new cases, %d updated, %d refreshed", d, inc.Reached,
			inc.People, len(inc.Hits), len(inc.Plan.New), len(inc.Plan.Updated), len(inc.Plan.Refreshed))
	}
}

// TestIncrementalMissingEdgeIsCaught shows that the comparison above can
// fail: with the medical window's far edge (a claim leaving the 12 months)
// taken out of changes_on, some night after the first differs from the
// full evaluation — the planted claims of the medical rules leave their
// window within weeks.
func TestIncrementalMissingEdgeIsCaught(t *testing.T) {
	if testing.Short() {
		t.Skip("evaluates the synthetic county several times")
	}
	c := openCounty(t)
	ctx := context.Background()
	for _, g := range c.p.Pack.Groups {
		if g.Name == "medical" {
			g.ChangesOn = slices.DeleteFunc(g.ChangesOn, func(e rule.Edge) bool { return e.Offset != 0 || e.Param != "" })
		}
	}
	if _, err := c.p.Run(ctx, c.day); err != nil {
		t.Fatal(err)
	}
	for _, d := range incrementalDays {
		day, _ := time.Parse(time.DateOnly, d)
		full, inc := fullAndIncremental(t, c.p, day)
		if !inc.Incremental {
			t.Fatalf("%s: the night was not incremental: %s", d, inc.FullWhy)
		}
		if diffResults(full, inc) != "" {
			t.Logf("%s: the missing edge shows", d)
			return
		}
	}
	t.Fatal("an incremental night without the medical window's far edge gave the full evaluation's results every night")
}

// TestIncrementalOnlyWhenNothingChanged: a night after changed data or
// changed rules, or on an earlier date, evaluates everyone.
func TestIncrementalOnlyWhenNothingChanged(t *testing.T) {
	m := newMini(t)
	m.run()
	ctx := context.Background()
	prior, err := m.p.Store.LoadPrior(ctx)
	if err != nil || prior == nil {
		t.Fatalf("no prior evaluation recorded after a night: %v", err)
	}
	asOf, _ := time.Parse(time.DateOnly, miniAsOf)
	version := m.p.Pack.Version
	r, err := m.p.Evaluate(ctx, asOf.AddDate(0, 0, 1), true)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Incremental {
		t.Fatalf("the next day with nothing changed was a full evaluation: %s", r.FullWhy)
	}
	for _, tc := range []struct {
		name, why string
		days      int
		change    func()
	}{
		{"an earlier date", "the date moved back", -1, func() {}},
		{"other rule files", "the rule files changed", 1, func() { m.p.Pack.Version += "x" }},
	} {
		tc.change()
		r, err := m.p.Evaluate(ctx, asOf.AddDate(0, 0, tc.days), true)
		if err != nil {
			t.Fatal(err)
		}
		if r.Incremental || r.FullWhy != tc.why {
			t.Errorf("%s: incremental %v, why %q; want a full evaluation because %q", tc.name, r.Incremental, r.FullWhy, tc.why)
		}
	}
	m.p.Pack.Version = version
	// A night whose sync replaced rows (the registry sent again with a
	// change: its repeated rows take the new load) evaluates everyone,
	// and records itself for the next.
	reg := m.sources["registry"]
	reg.body = []byte(strings.Replace(string(reg.body), "示例县测试路6号", "示例县测试路7号", 1))
	m.set("registry", reg)
	if sum := m.run(); sum.Evaluate.Incremental || sum.Evaluate.FullWhy != "rows of registry were replaced, sent again or removed" {
		t.Errorf("after the registry sent again: incremental %v, why %q; want a full evaluation because rows were replaced",
			sum.Evaluate.Incremental, sum.Evaluate.FullWhy)
	}
	if r, err := m.p.Evaluate(ctx, asOf.AddDate(0, 0, 1), true); err != nil || !r.Incremental {
		t.Errorf("the night after the full one was not incremental: %v %v", err, r)
	}
	// --full, and a store without a record, evaluate everyone.
	m.p.Full = true
	if r, err := m.p.Evaluate(ctx, asOf.AddDate(0, 0, 1), true); err != nil || r.Incremental || r.FullWhy != evaluate.WhyFull {
		t.Errorf("--full: incremental %v, why %q (%v)", r.Incremental, r.FullWhy, err)
	}
	m.p.Full = false
	if err := m.p.Store.ForgetPrior(ctx); err != nil {
		t.Fatal(err)
	}
	if r, err := m.p.Evaluate(ctx, asOf.AddDate(0, 0, 1), true); err != nil || r.Incremental || r.FullWhy != evaluate.WhyNoPrior {
		t.Errorf("without a prior record: incremental %v, why %q", r.Incremental, r.FullWhy)
	}
}

// fullAndIncremental evaluates day in full (a dry run: nothing written) and
// then as the night does (written), on the same store.
func fullAndIncremental(t *testing.T, p *Pipeline, day time.Time) (full, inc *evaluate.Result) {
	t.Helper()
	ctx := context.Background()
	p.Full = true
	full, err := p.Evaluate(ctx, day, true)
	if err != nil {
		t.Fatal(err)
	}
	p.Full = false
	if inc, err = p.Evaluate(ctx, day, false); err != nil {
		t.Fatal(err)
	}
	if full.Incremental {
		t.Fatalf("%s: --full was incremental", day.Format(time.DateOnly))
	}
	return full, inc
}

// diffResults describes how two evaluations of the same day differ, or "".
func diffResults(a, b *evaluate.Result) string {
	var out []string
	if a.People != b.People {
		out = append(out, fmt.Sprintf("people %d vs %d", a.People, b.People))
	}
	if fmt.Sprint(a.HitsByRule) != fmt.Sprint(b.HitsByRule) {
		out = append(out, fmt.Sprintf("hits by rule %v vs %v", a.HitsByRule, b.HitsByRule))
	}
	if fmt.Sprint(a.EvalErrors) != fmt.Sprint(b.EvalErrors) {
		out = append(out, fmt.Sprintf("errors %v vs %v", a.EvalErrors, b.EvalErrors))
	}
	ha, hb := hitLines(a.Hits), hitLines(b.Hits)
	for _, l := range ha {
		if !slices.Contains(hb, l) {
			out = append(out, "only in full: "+l)
		}
	}
	for _, l := range hb {
		if !slices.Contains(ha, l) {
			out = append(out, "only in incremental: "+l)
		}
	}
	if len(out) == 0 && !slices.Equal(ha, hb) {
		out = append(out, "the same hits in another order")
	}
	pa, pb := planLines(a.Plan), planLines(b.Plan)
	if !slices.Equal(pa, pb) {
		out = append(out, fmt.Sprintf("plans differ:\n  full:        %s\n  incremental: %s", strings.Join(pa, "\n    "), strings.Join(pb, "\n    ")))
	}
	if len(out) > 12 {
		out = append(out[:12], fmt.Sprintf("… and %d more", len(out)-12))
	}
	return strings.Join(out, "\n")
}

func hitLines(hs []cases.Hit) []string {
	out := make([]string, len(hs))
	for i, h := range hs {
		b, _ := json.Marshal(h)
		out[i] = string(b)
	}
	return out
}

// planLines is a plan without the case numbers the store assigns.
func planLines(p cases.Plan) []string {
	var out []string
	for _, part := range []struct {
		name string
		cs   []*cases.Case
	}{{"new", p.New}, {"updated", p.Updated}, {"refreshed", p.Refreshed}} {
		for _, c := range part.cs {
			cc := *c
			cc.ID = ""
			b, _ := json.Marshal(cc)
			out = append(out, part.name+" "+string(b))
		}
	}
	for _, h := range p.Suppressed {
		b, _ := json.Marshal(h)
		out = append(out, "suppressed "+string(b))
	}
	return out
}

// TestIncrementalAppendedRows: a night whose sync only added rows (a new
// claim, a new certificate) evaluates again the people
// and households those rows name, with the date's edges, and gives exactly
// what a full evaluation gives; a source that sent its rows again (a
// registry re-sent whole, whose repeated rows take the new load) makes a
// full evaluation, as does a file of declarations sent again with a new one.
func TestIncrementalAppendedRows(t *testing.T) {
	m := newMini(t)
	m.run()
	ctx := context.Background()
	day, _ := time.Parse(time.DateOnly, miniAsOf)
	appendRow := func(source, row string) {
		s := m.sources[source]
		s.body = append(slices.Clone(s.body), []byte(row+"\n")...)
		m.set(source, s)
	}
	for i, step := range []struct {
		name        string
		change      func()
		incremental bool
	}{
		{"a large claim of the unemployed son", func() {
			appendRow("medical", "YB0009,340799198507150337,2026-11-20,示例县人民医院,60000.00,20000.00,5000.00,0,35000.00")
		}, true},
		{"a new severe certificate and a claim of someone the registry does not know", func() {
			appendRow("disability", "340799195801200442,34079919580120044211,视力残疾,一级,2026-11-27,有效")
			appendRow("medical", "YB0010,34079919990909001X,2026-11-21,示例县人民医院,900.00,500.00,0,0,400.00")
		}, true},
		{"a declaration: the 低保 household's head is a township assistance officer's brother", func() {
			appendRow("staff_relatives", "34079919700909055X,340799199202020042,社会救助经办人员,340799002000,兄弟,2026-11-01,")
		}, false}, // declarations are a state: the file's repeated rows take the new load
		{"nothing new, the next day", func() {}, true},
		{"the registry sent again with a move", func() {
			appendRow("registry", "340799197506060677,周测六,男,1975-06-06,3407990010010002,其他,340799001,340799001001,示例县测试路3号,正常,")
		}, false},
	} {
		step.change()
		m.writeFiles()
		if _, err := m.p.Sync(ctx, nil, false); err != nil {
			t.Fatal(err)
		}
		full, inc := fullAndIncremental(t, m.p, day.AddDate(0, 0, i+1))
		if inc.Incremental != step.incremental {
			t.Fatalf("%s: incremental %v (%s), want %v", step.name, inc.Incremental, inc.FullWhy, step.incremental)
		}
		if diff := diffResults(full, inc); diff != "" {
			t.Fatalf("%s: the incremental night differs from a full evaluation:\n%s", step.name, diff)
		}
		t.Logf("%s: incremental %v (%s), appended %v, %d people evaluated again, %d hits %v", step.name, inc.Incremental,
			inc.FullWhy, inc.Appended, inc.Reached, len(inc.Hits), inc.HitsByRule)
	}
}
