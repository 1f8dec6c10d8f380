package gen

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/idnum"
)

// The asset files read back and judged by the contract of the integrity
// rules, without the generator's model: a household is aided when a member
// has an assistance row in force on AsOf of category dibao, tekun, dibian or
// rigid; then a member's active car or truck, two homes or any shop,
// garage or office in force, an active enterprise or 个体工商户 with
// employees (or a 个体工商户 with none), a current public post, or wage
// contributions (employee pension or housing fund) of at least 2,000 a
// month in 6 of the 12 months up to AsOf's, each raise a signal.

type vehicleFact struct {
	vtype, status         string
	registered, cancelled time.Time
}

type propertyFact struct {
	cert, purpose, status string
	registered, cancelled time.Time
}

type businessFact struct {
	etype, status          string
	employees              int // -1: empty cell
	established, cancelled time.Time
}

type contribFact struct {
	scheme string
	month  time.Time
	base   int64 // fen; -1: empty cell
}

type jobFact struct{ start, end time.Time }

// assetFacts are the good rows of the asset files, by person.
type assetFacts struct {
	vehicles map[string][]vehicleFact
	props    map[string][]propertyFact
	biz      map[string][]businessFact
	contribs map[string][]contribFact
	jobs     map[string][]jobFact
	keys     map[string]string // natural key -> where first seen
}

func newAssetFacts() *assetFacts {
	return &assetFacts{vehicles: map[string][]vehicleFact{}, props: map[string][]propertyFact{}, biz: map[string][]businessFact{},
		contribs: map[string][]contribFact{}, jobs: map[string][]jobFact{}, keys: map[string]string{}}
}

// read takes one good row of an asset file.
func (a *assetFacts) read(t *testing.T, file, ds, id string, rr readRow, get, enum func(string) string, date func(string) time.Time) {
	t.Helper()
	where := fmt.Sprintf("%s row %d", file, rr.pos)
	key := func(parts ...string) {
		k := ds + "|" + strings.Join(parts, "|")
		if first, ok := a.keys[k]; ok {
			t.Errorf("%s: natural key of %s again (first at %s)", where, ds, first)
		}
		a.keys[k] = where
	}
	switch ds {
	case "vehicles":
		key(get("plate")) // a plate is one vehicle's
		if !strings.HasPrefix(get("plate"), "皖P") || len([]rune(get("plate"))) != 7 {
			t.Errorf("%s: plate %q", where, get("plate"))
		}
		a.vehicles[id] = append(a.vehicles[id], vehicleFact{enum("vehicle_type"), enum("status"), date("registered_date"), date("cancelled_date")})
	case "property":
		key(get("cert_number"), id)
		a.props[id] = append(a.props[id], propertyFact{get("cert_number"), enum("purpose"), enum("status"), date("registered_date"), date("cancelled_date")})
		if v, ok := parseArea(get("area")); !ok || v < 1000 {
			t.Errorf("%s: area %q", where, get("area"))
		}
	case "business":
		code := get("credit_code")
		key(code)
		if !validCreditCode(code) || code[2:8] != countyCode {
			t.Errorf("%s: credit code %s is not valid (GB 32100) or not the county's", where, code)
		}
		n := -1
		if v := get("employees"); v != "" {
			n, _ = strconv.Atoi(strings.TrimSuffix(v, "人"))
		}
		a.biz[id] = append(a.biz[id], businessFact{enum("entity_type"), enum("status"), n, date("established_date"), date("cancelled_date")})
	case "contributions":
		m, _ := parseMonth(get("month"))
		key(id, enum("scheme"), m.Format("200601"), get("employer"))
		base := int64(-1)
		if v := get("base_monthly"); v != "" {
			base, _ = parseMoney(v)
		}
		a.contribs[id] = append(a.contribs[id], contribFact{enum("scheme"), m, base})
	case "public_employees":
		key(id, get("employer"), get("start_date"), get("end_date"))
		a.jobs[id] = append(a.jobs[id], jobFact{date("start_date"), date("end_date")})
	default:
		t.Fatalf("%s: unknown dataset %s", where, ds)
	}
}

var aidedCats = []string{catDibao, catTekun, catDibian, catRigid}

// aided: a member has a row in force on AsOf of an aided category.
func (f *countyFacts) aided(hh string) bool {
	for _, id := range f.members[hh] {
		for _, a := range f.aids[id] {
			if a.current(f.asOf) && slices.Contains(aidedCats, a.category) {
				return true
			}
		}
	}
	return false
}

