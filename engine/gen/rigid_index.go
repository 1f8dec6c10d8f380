package gen

import (
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"
)

// handout is one hand-out of the rigid roles (rigidRoles): the world, and
// what the takes read of a household and its people, computed once and
// kept until a take commits records for them.
//
// The hand-out offers a kind again, each turn, to the households that
// refused it before: a refusal has drawn from the stream every later take
// reads, and a household that refused may take the kind at a later turn,
// so the offers cannot be skipped without changing the county. Their
// number grows about with the square of the county (the quotas grow with
// it, and so do the refusing households ahead of each kind's next taker),
// so an offer must cost little: a take reads its household's members,
// their ages and certificates and the 12-month spending from here rather
// than from the ID numbers, the record maps and every member's records
// each time, and plans in buffers kept here, allocating nothing until it
// commits.
type handout struct {
	*world
	// listed: the household offered is on the kind's list of candidates,
	// so rigidFits holds for it (it changes only for households that take
	// a kind, and those are not offered again).
	listed bool
	// hh keeps the facts of the households offered; nil: only the last
	// household's are (while the candidates are listed, every household
	// once).
	hh   map[*household]*hhFacts
	last *hhFacts
	// buf is the plan of the take under way; ms a list of members to
	// shuffle: reused by every offer.
	buf spendPlan
	ms  []*person
}

// hhFacts is what the takes read of a household: its active members,
// their ages and certificates, which a take never changes, and the 12-month
// spending of the household and 个人自付 of its members, which a commit
// does.
type hhFacts struct {
	h      *household
	active []*person // h.activeMembers()
	age    []int     // of active, on AsOf
	ageSY  []int     // of active, on the school year's start
	certs  []int     // of active, how many disability certificates
	// spend is spend12 (spendOK: known); oop the oop12 of h.members
	// (oopOK: known), both dropped by a commit of the household's records.
	spend   int64
	spendOK bool
	oop     []int64
	oopOK   []bool
}

func newHandout(w *world) *handout {
	return &handout{world: w, hh: map[*household]*hhFacts{}}
}

// facts is h's hhFacts, computed on first use.
func (x *handout) facts(h *household) *hhFacts {
	if x.last != nil && x.last.h == h {
		return x.last
	}
	if f := x.hh[h]; f != nil {
		x.last = f
		return f
	}
	f := &hhFacts{h: h, active: h.activeMembers()}
	n := len(f.active)
	ints := make([]int, 3*n)
	f.age, f.ageSY, f.certs = ints[:n:n], ints[n:2*n:2*n], ints[2*n:]
	sy := x.schoolYear()
	for i, p := range f.active {
		f.age[i], f.ageSY[i], f.certs[i] = p.age(x.asOf), p.age(sy), len(x.certsOf[p])
	}
	f.oop, f.oopOK = make([]int64, len(h.members)), make([]bool, len(h.members))
	if x.hh != nil {
		x.hh[h] = f
	}
	x.last = f
	return f
}

// plan is an empty plan for a take, in the hand-out's buffers: a take
// commits it or drops it before the next.
func (x *handout) plan() *spendPlan {
	x.buf = spendPlan{claims: x.buf.claims[:0], studies: x.buf.studies[:0], rehabs: x.buf.rehabs[:0]}
	return &x.buf
}

// members is h.activeMembers() in the hand-out's buffer, the caller's until
// the next call.
func (x *handout) members(h *household) []*person {
	x.ms = append(x.ms[:0], x.facts(h).active...)
	return x.ms
}

// incomeYear is h.incomeYear().
func (x *handout) incomeYear(h *household) (annual int64, perCapita float64) {
	return h.income, float64(h.income) / 100 / float64(max(len(x.facts(h).active), 1))
}

// lowIncome is h.lowIncome().
func (x *handout) lowIncome(h *household) bool {
	_, pc := x.incomeYear(h)
	return pc < disposableIncome*0.97
}

// hasAged reports an active member aged lo-hi on AsOf: pickAged's
// candidates are not empty.
func (x *handout) hasAged(h *household, lo, hi int) bool {
	for _, a := range x.facts(h).age {
		if a >= lo && a <= hi {
			return true
		}
	}
	return false
}

// pickAged is pickAged(r, h.activeMembers(), AsOf, lo, hi): the same
// candidates in the same order, the same draw.
func (x *handout) pickAged(r *rand.Rand, h *household, lo, hi int) *person {
	f := x.facts(h)
	n := 0
	for _, a := range f.age {
		if a >= lo && a <= hi {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	k := r.IntN(n)
	for i, a := range f.age {
		if a >= lo && a <= hi {
			if k == 0 {
				return f.active[i]
			}
			k--
		}
	}
	panic("unreachable")
}

// oop12 is w.oop12(p) of p, a member of h, kept until a commit adds
// claims of p.
func (x *handout) oop12(h *household, p *person) int64 {
	return x.memberOOP(h, slices.Index(h.members, p))
}

// memberOOP is the oop12 of h.members[k].
func (x *handout) memberOOP(h *household, k int) int64 {
	f := x.facts(h)
	if !f.oopOK[k] {
		f.oop[k], f.oopOK[k] = x.world.oop12(h.members[k]), true
	}
	return f.oop[k]
}

// spend12 is w.spend12(h), kept until a commit adds records of a member.
func (x *handout) spend12(h *household) int64 {
	f := x.facts(h)
	if !f.spendOK {
		f.spend, f.spendOK = x.world.spend12(h), true
	}
	return f.spend
}

// commit is w.commit, forgetting what it changes: the 12-month 个人自付 of
// the people it adds records of, the spending of their households.
func (x *handout) commit(pl *spendPlan) {
	x.world.commit(pl)
	forget := func(p *person) {
		f := x.hh[p.hh]
		if x.last != nil && x.last.h == p.hh {
			f = x.last
		}
		if f != nil {
			f.spendOK = false
			f.oopOK[slices.Index(p.hh.members, p)] = false
		}
	}
	for i := range pl.claims {
		forget(pl.claims[i].p)
	}
	for i := range pl.studies {
		forget(pl.studies[i].p)
	}
	for i := range pl.rehabs {
		forget(pl.rehabs[i].p)
	}
}

// asOfDates are dates that follow from AsOf, which the takes ask for at
// every offer (inWindow for every record it looks at): made with
// time.Date and AddDate, they are remembered for the last AsOf.
type asOfDates struct {
	asOf        time.Time
	windowStart time.Time // addMonths(asOf, -12)
	firstMonth  time.Time // months()[0]
}

var lastAsOfDates atomic.Pointer[asOfDates]

func (w *world) asOfDates() *asOfDates {
	if d := lastAsOfDates.Load(); d != nil && d.asOf.Equal(w.asOf) && d.asOf.Location() == w.asOf.Location() {
		return d
	}
	d := &asOfDates{asOf: w.asOf, windowStart: addMonths(w.asOf, -12), firstMonth: w.months()[0]}
	lastAsOfDates.Store(d)
	return d
}

// windowStart is the last day before the 12-month window: (windowStart, AsOf].
func (w *world) windowStart() time.Time { return w.asOfDates().windowStart }

// firstMonth is the first day of the first monthly medical file: months()[0].
func (w *world) firstMonth() time.Time { return w.asOfDates().firstMonth }
