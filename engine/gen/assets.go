package gen

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// The assets of the county (issue 13): motor vehicles, real property,
// business registrations, social insurance and housing fund contributions,
// and public employment. They are drawn after the other files are built,
// from streams of their own ("assets:…", "file:vehicles", …), so adding
// them changed none of the other files.
//
// The integrity checks they feed (应退尽退) concern aided households: a
// household is aided when a member has an assistance row in force on AsOf
// (开始日期 <= AsOf, 结束日期 empty or >= AsOf) of category dibao, tekun,
// dibian or rigid — not fangfan, not other. Aided background households
// hold nothing that bars assistance: at most one home in force,
// motorcycles, farm and mobility vehicles, things cancelled or ended before
// AsOf, 城乡居民养老保险, and wage contributions on a base below
// aidedWageMax. The asset signals are each planted alone on an aided
// background household, beside decoys that miss by one condition.

// aidedCategories are the assistance categories that make a household
// aided for the asset checks.
var aidedCategories = []string{catDibao, catTekun, catDibian, catRigid}

// Thresholds the asset signals are built around (see Params).
const (
	wageBaseLine     = 2000 // yuan a month: a contribution base at or above it is a wage
	wageMonths       = 6    // distinct months at or above the line within the window
	wageWindowMonths = 12   // AsOf's month and the 11 before it
	plantedWageMin   = 2500 // yuan: planted and decoy bases "above the line" start here
	aidedWageMax     = 1800 // yuan: aided background bases start at most here (1,872 after a July raise)
)

// Asset records, canonical. Dates are UTC midnights; a zero date is none.

// vehicle is one motor vehicle registration (the current row).
type vehicle struct {
	plate      string
	p          *person // 所有人
	vtype      string  // car, truck, motorcycle, disabled_mobility, farm
	registered time.Time
	status     string // active, cancelled, scrapped
	cancelled  time.Time
}

// property is one real property certificate; co-owners (共同共有) each
// have a row of it, with the same certificate number.
type property struct {
	cert       string
	owners     []*person
	purpose    string // residential, shop, garage, office, industrial
	rural      bool   // a 宅基地 home
	area       int64  // hundredths of m²
	registered time.Time
	status     string // active, cancelled
	cancelled  time.Time
}

// business is one market entity and its legal representative (operator).
type business struct {
	code        string // 统一社会信用代码
	name        string // 主体名称
	p           *person
	etype       string // enterprise, individual, cooperative
	employees   int    // -1: not reported
	status      string // active, suspended, revoked, cancelled
	established time.Time
	cancelled   time.Time
}

// contribRun is a run of contributions of one person, scheme and employer
// over consecutive months (annual: one per year, each January). The base
// rises 4% every July after the first month, as bases are reset yearly.
type contribRun struct {
	p        *person
	scheme   string
	employer string
	first    time.Time // first month's first day
	months   int       // rows (years, when annual)
	base     int64     // fen a month in the first month; 0: not written
	annual   bool
}

// each calls fn for every row of the run: the month and its base.
func (c *contribRun) each(fn func(month time.Time, base int64)) {
	raises := 0
	for i := range c.months {
		m := c.first.AddDate(0, i, 0)
		if c.annual {
			m = c.first.AddDate(i, 0, 0)
		} else if i > 0 && m.Month() == time.July {
			raises++
		}
		base := c.base
		if base > 0 && raises > 0 {
			base = int64(math.Round(float64(c.base)*(1+0.04*float64(raises))/100)) * 100
		}
		fn(m, base)
	}
}

// publicJob is one public employee's post (财政供养).
type publicJob struct {
	p          *person
	employer   string
	start, end time.Time
}

// assetRole is a household's asset signal or decoy and its person.
type assetRole struct {
	kind string
	p    *person
}

// assetKind is what an asset signal or decoy needs of its household.
type assetKind struct {
	kind           string
	signal         bool
	unaided        bool // on a household that is not aided
	minAge, maxAge int  // the person's age on AsOf
}

