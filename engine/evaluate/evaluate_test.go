package evaluate

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// brokenFacts copies rules/ and edits facts.yaml.
func brokenFacts(t *testing.T, from, to string) *rule.Pack {
	t.Helper()
	return packWith(t, "", from, to)
}

// TestFactQueryProblemsNameTheFile: an analyst's facts query that fails or
// does not return a declared field is an error at its place in facts.yaml,
// before any rule runs.
func TestFactQueryProblemsNameTheFile(t *testing.T) {
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "lw.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	// The person group failing stops the evaluation: nobody can be
	// evaluated.
	ev := &Evaluator{Store: st, Pack: brokenFacts(t, "FROM medical\n", "FROM medicl\n")}
	if _, err := ev.Hits(context.Background(), day); err == nil ||
		!regexp.MustCompile(`facts\.yaml:\d+: facts group person: (?s).*medicl`).MatchString(err.Error()) {
		t.Fatalf("person group: %v", err)
	}
	// Another group failing holds back the rules that read it, with the
	// reason at its place; the others run.
	ev = &Evaluator{Store: st, Pack: brokenFacts(t, "count(*) AS claims_12m", "count(*) AS claims")}
	res, err := ev.Hits(context.Background(), day)
	if err != nil || len(res.FactFailures) != 1 || res.FactFailures[0].Group != "medical" ||
		!regexp.MustCompile(`facts\.yaml:\d+: facts group medical: the query returns no column claims_12m`).MatchString(res.FactFailures[0].Err.Error()) {
		t.Fatalf("medical group: %+v %v", res, err)
	}
	// The medical rules (every rule that reads the group), and no other.
	var held []string
	for _, h := range res.FactHolds {
		if !strings.Contains(h.Reason, "facts group medical failed tonight") {
			t.Errorf("hold %+v", h)
		}
		held = append(held, h.Rule)
	}
	if want := []string{"MED-OOP-RELATIVE-UNCOVERED", "MED-OOP-UNCOVERED", "MED-SINGLE-STAY-UNCOVERED"}; !slices.Equal(sorted(held), want) {
		t.Errorf("held %v, want %v", held, want)
	}
	// The shipped facts run on an empty store and find nobody.
	p, err := rule.Load("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	res, err = (&Evaluator{Store: st, Pack: p}).Hits(context.Background(), day)
	if err != nil || res.People != 0 || len(res.Hits) != 0 {
		t.Fatalf("empty store: %+v %v", res, err)
	}
}

func TestEvidenceComesFromTheRulesOwnDatasets(t *testing.T) {
	p, err := rule.Load("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	groups, err := GroupDatasets(context.Background(), db, p)
	if err != nil {
		t.Fatal(err)
	}
	got := evidenceSources(p, groups)
	for id, want := range map[string]string{
		"MED-OOP-UNCOVERED":            "medical",
		"DIS-NEW-SEVERE-UNCOVERED":     "disability,registry",
		"FISHER-UNRESETTLED":           "fishers,registry",
		"UNEMP-LOWINC-UNCOVERED":       "employment,registry",
		"INTEGRITY-DECEASED-RECIPIENT": "assistance,registry",
		// Household rules read the household's tables too: a household's
		// spending is its members' bills, fees and rehabilitation.
		"RIGID-SPENDING-UNCOVERED": "assistance,medical,registry,rehabilitation,students",
		"INTEGRITY-PROPERTY":       "assistance,property,registry",
		"RECUSAL-AIDED":            "assistance,registry,staff_relatives",
		"INTEGRITY-VEHICLE":        "vehicles",
	} {
		if strings.Join(got[id], ",") != want {
			t.Errorf("%s evidence from %v, want %s", id, got[id], want)
		}
	}
}

// perCapitaRule divides by household.members, which is 0 for a person not
// in the registry (the field case of issue 7).
const perCapitaRule = `rules:
  - id: MED-PERCAPITA
    title: 家庭人均医疗自付较大，未纳入社会救助
    level: yellow
    when: medical.oop_12m / household.members >= 10000 && !household.covered
    reason: '"家庭人均自付 " + yuan(medical.oop_12m / household.members) + " 元"'
    tests:
      - name: 人均1.5万
        as_of: 2026-11-28
        given: {medical: {oop_12m: 30000}, household: {members: 2}}
        expect: hit
`

// openStore is a new store in the test's temporary directory, closed when
// the test ends.
func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "lw.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// evalStore is a store with two registered people of one household (A
// with 30,000 yuan of medical costs, B with none) and two people with
// medical costs who are not in the registry (C 30,000, D 5,000).
func evalStore(t *testing.T) (st *store.Store, ids [4]string) {
	t.Helper()
	ctx := context.Background()
	st = openStore(t)
	for i := range ids {
		id, err := idnum.Build("340799", time.Date(1960+i, 3, 1, 0, 0, 0, 0, time.UTC), 11+2*i)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = string(id)
	}
	const meta = `, 'k', 'test', 1, now(), 'test.csv', 1)`
	for _, q := range []string{
		`INSERT INTO registry VALUES ('` + ids[0] + `', '甲', NULL, NULL, '3407990010010001', NULL, '340799001', NULL, NULL, 'active', NULL` + meta,
		`INSERT INTO registry VALUES ('` + ids[1] + `', '乙', NULL, NULL, '3407990010010001', NULL, '340799001', NULL, NULL, 'active', NULL` + meta,
		`INSERT INTO medical (claim_id, id_number, settle_date, hospital, total_cost, fund_paid, critical_illness_paid, assistance_paid, out_of_pocket,
			_key, _source, _load_id, _loaded_at, _stream, _position) VALUES ('c1', '` + ids[0] + `', DATE '2026-10-01', NULL, 40000, NULL, NULL, NULL, 30000` + meta,
		`INSERT INTO medical (claim_id, id_number, settle_date, hospital, total_cost, fund_paid, critical_illness_paid, assistance_paid, out_of_pocket,
			_key, _source, _load_id, _loaded_at, _stream, _position) VALUES ('c2', '` + ids[2] + `', DATE '2026-10-01', NULL, 40000, NULL, NULL, NULL, 30000` + meta,
		`INSERT INTO medical (claim_id, id_number, settle_date, hospital, total_cost, fund_paid, critical_illness_paid, assistance_paid, out_of_pocket,
			_key, _source, _load_id, _loaded_at, _stream, _position) VALUES ('c3', '` + ids[3] + `', DATE '2026-10-01', NULL, 9000, NULL, NULL, NULL, 5000` + meta,
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return st, ids
}

// packWith copies rules/, adds extra.yaml and edits facts.yaml (from ->
// to, when from is not empty).
func packWith(t *testing.T, extra, from, to string) *rule.Pack {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	if extra != "" {
		os.WriteFile(filepath.Join(dir, "extra.yaml"), []byte(extra), 0o644)
	}
	if from != "" {
		path := filepath.Join(dir, "facts.yaml")
		b, _ := os.ReadFile(path)
		if !strings.Contains(string(b), from) {
			t.Fatalf("facts.yaml has no %q", from)
		}
		os.WriteFile(path, []byte(strings.Replace(string(b), from, to, 1)), 0o644)
	}
	p, err := rule.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEvalErrorsAreCountedPerRule: a rule that divides by zero for some
// people (or reads a fact the facts query gave as NaN or ±Inf) is counted
// per rule, with one example and a warning logged once, and never hits
// them; the other people and rules are evaluated as usual.
func TestEvalErrorsAreCountedPerRule(t *testing.T) {
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	hitsOf := func(res *Result) map[string][]string {
		m := map[string][]string{}
		for _, h := range res.Hits {
			m[h.RuleID] = append(m[h.RuleID], h.IDNumber)
		}
		for _, v := range m {
			sort.Strings(v)
		}
		return m
	}
	t.Run("division by zero", func(t *testing.T) {
		st, ids := evalStore(t)
		var log bytes.Buffer
		ev := &Evaluator{Store: st, Pack: packWith(t, perCapitaRule, "", ""), Logger: slog.New(slog.NewTextHandler(&log, nil))}
		res, err := ev.Hits(context.Background(), day)
		if err != nil {
			t.Fatal(err)
		}
		hits := hitsOf(res)
		if res.People != 4 || !slices.Equal(hits["MED-PERCAPITA"], []string{ids[0]}) || !slices.Equal(hits["MED-OOP-UNCOVERED"], []string{ids[0], ids[2]}) {
			t.Errorf("people %d, hits %v", res.People, hits)
		}
		if len(res.EvalErrors) != 1 || res.EvalErrors["MED-PERCAPITA"] != 2 {
			t.Errorf("eval errors %v", res.EvalErrors)
		}
		ee := res.EvalErrorSample["MED-PERCAPITA"]
		if ee == nil || ee.Kind != rule.DivisionByZero || !regexp.MustCompile(`^division by zero at .*extra\.yaml:5:27 \(a divisor was 0\): guard it, e\.g\. household\.members > 0 && \.\.\.$`).MatchString(ee.Text()) {
			t.Errorf("sample %v", ee)
		}
		lines := strings.Split(strings.TrimSpace(log.String()), "\n")
		var warns []string
		for _, l := range lines {
			if strings.Contains(l, "level=WARN") {
				warns = append(warns, l)
			}
		}
		if len(warns) != 1 || !strings.Contains(warns[0], "rule=MED-PERCAPITA people=2") || !strings.Contains(warns[0], "division by zero at") {
			t.Errorf("want one warning for the rule, got:\n%s", log.String())
		}
		for _, personal := range append(ids[:], "甲", "乙", ids[2][6:14]) {
			if strings.Contains(log.String()+ee.Error(), personal) {
				t.Errorf("personal data %q in the log or the error", personal)
			}
		}
		// Such a night is not kept for an incremental night, and says so;
		// the next one evaluates everyone, and says why.
		ctx := context.Background()
		w, err := ev.Evaluate(ctx, day, false)
		if err != nil {
			t.Fatal(err)
		}
		if w.NotKept != "1 rules failed for some people tonight" {
			t.Errorf("not kept: %q", w.NotKept)
		}
		if prior, err := st.LoadPrior(ctx); prior != nil || err != nil {
			t.Errorf("a prior was kept: %v %v", prior, err)
		}
		next, err := (&Evaluator{Store: st, Pack: ev.Pack}).Hits(ctx, day.AddDate(0, 0, 1))
		if err != nil || next.Incremental || next.FullWhy != WhyNoPrior {
			t.Errorf("the next night: incremental %v, why %q (%v)", next.Incremental, next.FullWhy, err)
		}
	})
	t.Run("NaN and Inf facts", func(t *testing.T) {
		st, ids := evalStore(t)
		ev := &Evaluator{Store: st, Pack: packWith(t, "", "sum(out_of_pocket)::DOUBLE AS oop_12m",
			"CASE WHEN sum(out_of_pocket) >= 30000 THEN 'nan'::DOUBLE ELSE 'inf'::DOUBLE END AS oop_12m")}
		res, err := ev.Hits(context.Background(), day)
		if err != nil {
			t.Fatal(err)
		}
		if hits := hitsOf(res); len(hits["MED-OOP-UNCOVERED"]) != 0 {
			t.Errorf("a NaN or Inf fact hit: %v", hits)
		}
		ee := res.EvalErrorSample["MED-OOP-UNCOVERED"]
		// Every medical rule reads the NaN and counts it; no other rule does.
		for r := range res.EvalErrors {
			if !strings.HasPrefix(r, "MED-") {
				t.Errorf("rule %s counted the medical NaN", r)
			}
		}
		if res.EvalErrors["MED-OOP-UNCOVERED"] != 3 || ee.Kind != rule.BadFact ||
			!strings.HasPrefix(ee.Text(), "medical.oop_12m is NaN (not a number) at ") {
			t.Errorf("eval errors %v, sample %v", res.EvalErrors, ee)
		}
		if res.People != len(ids) {
			t.Errorf("people %d", res.People)
		}
	})
	t.Run("not per person: stops", func(t *testing.T) {
		st, _ := evalStore(t)
		ev := &Evaluator{Store: st, Pack: packWith(t, "", "sum(out_of_pocket)::DOUBLE AS oop_12m", "'many' AS oop_12m")}
		if _, err := ev.Hits(context.Background(), day); err == nil || !strings.Contains(err.Error(), `medical.oop_12m: want number, got text "many"`) {
			t.Errorf("got %v", err)
		}
	})
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// A household rule's evidence is every member's rows: 乙's household is
// hit on 乙, and 甲's medical bill is the evidence; a person rule's hit on
// 乙 carries none of 甲's rows.
func TestHouseholdEvidenceIsTheMembers(t *testing.T) {
	st, ids := evalStore(t)
	p, err := rule.Load("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hits := []cases.Hit{
		{RuleID: "RIGID-SPENDING-UNCOVERED", IDNumber: ids[1], HouseholdID: "3407990010010001"},
		{RuleID: "MED-OOP-UNCOVERED", IDNumber: ids[1], HouseholdID: "3407990010010001"},
	}
	if err := evidence(ctx, conn, p, hits, nil); err != nil {
		t.Fatal(err)
	}
	if want := `{"medical":["test.csv:1"],"registry":["test.csv:1","test.csv:1"]}`; hits[0].Evidence != want {
		t.Errorf("household rule's evidence %s, want %s", hits[0].Evidence, want)
	}
	if hits[1].Evidence != `{}` {
		t.Errorf("person rule's evidence %s, want none of the other member's rows", hits[1].Evidence)
	}
}

// A hit's evidence lists its rows by file, then by row number as a
// number: row 9 of a file comes before its row 10.
func TestEvidenceIsInFileAndRowOrder(t *testing.T) {
	st, ids := evalStore(t)
	p, err := rule.Load("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i, r := range []struct {
		stream string
		pos    int
	}{{"b.csv", 10}, {"b.csv", 9}, {"a.csv", 100}} {
		q := fmt.Sprintf(`INSERT INTO medical (claim_id, id_number, settle_date, total_cost, out_of_pocket, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES ('e%d', '%s', DATE '2026-09-01', 2, 1, 'e%d', 'test', 1, now(), '%s', %d)`, i, ids[0], i, r.stream, r.pos)
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	hits := []cases.Hit{{RuleID: "MED-OOP-UNCOVERED", IDNumber: ids[0], HouseholdID: "3407990010010001"}}
	if err := evidence(ctx, conn, p, hits, nil); err != nil {
		t.Fatal(err)
	}
	if want := `{"medical":["a.csv:100","b.csv:9","b.csv:10","test.csv:1"]}`; hits[0].Evidence != want {
		t.Errorf("evidence %s, want %s", hits[0].Evidence, want)
	}
}