// inForce: registered by AsOf and not cancelled by it.
func inForce(status string, registered, cancelled, asOf time.Time) bool {
	return status == "active" && !registered.After(asOf) && (cancelled.IsZero() || cancelled.After(asOf))
}

// barVehicle: an active car or truck.
func (f *countyFacts) barVehicle(id string) bool {
	for _, v := range f.assets.vehicles[id] {
		if (v.vtype == "car" || v.vtype == "truck") && inForce(v.status, v.registered, v.cancelled, f.asOf) {
			return true
		}
	}
	return false
}

// homes lists the household's properties in force by certificate (co-owners
// share one) and purpose, with who holds each.
func (f *countyFacts) homes(hh string) (residential, other []string, holders map[string][]string, registered map[string]time.Time) {
	holders, registered = map[string][]string{}, map[string]time.Time{}
	for _, id := range f.members[hh] {
		for _, p := range f.assets.props[id] {
			if !inForce(p.status, p.registered, p.cancelled, f.asOf) {
				continue
			}
			if len(holders[p.cert]) == 0 {
				switch p.purpose {
				case "residential":
					residential = append(residential, p.cert)
				case "shop", "garage", "office":
					other = append(other, p.cert)
				}
			}
			holders[p.cert] = append(holders[p.cert], id)
			registered[p.cert] = p.registered
		}
	}
	return residential, other, holders, registered
}

// propertyExtra is the holder of what bars a household (its shop, garage or
// office, or its later home when it has two), or "".
func (f *countyFacts) propertyExtra(hh string) string {
	res, other, holders, reg := f.homes(hh)
	first := func(cert string) string { return slices.Min(holders[cert]) }
	if len(other) > 0 {
		slices.Sort(other)
		return first(other[0])
	}
	if len(res) >= 2 {
		slices.SortFunc(res, func(a, b string) int { return reg[b].Compare(reg[a]) })
		return first(res[0])
	}
	return ""
}

// barBusiness: an active enterprise or 个体工商户, with employees or none.
func (f *countyFacts) barBusiness(id string) (withStaff, familyShop bool) {
	for _, b := range f.assets.biz[id] {
		if !inForce(b.status, b.established, b.cancelled, f.asOf) {
			continue
		}
		switch {
		case (b.etype == "enterprise" || b.etype == "individual") && b.employees >= 1:
			withStaff = true
		case b.etype == "individual" && b.employees == 0:
			familyShop = true
		}
	}
	return withStaff, familyShop
}

// barJob: a public post begun by AsOf and not ended by it.
func (f *countyFacts) barJob(id string) bool {
	for _, j := range f.assets.jobs[id] {
		if !j.start.After(f.asOf) && (j.end.IsZero() || j.end.After(f.asOf)) {
			return true
		}
	}
	return false
}

// inWindow: a month among the 12 up to AsOf's.
func (f *countyFacts) inWindow(m time.Time) bool {
	last := time.Date(f.asOf.Year(), f.asOf.Month(), 1, 0, 0, 0, 0, time.UTC)
	return !m.After(last) && m.After(last.AddDate(0, -wageWindowMonths, 0))
}

// wageMonths counts the distinct months in the window with a contribution
// of the schemes at a base of at least min fen.
func (f *countyFacts) wageMonths(id string, min int64, schemes ...string) int {
	months := map[time.Time]bool{}
	for _, c := range f.assets.contribs[id] {
		if slices.Contains(schemes, c.scheme) && c.base >= min && f.inWindow(c.month) {
			months[c.month] = true
		}
	}
	return len(months)
}

// assetSignals computes the six asset signals over every aided household.
func (f *countyFacts) assetSignals() []string {
	var out []string
	for hh, ids := range f.members {
		if !f.aided(hh) {
			continue
		}
		add := func(signal, id string) { out = append(out, hh+"|"+signal+"|"+id) }
		for _, id := range ids {
			if f.barVehicle(id) {
				add(SignalVehicleRecipient, id)
			}
			staff, shop := f.barBusiness(id)
			if staff {
				add(SignalBusinessRecipient, id)
			}
			if shop {
				add(SignalFamilyShopRecipient, id)
			}
			if f.barJob(id) {
				add(SignalPublicEmployeeRecipient, id)
			}
			if f.wageMonths(id, wageBaseLine*100, "employee_pension", "housing_fund") >= wageMonths {
				add(SignalSteadyWageRecipient, id)
			}
		}
		if id := f.propertyExtra(hh); id != "" {
			add(SignalPropertyRecipient, id)
		}
	}
	return out
}

