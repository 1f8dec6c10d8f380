package gen

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// The department records, in canonical form. Their dirty text is drawn when
// a file is built (dirt.go), except a claim's, which is fixed once so that a
// re-sent claim repeats its original row exactly.

// claim is one medical settlement. Amounts are in fen.
type claim struct {
	id       string
	p        *person
	date     time.Time
	hospital string
	total    int64
	fund     int64
	critical int64
	assist   int64
	oop      int64 // total - fund - critical - assist
	// cells are the claim's row, kept while the file is written for a
	// claim sent again in the next month's file (resent).
	cells  []cell
	resent bool
}

// newClaim splits a total cost: the fund pays fundShare, critical-illness
// insurance critShare, medical assistance assistShare; the rest is 个人自付.
func newClaim(p *person, date time.Time, hospital string, total int64, fundShare, critShare, assistShare float64) *claim {
	c := &claim{p: p, date: date, hospital: hospital, total: total}
	c.fund = int64(float64(total) * fundShare)
	c.critical = int64(float64(total) * critShare)
	c.assist = int64(float64(total) * assistShare)
	c.oop = total - c.fund - c.critical - c.assist
	return c
}

// claimWithOOP builds a claim whose 个人自付 is at least oop fen.
func claimWithOOP(p *person, date time.Time, hospital string, oop int64, fundShare, critShare float64) *claim {
	total := int64(float64(oop)/(1-fundShare-critShare)) + 100
	c := newClaim(p, date, hospital, total, fundShare, critShare, 0)
	for c.oop < oop {
		c = newClaim(p, date, hospital, c.total+100, fundShare, critShare, 0)
	}
	return c
}

// cert is one disability certificate.
type cert struct {
	p        *person
	category int // 1-7
	level    int // 1-4
	issued   time.Time
}

// number is 残疾人证号: the 18-digit ID, the category digit and the level digit.
func (c *cert) number() string { return fmt.Sprintf("%s%d%d", c.p.id, c.category, c.level) }

// Employment events, canonical.
const (
	evUnemployed   = "unemployed"
	evEmployed     = "employed"
	evBenefitStart = "benefit_start"
	evBenefitEnd   = "benefit_end"
)

// empEvent is one employment record.
type empEvent struct {
	p     *person
	event string
	date  time.Time
}

// Resettlement outcomes, canonical.
const (
	rsEmployed     = "employed"
	rsSelfEmployed = "self_employed"
	rsWelfareJob   = "welfare_job"
	rsUnemployed   = "unemployed"
	rsRetired      = "retired"
)

// fisher is one retired fisher.
type fisher struct {
	p        *person
	boat     string
	retired  time.Time
	resettle string
	insured  bool
}

// Assistance categories, canonical.
const (
	catDibao   = "dibao"
	catTekun   = "tekun"
	catDibian  = "dibian"
	catRigid   = "rigid"
	catFangfan = "fangfan"
	catOther   = "other"
)

// aid is one row of the assistance roster: one per covered member (特困:
// the person alone). A zero end is an open-ended row.
type aid struct {
	p        *person
	category string
	start    time.Time
	end      time.Time
	amount   int64 // fen per month
	// period is the start the period's rows were drawn with: the rows of
	// one period are written alike, even when a review moved the start of
	// some (rigid.go).
	period time.Time
}

// months lists the first day of each of the 14 months of medical files,
// oldest first, ending with AsOf's month.
func (w *world) months() []time.Time {
	last := time.Date(w.asOf.Year(), w.asOf.Month(), 1, 0, 0, 0, 0, time.UTC)
	out := make([]time.Time, medicalMonths)
	for i := range out {
		out[i] = last.AddDate(0, i-medicalMonths+1, 0)
	}
	return out
}

// medicalMonths is how many monthly medical files the county has.
const medicalMonths = 14

// monthIndex is the index in months() of a date's month, or -1.
func (w *world) monthIndex(d time.Time) int {
	first := w.months()[0]
	i := (d.Year()-first.Year())*12 + int(d.Month()) - int(first.Month())
	if i < 0 || i >= medicalMonths {
		return -1
	}
	return i
}

// finishClaims sorts the claims of each month by date and numbers them:
// 结算单号 = "YB" + date + a 5-digit sequence within the month.
func (w *world) finishClaims() {
	slices.SortStableFunc(w.claims, func(a, b *claim) int {
		return cmp.Or(a.date.Compare(b.date), cmp.Compare(a.p.id, b.p.id), cmp.Compare(a.total, b.total))
	})
	for _, c := range w.claims {
		c.id = w.nextClaimID(c.date)
	}
}

// nextClaimID numbers a claim settled on d.
func (w *world) nextClaimID(d time.Time) string {
	m := w.monthIndex(d)
	w.claimSeq[m]++
	return fmt.Sprintf("YB%s%s%05d", countyCode, d.Format("20060102"), w.claimSeq[m])
}
