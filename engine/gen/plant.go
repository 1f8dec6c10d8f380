package gen

import (
	"math/rand/v2"
	"time"
)

// Planted situations and decoys, placed relative to AsOf.

// Thresholds the planted situations are built around (see Params).
const (
	plantedOOPMin      = 25000_00 // fen: planted 12-month 个人自付 at least this
	medicalThreshold   = 20000    // yuan over 12 months
	severeDays         = 90
	dibaoStandard      = 780
	lowIncomeLine      = 1170
	unemployedWindow   = 365 // days: a 失业登记 this recent counts
	outOfCountyPatient = 3
)

// plant writes the records of every planted household and decoy, and the
// out-of-county patients.
func (w *world) plant(r *rand.Rand) error {
	for _, h := range w.households {
		if !h.role.special() {
			continue
		}
		for _, pk := range h.role.picks {
			w.plantSignal(r, pk)
		}
		if h.role.decoy != "" {
			w.plantDecoy(r, h, h.role.decoy, h.role.decoyP)
		}
		switch {
		case h.hasSignal(SignalDeceasedRecipient):
			w.addAid(r, h, true)
		case h.role.decoy == DecoyDeceasedAssistanceEnds:
			dead := h.role.decoyP
			start := dead.statusDate.Add(-days(between(r, 300, 1500)))
			w.addAidRows(r, h, start, dead.statusDate.Add(days(between(r, 5, 40))), false)
		case h.aid != aidNone:
			w.addAid(r, h, false)
		}
		pl := &Planted{HouseholdID: h.id, TownshipCode: h.village.Town.Code, AssistanceEnded: h.aid == aidEnded && len(h.role.picks) > 0}
		for _, pk := range h.role.picks {
			pl.Signals = append(pl.Signals, PlantedSignal{Signal: pk.signal, IDNumber: pk.p.id})
		}
		if len(pl.Signals) > 0 {
			w.planted = append(w.planted, pl)
		}
		if h.role.decoy != "" {
			w.decoys = append(w.decoys, Decoy{HouseholdID: h.id, Kind: h.role.decoy, IDNumber: h.role.decoyP.id})
		}
	}
	for range outOfCountyPatient {
		if w.block > 0 {
			break // a county drawn in blocks has them in block 0
		}
		p := w.newOutsider(r)
		w.plantSignal(r, pick{SignalMedicalOOP, p})
		w.planted = append(w.planted, &Planted{Signals: []PlantedSignal{{Signal: SignalMedicalOOP, IDNumber: p.id}}})
	}
	w.sortPlanted()
	w.belowRigidShare()
	return nil
}

// belowSingleStay evens out a medical_below decoy's settlements when one
// reaches the single-stay line (MED-SINGLE-STAY-UNCOVERED): the total
// stays, each is below 10,000. It draws nothing.
func (w *world) belowSingleStay(cs []*claim) {
	var sum, most int64
	for _, c := range cs {
		sum, most = sum+c.oop, max(most, c.oop)
	}
	if most < singleStayLine*100 {
		return
	}
	for _, c := range cs {
		fund, crit := float64(c.fund)/float64(c.total), float64(c.critical)/float64(c.total)
		*c = *claimWithOOP(c.p, c.date, c.hospital, sum/int64(len(cs)), fund, crit)
	}
}

// belowRigidShare raises the assessed income of a medical_below decoy's
// household whose costs would be rigid spending over the share
// (RIGID-SPENDING-UNCOVERED): to twice its costs. It draws nothing.
func (w *world) belowRigidShare() {
	// The decoys' 个人自付, summed in one pass over the claims (not one
	// per decoy: that made planting quadratic in the county's size).
	sums := map[*household]int64{}
	for _, h := range w.households {
		if h.role.decoy == DecoyMedicalBelow {
			sums[h] = 0
		}
	}
	for _, c := range w.claims {
		if s, ok := sums[c.p.hh]; ok {
			sums[c.p.hh] = s + c.oop
		}
	}
	for _, h := range w.households {
		if h.role.decoy != DecoyMedicalBelow {
			continue
		}
		if sum := sums[h]; float64(sum) > 0.59*float64(h.income) {
			h.income = (2*sum/100_00 + 1) * 100_00
		}
	}
}

