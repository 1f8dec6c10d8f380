package rule

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

// The parsers of rule files and of facts.yaml take analysts' YAML as it
// comes. Whatever it is, Load never panics or hangs, and every problem it
// reports carries file:line:col inside the file; a pack that loads can be
// tested and explained without panicking. Run each for minutes while
// working on the parsers (the lead runs the long sessions):
//
//	go test -run '^$' -fuzz FuzzRuleFile -fuzztime 2m -parallel 1 ./engine/rule
//	go test -run '^$' -fuzz FuzzFactsFile -fuzztime 2m -parallel 1 ./engine/rule
//
// The seed corpora are the shipped files and the README's examples.

// FuzzRuleFile loads random YAML as a rule file beside the shipped facts.
func FuzzRuleFile(f *testing.F) {
	shipped := shippedFiles(f)
	for name, data := range shipped {
		if name != FactsFile {
			f.Add(data)
		}
	}
	readme, err := os.ReadFile(filepath.Join(rulesDir(f), "README.md"))
	if err != nil {
		f.Fatal(err)
	}
	for _, b := range fencedBlocks(string(readme)) {
		if strings.HasPrefix(b.info, "yaml") {
			f.Add([]byte(b.body))
		}
	}
	f.Add([]byte(fieldCaseRule))
	for _, when := range []string{
		"household.members > 0 && medical.oop_12m / household.members >= 10000",
		"medical.claims_12m % household.members == 1 || household.members ** -1 > 0",
		`(household.members > 0 ? medical.oop_12m / household.members : 0) >= params.medical_oop_threshold`,
		"let m = household.members; not (m == 0) and float(person.status) * m > abs(-1e308 * 10)",
		"disability.level in 1..2 && person.status in [\"deceased\"] && max(medical.oop_12m, 3) / 0 > 1",
	} {
		f.Add(fmt.Appendf(nil, "params:\n  p:\n    2025-01-01: 0\nrules:\n  - id: X\n    title: t\n    level: red\n    when: %q\n"+
			"    reason: '\"x\" + yuan(medical.oop_12m / params.p)'\n    severity: medical.oop_12m / household.members\n"+
			"    tests:\n      - {name: a, as_of: 2026-11-28, given: {medical: {oop_12m: 3}}, expect: error}\n", when))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		checkLoad(t, fstest.MapFS{FactsFile: {Data: shipped[FactsFile]}, "x.yaml": {Data: data}})
	})
}

// FuzzFactsFile loads random YAML as facts.yaml beside the shipped rule
// files.
func FuzzFactsFile(f *testing.F) {
	shipped := shippedFiles(f)
	f.Add(shipped[FactsFile])
	f.Add([]byte("facts:\n  person:\n    scope: person\n    sql: SELECT 1\n    fields:\n      household_id: {type: string}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys := fstest.MapFS{FactsFile: {Data: data}}
		for name, d := range shipped {
			if name != FactsFile {
				fsys[name] = &fstest.MapFile{Data: d}
			}
		}
		checkLoad(t, fsys)
	})
}

// shippedFiles reads rules/*.yaml but holidays.yaml.
func shippedFiles(t testing.TB) map[string][]byte {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(rulesDir(t), "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, path := range names {
		if filepath.Base(path) == HolidaysFile {
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(path)] = data
	}
	return out
}

// checkLoad loads fsys as the directory "rules" and checks what comes
// out: no panic, within a few seconds, positions inside the files.
func checkLoad(t *testing.T, fsys fstest.MapFS) {
	type result struct {
		p     *Pack
		err   error
		panic string
	}
	done := make(chan result, 1)
	go func() {
		// Load runs beside a watchdog; a panic here would kill the fuzz
		// worker without a report, so it is caught and reported.
		defer func() {
			if r := recover(); r != nil {
				done <- result{panic: fmt.Sprintf("%v\n%s", r, debug.Stack())}
			}
		}()
		p, err := load(fsys, "rules")
		if p != nil {
			p.Test(nil) // evaluates every rule on its tests' facts
			e := p.newEnv(countyDay)
			for _, r := range p.Rules {
				r.Explain(e)
				r.SeverityOf(e)
			}
		}
		done <- result{p: p, err: err}
	}()
	var res result
	select {
	case res = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Load, Test and Explain took over 10s")
	}
	if res.panic != "" {
		t.Fatalf("panic: %s", res.panic)
	}
	lines := map[string]int{}
	for name, file := range fsys {
		lines["rules/"+name] = strings.Count(string(file.Data), "\n") + 1
	}
	inFile := func(what string, pos Pos) {
		n, known := lines[pos.File]
		if !known || pos.Line < 1 || pos.Line > n || pos.Col < 1 {
			t.Errorf("%s at %q (file %s has %d lines)", what, pos, pos.File, n)
		}
	}
	if res.err != nil {
		var es Errors
		if !errors.As(res.err, &es) || len(es) == 0 {
			t.Fatalf("want Errors, got %T %v", res.err, res.err)
		}
		for _, e := range es {
			inFile("error "+e.Message, e.Pos)
		}
		return
	}
	for _, w := range res.p.Warnings {
		inFile("warning "+w.Message, w.Pos)
	}
	for _, s := range res.p.sites {
		inFile("checked operation", s.pos)
	}
}
