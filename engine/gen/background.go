package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

// Background records keep clear of every threshold: a household's 个人自付
// stays under backgroundOOPBudget over all 14 months; severe certificates
// are at least two years old; only well-off households have members whose
// latest employment event is not 就业登记; fishers are resettled or
// insured; nobody deceased keeps a current assistance row.

// backgroundOOPBudget caps a background household's 个人自付 (fen) over the
// 14 months of medical files.
const backgroundOOPBudget = 750000

// backgroundUnemployedMin is the lowest per-capita monthly income (yuan) of
// a background household with a member still unemployed.
const backgroundUnemployedMin = 2600

func (w *world) background(r *rand.Rand) {
	var fisherCands []*household
	for _, h := range w.households {
		if h.role.special() {
			continue
		}
		for _, p := range h.members {
			if p.status != active {
				continue
			}
			if r.IntN(100) < 30 {
				h.oopSpent = w.backgroundClaims(r, p, h.oopSpent)
			}
			if r.IntN(1000) < 20 && p.age(w.asOf) >= 2 {
				w.backgroundCert(r, p)
			}
			if age := p.age(w.asOf); age >= 18 && age <= 59 && r.IntN(100) < 10 {
				w.backgroundEvents(r, p)
			}
		}
		if h.aid != aidNone {
			w.addAid(r, h, false)
		}
		if fishingTown(h.village.Town) {
			fisherCands = append(fisherCands, h)
		}
	}
	for _, h := range w.households {
		if !h.role.special() && !fishingTown(h.village.Town) {
			fisherCands = append(fisherCands, h)
		}
	}
	w.topUpMonths(r)
	want := w.scaled(150, 3)
	for _, h := range fisherCands {
		if want == 0 {
			break
		}
		for _, p := range h.members {
			if p.status == active && fisherAge(p) {
				w.backgroundFisher(r, p)
				want--
				break
			}
		}
	}
}

// backgroundClaims draws 1-5 claims a year for a person, within the
// household's remaining budget; it returns the household's new total.
func (w *world) backgroundClaims(r *rand.Rand, p *person, spent int64) int64 {
	first := w.months()[0]
	span := int(w.asOf.Sub(first).Hours() / 24)
	n := int(math.Round(float64(between(r, 1, 5)) * medicalMonths / 12))
	assist := 0.0
	if p.hh.aid == aidCurrent {
		assist = 0.05 + r.Float64()*0.15
	}
	for range n {
		date := first.Add(days(r.IntN(span + 1)))
		var c *claim
		if r.IntN(100) < 12 {
			total := int64(between(r, 2000_00, 30000_00))
			fund := 0.55 + r.Float64()*0.2
			c = newClaim(p, date, pickHospital(r, true), total, fund, 0, assist)
		} else {
			total := int64(between(r, 30_00, 1500_00))
			c = newClaim(p, date, pickHospital(r, false), total, 0.3+r.Float64()*0.3, 0, 0)
		}
		if spent+c.oop >= backgroundOOPBudget {
			continue
		}
		spent += c.oop
		w.claims = append(w.claims, c)
	}
	return spent
}

// topUpMonths gives every monthly medical file at least minMonthClaims
// claims, even AsOf's month when AsOf is its first day: a small clinic
// visit each, which no household budget notices.
func (w *world) topUpMonths(r *rand.Rand) {
	const minMonthClaims = 3
	count := make([]int, medicalMonths)
	for _, c := range w.claims {
		count[w.monthIndex(c.date)]++
	}
	var people []*person
	for _, h := range w.households {
		if h.role.special() {
			continue
		}
		for _, p := range h.members {
			if p.status == active {
				people = append(people, p)
			}
		}
	}
	for i, m := range w.months() {
		last := m.AddDate(0, 1, -1)
		if last.After(w.asOf) {
			last = w.asOf
		}
		for count[i] < minMonthClaims {
			p := people[r.IntN(len(people))]
			c := newClaim(p, dateBetween(r, m, last), pickHospital(r, false), int64(between(r, 20_00, 150_00)), 0.5, 0, 0)
			if p.hh.oopSpent+c.oop >= backgroundOOPBudget {
				continue
			}
			p.hh.oopSpent += c.oop
			w.claims = append(w.claims, c)
			count[i]++
		}
	}
}

// pickHospital draws where a claim was settled: clinics for outpatient
// visits, county and city hospitals for stays.
func pickHospital(r *rand.Rand, inpatient bool) string {
	if inpatient {
		return []string{"示例县人民医院", "示例县中医院", "示例市第一人民医院", "示例市第二人民医院", "省立医院", "省肿瘤医院"}[r.IntN(6)]
	}
	return hospitals[r.IntN(len(hospitals)-2)]
}

// disability categories' weights per 100, in category order 1-7.
var categoryWeights = []int{12, 15, 3, 45, 10, 10, 5}

func pickCategory(r *rand.Rand) int {
	n := r.IntN(100)
	for i, wt := range categoryWeights {
		if n < wt {
			return i + 1
		}
		n -= wt
	}
	return 4
}

// backgroundCert issues a certificate that no rule should warn: severe
// ones at least two years ago, mild ones at any time.
func (w *world) backgroundCert(r *rand.Rand, p *person) {
	c := &cert{p: p, category: pickCategory(r)}
	earliest := p.birth.AddDate(1, 0, 0)
	if y := w.asOf.AddDate(-16, 0, 0); earliest.Before(y) {
		earliest = y
	}
	severeLatest := w.asOf.Add(-days(2*365 + 10))
	switch n := r.IntN(100); {
	case n < 30 && severeLatest.After(earliest):
		c.level = 1 + r.IntN(2)
		c.issued = dateBetween(r, earliest, severeLatest)
	default:
		c.level = 3 + r.IntN(2)
		c.issued = dateBetween(r, earliest, w.asOf.Add(-days(1)))
	}
	w.certs = append(w.certs, c)
}

