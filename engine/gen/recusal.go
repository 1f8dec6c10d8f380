package gen

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"time"
)

// Recusal (回避): the relatives that social-assistance staff and village
// (community) cadres have declared (近亲属备案). A declaration is in force on
// AsOf when registered by then (or undated) and not ended by then (终止日期
// after AsOf, or none); the newest row of a (relative, staff member) pair
// counts. A household is related when an active member is the relative or
// the staff member of a declaration in force: township staff when the staff
// member handles assistance (assistance_staff) in a unit of the household's
// township (its 9-digit code, or a 12-digit one under it).
//
// Every staff member lives in a household that is not aided and has no
// role; every declared relative of the background lives in one too (or
// outside the county), so no related household of the background is aided
// or warned. The planted ones: aided related households (RECUSAL-AIDED), and
// planted warnings of households not aided marked for recusal —
// RECUSAL-ROUTE-COUNTY when the relative is township staff (the case goes
// to the county's own queue), RECUSAL-NOTE otherwise (a village cadre, staff
// of the county bureau or of another township).

// Marks: rules that never open a case, attached to the case another rule
// opens for the household.
const (
	MarkRouteCounty = "recusal_route_county" // related to staff of the household's township: the county verifies
	MarkNote        = "recusal_note"         // related otherwise: the township verifies, the list names who stays out
)

// Staff roles, canonical.
const (
	roleStaff = "assistance_staff"
	roleCadre = "village_cadre"
)

// staffer is one assistance staff member or village cadre.
type staffer struct {
	p        *person
	role     string
	unit     string // 6, 9 or 12 digits
	unitName string
	since    time.Time // in office since
	left     time.Time // zero: still in office
}

// decl is one declaration: a staff member's relative.
type decl struct {
	s          *staffer
	rel        *person
	relation   string
	registered time.Time // zero: not dated
	ended      time.Time // zero: in force
	// endedLater: written open first, then again at the end of the file
	// with its 终止日期 (the newer row counts).
	endedLater bool
}

// recusalFree: a household a staff member or a background relative may live
// in: no role of any kind, not aided.
func (w *world) recusalFree(h *household) bool {
	return !h.role.special() && h.asset.kind == "" && h.rigid.kind == "" && !w.aidedHH[h]
}

// takeRecusalAided picks the related member of a recusal household: aided
// for RECUSAL-AIDED and the decoys whose declaration is not in force, not
// covered for the one with no warning. Its declaration is drawn with the
// staff (recusal).
func (w *world) takeRecusalAided(r *rand.Rand, h *household, i int) *person {
	if !w.rigidFits(h.rigid.kind, h) {
		return nil
	}
	if h.rigid.kind == SignalRecusalAided && i%5 == 3 {
		// The cadre is the household's own member.
		return pickAged(r, h.activeMembers(), w.asOf, 28, 60)
	}
	return pickAged(r, h.activeMembers(), w.asOf, 18, 80)
}

// recusal draws the staff, the planted declarations and the background's.
func (w *world) recusal(rp, rb *rand.Rand) {
	w.staffRoster(rb)
	w.plantDeclarations(rp)
	w.backgroundDeclarations(rb)
}

// staffRoster appoints the county bureau's staff, each township's
// assistance staff (a community worker under some), and each village's
// cadres, from adults of free households of the place.
func (w *world) staffRoster(r *rand.Rand) {
	w.freeIn = map[*village][]*household{}
	for _, i := range r.Perm(len(w.households)) {
		h := w.households[i]
		if w.recusalFree(h) {
			w.freeIn[h.village] = append(w.freeIn[h.village], h)
		}
	}
	w.staffHome = map[*household]bool{}
	w.byUnit = map[string][]*staffer{}
	for range 5 {
		w.appoint(r, w.county.Towns[0], nil, roleStaff, countyCode, countyName+"民政局")
	}
	for _, t := range w.county.Towns {
		for range between(r, 2, 3) {
			w.appoint(r, t, nil, roleStaff, t.Code, t.Name+pickText(r, "民政办", "社会事务办公室", "社工站"))
		}
		for _, v := range t.Villages {
			if v.Urban && r.IntN(100) < 30 {
				w.appoint(r, t, v, roleStaff, v.Code, communityUnit(v))
			}
			for range between(r, 1, 2) {
				w.appoint(r, t, v, roleCadre, v.Code, v.Name+villageBody(v))
			}
		}
	}
	// Some left office: their declarations ended with them.
	for _, s := range w.staff {
		if r.IntN(100) < 7 {
			s.left = w.asOf.Add(-days(between(r, 30, 900)))
			if !s.left.After(s.since) {
				s.left = time.Time{}
			}
		}
	}
}