// assetKinds in the order they are handed out: one of each in turn, so
// that a small county gets a few of every kind before more of any.
var assetKinds = []assetKind{
	{SignalVehicleRecipient, true, false, 18, 70},
	{SignalPropertyRecipient, true, false, 22, 85},
	{SignalBusinessRecipient, true, false, 20, 65},
	{SignalFamilyShopRecipient, true, false, 20, 65},
	{SignalPublicEmployeeRecipient, true, false, 20, 60},
	{SignalSteadyWageRecipient, true, false, 20, 58},
	{DecoyVehicleExcepted, false, false, 18, 80},
	{DecoyVehicleCancelled, false, false, 25, 85},
	{DecoyVehicleUnaided, false, true, 18, 70},
	{DecoyPropertyOneHome, false, false, 22, 85},
	{DecoyPropertySold, false, false, 30, 85},
	{DecoyBusinessCancelled, false, false, 25, 70},
	{DecoyPublicEmployeeLeft, false, false, 25, 65},
	{DecoyWageBelowLine, false, false, 20, 58},
	{DecoyWageOld, false, false, 22, 58},
	{DecoyWageFewMonths, false, false, 20, 58},
	{DecoyResidentPension, false, false, 20, 59},
}

// quota is how many households get the kind: about 5 of each signal and 3
// of each decoy per 5,000 households.
func (k assetKind) quota(w *world) int {
	if k.signal {
		return w.scaled(5, 1)
	}
	return w.scaled(3, 1)
}

// assets draws the asset roles, their records and the background of the
// asset files.
func (w *world) assets() {
	w.plateSeen, w.codeSeen = newPlateSet(), map[string]bool{}
	if w.blk != nil {
		w.plateSeen, w.codeSeen = w.blk.plates, w.blk.codes
	}
	aided := w.aidedHouseholds()
	w.assetRoles(w.rng("assets:roles"), aided)
	w.plantAssets(w.rng("assets:plant"))
	w.backgroundAssets(w.rng("assets:background"), aided)
	w.topUpAssets(w.rng("assets:topup"), aided)
}

// topUpAssets gives every asset file a few records even in a small
// county, from adults of households with no role and no aid, to whom
// nothing is barred.
func (w *world) topUpAssets(r *rand.Rand, aided map[*household]bool) {
	const least = 3
	var pool []*person
	for _, h := range w.households {
		if h.role.special() || h.asset.kind != "" || aided[h] {
			continue
		}
		for _, p := range h.members {
			if a := p.age(w.asOf); p.status == active && a >= 22 && a <= 58 {
				pool = append(pool, p)
			}
		}
	}
	if len(pool) == 0 {
		return // the files are refused as too small
	}
	some := func() *person { return pool[r.IntN(len(pool))] }
	for len(w.vehicles) < least {
		p := some()
		w.addVehicle(r, p, "car", w.ago(r, p, 1, 5000, 18), "active", time.Time{})
	}
	for len(w.properties) < least {
		p := some()
		w.addHome(r, p.hh, []*person{p}, w.ago(r, p, 60, 9000, 20), "active", time.Time{})
	}
	for len(w.businesses) < least {
		w.backgroundBusiness(r, some())
	}
	for len(w.contribs) < least {
		w.steadyJob(r, some())
	}
	for len(w.publicJobs) < least {
		p := some()
		w.addJob(r, p, w.ago(r, p, 30, 30*365, 21), time.Time{})
	}
}

// aidedHouseholds are the households with an assistance row in force on
// AsOf of one of aidedCategories.
func (w *world) aidedHouseholds() map[*household]bool {
	out := map[*household]bool{}
	for _, a := range w.aids {
		if slices.Contains(aidedCategories, a.category) && !a.start.After(w.asOf) && (a.end.IsZero() || !a.end.Before(w.asOf)) {
			out[a.p.hh] = true
		}
	}
	return out
}

// assetRoles hands the asset kinds out, in turns, over a seeded shuffle of
// the background households no bad row of the other files is about. The
// unaided decoys go first to households assisted in a way that is not
// aid (防止返贫监测, other, or ended), the nearest misses.
func (w *world) assetRoles(r *rand.Rand, aided map[*household]bool) {
	var poolA, poolU, poolNone []*household
	for _, i := range r.Perm(len(w.households)) {
		h := w.households[i]
		switch {
		case h.role.special() || w.badTouched[h]:
		case aided[h]:
			poolA = append(poolA, h)
		case h.aid != aidNone:
			poolU = append(poolU, h)
		default:
			poolNone = append(poolNone, h)
		}
	}
	poolU = append(poolU, poolNone...)
	count := map[string]int{}
	for progress := true; progress; {
		progress = false
		for _, k := range assetKinds {
			if count[k.kind] >= k.quota(w) {
				continue
			}
			pool := &poolA
			if k.unaided {
				pool = &poolU
			}
			for j, h := range *pool {
				if p := w.assetEligible(r, h, k); p != nil {
					h.asset = assetRole{k.kind, p}
					*pool = slices.Delete(*pool, j, j+1)
					count[k.kind]++
					progress = true
					break
				}
			}
		}
	}
}

