package gen

import (
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/idnum"
)

// county is what the test knows after reading the written files back: the
// facts the rules will compute, derived without the generator's model.
type countyFacts struct {
	asOf     time.Time
	regHH    map[string]string // id -> household
	regTown  map[string]string // household -> township
	status   map[string]string // id -> canonical status
	statusOn map[string]time.Time
	members  map[string][]string // household -> ids
	income   map[string]int64    // household -> annual income, fen
	size     map[string]int      // household -> 家庭人口
	claims   map[string][]claimFact
	certs    map[string][]certFact
	events   map[string][]eventFact
	fishers  map[string][]fisherFact
	aids     map[string][]aidFact // by id
	aidHH    map[string][]aidFact // by household
	assets   *assetFacts
	rigid    *rigidFacts
}

type claimFact struct {
	date time.Time
	oop  int64
}
type certFact struct {
	level  string
	issued time.Time
}
type eventFact struct {
	event string
	date  time.Time
}
type fisherFact struct {
	resettle string
	insured  string
	retired  time.Time
}
type aidFact struct {
	start, end time.Time
	category   string
}

func (a aidFact) current(on time.Time) bool {
	return !a.start.After(on) && (a.end.IsZero() || !a.end.Before(on))
}

// readFacts reads every good row of the county.
func readFacts(t *testing.T, dir string, tr *Truth) *countyFacts {
	t.Helper()
	f := &countyFacts{
		asOf: mustDate(t, tr.Options.AsOf), regHH: map[string]string{}, regTown: map[string]string{}, status: map[string]string{},
		statusOn: map[string]time.Time{}, members: map[string][]string{}, income: map[string]int64{}, size: map[string]int{},
		claims: map[string][]claimFact{}, certs: map[string][]certFact{}, events: map[string][]eventFact{},
		fishers: map[string][]fisherFact{}, aids: map[string][]aidFact{}, aidHH: map[string][]aidFact{},
		assets: newAssetFacts(), rigid: newRigidFacts(),
	}
	seenClaim := map[string]bool{}
	for _, fi := range tr.Files {
		l, _ := layoutOf(fi.File)
		ds, _ := dataset.Lookup(l.dataset)
		for _, rr := range readAny(t, dir, fi.File, l).rows {
			if len(checkRow(t, l, rr)) > 0 {
				continue
			}
			get := func(field string) string { return strings.TrimSpace(rr.cells[slices.Index(l.fields, field)]) }
			enum := func(field string) string {
				fd, _ := ds.Field(field)
				v := strings.ToLower(get(field))
				if c, ok := fd.Aliases[v]; ok {
					return c
				}
				return v
			}
			date := func(field string) time.Time { d, _ := parseDate(get(field)); return d }
			money := func(field string) int64 { v, _ := parseMoney(get(field)); return v }
			var id string
			if slices.Contains(l.fields, "id_number") {
				p, err := idnum.Parse(get("id_number"))
				if err != nil {
					t.Fatalf("%s row %d: %v", fi.File, rr.pos, err)
				}
				id = string(p)
			}
			switch l.dataset {
			case "registry":
				hh := get("household_id")
				f.regHH[id], f.regTown[hh] = hh, get("township_code")
				f.status[id], f.statusOn[id] = enum("status"), date("status_date")
				f.members[hh] = append(f.members[hh], id)
				f.rigid.relation[id] = get("relation")
			case "households":
				n, _ := strconv.Atoi(get("members"))
				f.income[get("household_id")], f.size[get("household_id")] = money("annual_income"), n
				f.rigid.assessed[get("household_id")] = date("income_assessed_date")
			case "assistance":
				a := aidFact{date("start_date"), date("end_date"), enum("category")}
				f.aids[id] = append(f.aids[id], a)
				f.aidHH[get("household_id")] = append(f.aidHH[get("household_id")], a)
			case "medical":
				if seenClaim[get("claim_id")] {
					continue
				}
				seenClaim[get("claim_id")] = true
				checkClaimArithmetic(t, fi.File, rr)
				f.claims[id] = append(f.claims[id], claimFact{date("settle_date"), money("out_of_pocket")})
			case "disability":
				f.certs[id] = append(f.certs[id], certFact{enum("level"), date("issued_date")})
				if want := id + enum("category") + enum("level"); get("cert_number") != want {
					t.Errorf("%s row %d: cert number %s, want %s", fi.File, rr.pos, get("cert_number"), want)
				}
			case "employment":
				f.events[id] = append(f.events[id], eventFact{enum("event"), date("event_date")})
			case "fishers":
				f.fishers[id] = append(f.fishers[id], fisherFact{enum("resettlement"), get("pension_insured"), date("retired_date")})
			case "students", "rehabilitation", "staff_relatives":
				f.rigid.read(t, fi.File, l.dataset, id, rr, get, enum, date, money)
			default:
				f.assets.read(t, fi.File, l.dataset, id, rr, get, enum, date)
			}
		}
	}
	return f
}

