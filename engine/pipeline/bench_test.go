package pipeline

import (
	"context"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/gen"
)

// benchCounty generates (once, cached in the temp dir) a county of n
// households and syncs it into a store, returning a pipeline on it.
func benchCounty(b *testing.B, n int) *Pipeline {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "lipwatch-bench", fmt.Sprintf("county-%d", n))
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	if _, err := os.Stat(filepath.Join(dir, "truth.json")); err != nil {
		if _, err := gen.Generate(context.Background(), gen.Options{Seed: 1, Households: n, AsOf: day, Dir: dir}); err != nil {
			b.Fatal(err)
		}
	}
	b.Setenv("LIPWATCH_STORE_PATH", filepath.Join(dir, "store", "lw.duckdb"))
	b.Setenv("LIPWATCH_DISPATCH_DIR", b.TempDir())
	cfg, err := config.Load("../../config.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for name, src := range cfg.Sources {
		if p, ok := src.Options["path"].(string); ok {
			src.Options["path"] = filepath.Join(dir, strings.TrimPrefix(p, "testdata/county/"))
		}
		cfg.Sources[name] = src
	}
	p, err := Open(context.Background(), cfg, nil, "bench")
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	res, err := p.Sync(context.Background(), nil, false) // loads nothing once the store is cached
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range res {
		if r.Err != nil {
			b.Fatal(r.Err)
		}
	}
	b.Logf("county of %d households synced in %s", n, time.Since(t0).Round(time.Millisecond))
	return p
}

// BenchmarkEvaluate times `lipwatch evaluate` (facts, rules, case plan;
// dry, so every iteration does the same work) on a county of 100,000
// households and, in the same run, the hand-written SQL computing the same
// hits; it fails if the two disagree, naming per rule the counts on each
// side and a few ID numbers found by one and not the other.
func BenchmarkEvaluate(b *testing.B) {
	n := 100_000
	if s := os.Getenv("LIPWATCH_BENCH_HOUSEHOLDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	p := benchCounty(b, n)
	defer p.Close()
	ctx := context.Background()
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	// The night's holds (a rule reading a dataset in trouble; a person or
	// household whose own registry or assistance rows are in quarantine)
	// are not the rules': they are applied to the SQL's hits as evaluate
	// applies them, and the hits so set aside must be as many as its own.
	health, err := p.CheckHealth(ctx)
	if err != nil {
		b.Fatal(err)
	}
	ruleHeld := map[string]bool{}
	for _, h := range health.Held {
		ruleHeld[h.Rule] = true
	}
	gapHeld := func(rule, id, household string) bool {
		for _, d := range health.Deps[rule] {
			if g := health.Gaps[d]; g["P:"+id] || (household != "" && g["H:"+household]) {
				return true
			}
		}
		return false
	}
	var evalTotal, sqlTotal time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		res, err := p.Evaluate(ctx, day, true)
		if err != nil {
			b.Fatal(err)
		}
		evalTotal += time.Since(t0)
		got := hitSet{}
		for _, h := range res.Hits {
			if h.RuleID == evaluate.GroundRule {
				continue // reports from the ground are not the rules'
			}
			got.add(h.RuleID, h.IDNumber)
		}

		t0 = time.Now()
		hits, err := HandHits(ctx, p.Store.DB(), day)
		if err != nil {
			b.Fatal(err)
		}
		want := hitSet{}
		heldHits, heldPeople := map[string]int{}, map[string]int{}
		for _, h := range hits {
			switch {
			case ruleHeld[h.Rule]:
				heldHits[h.Rule]++
			case gapHeld(h.Rule, h.IDNumber, h.HouseholdID):
				heldPeople[h.Rule]++
			default:
				want.add(h.Rule, h.IDNumber)
			}
		}
		sqlTotal += time.Since(t0)

		if i == 0 {
			b.Logf("%d people, %d hits (evaluate), %d (hand-written SQL)", res.People, got.size(), want.size())
			b.Log("hits per rule (evaluate / hand-written SQL):\n" + compareHits(got, want, false))
			if len(res.Held) > 0 || len(res.HeldPeople) > 0 || len(res.EvalErrors) > 0 {
				b.Logf("held back tonight (left out on both sides): rules %v, their hits %v, hits of people with a gap %v; evaluation errors %v",
					res.Held, res.HeldHits, res.HeldPeople, res.EvalErrors)
			}
		}
		if diff := compareHits(got, want, true); diff != "" {
			b.Fatalf("evaluate found %d hits, the hand-written SQL %d; per rule (evaluate / SQL):\n%s",
				got.size(), want.size(), diff)
		}
		if !maps.Equal(heldHits, res.HeldHits) || !maps.Equal(heldPeople, res.HeldPeople) {
			b.Fatalf("hits held back: evaluate %v of held rules and %v of people with a gap, the hand-written SQL's %v and %v",
				res.HeldHits, res.HeldPeople, heldHits, heldPeople)
		}
	}
	b.ReportMetric(evalTotal.Seconds()/float64(b.N), "evaluate_s")
	b.ReportMetric(sqlTotal.Seconds()/float64(b.N), "hand_sql_s")
	b.ReportMetric(evalTotal.Seconds()/sqlTotal.Seconds(), "ratio")
}

// hitSet is a set of hits: rule id → ID number → a hit was found (more
// than once counts as a disagreement: one person has one hit per rule).
type hitSet map[string]map[string]int

func (s hitSet) add(rule, id string) {
	if s[rule] == nil {
		s[rule] = map[string]int{}
	}
	s[rule][id]++
}

func (s hitSet) size() int {
	n := 0
	for _, ids := range s {
		for _, c := range ids {
			n += c
		}
	}
	return n
}

// compareHits lists per rule the hits of the engine and of the hand-written
// SQL; with onlyDiff, only the rules on which they disagree (empty when
// they agree), with up to five ID numbers found by one side only and any
// found twice by one side.
func compareHits(got, want hitSet, onlyDiff bool) string {
	rules := map[string]bool{}
	for r := range got {
		rules[r] = true
	}
	for r := range want {
		rules[r] = true
	}
	var names []string
	for r := range rules {
		names = append(names, r)
	}
	sort.Strings(names)
	// missing lists the ID numbers of a not in b (and those a holds twice).
	missing := func(a, b map[string]int) (ids []string, n int) {
		for id, c := range a {
			switch {
			case b[id] == 0:
				ids = append(ids, id)
			case c > 1:
				ids = append(ids, id+" (twice)")
			}
		}
		sort.Strings(ids)
		n = len(ids)
		if len(ids) > 5 {
			ids = ids[:5]
		}
		return ids, n
	}
	var sb strings.Builder
	for _, r := range names {
		g, w := got[r], want[r]
		onlyEval, nEval := missing(g, w)
		onlySQL, nSQL := missing(w, g)
		if onlyDiff && nEval == 0 && nSQL == 0 {
			continue
		}
		fmt.Fprintf(&sb, "  %-30s %6d / %-6d", r, hitSet{r: g}.size(), hitSet{r: w}.size())
		if nEval > 0 {
			fmt.Fprintf(&sb, "  only evaluate (%d): %s", nEval, strings.Join(onlyEval, " "))
		}
		if nSQL > 0 {
			fmt.Fprintf(&sb, "  only SQL (%d): %s", nSQL, strings.Join(onlySQL, " "))
		}
		sb.WriteString("\n")
	}
	return sb.String()
}
