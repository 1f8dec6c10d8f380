package link

import (
	"fmt"
	"math"
)

// The comparisons of a record with a registry person, in Vector order.
const (
	CmpName      = iota // the name
	CmpBirth            // the birth date given on the row (its ID's birth digits count in CmpID)
	CmpID               // the ID number as written on the row
	CmpGender           // the gender given on the row
	CmpHousehold        // the 户号 written on the row
	numComparisons
)

// Null is the level of a comparison that cannot be made (a value missing
// on either side): it weighs nothing for or against.
const Null = -1

// A Comparison is one field compared at levels from 0 (disagree) up to
// the closest agreement.
type Comparison struct {
	Code   string  // "name", … (English, for code, JSON and logs)
	Label  string  // 姓名, … (Chinese, for analysts)
	Levels []Level // index = level
}

// A Level is one outcome of a comparison.
type Level struct {
	Code  string // "exact", …
	Label string // 相同, …
}

// Name levels.
const (
	NameDiffer    = iota // 不同
	NameSurname          // only the surname agrees
	NameOneChar          // same length, one character differs
	NameHomophone        // reads the same (pinyin), written differently
	NameExact            // the same after normalization; weighed by its frequency
)

// Birth levels.
const (
	BirthDiffer = iota
	BirthYear   // same year only
	BirthTypo   // one digit differs, or day and month swapped
	BirthExact
)

// ID levels: the row's ID text against the candidate's ID number. A row
// whose ID text is a registry person's ID compares with everyone else at
// IDHousehold or IDDiffer only: a typo that makes another real person's
// number is far rarer than a number of the wrong person.
const (
	IDDiffer    = iota // nothing alike
	IDBirthPart        // only the birth-date digits (7–14) agree, on a row that gives no birth date of its own
	IDHousehold        // a registry ID of another member of the candidate's household
	IDTwoEdits         // two characters apart (Damerau–Levenshtein 2)
	IDExcel            // the first 15 digits agree (the 15th ±1: rounded), the rest zeros: Excel keeps 15 significant digits
	IDOneEdit          // one character apart: a wrong digit (the check character as typed or computed), two neighbours swapped, a wrong check character, one digit added or lost
	IDExact            // the candidate's own ID number (a row whose name disagrees with its ID)
)

// Gender and household levels.
const (
	Differ = 0
	Agree  = 1
)

// Comparisons are the linker's comparisons, in Vector order.
var Comparisons = [numComparisons]Comparison{
	CmpName: {"name", "姓名", []Level{
		{"differ", "不同"}, {"surname", "仅姓相同"}, {"one_char", "一字之差"}, {"homophone", "同音不同字"}, {"exact", "相同"}}},
	CmpBirth: {"birth", "出生日期", []Level{
		{"differ", "不同"}, {"year", "仅年份相同"}, {"typo", "一位数字不同或日月颠倒"}, {"exact", "相同"}}},
	CmpID: {"id", "身份证号", []Level{
		{"differ", "不同"}, {"birth_part", "仅出生日期码相同"}, {"household", "是同户另一成员的身份证号"}, {"two_edits", "相差两位"},
		{"excel", "前15位相同，其后丢失（Excel）"}, {"one_edit", "相差一位（错一位、相邻两位颠倒、校验码错或多少一位）"}, {"exact", "相同"}}},
	CmpGender:    {"gender", "性别", []Level{{"differ", "不同"}, {"agree", "相同"}}},
	CmpHousehold: {"household", "户号", []Level{{"differ", "不同"}, {"agree", "相同"}}},
}

// A Vector is a pair's level in each comparison (Null where it cannot be
// made) and, when the names agree exactly, the name's frequency.
type Vector struct {
	Levels [numComparisons]int8
	// NameFreq is the share of registry people with this exact name
	// (0 < NameFreq ≤ 1) when Levels[CmpName] == NameExact, else 0. It
	// replaces the exact level's u: 王伟 agreeing says less than 欧阳靖宇.
	NameFreq float64
}

// A Model holds the Fellegi–Sunter parameters: for each comparison and
// level, m = P(level | the pair is the same person) and u = P(level | the
// pair is two people), and λ, the probability that a record and a registry
// person drawn at random are the same person (Splink's "probability two
// random records match"). A level's match weight is log2(m/u) bits, the
// prior log2(λ/(1−λ)). u is measured on random pairs, so λ must be the
// random-pair prior too: blocking only skips pairs that would score far
// below any threshold.
type Model struct {
	Lambda float64                   `json:"lambda"`
	M      [numComparisons][]float64 `json:"m"`
	U      [numComparisons][]float64 `json:"u"`
	// Pi is the share of records whose person is in the registry (λ =
	// Pi / People); People the registry's size the model was made for.
	Pi     float64 `json:"pi"`
	People int64   `json:"people"`
	// How the parameters came to be: "estimated" (u from random pairs,
	// m and Pi by EM over the blocked pairs), "default m, estimated u"
	// (too few pairs for EM) or "default".
	Source string `json:"source"`
	// Pairs is the number of blocked pairs m and Pi were estimated from,
	// Iterations the EM iterations run.
	Pairs      int64 `json:"pairs"`
	Iterations int   `json:"iterations"`
}

// ForPeople returns the model with λ set for a registry of n people at
// its share Pi of records that have a person there.
func (m Model) ForPeople(n int64) Model {
	m.People = max(n, 1)
	m.Lambda = min(max(m.Pi/float64(m.People), 1e-12), pMax) // not clampP: 60M people give 1.5e-8
	return m
}