func (f *countyFacts) covered(hh string) bool {
	if hh == "" {
		return false
	}
	for _, id := range f.members[hh] {
		for _, a := range f.aids[id] {
			if a.current(f.asOf) {
				return true
			}
		}
	}
	return false
}

// oop sums a person's 个人自付 (fen) settled in (from, to].
func (f *countyFacts) oop(id string, from, to time.Time) int64 {
	var s int64
	for _, c := range f.claims[id] {
		if c.date.After(from) && !c.date.After(to) {
			s += c.oop
		}
	}
	return s
}

func (f *countyFacts) oop12(id string) int64 { return f.oop(id, f.asOf.AddDate(0, -12, 0), f.asOf) }

// perCapita is monthly income per head, yuan.
func (f *countyFacts) perCapita(hh string) float64 {
	return float64(f.income[hh]) / 100 / float64(f.size[hh]) / 12
}

func (f *countyFacts) latestEvent(id string) (eventFact, bool) {
	evs := f.events[id]
	if len(evs) == 0 {
		return eventFact{}, false
	}
	last := evs[0]
	for _, e := range evs[1:] {
		if e.date.After(last.date) {
			last = e
		}
	}
	return last, true
}

func (f *countyFacts) daysAgo(d time.Time) int { return int(f.asOf.Sub(d).Hours() / 24) }

func insuredWord(s string) bool { return s == "是" || s == "已参保" }

// signals computes every signal by the definitions of Params.
func (f *countyFacts) signals(p Params) []string {
	var out []string
	add := func(hh, signal, id string) { out = append(out, hh+"|"+signal+"|"+id) }
	ids := map[string]bool{}
	for _, m := range []map[string][]claimFact{f.claims} {
		for id := range m {
			ids[id] = true
		}
	}
	for id := range f.regHH {
		ids[id] = true
	}
	for id := range f.certs {
		ids[id] = true
	}
	for id := range f.events {
		ids[id] = true
	}
	for id := range f.fishers {
		ids[id] = true
	}
	for id := range ids {
		hh := f.regHH[id]
		open := !f.covered(hh)
		if open && f.oop12(id) >= int64(p.MedicalOOPThreshold)*100 {
			add(hh, SignalMedicalOOP, id)
		}
		for _, c := range f.certs[id] {
			if open && (c.level == "1" || c.level == "2") && f.daysAgo(c.issued) >= 0 && f.daysAgo(c.issued) <= p.SevereDisabilityDays {
				add(hh, SignalDisabilityNew, id)
				break
			}
		}
		if e, ok := f.latestEvent(id); ok && open && e.event == evUnemployed && f.daysAgo(e.date) <= p.UnemployedWindowDays &&
			hh != "" && f.perCapita(hh) <= float64(p.UnemployedIncomeLine) {
			add(hh, SignalUnemployedLowIncome, id)
		}
		for _, x := range f.fishers[id] {
			if open && x.resettle == p.FisherRiskResettlement && !insuredWord(x.insured) {
				add(hh, SignalFisherUnresettled, id)
			}
		}
		if st := f.status[id]; st != "" && st != "active" && !f.statusOn[id].After(f.asOf) {
			for _, a := range f.aids[id] {
				if a.current(f.asOf) {
					add(hh, SignalDeceasedRecipient, id)
					break
				}
			}
		}
	}
	out = append(out, f.assetSignals()...)
	out = append(out, f.rigidSignals()...)
	sort.Strings(out)
	return out
}

