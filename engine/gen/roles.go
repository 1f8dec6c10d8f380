package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// Signals a rule is expected to raise, as named in truth.json.
const (
	SignalMedicalOOP          = "medical_oop"
	SignalDisabilityNew       = "disability_new"
	SignalUnemployedLowIncome = "unemployed_low_income"
	SignalFisherUnresettled   = "fisher_unresettled"
	SignalDeceasedRecipient   = "deceased_recipient"
)

// Asset signals (应退尽退): a member of an aided household — one with an
// assistance row in force on AsOf of category dibao, tekun, dibian or rigid
// — holds what bars assistance. Each is planted alone on an aided
// background household (see assets.go).
const (
	SignalVehicleRecipient        = "vehicle_recipient"         // an active car or truck
	SignalPropertyRecipient       = "property_recipient"        // a second home, or a shop, garage or office
	SignalBusinessRecipient       = "business_recipient"        // an active enterprise or 个体工商户 with employees
	SignalFamilyShopRecipient     = "family_shop_recipient"     // an active 个体工商户 with no employees
	SignalPublicEmployeeRecipient = "public_employee_recipient" // a public employee now
	SignalSteadyWageRecipient     = "steady_wage_recipient"     // 8+ months of wage contributions >= 2,500
)

// Decoy kinds: near misses that no rule may warn.
const (
	DecoyMedicalCovered         = "medical_covered"           // large 个人自付, household covered
	DecoyMedicalBelow           = "medical_below"             // 12-month sum 15,000-19,000
	DecoyMedicalOld             = "medical_old"               // large costs 13-14 months ago only
	DecoyDisabilityOld          = "disability_old"            // level 1-2 issued 120-400 days ago
	DecoyDisabilityMild         = "disability_mild"           // level 3-4 issued 10-80 days ago
	DecoyUnemployedHighIncome   = "unemployed_high_income"    // unemployed, per-capita >= 2,500
	DecoyUnemployedReemployed   = "unemployed_reemployed"     // 失业登记 then 就业登记 later
	DecoyFisherInsured          = "fisher_insured"            // 未就业 but insured
	DecoyFisherEmployed         = "fisher_employed"           // 就业, not insured
	DecoyDeceasedNoAssistance   = "deceased_no_assistance"    // deceased, never assisted
	DecoyDeceasedAssistanceEnds = "deceased_assistance_ended" // deceased, assistance ended before AsOf
)

// Asset decoys: near misses of the asset signals, on aided background
// households unless said otherwise.
const (
	DecoyVehicleExcepted    = "vehicle_excepted"     // an active mobility vehicle, motorcycle or farm vehicle
	DecoyVehicleCancelled   = "vehicle_cancelled"    // a car cancelled or scrapped before AsOf
	DecoyVehicleUnaided     = "vehicle_unaided"      // an active car in a household not aided
	DecoyPropertyOneHome    = "property_one_home"    // exactly one home (some co-owned: two rows, one certificate)
	DecoyPropertySold       = "property_sold"        // two homes, one 注销 before AsOf
	DecoyBusinessCancelled  = "business_cancelled"   // an enterprise with employees, 注销 or 吊销 before AsOf
	DecoyPublicEmployeeLeft = "public_employee_left" // public employment ended before AsOf
	DecoyWageBelowLine      = "wage_below_line"      // 12 months in the window, base 1,500-1,924
	DecoyWageOld            = "wage_old"             // 8+ months above the line, all 13-24 months before AsOf
	DecoyWageFewMonths      = "wage_few_months"      // 3-5 months in the window above the line
	DecoyResidentPension    = "resident_pension"     // 12 months of 城乡居民养老保险 in the window
)

// aidState is a household's assistance.
type aidState int

const (
	aidNone    aidState = iota
	aidCurrent          // covered on AsOf
	aidEnded            // had assistance that ended before AsOf
)

// pick is one planted signal on one person.
type pick struct {
	signal string
	p      *person
}

// role says why a household exists.
type role struct {
	picks  []pick  // planted signals
	decoy  string  // decoy kind
	decoyP *person // the decoy's person
}

func (r role) special() bool { return len(r.picks) > 0 || r.decoy != "" }