// Probability bounds: no level is ever certain either way, so one
// comparison can never decide a pair on its own beyond ±log2(1/pMin).
const (
	pMin = 1e-6
	pMax = 1 - 1e-6
)

func clampP(p float64) float64 {
	if math.IsNaN(p) {
		return pMin
	}
	return min(max(p, pMin), pMax)
}

// DefaultModel returns the starting parameters of EM, also used as they
// are when a night has too few pairs to estimate from. The figures are
// judgement, not measurement: m from how often a department's row agrees
// with its own person at each level (an ID typed wrong about one row in a
// hundred), u from how often two random people of one county agree
// (birth date 1/25,000, same surname about 1/20).
func DefaultModel() Model {
	var m Model
	m.Pi = 0.9
	m.Source = "default"
	m.M[CmpName] = []float64{0.01, 0.02, 0.04, 0.03, 0.90}
	m.U[CmpName] = []float64{0.90, 0.095, 0.004, 0.0005, 0.0005}
	m.M[CmpBirth] = []float64{0.02, 0.02, 0.06, 0.90}
	m.U[CmpBirth] = []float64{0.985, 0.0145, 0.0004, 0.00004}
	m.M[CmpID] = []float64{0.05, 0.05, 0.05, 0.05, 0.10, 0.40, 0.30}
	m.U[CmpID] = []float64{0.9997, 0.0002, 0.0001, 0.00001, 0.000001, 0.000001, 0.000001}
	m.M[CmpGender] = []float64{0.02, 0.98}
	m.U[CmpGender] = []float64{0.5, 0.5}
	m.M[CmpHousehold] = []float64{0.10, 0.90}
	m.U[CmpHousehold] = []float64{0.9999, 0.0001}
	return m.ForPeople(1_000_000)
}

// Validate reports a model whose shape does not fit the comparisons or
// whose probabilities are out of (0, 1).
func (m *Model) Validate() error {
	if !(m.Lambda > 0 && m.Lambda < 1) {
		return fmt.Errorf("link model: lambda %v is not in (0, 1)", m.Lambda)
	}
	for c := range numComparisons {
		n := len(Comparisons[c].Levels)
		if len(m.M[c]) != n || len(m.U[c]) != n {
			return fmt.Errorf("link model: %s has %d m and %d u values, want %d", Comparisons[c].Code, len(m.M[c]), len(m.U[c]), n)
		}
		for l := range n {
			if !(m.M[c][l] > 0 && m.M[c][l] < 1) || !(m.U[c][l] > 0 && m.U[c][l] < 1) {
				return fmt.Errorf("link model: %s level %s has m %v, u %v: each must be in (0, 1)",
					Comparisons[c].Code, Comparisons[c].Levels[l].Code, m.M[c][l], m.U[c][l])
			}
		}
	}
	return nil
}

// PriorBits is the match weight before any comparison: log2(λ/(1−λ)).
func (m *Model) PriorBits() float64 { return math.Log2(m.Lambda / (1 - m.Lambda)) }

// A Step is one bar of the waterfall that explains a pair's weight.
type Step struct {
	Comparison string  // Comparisons[c].Code, or "prior"
	Label      string  // 姓名 …, or 先验
	Level      string  // level code; "null" when the comparison could not be made
	LevelLabel string  // 相同 …; 无法比较 for null
	M, U       float64 // the level's m and u (u is the name's frequency when TF applies); 0 for null and prior
	Bits       float64 // log2(m/u); the prior's log2(λ/(1−λ)); 0 for null
	TF         bool    // u is the exact name's frequency in the registry
}

// Explain returns the waterfall of v: the prior, then one step per
// comparison. Its Bits sum to Weight(v).
func (m *Model) Explain(v Vector) []Step {
	steps := make([]Step, 0, numComparisons+1)
	steps = append(steps, Step{Comparison: "prior", Label: "先验", Level: "prior", LevelLabel: "匹配的先验比例", Bits: m.PriorBits()})
	for c := range numComparisons {
		cmp := Comparisons[c]
		l := int(v.Levels[c])
		if l == Null {
			steps = append(steps, Step{Comparison: cmp.Code, Label: cmp.Label, Level: "null", LevelLabel: "无法比较（缺少数据）"})
			continue
		}
		s := Step{Comparison: cmp.Code, Label: cmp.Label, Level: cmp.Levels[l].Code, LevelLabel: cmp.Levels[l].Label,
			M: clampP(m.M[c][l]), U: clampP(m.U[c][l])}
		if c == CmpName && l == NameExact && v.NameFreq > 0 {
			s.U, s.TF = clampP(v.NameFreq), true
		}
		s.Bits = math.Log2(s.M / s.U)
		steps = append(steps, s)
	}
	return steps
}

// Weight is the pair's match weight in bits: the prior plus each
// comparison's log2(m/u).
func (m *Model) Weight(v Vector) float64 {
	w := m.PriorBits()
	for c := range numComparisons {
		l := int(v.Levels[c])
		if l == Null {
			continue
		}
		u := m.U[c][l]
		if c == CmpName && l == NameExact && v.NameFreq > 0 {
			u = v.NameFreq
		}
		w += math.Log2(clampP(m.M[c][l]) / clampP(u))
	}
	return w
}

// Probability turns a match weight in bits into the probability that the
// pair is the same person: 2^w / (1 + 2^w).
func Probability(bits float64) float64 { return 1 / (1 + math.Exp2(-bits)) }
