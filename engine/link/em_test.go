package link

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestEstimateRecovers draws pairs from a known model (records, each with
// its true person among its candidates most of the time, and random
// others) and checks EM finds m and Pi again from the patterns alone.
func TestEstimateRecovers(t *testing.T) {
	truth := DefaultModel()
	truth.Pi = 0.8
	truth.M[CmpName] = []float64{0.02, 0.03, 0.05, 0.05, 0.85}
	truth.M[CmpID] = []float64{0.02, 0.03, 0.05, 0.10, 0.15, 0.55, 0.10}
	// Non-matches in blocks agree more than random pairs do on the
	// blocking fields; the u of this test is what the blocked non-matches
	// look like, so EM must only separate the two.
	r := rand.New(rand.NewPCG(1, 2))
	draw := func(p []float64) int8 {
		x := r.Float64()
		for i, v := range p {
			if x < v {
				return int8(i)
			}
			x -= v
		}
		return int8(len(p) - 1)
	}
	counts := map[[numComparisons]int8]int64{}
	const records, people = 20000, 1_000_000
	for range records {
		if r.Float64() < truth.Pi {
			var v [numComparisons]int8
			for c := range numComparisons {
				v[c] = draw(truth.M[c])
			}
			counts[v]++
		}
		for range 4 { // four non-matching candidates per record
			var v [numComparisons]int8
			for c := range numComparisons {
				v[c] = draw(truth.U[c])
			}
			counts[v]++
		}
	}
	var patterns []Pattern
	for v, n := range counts {
		patterns = append(patterns, Pattern{Levels: v, N: n})
	}
	start := DefaultModel()
	got := Estimate(patterns, start, records, people)
	if got.Source != "estimated" || got.Iterations < 2 {
		t.Fatalf("source %s, %d iterations", got.Source, got.Iterations)
	}
	if math.Abs(got.Pi-truth.Pi) > 0.02 {
		t.Errorf("Pi = %.4f, want %.2f", got.Pi, truth.Pi)
	}
	if want := truth.Pi / people; math.Abs(got.Lambda-want)/want > 0.03 {
		t.Errorf("λ = %.4g, want %.4g", got.Lambda, want)
	}
	for _, c := range []int{CmpName, CmpID, CmpBirth} {
		for l, m := range truth.M[c] {
			if math.Abs(got.M[c][l]-m) > 0.02 {
				t.Errorf("m[%s][%s] = %.4f, want %.4f", Comparisons[c].Code, Comparisons[c].Levels[l].Code, got.M[c][l], m)
			}
		}
	}
	if err := got.Validate(); err != nil {
		t.Error(err)
	}
	// No pairs: the start, sized for the registry.
	empty := Estimate(nil, start, 0, 500)
	if empty.Source != "default" || empty.People != 500 {
		t.Errorf("no pairs: %s for %d people", empty.Source, empty.People)
	}
}

func TestWeightAndExplain(t *testing.T) {
	m := DefaultModel().ForPeople(100_000)
	var v Vector
	for c := range v.Levels {
		v.Levels[c] = Null
	}
	if w := m.Weight(v); math.Abs(w-m.PriorBits()) > 1e-12 {
		t.Errorf("nothing comparable weighs the prior: %v vs %v", w, m.PriorBits())
	}
	v.Levels[CmpName] = NameExact
	v.Levels[CmpID] = IDOneEdit
	common, rare := v, v
	common.NameFreq, rare.NameFreq = 0.001, 0.00001
	if m.Weight(common) >= m.Weight(rare) {
		t.Errorf("a common name should weigh less than a rare one: %v vs %v", m.Weight(common), m.Weight(rare))
	}
	steps := m.Explain(rare)
	sum := 0.0
	for _, s := range steps {
		sum += s.Bits
	}
	if math.Abs(sum-m.Weight(rare)) > 1e-9 {
		t.Errorf("waterfall %v, weight %v", sum, m.Weight(rare))
	}
	if !steps[1+CmpName].TF || steps[1+CmpName].U != 0.00001 {
		t.Errorf("the exact name's u is its frequency: %+v", steps[1+CmpName])
	}
	if steps[1+CmpBirth].Level != "null" || steps[1+CmpBirth].Bits != 0 {
		t.Errorf("a missing birth date weighs nothing: %+v", steps[1+CmpBirth])
	}
	if p := Probability(0); p != 0.5 {
		t.Errorf("Probability(0) = %v", p)
	}
	bad := m
	bad.M[CmpGender] = []float64{0.5}
	if bad.Validate() == nil {
		t.Error("a model of the wrong shape validates")
	}
}

func TestDecide(t *testing.T) {
	th := Thresholds{}.withDefaults()
	c := func(bits float64) Candidate { return Candidate{Bits: bits, Probability: Probability(bits)} }
	for _, tc := range []struct {
		cands []Candidate
		want  Band
	}{
		{nil, None},
		{[]Candidate{c(-3)}, None},
		{[]Candidate{c(2)}, Review},            // p 0.8
		{[]Candidate{c(12)}, Auto},             // p 0.9998
		{[]Candidate{c(12), c(9)}, Review},     // twins: within 5 bits
		{[]Candidate{c(6), c(20), c(0)}, Auto}, // sorted first
	} {
		d := Decision{Candidates: tc.cands}
		decide(&d, th)
		if d.Band != tc.want {
			t.Errorf("%v: %s (%s), want %s", tc.cands, d.Band, d.Why, tc.want)
		}
	}
	if (Thresholds{Auto: 0.5, Review: 0.9}).Validate() == nil {
		t.Error("review above auto validates")
	}
}