// eligible returns the member who can carry a signal or decoy kind, or nil.
func (w *world) eligible(r *rand.Rand, h *household, kind string) *person {
	var cands []*person
	for _, p := range h.members {
		if p.status != active {
			continue
		}
		age := p.age(w.asOf)
		ok := false
		switch kind {
		case SignalMedicalOOP, DecoyMedicalCovered, DecoyMedicalBelow, DecoyMedicalOld:
			ok = age >= 18
		case SignalDisabilityNew, DecoyDisabilityOld, DecoyDisabilityMild:
			ok = age >= 2
		case SignalUnemployedLowIncome, DecoyUnemployedHighIncome, DecoyUnemployedReemployed:
			ok = age >= 20 && age <= 58
		case SignalFisherUnresettled, DecoyFisherInsured, DecoyFisherEmployed:
			ok = fisherAge(p)
		case SignalDeceasedRecipient, DecoyDeceasedNoAssistance, DecoyDeceasedAssistanceEnds:
			ok = p.relation != "户主" && age >= 30 && len(h.members) >= 2
		}
		if ok {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[r.IntN(len(cands))]
}

// fisherAge is a man of working age when the fishing ban began (2020-2021).
func fisherAge(p *person) bool {
	return p.male && p.birth.Year() >= 1960 && p.birth.Year() <= 1996
}

// fishingTown reports townships along the river, where fishers live.
func fishingTown(t *township) bool {
	switch t.Name {
	case "河口乡", "东山镇", "白沙镇", "双河乡":
		return true
	}
	return false
}

// assignRoles picks the planted households, the decoys and the background
// households with assistance, in a fixed order over a seeded shuffle.
func (w *world) assignRoles(r *rand.Rand) error {
	order := r.Perm(len(w.households))
	taken := make([]bool, len(w.households))
	// next skips the taken households of order: next[j] is j, or leads
	// (with path compression) towards the next position that may be free,
	// so a scan does not walk over every household taken before.
	next := make([]int32, len(order)+1)
	for j := range next {
		next[j] = int32(j)
	}
	find := func(j int) int {
		root := j
		for int(next[root]) != root {
			root = int(next[root])
		}
		for int(next[j]) != root {
			j, next[j] = int(next[j]), int32(root)
		}
		return root
	}
	// take returns the next free household (fishing townships first when
	// asked) that can carry all kinds, with the chosen members.
	take := func(kinds []string, fishing bool) (*household, []*person) {
		for pass := 0; pass < 2; pass++ {
			for j := find(0); j < len(order); j = find(j + 1) {
				i := order[j]
				h := w.households[i]
				if taken[i] {
					next[j] = int32(j + 1)
					continue
				}
				if pass == 0 && fishing && !fishingTown(h.village.Town) {
					continue
				}
				var ps []*person
				for _, k := range kinds {
					p := w.eligible(r, h, k)
					if p == nil {
						break
					}
					ps = append(ps, p)
				}
				if len(ps) == len(kinds) {
					taken[i], next[j] = true, int32(j+1)
					return h, ps
				}
			}
		}
		return nil, nil
	}
	single := []struct {
		signal string
		n      int
	}{
		{SignalMedicalOOP, 40}, {SignalDisabilityNew, 30}, {SignalUnemployedLowIncome, 30},
		{SignalFisherUnresettled, 25}, {SignalDeceasedRecipient, 12},
	}
	var planted []*household
	for _, s := range single {
		for range w.scaled(s.n, 3) {
			h, ps := take([]string{s.signal}, s.signal == SignalFisherUnresettled)
			if h == nil {
				return fmt.Errorf("%w: county too small to plant %s", ErrOptions, s.signal)
			}
			h.role.picks = []pick{{s.signal, ps[0]}}
			planted = append(planted, h)
		}
	}
	combos := [][]string{
		{SignalMedicalOOP, SignalDisabilityNew},
		{SignalMedicalOOP, SignalUnemployedLowIncome},
		{SignalDisabilityNew, SignalFisherUnresettled},
		{SignalMedicalOOP, SignalDisabilityNew, SignalUnemployedLowIncome},
		{SignalUnemployedLowIncome, SignalFisherUnresettled},
		{SignalMedicalOOP, SignalFisherUnresettled, SignalDisabilityNew},
	}
	for i := range w.scaled(10, 3) {
		kinds := combos[i%len(combos)]
		h, ps := take(kinds, slices.Contains(kinds, SignalFisherUnresettled))
		if h == nil {
			return fmt.Errorf("%w: county too small to plant %v", ErrOptions, kinds)
		}
		for j, k := range kinds {
			h.role.picks = append(h.role.picks, pick{k, ps[j]})
		}
		planted = append(planted, h)
	}
	decoys := []string{
		DecoyMedicalCovered, DecoyMedicalBelow, DecoyMedicalOld, DecoyDisabilityOld, DecoyDisabilityMild,
		DecoyUnemployedHighIncome, DecoyUnemployedReemployed, DecoyFisherInsured, DecoyFisherEmployed,
		DecoyDeceasedNoAssistance, DecoyDeceasedAssistanceEnds,
	}
	for _, k := range decoys {
		for range w.scaled(6, 2) {
			h, ps := take([]string{k}, k == DecoyFisherInsured || k == DecoyFisherEmployed)
			if h == nil {
				return fmt.Errorf("%w: county too small for decoy %s", ErrOptions, k)
			}
			h.role.decoy, h.role.decoyP = k, ps[0]
		}
	}
	// Assistance states of the special households.
	for _, h := range w.households {
		switch {
		case h.role.decoy == DecoyMedicalCovered:
			h.aid = aidCurrent
		case h.role.decoy == DecoyDeceasedAssistanceEnds:
			h.aid = aidEnded
		case len(h.role.picks) == 1 && h.role.picks[0].signal == SignalDeceasedRecipient:
			h.aid = aidCurrent
		}
	}
	// Some planted households were assisted once: their rows ended before
	// AsOf, so they are not covered.
	// Spread them over the signals: planted is in signal order.
	wantEnded := w.scaled(5, 2)
	for i := 0; i < len(planted) && wantEnded > 0; i += max(len(planted)/w.scaled(5, 2), 1) {
		if h := planted[i]; h.aid == aidNone {
			h.aid = aidEnded
			wantEnded--
		}
	}
	// Background: about 6% covered in all, 1.5% assisted in the past;
	// deaths and moves among the rest.
	covered := 0
	for _, h := range w.households {
		if h.aid == aidCurrent {
			covered++
		}
	}
	wantCovered := int(math.Round(0.06 * float64(len(w.households))))
	wantEnded = w.scaled(75, 2)
	for _, i := range order {
		h := w.households[i]
		if taken[i] {
			continue
		}
		switch {
		case covered < wantCovered:
			h.aid = aidCurrent
			covered++
		case wantEnded > 0:
			h.aid = aidEnded
			wantEnded--
		}
	}
	for _, i := range order {
		if !taken[i] {
			w.backgroundStatus(r, w.households[i])
		}
	}
	w.plantStatus(r)
	w.assignIncome(r)
	return nil
}

// backgroundStatus lets some non-head members die or move away, at least
// 60 days before AsOf.
func (w *world) backgroundStatus(r *rand.Rand, h *household) {
	for _, p := range h.members {
		if p.relation == "户主" {
			continue
		}
		age := p.age(w.asOf)
		switch n := r.IntN(1000); {
		case age >= 60 && n < 25:
			p.status = deceased
		case age >= 18 && age <= 45 && n < 12:
			p.status = cancelled
		default:
			continue
		}
		p.statusDate = w.asOf.Add(-days(between(r, 60, 1500)))
		if !p.statusDate.After(p.birth) {
			p.status, p.statusDate = active, time.Time{}
		}
	}
}

// plantStatus marks the deceased of the planted situations and decoys.
func (w *world) plantStatus(r *rand.Rand) {
	for _, h := range w.households {
		var p *person
		switch {
		case h.role.decoy == DecoyDeceasedNoAssistance || h.role.decoy == DecoyDeceasedAssistanceEnds:
			p = h.role.decoyP
		case len(h.role.picks) == 1 && h.role.picks[0].signal == SignalDeceasedRecipient:
			p = h.role.picks[0].p
		default:
			continue
		}
		p.status = deceased
		if r.IntN(5) == 0 {
			p.status = cancelled
		}
		p.statusDate = w.asOf.Add(-days(between(r, 60, 300)))
	}
}

// assignIncome sets each household's assessed annual income from its role:
// covered households are poor, the unemployed planted ones below 900 yuan a
// month per head, everyone else clearly above the low-income line.
func (w *world) assignIncome(r *rand.Rand) {
	for _, h := range w.households {
		var lo, hi float64
		switch {
		case h.hasSignal(SignalUnemployedLowIncome) || h.role.decoy == DecoyUnemployedReemployed:
			lo, hi = 350, 860
		case h.role.decoy == DecoyUnemployedHighIncome:
			lo, hi = 2700, 6000
		case h.aid == aidCurrent:
			lo, hi = 300, 1100
		case h.aid == aidEnded:
			lo, hi = 1400, 2400
		default:
			v := min(1400+math.Exp(r.NormFloat64()*0.8+7.0), 30000)
			lo, hi = v, v
		}
		pc := lo + r.Float64()*(hi-lo)
		n := float64(max(h.activeCount(), 1))
		h.income = int64(math.Round(pc*n*12/100)) * 100 * 100 // whole hundreds of yuan, in fen
		h.assessed = w.asOf.Add(-days(between(r, 30, 700)))
	}
}

func (h *household) hasSignal(s string) bool {
	for _, p := range h.role.picks {
		if p.signal == s {
			return true
		}
	}
	return false
}
