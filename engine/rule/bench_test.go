package rule

import (
	"testing"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/vm"
)

// BenchmarkEvalAll runs every rule of the shipped pack on one env, as the
// nightly job does ~300k times: for a person no rule hits (most people),
// for one two rules hit (reasons formatted), and with the per-person
// Reset and setting of every fact included.
func BenchmarkEvalAll(b *testing.B) {
	p := loadShipped(b)
	e, err := p.NewEnv(countyDay)
	if err != nil {
		b.Fatal(err)
	}
	var hits []Hit
	run := func(b *testing.B, want int) {
		b.Helper()
		b.ReportAllocs()
		for b.Loop() {
			hits, err = e.EvalAll(hits[:0])
			if err != nil || len(hits) != want {
				b.Fatalf("%d hits, %v; want %d", len(hits), err, want)
			}
		}
	}
	b.Run("miss", func(b *testing.B) {
		e.Reset()
		mustSet(b, e, "medical", "oop_12m", 1234.5)
		run(b, 0)
	})
	b.Run("two-hits", func(b *testing.B) {
		e.Reset()
		mustSet(b, e, "medical", "oop_12m", 30000.0)
		mustSet(b, e, "disability", "level", int64(1))
		mustSet(b, e, "disability", "category", int64(4))
		mustSet(b, e, "disability", "days_since_issued", int64(30))
		run(b, 2)
	})
	b.Run("reset-set-eval", func(b *testing.B) {
		fields := p.Fields()
		vals := make([]any, len(fields))
		for i, f := range fields {
			vals[i] = f.Default
		}
		vals[p.mustIndex(b, "medical", "oop_12m")] = 1234.5
		b.ReportAllocs()
		for b.Loop() {
			e.Reset()
			for i, v := range vals {
				if err := e.SetIndex(i, v); err != nil {
					b.Fatal(err)
				}
			}
			if hits, err = e.EvalAll(hits[:0]); err != nil || len(hits) != 0 {
				b.Fatal(hits, err)
			}
		}
	})
}

func (p *Pack) mustIndex(b *testing.B, group, field string) int {
	i, ok := p.FieldIndex(group, field)
	if !ok {
		b.Fatalf("no fact %s.%s", group, field)
	}
	return i
}

// BenchmarkCheckedDivision is the price of checked arithmetic: a
// per-capita condition as the rule runs it (its / a checked call) and as
// plain expr would run it.
func BenchmarkCheckedDivision(b *testing.B) {
	const when = "medical.oop_12m / household.members >= 10000 && !household.covered"
	p := loadShipped(b)
	e, err := p.NewEnv(countyDay)
	if err != nil {
		b.Fatal(err)
	}
	mustSet(b, e, "medical", "oop_12m", 30000.0)
	mustSet(b, e, "household", "members", int64(2))
	plain, err := expr.Compile(when, append(p.opts[:len(p.opts):len(p.opts)], expr.AsBool())...)
	if err != nil {
		b.Fatal(err)
	}
	checked, err := expr.Compile(when, append(append(p.opts[:len(p.opts):len(p.opts)], expr.AsBool()), checkArithmetic(p, locator{})...)...)
	if err != nil {
		b.Fatal(err)
	}
	for name, prog := range map[string]*vm.Program{"plain": plain, "checked": checked} {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if out, err := e.vm.Run(prog, e.env()); err != nil || out != true {
					b.Fatal(out, err)
				}
			}
		})
	}
}