// assetPlanted checks the margins of one planted asset signal; "" is fine.
func (f *countyFacts) assetPlanted(hh string, s PlantedSignal) string {
	id := s.IDNumber
	if !f.aided(hh) {
		return "household not aided"
	}
	age, active := personAge(id, f.asOf), f.status[id] == "active"
	inAge := func(lo, hi int) bool { return active && age >= lo && age <= hi }
	switch s.Signal {
	case SignalVehicleRecipient:
		if !inAge(18, 70) || !f.barVehicle(id) {
			return fmt.Sprintf("age %d, active %v, car %v", age, active, f.barVehicle(id))
		}
	case SignalPropertyRecipient:
		if f.propertyExtra(hh) != id {
			return "does not hold the extra property"
		}
	case SignalBusinessRecipient:
		if staff, _ := f.barBusiness(id); !staff || !inAge(18, 70) {
			return "no active business with employees"
		}
	case SignalFamilyShopRecipient:
		if _, shop := f.barBusiness(id); !shop || !inAge(18, 70) {
			return "no active 个体工商户 with 0 employees"
		}
	case SignalPublicEmployeeRecipient:
		if !inAge(20, 60) || !f.barJob(id) {
			return fmt.Sprintf("age %d, post %v", age, f.barJob(id))
		}
	case SignalSteadyWageRecipient:
		if n := f.wageMonths(id, plantedWageMin*100, "employee_pension"); !inAge(20, 58) || n < 8 {
			return fmt.Sprintf("age %d, %d months of employee pension >= %d", age, n, plantedWageMin)
		}
	default:
		return "unknown signal"
	}
	return ""
}

// assetDecoy checks that an asset decoy is the near miss its kind says;
// known is false for a kind that is not an asset decoy.
func (f *countyFacts) assetDecoy(d Decoy) (ok, known bool) {
	id, hh := d.IDNumber, d.HouseholdID
	aided := f.aided(hh)
	months := func(scheme string) []contribFact {
		var out []contribFact
		for _, c := range f.assets.contribs[id] {
			if c.scheme == scheme {
				out = append(out, c)
			}
		}
		return out
	}
	switch d.Kind {
	case DecoyVehicleExcepted:
		ok = aided && len(f.assets.vehicles[id]) == 1
		for _, v := range f.assets.vehicles[id] {
			ok = ok && slices.Contains([]string{"disabled_mobility", "motorcycle", "farm"}, v.vtype) && inForce(v.status, v.registered, v.cancelled, f.asOf)
		}
	case DecoyVehicleCancelled:
		ok = aided && len(f.assets.vehicles[id]) == 1
		for _, v := range f.assets.vehicles[id] {
			ok = ok && v.vtype == "car" && (v.status == "cancelled" || v.status == "scrapped") && !v.cancelled.IsZero() &&
				v.cancelled.Before(f.asOf) && v.registered.Before(v.cancelled)
		}
	case DecoyVehicleUnaided:
		ok = !aided && f.barVehicle(id)
	case DecoyPropertyOneHome:
		res, other, _, _ := f.homes(hh)
		ok = aided && len(res) == 1 && len(other) == 0
	case DecoyPropertySold:
		res, other, _, _ := f.homes(hh)
		sold := 0
		for _, p := range f.assets.props[id] {
			if p.purpose == "residential" && p.status == "cancelled" && !p.cancelled.IsZero() && p.cancelled.Before(f.asOf) {
				sold++
			}
		}
		ok = aided && len(res) == 1 && len(other) == 0 && sold == 1
	case DecoyBusinessCancelled:
		bs := f.assets.biz[id]
		ok = aided && len(bs) == 1 && bs[0].etype == "enterprise" && bs[0].employees >= 1 &&
			(bs[0].status == "cancelled" || bs[0].status == "revoked") && !bs[0].cancelled.IsZero() && bs[0].cancelled.Before(f.asOf)
	case DecoyPublicEmployeeLeft:
		js := f.assets.jobs[id]
		ok = aided && len(js) == 1 && !js[0].end.IsZero() && js[0].end.Before(f.asOf) && js[0].start.Before(js[0].end)
	case DecoyWageBelowLine:
		cs := months("employee_pension")
		ok = aided && len(cs) == wageWindowMonths && f.wageMonths(id, 1500_00, "employee_pension") == wageWindowMonths
		for _, c := range cs {
			ok = ok && c.base < wageBaseLine*100
		}
	case DecoyWageOld:
		cs := months("employee_pension")
		last := time.Date(f.asOf.Year(), f.asOf.Month(), 1, 0, 0, 0, 0, time.UTC)
		ok = aided && len(cs) >= 8
		for _, c := range cs {
			ok = ok && c.base >= plantedWageMin*100 && !c.month.After(last.AddDate(0, -13, 0)) && !c.month.Before(last.AddDate(0, -24, 0))
		}
	case DecoyWageFewMonths:
		cs := months("employee_pension")
		ok = aided && len(cs) >= 3 && len(cs) <= 5 && f.wageMonths(id, plantedWageMin*100, "employee_pension") == len(cs)
	case DecoyResidentPension:
		ok = aided && len(f.assets.contribs[id]) == wageWindowMonths && len(months("resident_pension")) == wageWindowMonths
		for _, c := range f.assets.contribs[id] {
			ok = ok && f.inWindow(c.month)
		}
	default:
		return false, false
	}
	return ok, true
}