func (w *world) plantSignal(r *rand.Rand, pk pick) {
	p := pk.p
	switch pk.signal {
	case SignalMedicalOOP:
		w.bigClaims(r, p, int64(between(r, 26000, 60000))*100, w.asOf.Add(-days(320)), w.asOf.Add(-days(3)), 2, 6)
	case SignalDisabilityNew:
		w.certs = append(w.certs, &cert{p: p, category: pickCategory(r), level: 1 + r.IntN(2), issued: w.asOf.Add(-days(between(r, 10, 80)))})
	case SignalUnemployedLowIncome:
		w.unemployedNow(r, p)
	case SignalFisherUnresettled:
		w.fishers = append(w.fishers, &fisher{p: p, retired: retireDate(r), boat: w.boatCert(r), resettle: rsUnemployed, insured: false})
	case SignalDeceasedRecipient:
		// The death is in the registry (plantStatus); the current row is
		// written with the household's assistance.
	}
}

func (w *world) plantDecoy(r *rand.Rand, h *household, kind string, p *person) {
	switch kind {
	case DecoyMedicalCovered:
		w.bigClaims(r, p, int64(between(r, 26000, 50000))*100, w.asOf.Add(-days(320)), w.asOf.Add(-days(3)), 2, 5)
	case DecoyMedicalBelow:
		n := len(w.claims)
		w.bigClaims(r, p, int64(between(r, 15300, 18500))*100, w.asOf.Add(-days(320)), w.asOf.Add(-days(3)), 2, 4)
		w.belowSingleStay(w.claims[n:])
	case DecoyMedicalOld:
		w.bigClaims(r, p, int64(between(r, 26000, 50000))*100, w.months()[0], w.asOf.AddDate(0, -13, 0), 2, 4)
	case DecoyDisabilityOld:
		w.certs = append(w.certs, &cert{p: p, category: pickCategory(r), level: 1 + r.IntN(2), issued: w.asOf.Add(-days(between(r, 120, 400)))})
	case DecoyDisabilityMild:
		w.certs = append(w.certs, &cert{p: p, category: pickCategory(r), level: 3 + r.IntN(2), issued: w.asOf.Add(-days(between(r, 10, 80)))})
	case DecoyUnemployedHighIncome:
		w.unemployedNow(r, p)
	case DecoyUnemployedReemployed:
		w.events = append(w.events,
			&empEvent{p: p, event: evUnemployed, date: w.asOf.Add(-days(between(r, 120, 300)))},
			&empEvent{p: p, event: evEmployed, date: w.asOf.Add(-days(between(r, 5, 90)))})
	case DecoyFisherInsured:
		w.fishers = append(w.fishers, &fisher{p: p, retired: retireDate(r), boat: w.boatCert(r), resettle: rsUnemployed, insured: true})
	case DecoyFisherEmployed:
		w.fishers = append(w.fishers, &fisher{p: p, retired: retireDate(r), boat: w.boatCert(r), resettle: rsEmployed, insured: false})
	case DecoyDeceasedNoAssistance, DecoyDeceasedAssistanceEnds:
		// Registry status set in plantStatus; rows (if any) in plant.
	}
}

// unemployedNow registers a person unemployed 20-300 days before AsOf, with
// sometimes an older job, and nothing after.
func (w *world) unemployedNow(r *rand.Rand, p *person) {
	d := w.asOf.Add(-days(between(r, 20, 300)))
	if r.IntN(2) == 0 {
		w.events = append(w.events, &empEvent{p: p, event: evEmployed, date: d.Add(-days(between(r, 300, 1200)))})
	}
	w.events = append(w.events, &empEvent{p: p, event: evUnemployed, date: d})
}

// bigClaims spreads a 个人自付 total of about oop fen over lo-hi inpatient
// claims dated in [from, to].
func (w *world) bigClaims(r *rand.Rand, p *person, oop int64, from, to time.Time, lo, hi int) {
	n := between(r, lo, hi)
	weights := make([]float64, n)
	sum := 0.0
	for i := range weights {
		weights[i] = 1 + r.Float64()
		sum += weights[i]
	}
	for i := range n {
		part := int64(float64(oop) * weights[i] / sum)
		crit := 0.0
		if part > 8000_00 {
			crit = 0.05 + r.Float64()*0.1
		}
		c := claimWithOOP(p, dateBetween(r, from, to), pickHospital(r, true), part, 0.45+r.Float64()*0.15, crit)
		w.claims = append(w.claims, c)
	}
}
