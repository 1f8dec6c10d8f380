package rule

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSeverity(t *testing.T) {
	p, err := Load("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	env, err := p.NewEnv(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	env.Set("medical", "oop_12m", 31000.5)
	env.Set("disability", "level", int64(2))
	for id, want := range map[string]float64{"MED-OOP-UNCOVERED": 31000.5, "DIS-NEW-SEVERE-UNCOVERED": 3, "FISHER-UNRESETTLED": 0} {
		got, err := p.Rule(id).SeverityOf(env)
		if err != nil || got != want {
			t.Errorf("%s severity = %v, %v; want %v", id, got, err, want)
		}
	}
}

func TestSeverityMustBeANumber(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("../../rules")); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "medical.yaml")
	b, _ := os.ReadFile(path)
	os.WriteFile(path, []byte(strings.Replace(string(b), "severity: medical.oop_12m", "severity: household.covered", 1)), 0o644)
	_, err := Load(dir)
	if err == nil || !strings.Contains(err.Error(), "medical.yaml:") || !strings.Contains(err.Error(), "severity must be a number, not bool") {
		t.Fatalf("got %v", err)
	}
}