// communityUnit names a village's or community's service station, where
// assistance staff of 12-digit units work.
func communityUnit(v *village) string {
	if v.Urban {
		return v.Name + "社区服务站"
	}
	return v.Name + "便民服务站"
}

func villageBody(v *village) string {
	if v.Urban {
		return "居委会"
	}
	return "村委会"
}

// appoint makes an adult of a free household of the village (or, with none
// there or v nil, of the township) a staff member of the unit; nil when
// nobody is free.
func (w *world) appoint(r *rand.Rand, t *township, v *village, role, unit, unitName string) *staffer {
	var homes []*household
	if v != nil {
		homes = w.freeIn[v]
	}
	if len(homes) == 0 {
		for _, tv := range t.Villages {
			homes = append(homes, w.freeIn[tv]...)
		}
	}
	for _, h := range homes {
		if w.staffHome[h] {
			continue
		}
		p := pickAged(r, h.activeMembers(), w.asOf, 25, 58)
		if p == nil {
			continue
		}
		w.staffHome[h] = true
		s := &staffer{p: p, role: role, unit: unit, unitName: unitName, since: w.ago(r, p, 200, 15*365, 22)}
		w.staff = append(w.staff, s)
		w.byUnit[unit] = append(w.byUnit[unit], s)
		return s
	}
	return nil
}

// inOffice picks one of the unit's staff still in office, appointing one if
// it has none.
func (w *world) inOffice(r *rand.Rand, t *township, v *village, role, unit, unitName string) *staffer {
	var cands []*staffer
	for _, s := range w.byUnit[unit] {
		if s.left.IsZero() && s.role == role {
			cands = append(cands, s)
		}
	}
	if len(cands) > 0 {
		return cands[r.IntN(len(cands))]
	}
	return w.appoint(r, t, v, role, unit, unitName)
}

// A recusal plan: who the relative's declaration is with.
const (
	planTownship   = iota // assistance staff of the household's township (9 digits)
	planCommunity         // assistance staff under the township (12 digits)
	planOwnCadre          // a cadre of the relative's own village
	planOtherCadre        // a cadre of another village of the township
	planCounty            // staff of the county bureau (6 digits)
	planOtherTown         // assistance staff of another township
)

// staffFor finds the staff member a plan needs for a relative in h.
func (w *world) staffFor(r *rand.Rand, h *household, plan int) *staffer {
	t, v := h.village.Town, h.village
	switch plan {
	case planTownship:
		return w.inOffice(r, t, nil, roleStaff, t.Code, t.Name+"民政办")
	case planCommunity:
		cv := t.Villages[r.IntN(len(t.Villages))]
		return w.inOffice(r, t, cv, roleStaff, cv.Code, communityUnit(cv))
	case planOwnCadre:
		return w.inOffice(r, t, v, roleCadre, v.Code, v.Name+villageBody(v))
	case planOtherCadre:
		if len(t.Villages) > 1 {
			for {
				if ov := t.Villages[r.IntN(len(t.Villages))]; ov != v {
					if s := w.inOffice(r, t, ov, roleCadre, ov.Code, ov.Name+villageBody(ov)); s != nil {
						return s
					}
					break
				}
			}
		}
		return w.inOffice(r, t, v, roleCadre, v.Code, v.Name+villageBody(v))
	case planCounty:
		return w.inOffice(r, w.county.Towns[0], nil, roleStaff, countyCode, countyName+"民政局")
	case planOtherTown:
		for {
			if ot := w.county.Towns[r.IntN(len(w.county.Towns))]; ot != t {
				return w.inOffice(r, ot, nil, roleStaff, ot.Code, ot.Name+"民政办")
			}
		}
	}
	panic("gen: unknown recusal plan")
}

// routes: a plan whose staff member is township staff of the household.
func routes(plan int) bool { return plan == planTownship || plan == planCommunity }

