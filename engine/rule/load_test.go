package rule

import (
	"path/filepath"
	"runtime"
	"testing"
)

// rulesDir is the shipped rules directory, rules/ at the repository root.
func rulesDir(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "rules")
}

// TestShippedRules loads rules/ as shipped: it must be clean, every rule
// test must pass, and no enabled rule may be untested.
func TestShippedRules(t *testing.T) {
	p, err := Load(rulesDir(t))
	if err != nil {
		t.Fatalf("Load(rules/):\n%v", err)
	}
	results := p.Test(nil)
	if len(results) == 0 {
		t.Fatal("no rule tests ran")
	}
	for _, r := range results {
		if r.Status != StatusPass {
			t.Errorf("%s", r)
		}
	}
	if u := p.Untested(); len(u) > 0 {
		t.Errorf("untested rules: %v", u)
	}
	t.Logf("%d rules, %d tests, version %s", len(p.Rules), len(results), p.Version)
}