// personAge is the age on a date from the ID number.
func personAge(id string, on time.Time) int { return idnum.ID(id).Age(on) }

// isAssetKind reports an asset signal or decoy kind.
func isAssetKind(kind string) bool {
	return slices.ContainsFunc(assetKinds, func(k assetKind) bool { return k.kind == kind })
}

// checkAssetBackground: households with another role hold no asset rows at
// all; aided households with no asset role hold only what bars nothing
// under any reading of the rules: no car or truck in force, at most one
// home and no shop, garage or office, no business in force, no current
// post, no wage contribution of 2,000 or more in the window.
func checkAssetBackground(t *testing.T, f *countyFacts, tr *Truth) {
	t.Helper()
	role := map[string]string{}
	for _, pl := range tr.Planted {
		for _, s := range pl.Signals {
			role[pl.HouseholdID] = s.Signal
		}
	}
	for _, d := range tr.Decoys {
		role[d.HouseholdID] = d.Kind
	}
	aidedBG, withHome := 0, 0
	for hh, ids := range f.members {
		// The households of the rest of issue 13 were background when the
		// assets were drawn: judged with the aided background below if aided.
		if r, ok := role[hh]; ok && !isAssetKind(r) && !isRigidKind(r) && !isMarkDecoy(r) {
			for _, id := range ids {
				a := f.assets
				if n := len(a.vehicles[id]) + len(a.props[id]) + len(a.biz[id]) + len(a.contribs[id]) + len(a.jobs[id]); n > 0 {
					t.Errorf("%s household %s: %d asset rows", r, hh, n)
				}
			}
			continue
		}
		if r, ok := role[hh]; ok && !isRigidKind(r) || !f.aided(hh) {
			continue
		}
		aidedBG++
		res, other, _, _ := f.homes(hh)
		if len(res) > 1 || len(other) > 0 {
			t.Errorf("aided background %s: %d homes and %d shops, garages or offices in force", hh, len(res), len(other))
		}
		if len(res) == 1 {
			withHome++
		}
		for _, id := range ids {
			if f.barVehicle(id) {
				t.Errorf("aided background %s: %s has a car or truck", hh, id)
			}
			for _, b := range f.assets.biz[id] {
				if b.status != "cancelled" && b.status != "revoked" || b.cancelled.IsZero() || !b.cancelled.Before(f.asOf) {
					t.Errorf("aided background %s: %s has a business %s", hh, id, b.status)
				}
			}
			if f.barJob(id) {
				t.Errorf("aided background %s: %s is a public employee", hh, id)
			}
			if n := f.wageMonths(id, wageBaseLine*100, "employee_pension", "housing_fund", "employee_medical", "unemployment", "injury"); n > 0 {
				t.Errorf("aided background %s: %s has %d months of wages >= %d", hh, id, n, wageBaseLine)
			}
		}
	}
	if aidedBG > 100 && (withHome*100/aidedBG < 35 || withHome*100/aidedBG > 75) {
		t.Errorf("%d of %d aided background households have a home", withHome, aidedBG)
	}
}