// declare records a declaration in force since a date after both took
// their place; ended zero for one still in force.
func (w *world) declare(r *rand.Rand, s *staffer, rel *person, ended time.Time) *decl {
	from := s.since
	if policy := time.Date(2021, 6, 1, 0, 0, 0, 0, time.UTC); from.Before(policy) {
		from = policy
	}
	to := w.asOf.Add(-days(7))
	if !ended.IsZero() && ended.Before(to) {
		to = ended.Add(-days(1))
	}
	d := &decl{s: s, rel: rel, relation: relationOf(w, s.p, rel)}
	if from.Before(to) {
		d.registered = dateBetween(r, from, to)
	} else {
		d.registered = to
	}
	d.ended = ended
	w.decls = append(w.decls, d)
	return d
}

// plantDeclarations writes the declarations of the recusal households and
// marks some planted warnings of households not aided.
func (w *world) plantDeclarations(r *rand.Rand) {
	var hhs []*household
	for _, h := range w.households {
		switch h.rigid.kind {
		case SignalRecusalAided, DecoyRecusalEnded, DecoyRecusalFuture, DecoyRecusalUnwarned:
			hhs = append(hhs, h)
		}
	}
	slices.SortFunc(hhs, func(a, b *household) int { return cmp.Compare(a.id, b.id) })
	for _, h := range hhs {
		if !w.plantDeclaration(r, h) {
			// Nobody to declare it with (a small county): the household
			// is background again.
			w.planted = slices.DeleteFunc(w.planted, func(pl *Planted) bool { return pl.HouseholdID == h.id })
			w.decoys = slices.DeleteFunc(w.decoys, func(d Decoy) bool { return d.HouseholdID == h.id })
			h.rigid = rigidRole{kind: recusalUnplaced}
		}
	}
	w.markWarnings(r)
}

// recusalUnplaced is the role of a household a recusal role could not be
// placed on: it is kept out of the background's declarations.
const recusalUnplaced = "recusal_unplaced"

// plantDeclaration writes a recusal household's declaration; false when
// there is nobody to make it with.
func (w *world) plantDeclaration(r *rand.Rand, h *household) bool {
	p, n := h.rigid.p, h.rigid.n
	switch h.rigid.kind {
	case SignalRecusalAided:
		plan := []int{planTownship, planOwnCadre, planCommunity, planOwnCadre, planCounty}[n%5]
		if n%5 == 3 {
			// The household's member is the cadre; the relative lives in
			// a free household of the village or township.
			rel := w.relativeNear(r, p, h.village)
			if rel == nil {
				return false
			}
			s := &staffer{p: p, role: roleCadre, unit: h.village.Code, unitName: h.village.Name + villageBody(h.village),
				since: w.ago(r, p, 400, 12*365, 22)}
			w.staff = append(w.staff, s)
			w.byUnit[s.unit] = append(w.byUnit[s.unit], s)
			w.declare(r, s, rel, time.Time{})
			w.markPlanted(h, MarkNote)
			return true
		}
		s := w.staffFor(r, h, plan)
		if s == nil {
			return false
		}
		w.declare(r, s, p, time.Time{})
		if routes(plan) {
			w.markPlanted(h, MarkRouteCounty)
		} else {
			w.markPlanted(h, MarkNote)
		}
	case DecoyRecusalEnded:
		s := w.staffFor(r, h, planTownship)
		if s == nil {
			return false
		}
		switch n % 3 {
		case 0:
			w.declare(r, s, p, w.asOf) // ended on the day: no longer in force
		case 1:
			w.declare(r, s, p, w.asOf.Add(-days(between(r, 30, 300)))).endedLater = true
		default:
			w.declare(r, s, p, w.asOf.Add(-days(between(r, 30, 400))))
		}
	case DecoyRecusalFuture:
		s := w.staffFor(r, h, planTownship)
		if s == nil {
			return false
		}
		d := w.declare(r, s, p, time.Time{})
		d.registered = w.asOf.Add(days(between(r, 2, 40)))
		if n == 0 {
			d.registered = w.asOf.Add(days(1))
		}
	case DecoyRecusalUnwarned:
		s := w.staffFor(r, h, planTownship)
		if s == nil {
			return false
		}
		w.declare(r, s, p, time.Time{})
	}
	return true
}