// assetEligible draws the active member of the age a kind needs, or nil.
func (w *world) assetEligible(r *rand.Rand, h *household, k assetKind) *person {
	var cands []*person
	for _, p := range h.members {
		if age := p.age(w.asOf); p.status == active && age >= k.minAge && age <= k.maxAge {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[r.IntN(len(cands))]
}

// plantAssets writes the records of every asset signal and decoy and adds
// them to the planted households and decoys of truth.
func (w *world) plantAssets(r *rand.Rand) {
	seen := map[string]int{}
	for _, h := range w.households {
		a := h.asset
		if a.kind == "" {
			continue
		}
		w.plantAsset(r, h, a.kind, a.p, seen[a.kind])
		seen[a.kind]++
		if slices.ContainsFunc(assetKinds, func(k assetKind) bool { return k.kind == a.kind && k.signal }) {
			w.planted = append(w.planted, &Planted{HouseholdID: h.id, TownshipCode: h.village.Town.Code,
				Signals: []PlantedSignal{{Signal: a.kind, IDNumber: a.p.id}}})
		} else {
			w.decoys = append(w.decoys, Decoy{HouseholdID: h.id, Kind: a.kind, IDNumber: a.p.id})
		}
	}
	w.sortPlanted()
}

// plantAsset writes one signal's or decoy's records; i counts the earlier
// households of the kind, to vary them.
func (w *world) plantAsset(r *rand.Rand, h *household, kind string, p *person, i int) {
	switch kind {
	case SignalVehicleRecipient, DecoyVehicleUnaided:
		vt := "car"
		if kind == SignalVehicleRecipient && i%4 == 3 {
			vt = "truck"
		}
		w.addVehicle(r, p, vt, w.ago(r, p, 60, 3000, 18), "active", time.Time{})
	case SignalPropertyRecipient:
		// In turn: a second home, a shop, a garage (or parking space), a
		// second home, an office.
		if v := i % 5; v == 0 || v == 3 {
			// The first home the family's (the head's, or the couple's);
			// the second, later, the person's.
			head, spouse := w.holders(h)
			second := w.ago(r, p, 60, 2000, 20)
			w.addHome(r, h, []*person{head, spouse}, w.agoBefore(r, head, second, 365, 7000, 20), "active", time.Time{})
			w.addProperty(r, h, []*person{p}, "residential", second, "active", time.Time{})
			return
		}
		purpose := map[int]string{1: "shop", 2: "garage", 4: "office"}[i%5]
		w.addProperty(r, h, []*person{p}, purpose, w.ago(r, p, 60, 3500, 20), "active", time.Time{})
		if i%5 != 2 {
			head, spouse := w.holders(h)
			w.addHome(r, h, []*person{head, spouse}, w.ago(r, head, 1000, 7000, 20), "active", time.Time{})
		}
	case SignalBusinessRecipient:
		if i%3 == 2 {
			w.addBusiness(r, p, "individual", between(r, 1, 5), "active", w.ago(r, p, 90, 3600, 20), time.Time{})
		} else {
			w.addBusiness(r, p, "enterprise", between(r, 2, 30), "active", w.ago(r, p, 90, 3600, 20), time.Time{})
		}
	case SignalFamilyShopRecipient:
		w.addBusiness(r, p, "individual", 0, "active", w.ago(r, p, 60, 3600, 20), time.Time{})
	case SignalPublicEmployeeRecipient:
		var end time.Time
		if i%4 == 3 {
			end = w.asOf.Add(days(between(r, 60, 1500))) // a contract's end, after AsOf
		}
		w.addJob(r, p, w.ago(r, p, 60, 25*365, 20), end)
	case SignalSteadyWageRecipient:
		employer := pickText(r, companies...)
		var first time.Time
		var n int
		if i%2 == 0 {
			// Working there for years: the run covers the whole window.
			n = between(r, 14, 40)
			first = w.monthBack(n - 1 + r.IntN(2))
		} else {
			// A job of 8-12 months inside the window.
			n = between(r, 8, wageWindowMonths)
			first = w.monthBack(n - 1 + r.IntN(wageWindowMonths-n+1))
		}
		base := int64(between(r, plantedWageMin/10, 600)) * 10 * 100
		w.contribs = append(w.contribs, &contribRun{p: p, scheme: "employee_pension", employer: employer, first: first, months: n, base: base})
		if i%3 != 1 {
			w.contribs = append(w.contribs, &contribRun{p: p, scheme: "housing_fund", employer: employer, first: first, months: n, base: base})
		}
	case DecoyVehicleExcepted:
		vt := []string{"disabled_mobility", "motorcycle", "farm"}[i%3]
		w.addVehicle(r, p, vt, w.ago(r, p, 60, 3000, 18), "active", time.Time{})
	case DecoyVehicleCancelled:
		status := []string{"cancelled", "scrapped"}[i%2]
		end := w.asOf.Add(-days(between(r, 30, 1500)))
		w.addVehicle(r, p, "car", w.agoBefore(r, p, end, 365, 15*365, 18), status, end)
	case DecoyPropertyOneHome:
		owners := []*person{p}
		if i%2 == 0 {
			if s := w.spouse(h, p); s != nil {
				owners = append(owners, s)
			}
		}
		w.addHome(r, h, owners, w.ago(r, p, 300, 9000, 20), "active", time.Time{})
	case DecoyPropertySold:
		end := w.asOf.Add(-days(between(r, 30, 900)))
		w.addHome(r, h, []*person{p}, w.agoBefore(r, p, end, 365, 12*365, 20), "cancelled", end)
		head, spouse := w.holders(h)
		w.addHome(r, h, []*person{head, spouse}, w.ago(r, head, 60, 6000, 20), "active", time.Time{})
	case DecoyBusinessCancelled:
		status := []string{"cancelled", "revoked"}[i%2]
		end := w.asOf.Add(-days(between(r, 30, 1200)))
		w.addBusiness(r, p, "enterprise", between(r, 2, 30), status, w.agoBefore(r, p, end, 365, 12*365, 20), end)
	case DecoyPublicEmployeeLeft:
		end := w.asOf.Add(-days(between(r, 30, 1500)))
		w.addJob(r, p, w.agoBefore(r, p, end, 365, 20*365, 20), end)
	case DecoyWageBelowLine:
		base := int64(between(r, 150, 185)) * 10 * 100
		w.contribs = append(w.contribs, &contribRun{p: p, scheme: "employee_pension", employer: pickText(r, companies...),
			first: w.monthBack(wageWindowMonths - 1), months: wageWindowMonths, base: base})
	case DecoyWageOld:
		n := between(r, 8, 12)
		last := w.monthBack(13 + r.IntN(24-13-n+2))
		w.contribs = append(w.contribs, &contribRun{p: p, scheme: "employee_pension", employer: pickText(r, companies...),
			first: last.AddDate(0, -(n - 1), 0), months: n, base: int64(between(r, plantedWageMin/10, 600)) * 10 * 100})
	case DecoyWageFewMonths:
		n := between(r, 3, 5)
		w.contribs = append(w.contribs, &contribRun{p: p, scheme: "employee_pension", employer: pickText(r, companies...),
			first: w.monthBack(n - 1 + r.IntN(wageWindowMonths-n+1)), months: n, base: int64(between(r, plantedWageMin/10, 600)) * 10 * 100})
	case DecoyResidentPension:
		w.contribs = append(w.contribs, &contribRun{p: p, scheme: "resident_pension", first: w.monthBack(wageWindowMonths - 1),
			months: wageWindowMonths, base: int64(between(r, plantedWageMin/10, 350)) * 10 * 100})
	default:
		panic("gen: unknown asset kind " + kind)
	}
}

// sortPlanted puts the planted households and decoys in truth's order.
func (w *world) sortPlanted() {
	for _, pl := range w.planted {
		slices.SortFunc(pl.Signals, func(a, b PlantedSignal) int {
			return cmp.Or(cmp.Compare(a.IDNumber, b.IDNumber), cmp.Compare(a.Signal, b.Signal))
		})
	}
	slices.SortFunc(w.planted, func(a, b *Planted) int {
		return cmp.Or(cmp.Compare(a.HouseholdID, b.HouseholdID), cmp.Compare(a.Signals[0].IDNumber, b.Signals[0].IDNumber))
	})
	slices.SortFunc(w.decoys, func(a, b Decoy) int {
		return cmp.Or(cmp.Compare(a.HouseholdID, b.HouseholdID), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.IDNumber, b.IDNumber))
	})
}

// backgroundAssets gives the households with no role their vehicles,
// homes, businesses, contributions and posts: aided ones only what bars
// nothing.
func (w *world) backgroundAssets(r *rand.Rand, aided map[*household]bool) {
	for _, h := range w.households {
		if h.role.special() || h.asset.kind != "" {
			continue
		}
		var adults []*person
		for _, p := range h.members {
			if p.status == active && p.age(w.asOf) >= 18 {
				adults = append(adults, p)
			}
		}
		if len(adults) == 0 {
			continue
		}
		if aided[h] {
			w.aidedBackground(r, h, adults)
		} else {
			w.unaidedBackground(r, h, adults)
		}
	}
}

// unaidedBackground: most households a home, some a car, a business, a
// steady job or a public post.
func (w *world) unaidedBackground(r *rand.Rand, h *household, adults []*person) {
	head, spouse := w.holders(h)
	if r.IntN(100) < 78 {
		owners := []*person{head}
		if spouse != nil && r.IntN(100) < 35 {
			owners = append(owners, spouse)
		}
		w.addHome(r, h, owners, w.ago(r, head, 60, 9000, 20), "active", time.Time{})
	}
	if r.IntN(100) < 6 {
		w.soldHome(r, h, head)
	}
	if r.IntN(100) < 5 {
		p := adults[r.IntN(len(adults))]
		switch n := r.IntN(100); {
		case n < 45:
			w.addProperty(r, h, []*person{p}, "residential", w.ago(r, p, 30, 5000, 20), "active", time.Time{})
		case n < 95:
			w.addProperty(r, h, []*person{p}, []string{"shop", "garage", "garage", "office"}[r.IntN(4)], w.ago(r, p, 30, 5000, 20), "active", time.Time{})
		default:
			w.addProperty(r, h, []*person{p}, "industrial", w.ago(r, p, 30, 5000, 20), "active", time.Time{})
		}
	}
	if r.IntN(100) < 10 {
		if p := pickAged(r, adults, w.asOf, 18, 75); p != nil {
			cars := 1
			if r.IntN(100) < 15 {
				cars = 2
			}
			for range cars {
				vt := "car"
				if r.IntN(100) < 20 {
					vt = "truck"
				}
				w.addVehicle(r, p, vt, w.ago(r, p, 1, 5000, 18), "active", time.Time{})
			}
		}
	}
	otherVehicles(w, r, h, adults)
	if r.IntN(100) < 3 {
		w.cancelledCar(r, adults)
	}
	if r.IntN(100) < 3 {
		if p := pickAged(r, adults, w.asOf, 20, 65); p != nil {
			w.backgroundBusiness(r, p)
		}
	}
	for _, p := range adults {
		age := p.age(w.asOf)
		switch {
		case age >= 20 && age <= 58 && r.IntN(100) < 15:
			w.steadyJob(r, p)
		case age >= 20 && age <= 59 && r.IntN(100) < 6:
			w.residentPension(r, p)
		}
		if age >= 22 && age <= 60 && r.IntN(100) < 2 {
			var end time.Time
			switch n := r.IntN(100); {
			case n < 20:
				end = w.asOf.Add(-days(between(r, 30, 3000)))
			case n < 25:
				end = w.asOf.Add(days(between(r, 30, 1500)))
			}
			if end.IsZero() || end.After(w.asOf) {
				w.addJob(r, p, w.ago(r, p, 30, 30*365, 21), end)
			} else {
				w.addJob(r, p, w.agoBefore(r, p, end, 365, 20*365, 21), end)
			}
		}
	}
}

// aidedBackground: at most one home in force, vehicles that bar nothing,
// things ended before AsOf, resident pensions and low wages.
func (w *world) aidedBackground(r *rand.Rand, h *household, adults []*person) {
	head, spouse := w.holders(h)
	if r.IntN(100) < 55 {
		owners := []*person{head}
		if spouse != nil && r.IntN(100) < 30 {
			owners = append(owners, spouse)
		}
		w.addHome(r, h, owners, w.ago(r, head, 60, 9000, 20), "active", time.Time{})
	}
	if r.IntN(100) < 3 {
		w.soldHome(r, h, head)
	}
	otherVehicles(w, r, h, adults)
	if r.IntN(100) < 3 {
		w.cancelledCar(r, adults)
	}
	if r.IntN(100) < 2 {
		if p := pickAged(r, adults, w.asOf, 25, 70); p != nil {
			w.endedBusiness(r, p)
		}
	}
	for _, p := range adults {
		age := p.age(w.asOf)
		if age >= 20 && age <= 59 && r.IntN(100) < 30 {
			w.residentPension(r, p)
		}
		switch {
		case age >= 20 && age <= 58 && r.IntN(100) < 5:
			// Odd jobs on a low base within the window.
			n := between(r, 3, wageWindowMonths)
			w.contribs = append(w.contribs, &contribRun{p: p, scheme: "employee_pension", employer: pickText(r, companies...),
				first: w.monthBack(n - 1 + r.IntN(wageWindowMonths-n+1)), months: n, base: int64(between(r, 120, aidedWageMax/10)) * 10 * 100})
		case age >= 22 && age <= 58 && r.IntN(100) < 3:
			// A job that ended well before the window.
			n := between(r, 6, 18)
			last := w.monthBack(between(r, 14, 20))
			w.contribs = append(w.contribs, &contribRun{p: p, scheme: "employee_pension", employer: pickText(r, companies...),
				first: last.AddDate(0, -(n - 1), 0), months: n, base: int64(between(r, 200, 500)) * 10 * 100})
		}
		if age >= 25 && age <= 65 && r.IntN(100) < 1 {
			end := w.asOf.Add(-days(between(r, 365, 3650)))
			w.addJob(r, p, w.agoBefore(r, p, end, 365, 15*365, 21), end)
		}
	}
}

// otherVehicles: motorcycles and farm vehicles (more in villages), and
// now and then a disabled person's mobility vehicle.
func otherVehicles(w *world, r *rand.Rand, h *household, adults []*person) {
	share := 4
	if !h.village.Urban {
		share = 10
	}
	if r.IntN(100) < share {
		if p := pickAged(r, adults, w.asOf, 18, 75); p != nil {
			vt := "motorcycle"
			if !h.village.Urban && r.IntN(100) < 45 {
				vt = "farm"
			}
			w.addVehicle(r, p, vt, w.ago(r, p, 1, 6000, 18), "active", time.Time{})
		}
	}
	if r.IntN(1000) < 8 {
		p := adults[r.IntN(len(adults))]
		w.addVehicle(r, p, "disabled_mobility", w.ago(r, p, 1, 4000, 18), "active", time.Time{})
	}
}

// cancelledCar is a car cancelled or scrapped before AsOf.
func (w *world) cancelledCar(r *rand.Rand, adults []*person) {
	p := pickAged(r, adults, w.asOf, 25, 90)
	if p == nil {
		return
	}
	end := w.asOf.Add(-days(between(r, 30, 3000)))
	status := "cancelled"
	if r.IntN(100) < 45 {
		status = "scrapped"
	}
	w.addVehicle(r, p, "car", w.agoBefore(r, p, end, 365, 15*365, 18), status, end)
}

// soldHome is a home registered once and cancelled (sold) before AsOf.
func (w *world) soldHome(r *rand.Rand, h *household, p *person) {
	end := w.asOf.Add(-days(between(r, 30, 3000)))
	w.addHome(r, h, []*person{p}, w.agoBefore(r, p, end, 365, 15*365, 20), "cancelled", end)
}

// backgroundBusiness is a market entity of a household not aided: most
// active, some cancelled, revoked or suspended.
func (w *world) backgroundBusiness(r *rand.Rand, p *person) {
	etype, employees := "individual", between(r, 0, 4)
	switch n := r.IntN(100); {
	case n < 35:
		etype, employees = "enterprise", between(r, 1, 40)
		if r.IntN(10) == 0 {
			employees = -1
		}
	case n < 45:
		etype, employees = "cooperative", between(r, 3, 20)
	}
	switch n := r.IntN(100); {
	case n < 75:
		w.addBusiness(r, p, etype, employees, "active", w.ago(r, p, 30, 5000, 20), time.Time{})
	case n < 95:
		end := w.asOf.Add(-days(between(r, 30, 3000)))
		w.addBusiness(r, p, etype, employees, []string{"cancelled", "cancelled", "cancelled", "revoked"}[r.IntN(4)], w.agoBefore(r, p, end, 200, 10*365, 20), end)
	default:
		w.addBusiness(r, p, etype, employees, "suspended", w.ago(r, p, 300, 5000, 20), time.Time{})
	}
}

// endedBusiness is an aided household's entity, cancelled or revoked
// before AsOf.
func (w *world) endedBusiness(r *rand.Rand, p *person) {
	end := w.asOf.Add(-days(between(r, 60, 3000)))
	etype, employees := "individual", between(r, 0, 2)
	if r.IntN(100) < 30 {
		etype, employees = "enterprise", between(r, 1, 10)
	}
	w.addBusiness(r, p, etype, employees, []string{"cancelled", "cancelled", "revoked"}[r.IntN(3)], w.agoBefore(r, p, end, 200, 10*365, 20), end)
}

// steadyJob is a wage of 2,000-9,000 a month paid 12-24 months up to
// AsOf's month (or a month or two before), with a housing fund or
// medical insurance for some.
func (w *world) steadyJob(r *rand.Rand, p *person) {
	employer := pickText(r, companies...)
	n := between(r, 12, 24)
	lag := 0
	if r.IntN(100) < 20 {
		lag = between(r, 1, 2)
	}
	first := w.monthBack(n - 1 + lag)
	base := int64(math.Round(math.Min(math.Max(math.Exp(8.1+r.NormFloat64()*0.35), 2000), 9000)/10)) * 10 * 100
	w.contribs = append(w.contribs, &contribRun{p: p, scheme: "employee_pension", employer: employer, first: first, months: n, base: base})
	if r.IntN(100) < 35 {
		w.contribs = append(w.contribs, &contribRun{p: p, scheme: "housing_fund", employer: employer, first: first, months: n, base: base})
	}
	if r.IntN(100) < 20 {
		w.contribs = append(w.contribs, &contribRun{p: p, scheme: "employee_medical", employer: employer, first: first, months: n, base: base})
	}
}

// residentPension is 城乡居民养老保险 paid yearly (recorded in January,
// no base): last year's and, for most, this year's.
func (w *world) residentPension(r *rand.Rand, p *person) {
	years := 2
	if r.IntN(100) < 25 {
		years = 1
	}
	first := time.Date(w.asOf.Year()-1, time.January, 1, 0, 0, 0, 0, time.UTC)
	w.contribs = append(w.contribs, &contribRun{p: p, scheme: "resident_pension", first: first, months: years, annual: true})
}

// addVehicle registers a vehicle under a new plate.
func (w *world) addVehicle(r *rand.Rand, p *person, vtype string, registered time.Time, status string, cancelled time.Time) {
	w.vehicles = append(w.vehicles, &vehicle{plate: w.newPlate(r), p: p, vtype: vtype, registered: registered, status: status, cancelled: cancelled})
}

// plateChars are the letters and digits of a plate (no I or O).
const plateChars = "ABCDEFGHJKLMNPQRSTUVWXYZ"

// newPlate is 皖P and five characters, mostly digits, unique in the county.
func (w *world) newPlate(r *rand.Rand) string {
	for {
		b := []byte("     ")
		for i := range b {
			if r.IntN(100) < 75 || (i == 4 && r.IntN(2) == 0) {
				b[i] = byte('0' + r.IntN(10))
			} else {
				b[i] = plateChars[r.IntN(len(plateChars))]
			}
		}
		if w.plateSeen.add(b) {
			return "皖P" + string(b)
		}
	}
}

// plateAlphabet are the characters of a plate after 皖P.
const plateAlphabet = "0123456789" + plateChars

// plateSet is a set of plates: one bit for each of the 34⁵ that can be
// drawn (5.7 MB, however many are), so that a county drawn in blocks
// carries it from block to block in constant memory.
type plateSet []uint64

func newPlateSet() plateSet {
	n := len(plateAlphabet)
	return make(plateSet, (n*n*n*n*n+63)/64)
}

// add adds the plate of characters b and reports whether it was new.
func (s plateSet) add(b []byte) bool {
	i := 0
	for _, c := range b {
		i = i*len(plateAlphabet) + strings.IndexByte(plateAlphabet, c)
	}
	if s[i/64]&(1<<(i%64)) != 0 {
		return false
	}
	s[i/64] |= 1 << (i % 64)
	return true
}

// addHome registers a residential property (a 宅基地 in a village for
// most); nil owners are left out.
func (w *world) addHome(r *rand.Rand, h *household, owners []*person, registered time.Time, status string, cancelled time.Time) {
	w.addProperty(r, h, owners, "residential", registered, status, cancelled)
}

// addProperty registers a property under a new certificate number.
func (w *world) addProperty(r *rand.Rand, h *household, owners []*person, purpose string, registered time.Time, status string, cancelled time.Time) {
	owners = slices.DeleteFunc(slices.Clone(owners), func(p *person) bool { return p == nil })
	pr := &property{owners: owners, purpose: purpose, registered: registered, status: status, cancelled: cancelled}
	pr.rural = purpose == "residential" && !h.village.Urban && r.IntN(100) < 70
	var lo, hi int
	switch {
	case pr.rural:
		lo, hi = 90, 260
	case purpose == "residential":
		lo, hi = 55, 160
	case purpose == "shop":
		lo, hi = 20, 150
	case purpose == "garage":
		lo, hi = 12, 40
	case purpose == "office":
		lo, hi = 40, 220
	default:
		lo, hi = 200, 1500
	}
	pr.area = int64(between(r, lo*100, hi*100))
	if r.IntN(3) == 0 {
		pr.area -= pr.area % 100
	}
	w.certSeq++
	if y := registered.Year(); y >= 2016 {
		open, closing := "(", ")"
		if r.IntN(2) == 0 {
			open, closing = "（", "）"
		}
		pr.cert = fmt.Sprintf("皖%s%d%s%s不动产权第%07d号", open, y, closing, countyName, w.certSeq)
	} else {
		pr.cert = fmt.Sprintf("示房权证%s字第%08d号", string([]rune(h.village.Town.Name)[:2]), w.certSeq)
	}
	w.properties = append(w.properties, pr)
}

// addBusiness registers a market entity under a new credit code.
func (w *world) addBusiness(r *rand.Rand, p *person, etype string, employees int, status string, established, cancelled time.Time) {
	b := &business{p: p, etype: etype, employees: employees, status: status, established: established, cancelled: cancelled}
	category := map[string]byte{"enterprise": '1', "individual": '2', "cooperative": '3'}[etype]
	for {
		b.code = creditCode(r, '9', category, countyCode)
		if !w.codeSeen[b.code] {
			w.codeSeen[b.code] = true
			break
		}
	}
	b.name = businessName(r, p, etype)
	w.businesses = append(w.businesses, b)
}

// addJob records a public post.
func (w *world) addJob(r *rand.Rand, p *person, start, end time.Time) {
	employer := pickText(r, publicEmployers...)
	if r.IntN(100) < 40 && p.hh != nil {
		town := p.hh.village.Town.Name
		employer = town + pickText(r, "人民政府", "中心学校", "卫生院", "财政所", "派出所")
	}
	w.publicJobs = append(w.publicJobs, &publicJob{p: p, employer: employer, start: start, end: end})
}

// holders are the household's head (or, with the head gone, its oldest
// active adult) and that person's active adult spouse, if any.
func (w *world) holders(h *household) (*person, *person) {
	var head *person
	for _, p := range h.members {
		if p.status != active || p.age(w.asOf) < 18 {
			continue
		}
		if p.relation == "户主" {
			head = p
			break
		}
		if head == nil || p.birth.Before(head.birth) {
			head = p
		}
	}
	if head == nil {
		return nil, nil
	}
	return head, w.spouse(h, head)
}

// spouse is p's active adult spouse in the household, if any.
func (w *world) spouse(h *household, p *person) *person {
	for _, q := range h.members {
		if q == p || q.status != active || q.age(w.asOf) < 18 {
			continue
		}
		if (p.relation == "户主" && q.relation == "配偶") || (p.relation == "配偶" && q.relation == "户主") {
			return q
		}
	}
	return nil
}

// pickAged draws an adult aged lo-hi on asOf, or nil.
func pickAged(r *rand.Rand, adults []*person, asOf time.Time, lo, hi int) *person {
	var cands []*person
	for _, p := range adults {
		if a := p.age(asOf); a >= lo && a <= hi {
			cands = append(cands, p)
		}
	}
	if len(cands) == 0 {
		return nil
	}
	return cands[r.IntN(len(cands))]
}

// monthBack is the first day of the month k months before AsOf's.
func (w *world) monthBack(k int) time.Time {
	return time.Date(w.asOf.Year(), w.asOf.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, -k, 0)
}

// ago is a date lo-hi days before AsOf, not before p turned minAge (and
// then at most that: never after AsOf).
func (w *world) ago(r *rand.Rand, p *person, lo, hi, minAge int) time.Time {
	return w.agoBefore(r, p, w.asOf, lo, hi, minAge)
}

// agoBefore is a date lo-hi days before end, not before p turned minAge,
// and always before end.
func (w *world) agoBefore(r *rand.Rand, p *person, end time.Time, lo, hi, minAge int) time.Time {
	from, to := end.Add(-days(hi)), end.Add(-days(lo))
	if adult := p.birth.AddDate(minAge, 0, 0); from.Before(adult) {
		from = adult
	}
	if !to.After(from) {
		to = from
	}
	if !to.Before(end) {
		return end.Add(-days(1))
	}
	return dateBetween(r, from, to)
}