// checkAssetCounts: at 5,000 households about 5 of each asset signal and 3
// of each decoy; every asset signal household carries that signal alone.
func checkAssetCounts(t *testing.T, tr *Truth, households int) {
	t.Helper()
	seen := map[string]bool{}
	for _, pl := range tr.Planted {
		for _, s := range pl.Signals {
			if isAssetKind(s.Signal) && len(pl.Signals) != 1 {
				t.Errorf("planted %s: %s beside other signals", pl.HouseholdID, s.Signal)
			}
		}
		if seen[pl.HouseholdID] && pl.HouseholdID != "" {
			t.Errorf("household %s planted twice", pl.HouseholdID)
		}
		seen[pl.HouseholdID] = true
	}
	for _, d := range tr.Decoys {
		if seen[d.HouseholdID] != isMarkDecoy(d.Kind) {
			t.Errorf("decoy %s %s on a planted or decoy household, or a mark decoy not on a planted one", d.HouseholdID, d.Kind)
		}
		seen[d.HouseholdID] = true
	}
	total := 0
	for _, k := range assetKinds {
		n := tr.Counts.Planted[k.kind] + tr.Counts.Decoys[k.kind]
		total += n
		lo, hi := 2, 3
		if k.signal {
			lo, hi = 4, 6
		}
		if households >= 5000 && (n < lo*households/5000 || n > hi*households/5000+1) {
			t.Errorf("%s: %d households, want %d-%d per 5,000", k.kind, n, lo, hi)
		}
	}
	if total == 0 {
		t.Error("no asset signal or decoy at all")
	}
}

// TestAssetInvariant reads the committed-size county back and checks the
// asset files against the rules' contract: the asset signals computed
// from the files are exactly the planted ones, every decoy has its rows,
// and no aided household without an asset role holds anything that bars
// assistance (checkSituations). It also checks the background's shape.
func TestAssetInvariant(t *testing.T) {
	dir, tr := generate(t, 1, 5000)
	f := readFacts(t, dir, tr)
	var want, got []string
	for _, pl := range tr.Planted {
		for _, s := range pl.Signals {
			if isAssetKind(s.Signal) {
				want = append(want, pl.HouseholdID+"|"+s.Signal+"|"+s.IDNumber)
			}
		}
	}
	got = f.assetSignals()
	sort.Strings(want)
	sort.Strings(got)
	if !slices.Equal(want, got) {
		t.Errorf("asset signals raised by the files differ from the planted ones:\n%v\n%v", diff(got, want), diff(want, got))
	}
	checkAssetBackground(t, f, tr)
	excepted := map[string]bool{}
	for _, d := range tr.Decoys {
		if d.Kind == DecoyVehicleExcepted {
			excepted[f.assets.vehicles[d.IDNumber][0].vtype] = true
		}
	}
	if len(excepted) != 3 {
		t.Errorf("excepted vehicle decoys of types %v, want all three", excepted)
	}
	// The background's shape among households not aided.
	var unaided, cars, homes, biz, adults, wages, jobs int
	for hh, ids := range f.members {
		if f.aided(hh) {
			continue
		}
		unaided++
		car := false
		for _, id := range ids {
			car = car || f.barVehicle(id)
			if len(f.assets.biz[id]) > 0 {
				biz++
			}
			if a := personAge(id, f.asOf); a >= 20 && a <= 58 && f.status[id] == "active" {
				adults++
				if f.wageMonths(id, wageBaseLine*100, "employee_pension") >= wageMonths {
					wages++
				}
			}
			if f.barJob(id) {
				jobs++
			}
		}
		if car {
			cars++
		}
		if res, _, _, _ := f.homes(hh); len(res) > 0 {
			homes++
		}
	}
	pct := func(n, of int) float64 { return 100 * float64(n) / float64(of) }
	t.Logf("not aided: %d households, %.1f%% a car or truck, %.1f%% a home, %d businesses; %.1f%% of adults 20-58 a steady wage; %d public employees",
		unaided, pct(cars, unaided), pct(homes, unaided), biz, pct(wages, adults), jobs)
	if c := pct(cars, unaided); c < 7 || c > 14 {
		t.Errorf("%.1f%% of households not aided have a car or truck, want about 10%%", c)
	}
	if h := pct(homes, unaided); h < 65 || h > 90 {
		t.Errorf("%.1f%% of households not aided have a home, want most", h)
	}
	if w := pct(wages, adults); w < 10 || w > 20 {
		t.Errorf("%.1f%% of adults 20-58 not aided have steady wages, want about 15%%", w)
	}
}