// markPlanted records a mark on a planted household.
func (w *world) markPlanted(h *household, mark string) {
	for _, pl := range w.planted {
		if pl.HouseholdID == h.id {
			pl.Marks = append(pl.Marks, mark)
			return
		}
	}
	panic("gen: mark on a household not planted: " + h.id)
}

// markWarnings relates some planted warnings of households not aided to
// staff: in turn over the signals, a household for each of the jobs
// below; the mark decoys on households of their own.
func (w *world) markWarnings(r *rand.Rand) {
	bySignal := map[string][]*Planted{}
	var signals []string
	for _, pl := range w.planted {
		if pl.HouseholdID == "" || len(pl.Marks) > 0 {
			continue
		}
		h := w.household(pl.HouseholdID)
		if w.aidedHH[h] || h.rigid.kind == SignalRecusalAided {
			continue
		}
		s := pl.Signals[0].Signal
		if _, ok := bySignal[s]; !ok {
			signals = append(signals, s)
		}
		bySignal[s] = append(bySignal[s], pl)
	}
	slices.Sort(signals)
	for _, s := range signals {
		r.Shuffle(len(bySignal[s]), func(i, j int) { bySignal[s][i], bySignal[s][j] = bySignal[s][j], bySignal[s][i] })
	}
	type job struct {
		plan  int
		decoy string
		n     int
	}
	var jobs []job
	for i := range w.scaled(4, 1) {
		jobs = append(jobs, job{plan: []int{planTownship, planTownship, planTownship, planCommunity}[i%4], n: i},
			job{plan: []int{planOwnCadre, planOtherCadre, planOwnCadre, planCounty}[i%4], n: i})
	}
	for i := range w.scaled(3, 1) {
		jobs = append(jobs, job{plan: planOtherTown, decoy: DecoyRecusalOtherTownship, n: i})
	}
	for i := range w.scaled(3, 1) {
		jobs = append(jobs, job{plan: planTownship, decoy: DecoyRecusalMarkEnded, n: i})
	}
	next := 0
	for _, j := range jobs {
		var pl *Planted
		for tries := 0; pl == nil && tries < len(signals); tries++ {
			s := signals[next%len(signals)]
			next++
			if len(bySignal[s]) > 0 {
				pl, bySignal[s] = bySignal[s][0], bySignal[s][1:]
			}
		}
		if pl == nil {
			return
		}
		h := w.household(pl.HouseholdID)
		p := pickAged(r, h.activeMembers(), w.asOf, 18, 85)
		if p == nil {
			p = h.activeMembers()[0]
		}
		s := w.staffFor(r, h, j.plan)
		if s == nil {
			continue
		}
		switch j.decoy {
		case DecoyRecusalMarkEnded:
			if j.n%2 == 0 {
				w.declare(r, s, p, w.asOf.Add(-days(between(r, 20, 200))))
			} else {
				w.declare(r, s, p, w.asOf.Add(-days(between(r, 20, 200)))).endedLater = true
			}
			w.decoys = append(w.decoys, Decoy{HouseholdID: h.id, Kind: j.decoy, IDNumber: p.id})
			continue
		case DecoyRecusalOtherTownship:
			w.decoys = append(w.decoys, Decoy{HouseholdID: h.id, Kind: j.decoy, IDNumber: p.id})
		}
		w.declare(r, s, p, time.Time{})
		if routes(j.plan) {
			pl.Marks = append(pl.Marks, MarkRouteCounty)
		} else {
			pl.Marks = append(pl.Marks, MarkNote)
		}
	}
}

// household finds a household by 户号.
func (w *world) household(id string) *household {
	if w.hhByID == nil {
		w.hhByID = map[string]*household{}
		for _, h := range w.households {
			w.hhByID[h.id] = h
		}
	}
	return w.hhByID[id]
}