// dateBetween is a uniform date in [a, b].
func dateBetween(r *rand.Rand, a, b time.Time) time.Time {
	n := int(b.Sub(a).Hours() / 24)
	if n <= 0 {
		return a
	}
	return a.Add(days(r.IntN(n + 1)))
}

// backgroundEvents writes a working-age person's employment history. Only
// in households at or above backgroundUnemployedMin may it end unemployed.
func (w *world) backgroundEvents(r *rand.Rand, p *person) {
	add := func(ev string, d time.Time) { w.events = append(w.events, &empEvent{p: p, event: ev, date: d}) }
	wellOff := p.hh.perCapita() >= backgroundUnemployedMin
	n := r.IntN(100)
	switch {
	case n < 55 || (!wellOff && n < 65):
		add(evEmployed, w.asOf.Add(-days(between(r, 30, 1000))))
	case n < 85 || !wellOff:
		d := w.asOf.Add(-days(between(r, 250, 1000)))
		add(evUnemployed, d)
		if r.IntN(2) == 0 {
			d = d.Add(days(between(r, 5, 30)))
			add(evBenefitStart, d)
			d = d.Add(days(between(r, 60, 150)))
			add(evBenefitEnd, d)
		}
		add(evEmployed, d.Add(days(between(r, 5, 60))))
	default:
		d := w.asOf.Add(-days(between(r, 20, 600)))
		add(evUnemployed, d)
		if d = d.Add(days(between(r, 5, 30))); d.Before(w.asOf) && r.IntN(2) == 0 {
			add(evBenefitStart, d)
		}
	}
}

// backgroundFisher records a fisher who was resettled or is insured.
func (w *world) backgroundFisher(r *rand.Rand, p *person) {
	f := &fisher{p: p, retired: retireDate(r), boat: w.boatCert(r), insured: r.IntN(100) < 75}
	age := p.age(w.asOf)
	switch n := r.IntN(100); {
	case age >= 58 && n < 60:
		f.resettle = rsRetired
	case n < 40:
		f.resettle = rsEmployed
	case n < 55:
		f.resettle = rsSelfEmployed
	case n < 75:
		f.resettle = rsWelfareJob
	default:
		f.resettle, f.insured = rsUnemployed, true
	}
	w.fishers = append(w.fishers, f)
}

// retireDate is when a fisher handed in his boat: 2020-2021.
func retireDate(r *rand.Rand) time.Time {
	return time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC).Add(days(r.IntN(731)))
}

// boatCert is a 渔船证号, unique in the county.
func (w *world) boatCert(r *rand.Rand) string {
	w.boatSeq++
	return fmt.Sprintf("皖示渔(%d)%04d号", between(r, 2005, 2018), w.boatSeq)
}

// addAid writes the household's assistance rows: one per member (a 特困
// person alone). Members who died or moved away before the start get no
// row; those who left later get a row ending shortly after, unless
// keepDead (the planted deceased recipient, whose row runs on).
func (w *world) addAid(r *rand.Rand, h *household, keepDead bool) {
	var start, end time.Time
	switch h.aid {
	case aidCurrent:
		start = w.asOf.Add(-days(between(r, 30, 2500)))
		if keepDead {
			start = w.asOf.Add(-days(between(r, 400, 2500)))
		}
		if r.IntN(100) < 20 {
			end = w.asOf.Add(days(between(r, 30, 400)))
		}
	case aidEnded:
		start = w.asOf.Add(-days(between(r, 800, 2500)))
		end = w.asOf.Add(-days(between(r, 30, 400)))
	}
	w.addAidRows(r, h, start, end, keepDead)
}

// addAidRows writes the rows of one period of assistance.
func (w *world) addAidRows(r *rand.Rand, h *household, start, end time.Time, keepDead bool) {
	cat := pickAidCategory(r, h)
	for _, p := range h.members {
		if cat == catTekun && p.relation != "户主" {
			continue
		}
		e := end
		if p.status != active && !keepDead {
			if !p.statusDate.After(start.Add(days(30))) {
				continue
			}
			if stop := p.statusDate.Add(days(between(r, 5, 25))); e.IsZero() || stop.Before(e) {
				e = stop
			}
		}
		w.aids = append(w.aids, &aid{p: p, category: cat, start: start, end: e, amount: aidAmount(r, cat), period: start})
	}
}

// pickAidCategory draws a category fitting the household: 特困 for old
// people living alone, 防止返贫监测 only in villages.
func pickAidCategory(r *rand.Rand, h *household) string {
	if len(h.members) == 1 && h.members[0].age(h.assessed) >= 60 && r.IntN(100) < 45 {
		return catTekun
	}
	switch n := r.IntN(100); {
	case n < 60:
		return catDibao
	case n < 75:
		return catDibian
	case n < 83:
		return catRigid
	case n < 95 && !h.village.Urban:
		return catFangfan
	default:
		return catOther
	}
}

// aidAmount is a row's monthly amount in fen; monitored households get no
// money.
func aidAmount(r *rand.Rand, cat string) int64 {
	var lo, hi int
	switch cat {
	case catDibao:
		lo, hi = 20, 70
	case catTekun:
		lo, hi = 80, 120
	case catDibian, catOther:
		lo, hi = 10, 30
	case catRigid:
		lo, hi = 20, 50
	default:
		return 0
	}
	return int64(between(r, lo, hi)) * 10 * 100
}
