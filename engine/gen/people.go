package gen

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/lipwatch/lipwatch/engine/idnum"
)

// Person states in the registry.
const (
	active = iota
	deceased
	cancelled
)

// person is one resident (or, with hh == nil, an out-of-county patient).
type person struct {
	id         string // canonical 18 characters
	name       string
	male       bool
	birth      time.Time
	hh         *household
	relation   string
	status     int
	statusDate time.Time
}

// age is the completed years on the given date.
func (p *person) age(on time.Time) int { return idnum.ID(p.id).Age(on) }

// surnameOf is the first character of a name: every surname drawn here
// has one.
func surnameOf(p *person) string { return string([]rune(p.name)[:1]) }

// household is one 户.
type household struct {
	id      string // 户号: village code + 4 digits
	village *village
	address string
	members []*person
	// income is the assessed annual income in fen; assessed its date.
	income   int64
	assessed time.Time
	// role says what the household is for: background, a planted
	// situation or a decoy.
	role role
	// aid is the household's assistance state.
	aid aidState
	// asset is the household's role among the asset signals and decoys
	// (assets.go), apart from role: it is drawn after the other files.
	asset assetRole
	// rigid is the household's role among the signals and decoys of the
	// rest of issue 13 (rigid.go), drawn after the asset roles.
	rigid rigidRole
	// oopSpent is the background 个人自付 of all members so far, in fen.
	oopSpent int64
}

// activeCount is 家庭人口: the members still registered as 正常.
func (h *household) activeCount() int {
	n := 0
	for _, p := range h.members {
		if p.status == active {
			n++
		}
	}
	return n
}

// perCapita is the monthly income per active member in yuan.
func (h *household) perCapita() float64 {
	n := max(h.activeCount(), 1)
	return float64(h.income) / 100 / float64(n) / 12
}

// world is the whole generated county before it is written.
type world struct {
	seed        int64
	asOf        time.Time
	nHouseholds int
	county      *county
	// area is the area code of the residents' ID numbers: countyCode, or
	// a block's (blocks.go).
	area string
	// blk is set when the county is drawn in blocks: w is block block of
	// it, and blk carries what must stay unique from block to block.
	blk   *blocks
	block int

	households []*household
	people     []*person // registry order
	outsiders  []*person // out-of-county patients
	usedIDs    map[string]bool

	claims  []*claim
	certs   []*cert
	events  []*empEvent
	fishers []*fisher
	aids    []*aid
	// aidsByHH indexes aids by household for aidsOf, built when
	// aidsIndexed (the rows it holds) falls behind len(aids).
	aidsByHH    map[*household][]*aid
	aidsIndexed int
	planted     []*Planted
	decoys      []Decoy
	boatSeq     int       // last 渔船证号 sequence
	bgPeople    []*person // active adults of background households: bad rows are theirs
	claimSeq    [medicalMonths]int

	// badTouched are the households whose people the bad rows of the
	// files before the asset files were drawn for: a quarantined registry
	// or roster row holds their warnings back, so no asset role goes there.
	badTouched map[*household]bool
	// forced, when set, is the person baseRow's row is about (linkage.go).
	forced *person
	// linkSeq and variantSeq turn the kinds of ID damage and of name
	// variants over the county's files (injectLinkage).
	linkSeq, variantSeq int
	// The asset records (assets.go).
	vehicles   []*vehicle
	properties []*property
	businesses []*business
	contribs   []*contribRun
	publicJobs []*publicJob
	plateSeen  plateSet
	certSeq    int
	codeSeen   map[string]bool

	// The rest of issue 13 (rigid.go, recusal.go).
	lateClaims []*claim // the late batch of the medical files
	studies    []*study
	rehabs     []*rehab
	staff      []*staffer
	decls      []*decl
	claimsOf   map[*person][]*claim
	studiesOf  map[*person][]*study
	rehabsOf   map[*person][]*rehab
	certsOf    map[*person][]*cert
	coveredHH  map[*household]bool
	aidedHH    map[*household]bool
	freeIn     map[*village][]*household // free households for staff and background relatives
	staffHome  map[*household]bool
	byUnit     map[string][]*staffer
	hhByID     map[string]*household
}

// household composition types with their weights (per 100), giving about
// 2.8 people per household.
var compositions = []struct {
	kind   string
	weight int
}{
	{"single", 14}, {"couple", 24}, {"couple1", 22}, {"couple2", 16}, {"parent", 4},
	{"three", 8}, {"leftbehind", 6}, {"withparents", 6},
}

func (w *world) populate(r *rand.Rand) {
	w.usedIDs = make(map[string]bool, w.nHouseholds*3)
	if w.blk != nil {
		for _, id := range w.blk.outIDs {
			w.usedIDs[id] = true
		}
	}
	for range w.nHouseholds {
		v := w.county.pickVillage(r)
		v.nextHome++
		h := &household{id: fmt.Sprintf("%s%04d", v.Code, v.nextHome), village: v, address: v.address(r)}
		w.compose(r, h)
		w.households = append(w.households, h)
		w.people = append(w.people, h.members...)
	}
}