func TestPlantedSituations(t *testing.T) {
	for _, n := range []int{MinHouseholds, 5000} {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			dir, tr := generate(t, 1, n)
			checkSituations(t, dir, tr)
		})
	}
}

// TestVariedCounties runs every check on small counties of other seeds and
// dates: month starts and ends, a leap day, the turn of a year.
func TestVariedCounties(t *testing.T) {
	for _, c := range []struct {
		seed       int64
		households int
		asOf       string
	}{
		{2, 151, "2026-03-01"}, {3, 400, "2028-02-29"}, {4, 250, "2026-12-31"}, {5, 700, "2027-01-15"},
		{6, 180, "2025-07-31"}, {-7, 300, "2026-11-28"},
	} {
		t.Run(c.asOf, func(t *testing.T) {
			dir, tr := generateAt(t, c.seed, c.households, mustDate(t, c.asOf))
			checkRows(t, dir, tr)
			checkSituations(t, dir, tr)
		})
	}
}

func mustDate(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// checkSituations compares the signals computed from the files with the
// planted ones and checks decoys, background and scale.
func checkSituations(t *testing.T, dir string, tr *Truth) {
	t.Helper()
	n := tr.Options.Households
	f := readFacts(t, dir, tr)
	var want []string
	special := map[string]bool{}
	for _, pl := range tr.Planted {
		special[pl.HouseholdID] = true
		if pl.HouseholdID != "" && f.regTown[pl.HouseholdID] != pl.TownshipCode {
			t.Errorf("planted %s: township %s, registry says %s", pl.HouseholdID, pl.TownshipCode, f.regTown[pl.HouseholdID])
		}
		for _, s := range pl.Signals {
			want = append(want, pl.HouseholdID+"|"+s.Signal+"|"+s.IDNumber)
		}
		checkPlanted(t, f, pl)
	}
	sort.Strings(want)
	got := f.signals(tr.Params)
	for _, s := range diff(got, want) {
		t.Errorf("raised but not planted: %s", s)
	}
	for _, s := range diff(want, got) {
		t.Errorf("planted but not raised: %s", s)
	}
	for _, d := range tr.Decoys {
		special[d.HouseholdID] = true
		checkDecoy(t, f, d)
	}
	// The new medical lines and rigid spending apply to the households of
	// the older decoys too; the near misses of the 20,000 line among them
	// must stay clear of the relative and single-stay lines.

	checkBackground(t, f, special)
	checkAssetBackground(t, f, tr)
	checkRigidBackground(t, f, special)
	checkMarks(t, f, tr)
	checkCounts(t, tr, n)
}

// checkPlanted asserts the margins the brief asks of planted signals.
func checkPlanted(t *testing.T, f *countyFacts, pl Planted) {
	t.Helper()
	if pl.AssistanceEnded && (len(f.aidHH[pl.HouseholdID]) == 0 || f.covered(pl.HouseholdID)) {
		t.Errorf("planted %s: assistance should have ended", pl.HouseholdID)
	}
	for _, s := range pl.Signals {
		id := s.IDNumber
		switch s.Signal {
		case SignalMedicalOOP:
			if v := f.oop12(id); v < plantedOOPMin || len(f.claims[id]) < 2 || len(f.claims[id]) > 6 {
				t.Errorf("planted %s %s: 12-month oop %d fen over %d claims", pl.HouseholdID, id, v, len(f.claims[id]))
			}
		case SignalDisabilityNew:
			if c := f.certs[id][len(f.certs[id])-1]; f.daysAgo(c.issued) < 10 || f.daysAgo(c.issued) > 80 {
				t.Errorf("planted %s %s: certificate %d days old", pl.HouseholdID, id, f.daysAgo(c.issued))
			}
		case SignalUnemployedLowIncome:
			e, _ := f.latestEvent(id)
			if f.daysAgo(e.date) < 20 || f.daysAgo(e.date) > 300 || f.perCapita(pl.HouseholdID) > 900 {
				t.Errorf("planted %s %s: registered %d days ago, per capita %.0f", pl.HouseholdID, id, f.daysAgo(e.date), f.perCapita(pl.HouseholdID))
			}
		case SignalFisherUnresettled:
			if y := f.fishers[id][0].retired.Year(); y < 2020 || y > 2021 {
				t.Errorf("planted %s %s: retired %d", pl.HouseholdID, id, y)
			}
		case SignalDeceasedRecipient:
		default:
			if why, known := f.rigidPlanted(pl.HouseholdID, s); known {
				if why != "" {
					t.Errorf("planted %s %s %s: %s", pl.HouseholdID, s.Signal, id, why)
				}
			} else if why := f.assetPlanted(pl.HouseholdID, s); why != "" {
				t.Errorf("planted %s %s %s: %s", pl.HouseholdID, s.Signal, id, why)
			}
		}
	}
}

// checkDecoy asserts that each decoy is the near miss its kind says.
func checkDecoy(t *testing.T, f *countyFacts, d Decoy) {
	t.Helper()
	id, hh := d.IDNumber, d.HouseholdID
	ok := true
	switch d.Kind {
	case DecoyMedicalCovered:
		ok = f.oop12(id) >= plantedOOPMin && f.covered(hh)
	case DecoyMedicalBelow:
		ok = f.oop12(id) >= 15000_00 && f.oop12(id) <= 19000_00 && !f.covered(hh)
	case DecoyMedicalOld:
		ok = f.oop12(id) == 0 && f.oop(id, f.asOf.AddDate(0, -15, 0), f.asOf) >= plantedOOPMin && !f.covered(hh)
	case DecoyDisabilityOld:
		c := f.certs[id][0]
		ok = (c.level == "1" || c.level == "2") && f.daysAgo(c.issued) >= 120 && f.daysAgo(c.issued) <= 400
	case DecoyDisabilityMild:
		c := f.certs[id][0]
		ok = (c.level == "3" || c.level == "4") && f.daysAgo(c.issued) <= 80
	case DecoyUnemployedHighIncome:
		e, _ := f.latestEvent(id)
		ok = e.event == evUnemployed && f.perCapita(hh) >= 2500 && !f.covered(hh)
	case DecoyUnemployedReemployed:
		e, _ := f.latestEvent(id)
		ok = e.event == evEmployed && len(f.events[id]) >= 2 && f.perCapita(hh) <= 900
	case DecoyFisherInsured:
		x := f.fishers[id][0]
		ok = x.resettle == rsUnemployed && insuredWord(x.insured)
	case DecoyFisherEmployed:
		x := f.fishers[id][0]
		ok = x.resettle == rsEmployed && !insuredWord(x.insured)
	case DecoyDeceasedNoAssistance:
		ok = f.status[id] != "active" && len(f.aids[id]) == 0
	case DecoyDeceasedAssistanceEnds:
		ok = f.status[id] != "active" && len(f.aids[id]) > 0
		for _, a := range f.aids[id] {
			ok = ok && !a.end.IsZero() && a.end.Before(f.asOf)
		}
	default:
		var known bool
		if ok, known = f.rigidDecoy(d); !known {
			if ok, known = f.assetDecoy(d); !known {
				t.Errorf("unknown decoy kind %s", d.Kind)
			}
		}
	}
	if !ok {
		t.Errorf("decoy %s %s %s is not what its kind says", hh, d.Kind, id)
	}
}

// checkBackground asserts that households with no role stay clear of every
// threshold.
func checkBackground(t *testing.T, f *countyFacts, special map[string]bool) {
	t.Helper()
	withClaims, people := 0, 0
	for hh, ids := range f.members {
		if special[hh] {
			continue
		}
		people += len(ids)
		var total int64
		for _, id := range ids {
			total += f.oop12(id)
			if len(f.claims[id]) > 0 {
				withClaims++
			}
			for _, c := range f.certs[id] {
				if (c.level == "1" || c.level == "2") && f.daysAgo(c.issued) < 2*365 {
					t.Errorf("background %s: severe certificate %d days old", hh, f.daysAgo(c.issued))
				}
			}
			if e, ok := f.latestEvent(id); ok && e.event != evEmployed && f.perCapita(hh) < 2500 {
				t.Errorf("background %s: %s latest event %s with per capita %.0f", hh, id, e.event, f.perCapita(hh))
			}
			for _, x := range f.fishers[id] {
				if x.resettle == rsUnemployed && !insuredWord(x.insured) {
					t.Errorf("background %s: unresettled fisher", hh)
				}
			}
			if f.status[id] != "active" {
				for _, a := range f.aids[id] {
					if a.current(f.asOf) {
						t.Errorf("background %s: deceased %s with current assistance", hh, id)
					}
				}
			}
		}
		if total >= 8000_00 {
			t.Errorf("background %s: household 12-month oop %d fen", hh, total)
		}
	}
	if share := float64(withClaims) / float64(people); share < 0.2 || share > 0.4 {
		t.Errorf("%.2f of people have claims, want about 0.3", share)
	}
}

// checkCounts asserts the scale of the plan.
func checkCounts(t *testing.T, tr *Truth, households int) {
	t.Helper()
	perSignal := map[string]int{SignalMedicalOOP: 40, SignalDisabilityNew: 30, SignalUnemployedLowIncome: 30, SignalFisherUnresettled: 25, SignalDeceasedRecipient: 12}
	for s, n := range perSignal {
		want := max(3, n*households/5000)
		if got := tr.Counts.Planted[s]; got < want {
			t.Errorf("%s planted %d times, want at least %d", s, got, want)
		}
	}
	multi, ended, outside := 0, 0, 0
	for _, pl := range tr.Planted {
		if len(pl.Signals) > 1 {
			multi++
		}
		if pl.AssistanceEnded {
			ended++
		}
		if pl.HouseholdID == "" {
			outside++
			if !strings.HasPrefix(pl.Signals[0].IDNumber, "340798") {
				t.Errorf("out-of-county patient %s", pl.Signals[0].IDNumber)
			}
		}
	}
	if multi < 3 || ended < 2 || outside != 3 {
		t.Errorf("%d multi-signal households, %d with ended assistance, %d out of county", multi, ended, outside)
	}
	checkAssetCounts(t, tr, households)
	if ratio := float64(tr.Counts.People) / float64(tr.Counts.Households); ratio < 2.5 || ratio > 3.1 {
		t.Errorf("%.2f people per household", ratio)
	}
	if share := float64(tr.Counts.CoveredHouseholds) / float64(tr.Counts.Households); share < 0.05 || share > 0.08 {
		t.Errorf("%.3f of households covered", share)
	}
}

// diff lists the sorted elements of a that are not in b.
func diff(a, b []string) []string {
	var out []string
	for _, s := range a {
		if _, found := slices.BinarySearch(b, s); !found {
			out = append(out, s)
		}
	}
	return out
}
