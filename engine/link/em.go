package link

import "math"

// A Pattern is one comparison vector (levels only) and how many blocked
// pairs have it.
type Pattern struct {
	Levels [numComparisons]int8
	N      int64
}

// EM settings: at most maxIterations, stopping when no parameter moves
// more than tolerance.
const (
	maxIterations = 100
	tolerance     = 1e-6
)

// Estimate runs expectation–maximisation over the blocked pairs'
// patterns of records linked against a registry of people: u is held at
// start.U (estimated from random pairs, where matches are negligible), m
// and Pi (hence λ = Pi/people) are estimated, starting from start. Pairs
// outside the blocks are taken as non-matches. Term frequencies take no
// part (as in Splink): they adjust a pair's weight only when it is
// scored. With no pairs it returns start for that registry.
//
// E-step: each pattern's match probability under the current m, u, λ;
// M-step: m[c][l] is the expected share of matching pairs at level l among
// those where comparison c could be made, Pi the expected matches per
// record. Fellegi & Sunter (1969); Winkler (1988) for EM.
func Estimate(patterns []Pattern, start Model, records, people int64) Model {
	m := start.ForPeople(people)
	for c := range numComparisons {
		m.M[c] = append([]float64(nil), start.M[c]...)
		m.U[c] = append([]float64(nil), start.U[c]...)
	}
	var total int64
	for _, p := range patterns {
		total += p.N
	}
	if total == 0 || records <= 0 {
		return m
	}
	m.Source, m.Pairs, m.Iterations = "estimated", total, 0
	post := make([]float64, len(patterns))
	for it := 1; it <= maxIterations; it++ {
		m.Iterations = it
		// E-step.
		prior := m.PriorBits()
		for i, p := range patterns {
			w := prior
			for c := range numComparisons {
				if l := p.Levels[c]; l != Null {
					w += math.Log2(clampP(m.M[c][l]) / clampP(m.U[c][l]))
				}
			}
			post[i] = Probability(w)
		}
		// M-step.
		var matched float64
		var num [numComparisons][]float64
		var den [numComparisons]float64
		for c := range numComparisons {
			num[c] = make([]float64, len(m.M[c]))
		}
		for i, p := range patterns {
			e := post[i] * float64(p.N)
			matched += e
			for c := range numComparisons {
				if l := p.Levels[c]; l != Null {
					num[c][l] += e
					den[c] += e
				}
			}
		}
		moved := 0.0
		pi := clampP(matched / float64(records))
		moved = math.Max(moved, math.Abs(pi-m.Pi))
		m.Pi = pi
		m = m.ForPeople(people)
		for c := range numComparisons {
			if den[c] == 0 {
				continue // never comparable: keep the start
			}
			for l := range m.M[c] {
				v := clampP(num[c][l] / den[c])
				moved = math.Max(moved, math.Abs(v-m.M[c][l]))
				m.M[c][l] = v
			}
		}
		if moved < tolerance {
			break
		}
	}
	return m
}
