package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/store"
)

// rules yield on the synthetic county after one night, with outcomes for
// four households: the flags are checked (exit 2); the tables and the
// JSON count the medical rule's warnings with a case of two rules under
// both; --township counts one township; no ID number or 户号 is printed.
func TestRulesYieldCLI(t *testing.T) {
	runCounty(t)
	for _, args := range [][]string{
		{"rules", "yield", "--from", "2026-13"},
		{"rules", "yield", "--to", "2026-11-28"},
		{"rules", "yield", "--from", "2026-11", "--to", "2026-10"},
		{"rules", "yield", "--from", "2000-01"},
		{"rules", "yield", "--township", "无名镇"},
	} {
		out, err := runCLI(t, args...)
		var ex *exitError
		if !errors.As(err, &ex) || ex.code != 2 {
			t.Errorf("%v: want exit 2, got %v\n%s", args, err, out)
		}
	}

	// Outcomes: three single-rule medical cases (低保, 不符合条件, 无法联系)
	// and a case of the medical rule and another (已停发).
	const med = "MED-OOP-UNCOVERED"
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: os.Getenv("LIPWATCH_STORE_PATH")})
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.CasesWhere(ctx, "", "", "", time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var singles []*cases.Case
	var pair *cases.Case
	other := ""
	warnings := map[string]int{}
	var households []string
	for _, c := range all {
		rules := map[string]bool{}
		for _, h := range c.Hits {
			rules[h.RuleID] = true
		}
		for r := range rules {
			warnings[r]++
		}
		if c.HouseholdID != "" {
			households = append(households, c.HouseholdID)
		}
		switch {
		case len(rules) == 1 && rules[med]:
			singles = append(singles, c)
		case len(rules) == 2 && rules[med] && pair == nil:
			pair = c
			for r := range rules {
				if r != med {
					other = r
				}
			}
		}
	}
	if pair == nil || len(singles) < 3 {
		st.Close()
		t.Fatalf("the county lacks the cases the test closes: %d single medical, pair %v", len(singles), pair)
	}
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	for i, c := range []*cases.Case{singles[0], singles[1], singles[2], pair} {
		outcome := []string{"dibao", "not_eligible", "unreachable", "stopped"}[i]
		if _, err := st.CloseCase(ctx, store.Closing{CaseID: c.ID, Outcome: outcome, VerifiedBy: "测试", On: day, Until: day.AddDate(0, 6, 0)}); err != nil {
			st.Close()
			t.Fatal(err)
		}
	}
	st.Close()

	out, err := runCLI(t, "rules", "yield")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(out, "warnings raised 2025-12 … 2026-11, outcomes as of 2026-11-28, every township") {
		t.Errorf("the heading:\n%s", out)
	}
	// RULE WARNINGS ENROLLED AID STOPPED NOT-ELIGIBLE UNREACHABLE OPEN OVERDUE YIELD
	n := warnings[med]
	want := regexp.MustCompile(`(?m)^` + med + `\s+` + strconv.Itoa(n) + `\s+1\s+0\s+1\s+1\s+1\s+` + strconv.Itoa(n-4) + `\s+0\s+66\.7% \(2/3\)$`)
	if !want.MatchString(out) {
		t.Errorf("no line %s in\n%s", want, out)
	}
	want = regexp.MustCompile(`(?m)^` + other + `\s+` + strconv.Itoa(warnings[other]) + `\s+0\s+0\s+1\s+0\s+0\s+` + strconv.Itoa(warnings[other]-1) + `\s+0\s+100\.0% \(1/1\)$`)
	if !want.MatchString(out) {
		t.Errorf("no line %s in\n%s", want, out)
	}
	want = regexp.MustCompile(`(?m)^all rules \(households\)\s+` + strconv.Itoa(len(all)) + `\s+1\s+0\s+1\s+1\s+1\s+` + strconv.Itoa(len(all)-4) + `\s+0\s+66\.7% \(2/3\)$`)
	if !want.MatchString(out) {
		t.Errorf("no line %s in\n%s", want, out)
	}
	if !regexp.MustCompile(`(?m)^FISHER-UNRESETTLED .* no verified warnings yet$|^UNEMP-LOWINC-UNCOVERED .* no verified warnings yet$`).MatchString(out) {
		t.Errorf("a rule with nothing verified does not say so:\n%s", out)
	}
	// The township table aligns as a terminal draws Chinese names.
	lines := strings.Split(out, "\n")
	var header string
	for _, l := range lines {
		if strings.HasPrefix(l, "TOWNSHIP ") {
			header = l
		}
	}
	col := strings.Index(header, "WARNINGS")
	checked := 0
	for _, l := range lines {
		if strings.HasPrefix(l, "城关镇") || strings.HasPrefix(l, "县级队列") {
			name := regexp.MustCompile(`^\S+\s+`).FindString(l)
			if displayWidth(name) != col {
				t.Errorf("a township line's counts start at column %d, the header's at %d:\n%s\n%s", displayWidth(name), col, header, l)
			}
			checked++
		}
	}
	if checked < 2 {
		t.Errorf("%d township lines checked:\n%s", checked, out)
	}
	// Counts only.
	if m := regexp.MustCompile(`\d{15,}`).FindString(out); m != "" {
		t.Errorf("a long number (ID or 户号) in the output: %s", m)
	}
	for _, h := range households {
		if strings.Contains(out, h) {
			t.Fatalf("户号 %s printed", h)
		}
	}

	// JSON: the same counts.
	out, err = runCLI(t, "rules", "yield", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var y yieldJSON
	if err := json.Unmarshal([]byte(out), &y); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var medRow *yieldRuleJSON
	var rules []string
	for i, r := range y.PerRule {
		rules = append(rules, r.Rule)
		if r.Rule == med {
			medRow = &y.PerRule[i]
		}
	}
	if medRow == nil || medRow.Warnings != n || medRow.Enrolled != 1 || medRow.Stopped != 1 || medRow.NotEligible != 1 ||
		medRow.Unreachable != 1 || medRow.Open != n-4 || medRow.Decided != 3 || medRow.Yield == nil || *medRow.Yield != 0.6667 {
		t.Errorf("medical: %+v", medRow)
	}
	if y.From != "2025-12" || y.To != "2026-11" || y.AsOf != "2026-11-28" || y.Township != nil || y.Total.Warnings != len(all) {
		t.Errorf("json: %s … %s as of %s, township %v, total %+v", y.From, y.To, y.AsOf, y.Township, y.Total)
	}
	for _, r := range y.PerRule {
		if r.Decided == 0 && r.Yield != nil {
			t.Errorf("rule %s: a yield over nothing", r.Rule)
		}
	}
	if !strings.Contains(out, `"yield": null`) {
		t.Error("no rule without a yield in the JSON")
	}
	var sum int
	for _, m := range y.Months {
		if m.Month != "2026-11" {
			t.Errorf("a month %s", m.Month)
		}
		if m.Rule == med {
			sum += m.Warnings
		}
	}
	if sum != n {
		t.Errorf("the months count %d medical warnings, the rule %d", sum, n)
	}
	towns := 0
	for _, r := range y.PerTownship {
		towns += r.Warnings
		if r.Township == "" && r.TownshipName != "县级队列（乡镇未明或须回避）" {
			t.Errorf("the county queue is named %q", r.TownshipName)
		}
	}
	if towns != len(all) {
		t.Errorf("the townships count %d households, the county %d", towns, len(all))
	}
	if !slices.Contains(rules, "FISHER-UNRESETTLED") || slices.Contains(rules, "GRID-REPORT") {
		t.Errorf("rules %v: want every enabled rule, the ground's only with warnings", rules)
	}

	// One township, by name.
	out, err = runCLI(t, "rules", "yield", "--township", "城关镇", "--json")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	var one yieldJSON
	if err := json.Unmarshal([]byte(out), &one); err != nil {
		t.Fatal(err)
	}
	in := 0
	for _, c := range all {
		if c.TownshipCode == "340799001" {
			in++
		}
	}
	if one.Township == nil || one.Township.Code != "340799001" || one.Township.Name != "城关镇" || one.Total.Warnings != in ||
		len(one.PerTownship) != 1 {
		t.Errorf("--township 城关镇: %+v, total %d (want %d), %d townships", one.Township, one.Total.Warnings, in, len(one.PerTownship))
	}
	out, err = runCLI(t, "rules", "yield", "--township", "county", "--from", "2026-10", "--to", "2026-10")
	if err != nil || !strings.Contains(out, "warnings raised 2026-10, outcomes as of 2026-11-28, township 县级队列（乡镇未明或须回避）") ||
		!strings.Contains(out, "no warning was raised in the period") {
		t.Errorf("the county queue in October: %v\n%s", err, out)
	}
}