// compose fills a household with members whose ages fit their relations.
func (w *world) compose(r *rand.Rand, h *household) {
	n := r.IntN(100)
	kind := compositions[len(compositions)-1].kind
	for _, c := range compositions {
		if n < c.weight {
			kind = c.kind
			break
		}
		n -= c.weight
	}
	headMale := r.IntN(100) < 85
	var headAge int
	switch kind {
	case "single":
		if r.IntN(10) < 6 {
			headAge = between(r, 60, 92)
		} else {
			headAge = between(r, 22, 59)
		}
	case "couple":
		headAge = between(r, 25, 85)
	case "couple1", "couple2", "parent":
		headAge = between(r, 25, 62)
	case "three":
		headAge = between(r, 32, 55)
	case "leftbehind":
		headAge = between(r, 55, 78)
	case "withparents":
		headAge = between(r, 26, 50)
	}
	surname := string(pickRune(r, surnames))
	head := w.newPerson(r, h, "户主", surname, headMale, headAge)
	var spouse *person
	if kind != "single" && kind != "parent" {
		age := headAge - between(r, -2, 5)
		if !headMale {
			age = headAge + between(r, -2, 5)
		}
		spouse = w.newPerson(r, h, "配偶", string(pickRune(r, surnames)), !headMale, clamp(age, 20, 95))
	}
	father := head
	if !headMale && spouse != nil && r.IntN(10) < 8 {
		father = spouse
	}
	children := 0
	switch kind {
	case "couple1":
		children = 1
	case "three":
		children = 1 + r.IntN(2)
	case "couple2":
		children = 2
	case "parent":
		children = 1 + r.IntN(2)
	}
	for range children {
		age := headAge - between(r, 22, 36)
		if age < 0 {
			age = r.IntN(max(headAge-20, 1))
		}
		w.newChild(r, h, surnameOf(father), age, false)
	}
	switch kind {
	case "leftbehind":
		for range 1 + r.IntN(2) {
			w.newChild(r, h, surnameOf(father), between(r, 1, 16), true)
		}
	case "three", "withparents":
		parentAge := headAge + between(r, 22, 32)
		if parentAge <= 95 {
			if r.IntN(10) < 5 {
				w.newPerson(r, h, "父亲", surname, true, parentAge)
			}
			w.newPerson(r, h, "母亲", string(pickRune(r, surnames)), false, clamp(parentAge-between(r, 0, 4), 40, 95))
		}
	}
}

// newChild adds a son or daughter (or grandchild) carrying the father's
// surname, sometimes the mother's.
func (w *world) newChild(r *rand.Rand, h *household, surname string, age int, grand bool) {
	male := r.IntN(2) == 0
	rel := "女"
	switch {
	case grand && male:
		rel = "孙子"
	case grand:
		rel = "孙女"
	case male:
		rel = "子"
	}
	if r.IntN(20) == 0 {
		for _, p := range h.members {
			if p.relation == "配偶" || (p.relation == "户主" && !p.male) {
				surname = surnameOf(p)
			}
		}
	}
	w.newPerson(r, h, rel, surname, male, age)
}

// newPerson draws a birth date for the age on AsOf and a unique ID number.
func (w *world) newPerson(r *rand.Rand, h *household, relation, surname string, male bool, age int) *person {
	birth := w.asOf.AddDate(-age-1, 0, 1).Add(days(r.IntN(365)))
	if !birth.Before(w.asOf) {
		birth = w.asOf.Add(-days(1 + r.IntN(300)))
	}
	p := &person{birth: birth, male: male, hh: h, relation: relation}
	p.name = surname + givenName(r, male, birth.Year())
	p.id = w.newID(r, w.area, birth, male)
	h.members = append(h.members, p)
	return p
}

// newID builds an ID number not used before, with a sequence code whose
// parity gives the gender.
func (w *world) newID(r *rand.Rand, area string, birth time.Time, male bool) string {
	for {
		seq := r.IntN(500) * 2
		if male {
			seq++
		}
		if seq == 0 {
			continue
		}
		id, err := idnum.Build(area, birth, seq)
		if err != nil {
			panic(fmt.Sprintf("gen: build ID: %v", err)) // area and date are ours: cannot fail
		}
		if !w.usedIDs[string(id)] {
			w.usedIDs[string(id)] = true
			if w.blk != nil && area == otherCountyRef {
				w.blk.outIDs = append(w.blk.outIDs, string(id))
			}
			return string(id)
		}
	}
}

// newOutsider makes a patient registered in another county.
func (w *world) newOutsider(r *rand.Rand) *person {
	male := r.IntN(2) == 0
	birth := w.asOf.AddDate(-between(r, 40, 75), 0, 0).Add(-days(r.IntN(365)))
	p := &person{birth: birth, male: male, relation: ""}
	p.name = string(pickRune(r, surnames)) + givenName(r, male, birth.Year())
	p.id = w.newID(r, otherCountyRef, birth, male)
	w.outsiders = append(w.outsiders, p)
	return p
}

func clamp(v, lo, hi int) int { return max(lo, min(v, hi)) }
