package store

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"
)

// LinkedEvidence finds, in a batch of hits' evidence, the rows that name
// their person by a link — automatic or an analyst's — with the
// probability and what agreed, and leaves out the rows sent with a right
// ID, the rows waiting, unmatched or rejected.
func TestLinkedEvidence(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	withNames(t, s)
	ids := linkCounty(t, s)
	typo := sequenceSwapped(ids["赵建国"])
	addEmployment(t, s, "k1", "?"+typo, "赵建国", 2)                  // a mistyped ID: linked
	addEmployment(t, s, "k2", ids["刘芳"], "刘芳", 3)                  // sent right: no link
	addEmployment(t, s, "k3", "?", "张伟", 4)                        // a name alone: unmatched
	addEmployment(t, s, "k4", "?"+ids["陈静"][:15]+"000", "陈静", 5)   // Excel's 15 digits: linked
	addEmployment(t, s, "k5", "?", "李秀英", 6)                       // a name alone, then confirmed by an analyst
	addEmployment(t, s, "k6", "?"+ids["王小明"][:15]+"000", "王小明", 7) // linked, then rejected
	if _, err := s.Link(ctx, LinkOptions{Now: time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	links, err := s.Links(ctx, LinkFilter{})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]LinkRow{}
	for _, l := range links {
		byKey[l.RowKey] = l
	}
	for key, want := range map[string]string{"k1": LinkLinked, "k3": LinkUnmatched, "k4": LinkLinked, "k5": LinkUnmatched, "k6": LinkLinked} {
		if got := byKey[key].Status; got != want {
			t.Fatalf("%s is %q after the pass, want %q", key, got, want)
		}
	}
	if err := s.ConfirmLink(ctx, byKey["k5"].ID, ids["李秀英"], "portal:analyst", "电话核实"); err != nil {
		t.Fatal(err)
	}
	if err := s.RejectLink(ctx, byKey["k6"].ID, "portal:analyst", "不是本人"); err != nil {
		t.Fatal(err)
	}

	evidence := []string{
		`{"employment":["employment.csv:2","employment.csv:3"]}`,                                                // k1 linked, k2 sent right
		`{"employment":["employment.csv:3"],"registry":["registry.csv:5"]}`,                                     // nothing linked
		`{"medical":["medical.csv:9"],"employment":["employment.csv:6","employment.csv:4","employment.csv:5"]}`, // k5 confirmed, k3 unmatched, k4 linked
		`{"employment":["employment.csv:7"]}`,                                                                   // k6 rejected
		`{}`,
		`{"employment":["other.csv:2"]}`, // the same line of another file
	}
	got, err := s.LinkedEvidence(ctx, evidence)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(evidence) {
		t.Fatalf("%d results for %d evidences", len(got), len(evidence))
	}
	rows := func(i int) []string {
		var out []string
		for _, r := range got[i] {
			out = append(out, r.Row+" "+r.Status)
		}
		return out
	}
	for i, want := range [][]string{
		{"employment.csv:2 linked"},
		nil,
		{"employment.csv:6 confirmed", "employment.csv:5 linked"},
		nil, nil, nil,
	} {
		if !slices.Equal(rows(i), want) {
			t.Errorf("evidence %d: linked rows %q, want %q", i, rows(i), want)
		}
	}
	k1 := got[0][0]
	if k1.Dataset != "employment" || k1.LinkID != byKey["k1"].ID || k1.Name != "赵建国" || k1.RawID != "?"+typo {
		t.Errorf("k1: %+v", k1)
	}
	if k1.Probability < 0.99 || k1.Probability > 1 {
		t.Errorf("k1's probability %v, want the automatic link's (≥ 0.99)", k1.Probability)
	}
	if !slices.Contains(k1.Agreements, "姓名相同") || !slices.Contains(k1.Agreements, "身份证号相差一位") {
		t.Errorf("k1 agrees on %q, want 姓名相同 and 身份证号相差一位", k1.Agreements)
	}
	for _, a := range k1.Agreements {
		if strings.ContainsAny(a, "（(") {
			t.Errorf("agreement %q keeps its parenthesised detail", a)
		}
	}
	k5 := got[2][0]
	if k5.DecidedBy != "portal:analyst" || !slices.Contains(k5.Agreements, "姓名相同") {
		t.Errorf("k5 (confirmed): %+v", k5)
	}
	if want := byKey["k5"].Candidates[0].Probability; k5.Probability != want {
		t.Errorf("k5's probability %v, want its candidate's %v", k5.Probability, want)
	}
	k4 := got[2][1]
	if !slices.Contains(k4.Agreements, "身份证号前15位相同，其后丢失") {
		t.Errorf("k4 (Excel's 15 digits) agrees on %q", k4.Agreements)
	}

	// Bad evidence is named by its index.
	if _, err := s.LinkedEvidence(ctx, []string{`{}`, `{"employment": [`}); err == nil || !strings.Contains(err.Error(), "evidence 1") {
		t.Errorf("malformed evidence: %v", err)
	}
	if _, err := s.LinkedEvidence(ctx, []string{`{"employment":["no line"]}`}); err == nil || !strings.Contains(err.Error(), "not stream:line") {
		t.Errorf("a row without its line: %v", err)
	}
}

// Without any applied link, no evidence is even read.
func TestLinkedEvidenceNoLinks(t *testing.T) {
	s, _ := openTemp(t)
	got, err := s.LinkedEvidence(context.Background(), []string{`not json`, `{"medical":["m.csv:2"]}`})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0] != nil || got[1] != nil {
		t.Errorf("%+v", got)
	}
}