// relativeNear is an active person of a free household of the village (or
// the township) other than the staff member's own.
func (w *world) relativeNear(r *rand.Rand, staff *person, v *village) *person {
	var homes []*household
	homes = append(homes, w.freeIn[v]...)
	if len(homes) < 3 {
		for _, tv := range v.Town.Villages {
			if tv != v {
				homes = append(homes, w.freeIn[tv]...)
			}
		}
	}
	if len(homes) == 0 {
		return nil
	}
	for range 6 {
		h := homes[r.IntN(len(homes))]
		if h == staff.hh {
			continue
		}
		if p := pickAged(r, h.activeMembers(), w.asOf, 1, 95); p != nil {
			return p
		}
	}
	return nil
}

// backgroundDeclarations: every staff member declares the relatives of
// their household (most of them) and one or two in other free households
// near them, now and then one who lives outside the county; a staff member
// who left office has every declaration ended, some by a later row.
func (w *world) backgroundDeclarations(r *rand.Rand) {
	for _, s := range w.staff {
		ended := s.left
		add := func(rel *person) {
			for _, d := range w.decls {
				if d.s == s && d.rel == rel {
					return
				}
			}
			d := w.declare(r, s, rel, ended)
			if !ended.IsZero() && r.IntN(2) == 0 {
				d.endedLater = true
			}
			if r.IntN(100) < 8 {
				d.registered = time.Time{}
			}
		}
		if s.p.hh.rigid.kind != SignalRecusalAided {
			for _, q := range s.p.hh.activeMembers() {
				if q == s.p {
					continue
				}
				want := 50
				if rel := relationOf(w, s.p, q); rel == "spouse" {
					want = 85
				}
				if r.IntN(100) < want {
					add(q)
				}
			}
		}
		for range between(r, 0, 2) {
			if rel := w.relativeNear(r, s.p, s.p.hh.village); rel != nil {
				add(rel)
			}
		}
		if r.IntN(100) < 6 {
			add(w.farRelative(r, s.p))
		}
	}
}

// farRelative is a relative registered outside the county (in the equally
// fictional 340798): never in the registry.
func (w *world) farRelative(r *rand.Rand, p *person) *person {
	male := r.IntN(2) == 0
	age := clamp(p.age(w.asOf)+between(r, -12, 12), 20, 90)
	birth := w.asOf.AddDate(-age-1, 0, 1).Add(days(r.IntN(365)))
	q := &person{birth: birth, male: male}
	q.name = surnameOf(p) + givenName(r, male, birth.Year())
	q.id = w.newID(r, otherCountyRef, birth, male)
	return q
}

// relationOf is the relation of rel to the staff member p: from the
// registry's relations to the head when they share a household, otherwise
// from their ages and surnames.
func relationOf(w *world, p, rel *person) string {
	if rel.hh != nil && rel.hh == p.hh {
		return householdRelation(p.relation, rel.relation)
	}
	d := rel.age(w.asOf) - p.age(w.asOf)
	same := surnameOf(p) == surnameOf(rel)
	switch {
	case d >= 45:
		return "grandparent"
	case d >= 18 && (same || !rel.male): // a mother keeps her own surname
		return "parent"
	case d >= 18:
		return "in_law"
	case d <= -45:
		return "grandchild"
	case d <= -18 && same:
		return "child"
	case d <= -18:
		return "in_law"
	case d > -15 && d < 15 && same:
		return "sibling"
	}
	return "other"
}

// householdRelation: how a member related to the head as b stands to one
// related to the head as a.
func householdRelation(a, b string) string {
	kid := func(s string) bool { return s == "子" || s == "女" }
	old := func(s string) bool { return s == "父亲" || s == "母亲" }
	grand := func(s string) bool { return s == "孙子" || s == "孙女" }
	switch {
	case a == "户主" && b == "配偶", a == "配偶" && b == "户主", old(a) && old(b):
		return "spouse"
	case (a == "户主" || a == "配偶") && kid(b), kid(a) && grand(b), old(a) && b == "户主":
		return "child"
	case kid(a) && (b == "户主" || b == "配偶"), grand(a) && kid(b), a == "户主" && old(b):
		return "parent"
	case kid(a) && kid(b), grand(a) && grand(b):
		return "sibling"
	case (a == "户主" || a == "配偶") && grand(b), old(a) && kid(b):
		return "grandchild"
	case kid(a) && old(b), grand(a) && (b == "户主" || b == "配偶"):
		return "grandparent"
	case a == "配偶" && old(b), old(a) && b == "配偶":
		return "in_law"
	}
	return "other"
}
