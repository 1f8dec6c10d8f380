package evaluate

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// brokenFacts copies rules/ and edits facts.yaml.
func brokenFacts(t *testing.T, from, to string) *rule.Pack {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "rules")
	if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "facts.yaml")
	b, _ := os.ReadFile(path)
	if !strings.Contains(string(b), from) {
		t.Fatalf("facts.yaml has no %q", from)
	}
	os.WriteFile(path, []byte(strings.Replace(string(b), from, to, 1)), 0o644)
	p, err := rule.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
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
	for name, c := range map[string]struct{ from, to, want string }{
		"missing column": {"count(*) AS claims_12m", "count(*) AS claims",
			`facts\.yaml:\d+: facts group medical: the query returns no column claims_12m`},
		"bad sql": {"FROM medical\n", "FROM medicl\n",
			`facts\.yaml:\d+: facts group person: (?s).*medicl`},
	} {
		t.Run(name, func(t *testing.T) {
			ev := &Evaluator{Store: st, Pack: brokenFacts(t, c.from, c.to)}
			_, err := ev.Hits(context.Background(), day)
			if err == nil || !regexp.MustCompile(c.want).MatchString(err.Error()) {
				t.Fatalf("got %v, want %s", err, c.want)
			}
		})
	}
	// The shipped facts run on an empty store and find nobody.
	p, err := rule.Load("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	res, err := (&Evaluator{Store: st, Pack: p}).Hits(context.Background(), day)
	if err != nil || res.People != 0 || len(res.Hits) != 0 {
		t.Fatalf("empty store: %+v %v", res, err)
	}
}

func TestEvidenceComesFromTheRulesOwnDatasets(t *testing.T) {
	p, err := rule.Load("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	got := ruleDatasets(p)
	for id, want := range map[string]string{
		"MED-OOP-UNCOVERED":            "medical",
		"DIS-NEW-SEVERE-UNCOVERED":     "disability,registry",
		"FISHER-UNRESETTLED":           "fishers,registry",
		"UNEMP-LOWINC-UNCOVERED":       "employment,registry",
		"INTEGRITY-DECEASED-RECIPIENT": "registry,assistance",
	} {
		if strings.Join(got[id], ",") != want {
			t.Errorf("%s evidence from %v, want %s", id, got[id], want)
		}
	}
}
