package pipeline

import (
	"strings"
	"testing"
)

// A rule about the household (its income) lists a two-person household
// once with scope: household — on its head — and once per member without,
// which rules check warns of.
func TestHouseholdScope(t *testing.T) {
	m := newMini(t)
	m.extraRules = `rules:
  - id: HH-LOW-EACH
    title: 家庭人均收入低（按人）
    level: yellow
    when: household.income_known && household.income_per_capita_month < 600 && !household.covered
  - id: HH-LOW
    title: 家庭人均收入低（按户）
    level: yellow
    scope: household
    when: household.income_known && household.income_per_capita_month < 600 && !household.covered
`
	sum := m.run()
	if n := sum.Evaluate.HitsByRule["HH-LOW-EACH"]; n != 2 {
		t.Errorf("the person rule: %d hits, want 2 (both members)", n)
	}
	if n := sum.Evaluate.HitsByRule["HH-LOW"]; n != 1 {
		t.Errorf("the household rule: %d hits, want 1", n)
	}
	for _, h := range sum.Evaluate.Hits {
		if h.RuleID == "HH-LOW" && (h.HouseholdID != miniUnemployed || h.IDNumber != "340799195801200442") {
			t.Errorf("the household rule's hit: %s on %s, want the head 340799195801200442 of %s", h.HouseholdID, h.IDNumber, miniUnemployed)
		}
	}
	var warned bool
	for _, w := range m.p.Pack.Warnings {
		if strings.Contains(w.Message, "rule HH-LOW-EACH: its condition reads only household facts") {
			warned = true
		}
		if strings.Contains(w.Message, "rule HH-LOW:") {
			t.Errorf("the household rule warned: %s", w.Message)
		}
	}
	if !warned {
		t.Error("no warning for the person rule that reads only household facts")
	}
}
