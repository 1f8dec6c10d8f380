package evaluate

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/idnum"
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
	incremental := func() *Result {
		t.Helper()
		prior, err := st.LoadPrior(ctx)
		if err != nil || prior == nil {
			t.Fatalf("prior: %v, %v", prior, err)
		}
		res, err := (&Evaluator{Store: st, Pack: pack, Prior: prior}).Hits(ctx, d1)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Incremental {
			t.Fatalf("not incremental: %s", res.FullWhy)
		}
		return res
	}
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
