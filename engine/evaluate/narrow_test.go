package evaluate

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// thresholdRules cross on their own as days pass: T-AFTER30 starts to
// hold when a level 3 certificate turns 30 days old (the default rules
// take no interest in it), T-WITHIN90 stops
// holding when a level 1 certificate turns 91.
const thresholdRules = `rules:
  - id: T-AFTER30
    title: 测试：发证满30天
    level: yellow
    when: disability.level == 3 && disability.days_since_issued >= 30 && disability.days_since_issued < 60
    tests:
      - name: 满30天
        as_of: 2026-11-28
        given: {disability: {level: 3, days_since_issued: 30}}
        expect: hit
  - id: T-WITHIN90
    title: 测试：发证90天内
    level: yellow
    when: disability.level == 1 && disability.days_since_issued <= 90
    tests:
      - name: 第90天
        as_of: 2026-11-28
        given: {disability: {level: 1, days_since_issued: 90}}
        expect: hit
`

// TestNarrowingFollowsThresholds: on an incremental night every
// certificate holder's days since issue moves (counts: days), and only
// those some rule could hit, or who had a hit, are evaluated again
// (narrowWhere). A holder whose certificate turns 30 days old (a new hit)
// and one whose turns 91 (a hit that ends) are among them, and the
// night's hits are a full evaluation's. Taking out the pre-filter's term
// misses the new hit; taking out the prior hits' keeps the ended one.
func TestNarrowingFollowsThresholds(t *testing.T) {
	ctx := context.Background()
	st, ids := evalStore(t)
	d0 := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	d1 := d0.AddDate(0, 0, 1)
	id, err := idnum.Build("340799", time.Date(1970, 5, 1, 0, 0, 0, 0, time.UTC), 21)
	if err != nil {
		t.Fatal(err)
	}
	other := string(id)
	certs := []struct {
		id    string
		level string
		age   int // days old on d0
	}{
		{ids[0], "4", 10},  // not severe: no rule
		{ids[1], "1", 200}, // old: no rule either night
		{ids[2], "1", 90},  // turns 91 on d1: T-WITHIN90 ends
		{ids[3], "3", 29},  // turns 30 on d1: T-AFTER30 starts (no hit on d0)
		{other, "4", 10},   // no hit, no household: narrowed out
	}
	for i, c := range certs {
		q := fmt.Sprintf(`INSERT INTO disability (id_number, cert_number, category, level, issued_date, status, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES ('%s', 'c%d', '1', '%s', DATE '%s', 'valid', 'c%d', 'test', nextval('load_id_seq'), now(), 'disability.xlsx', %d)`,
			c.id, i, c.level, d0.AddDate(0, 0, -c.age).Format(time.DateOnly), i, i+1)
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	pack := packWith(t, thresholdRules, "", "")
	if _, err := (&Evaluator{Store: st, Pack: pack}).Evaluate(ctx, d0, false); err != nil {
		t.Fatal(err)
	}

	full, err := (&Evaluator{Store: st, Pack: pack}).Hits(ctx, d1)
	if err != nil {
		t.Fatal(err)
	}
	want := testHits(full.Hits)
	if !slices.Contains(want, "T-AFTER30 "+ids[3]) || slices.Contains(want, "T-WITHIN90 "+ids[2]) {
		t.Fatalf("the full evaluation on %s: %v", d1.Format(time.DateOnly), want)
	}
	incremental := func() *Result { return incrementalHits(t, st, pack, d1) }
	inc := incremental()
	if got := testHits(inc.Hits); !slices.Equal(got, want) {
		t.Errorf("incremental night: %v, want %v", got, want)
	}
	narrowOff = true
	whole := incremental()
	narrowOff = false
	if inc.Reached >= whole.Reached {
		t.Errorf("narrowed night evaluated %d people again, without narrowing %d", inc.Reached, whole.Reached)
	}
	for _, term := range []string{"where", "prior"} {
		narrowWithout = term
		got := testHits(incremental().Hits)
		narrowWithout = ""
		if slices.Equal(got, want) {
			t.Errorf("without the %s term the night still gives %v", term, got)
		}
	}
}

// testHits are the hits of the T- rules as "RULE ID", sorted.
func testHits(hits []cases.Hit) []string {
	var out []string
	for _, h := range hits {
		if len(h.RuleID) > 2 && h.RuleID[:2] == "T-" {
			out = append(out, h.RuleID+" "+h.IDNumber)
		}
	}
	slices.Sort(out)
	return out
}

// wageRules: T-NEVER never holds (no one has 100 months of wages in
// 12) though its pre-filter, with only the person's facts known, holds for
// every adult; T-ONE holds for one month of steady wages.
const wageRules = `rules:
  - id: T-NEVER
    title: 测试：成年且缴费超过100个月
    level: yellow
    when: person.age >= 18 && contributions.wage_months_12m >= 100
    tests:
      - name: 100个月
        as_of: 2026-11-28
        given: {contributions: {wage_months_12m: 100}, person: {age: 18}}
        expect: hit
  - id: T-ONE
    title: 测试：近12个月仅1个月稳定工资
    level: yellow
    when: contributions.wage_months_12m == 1
    tests:
      - name: 1个月
        as_of: 2026-11-28
        given: {contributions: {wage_months_12m: 1}}
        expect: hit
`

// TestNarrowingSkipsUnchangedFacts: the birthday edge reaches a person
// born on 1 December with a day's margin on 30 November, when her age has
// not moved yet: with no prior hit her rules do not run again, though a
// rule's pre-filter holds for her. On 1 December her December 2025
// contribution leaves the 12 months, her facts move and her new hit is
// found, as a full evaluation finds it. Taking the term out evaluates her
// again on the 30th for nothing.
func TestNarrowingSkipsUnchangedFacts(t *testing.T) {
	ctx := context.Background()
	st, _ := evalStore(t)
	id, err := idnum.Build("340799", time.Date(1980, 12, 1, 0, 0, 0, 0, time.UTC), 31)
	if err != nil {
		t.Fatal(err)
	}
	b := string(id)
	for _, q := range []string{
		`INSERT INTO registry (id_number, name, household_id, township_code, birth_date, status, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES ('` + b + `', '丁', '3407990010010009', '340799001', DATE '1980-12-01', 'active', 'kb', 'test', 1, now(), 'registry.csv', 9)`,
		`INSERT INTO contributions (id_number, scheme, month, base_monthly, _key, _source, _load_id, _loaded_at, _stream, _position) VALUES
			('` + b + `', 'employee_pension', DATE '2025-12-01', 5000, 'c1', 'test', 1, now(), 'c.csv', 1),
			('` + b + `', 'employee_pension', DATE '2026-01-01', 5000, 'c2', 'test', 1, now(), 'c.csv', 2)`,
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	pack := packWith(t, wageRules, "", "")
	d0 := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	if _, err := (&Evaluator{Store: st, Pack: pack}).Evaluate(ctx, d0, false); err != nil {
		t.Fatal(err)
	}
	night := func(day time.Time, without string) *Result {
		narrowWithout = without
		defer func() { narrowWithout = "" }()
		return incrementalHits(t, st, pack, day)
	}
	d1 := d0.AddDate(0, 0, 1)
	same, again := night(d1, ""), night(d1, "same")
	if same.Reached >= again.Reached {
		t.Errorf("30 November: %d people evaluated again, %d without the unchanged facts' term", same.Reached, again.Reached)
	}
	if got := testHits(same.Hits); len(got) != 0 || !slices.Equal(got, testHits(again.Hits)) {
		t.Errorf("30 November: hits %v, without the term %v", got, testHits(again.Hits))
	}
	if _, err := (&Evaluator{Store: st, Pack: pack, Prior: loadPrior(t, st)}).Evaluate(ctx, d1, false); err != nil {
		t.Fatal(err)
	}
	d2 := d1.AddDate(0, 0, 1)
	full, err := (&Evaluator{Store: st, Pack: pack}).Hits(ctx, d2)
	if err != nil {
		t.Fatal(err)
	}
	inc := night(d2, "")
	if want, got := testHits(full.Hits), testHits(inc.Hits); !slices.Equal(want, []string{"T-ONE " + b}) || !slices.Equal(got, want) {
		t.Errorf("1 December: incremental %v, full %v, want [T-ONE %s]", got, want, b)
	}
}

// loadPrior is the store's last evaluation's record, which must be there.
func loadPrior(t *testing.T, st *store.Store) *Prior {
	t.Helper()
	p, err := st.LoadPrior(context.Background())
	if err != nil || p == nil {
		t.Fatalf("prior: %v, %v", p, err)
	}
	return p
}

// incrementalHits evaluates day after the store's last evaluation, which
// must make it an incremental night, and returns its result (nothing
// written).
func incrementalHits(t *testing.T, st *store.Store, pack *rule.Pack, day time.Time) *Result {
	t.Helper()
	res, err := (&Evaluator{Store: st, Pack: pack, Prior: loadPrior(t, st)}).Hits(context.Background(), day)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Incremental {
		t.Fatalf("not incremental: %s", res.FullWhy)
	}
	return res
}
