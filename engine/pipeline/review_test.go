package pipeline

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// TestParamPastReview (issue 13 point 4): a param past its review date
// never stops a night: the night evaluates it as always (its rule hits),
// completes, and names it once, in the summary, the run ledger and one
// log warning that holds its name and date but never its value.
func TestParamPastReview(t *testing.T) {
	m := newMini(t)
	m.extraRules = `params:
  # 复核已过期的示例参数。
  review_line:
    values:
      2024-01-01: 777
    review_by: 2026-06-30
    source: 县民政局〔2024〕12号
  later_line:
    values: {2024-01-01: 1}
    review_by: 2026-11-28
rules:
  - id: REVIEW-PAST
    title: 家庭人均收入低于过期参数
    level: yellow
    scope: household
    when: household.income_known && household.income_per_capita_month < params.review_line && params.later_line > 0 && !household.covered
`
	var logs bytes.Buffer
	p, err := Open(context.Background(), m.config(), slog.New(slog.NewTextHandler(&logs, nil)), "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	m.p = p
	sum := m.run()

	if len(sum.PastReview) != 1 || sum.PastReview[0].Param.Name != "review_line" || sum.PastReview[0].Days != -151 {
		t.Errorf("PastReview = %+v, want review_line 151 days past (later_line is due on the day itself, not past)", sum.PastReview)
	}
	if n := sum.Evaluate.HitsByRule["REVIEW-PAST"]; n != 1 {
		t.Errorf("the rule reading the param past its review date: %d hits, want 1 (evaluated as always)", n)
	}
	if got, want := strings.Join(m.cases(), "; "), miniUnemployed+" red REVIEW-PAST,UNEMP-LOWINC-UNCOVERED"; got != want {
		t.Errorf("cases: %s, want %s", got, want)
	}
	if !strings.Contains(sum.JSON(), `"PastReview":["review_line"]`) {
		t.Errorf("ledger summary: %s", sum.JSON())
	}
	var summary, status string
	m.scan(`SELECT summary, status FROM runs WHERE kind = 'run' ORDER BY run_id DESC LIMIT 1`, &summary, &status)
	if status != "ok" || !strings.Contains(summary, `"PastReview":["review_line"]`) {
		t.Errorf("run ledger: %s %s", status, summary)
	}
	var warns []string
	for line := range strings.SplitSeq(logs.String(), "\n") {
		if strings.Contains(line, "review date") {
			warns = append(warns, line)
		}
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "level=WARN") || !strings.Contains(warns[0], "review_line (review_by 2026-06-30)") ||
		strings.Contains(warns[0], "777") || strings.Contains(warns[0], "later_line") {
		t.Errorf("log: want one warning naming review_line and its date, never its value:\n%s", strings.Join(warns, "\n"))
	}

	// The shipped params' review dates are far from the mini county's day.
	clean := newMini(t)
	if got := clean.run().PastReview; len(got) != 0 {
		t.Errorf("the shipped rules at %s: params past their review date %v", miniAsOf, got)
	}
	if strings.Contains(clean.run().JSON(), "PastReview") {
		t.Error("a night with no param past its review date has no PastReview in its ledger")
	}
}
