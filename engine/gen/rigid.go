package gen

import (
	"math"
	"math/rand/v2"
	"slices"
	"time"
)

// The rest of issue 13: the medical lines relative to income and for one
// hospital stay, rigid-spending hardship (刚性支出困难) and its review, and
// recusal (回避, recusal.go). Like the assets, all of it is drawn after the
// other files are built, from streams of their own ("rigid:…", "recusal:…",
// "file:students", …), on households no earlier role and no bad row is
// about. What it changes in the earlier files, it changes in values only,
// never in the number of rows or the draws that dress them:
//
//   - medical/*.csv: the claims of the new subjects are a late batch (补录)
//     at the end of their month's file, numbered after the month's others,
//     their dirt drawn from a stream of their own; every other row is as
//     before.
//   - assistance.xlsx: a 刚性支出困难 status lasts at most 12 months. The
//     roster's rows of that category in force on AsOf that began 12 months
//     or more before it are the planted RIGID-REVIEW-OVERDUE subjects; every
//     other such period was reviewed, and its rows in force begin within
//     the last 12 months (开始日期 moved; the rows of members who left
//     before keep theirs).
//   - households.xlsx: the decoys that miss by their income (a per-capita
//     income above the line, an assessment dated after AsOf) have that
//     household's 家庭年收入 or 收入核定日期 changed.
//
// Rigid spending over the 12-month window (as_of − 12 calendar months,
// as_of] of a household is its active members' 个人自付, the 学费和住宿费 of
// each enrolment in force on some day of the window (counted once), and
// the 个人负担 of rehabilitation services in the window. No background
// household that is not covered and has a per-capita income below
// disposableIncome spends more than backgroundSpendShare of its income; no
// background person reaches the medical lines; no roster row of 刚性支出困难
// in force began 12 months or more before AsOf except the planted ones.

// Signals of the rest of issue 13.
const (
	SignalMedicalOOPRelative = "medical_oop_relative" // 12-month 个人自付 18,591.30-19,999.99, not covered
	SignalMedicalSingleStay  = "medical_single_stay"  // one settlement >= 10,000, 12-month total < 18,591.30, not covered
	SignalRigidSpending      = "rigid_spending"       // rigid spending > 60% of income, per capita below the line, not covered (household: the head)
	SignalRigidReviewOverdue = "rigid_review_overdue" // a 刚性支出困难 row in force that began 12 months or more before AsOf (each member with one)
	SignalRecusalAided       = "recusal_aided"        // an aided household related to assistance staff or a village cadre (household: the related member)
)

// Decoys of the rest of issue 13: near misses of one condition each.
const (
	DecoyMedRelativeCovered   = "medical_relative_covered"      // 12-month 个人自付 in the relative band, household covered
	DecoyMedRelativeBelow     = "medical_relative_below"        // 18,000-18,560, just below the relative line
	DecoyMedRelativeOld       = "medical_relative_old"          // in the band, all settled before the window (one on its first excluded day)
	DecoySingleStayCovered    = "single_stay_covered"           // one settlement >= 10,000, household covered
	DecoySingleStayBelow      = "single_stay_below"             // the largest settlement 9,000-9,999.99
	DecoySingleStayOld        = "single_stay_old"               // one settlement >= 10,000, before the window
	DecoyRigidCovered         = "rigid_spending_covered"        // rigid spending over the share, household covered
	DecoyRigidBelowShare      = "rigid_spending_below_share"    // rigid spending 45-57% of income
	DecoyRigidHighIncome      = "rigid_spending_high_income"    // over the share, per capita at or above the line
	DecoyRigidIncomeUnknown   = "rigid_spending_income_unknown" // over the share, the only assessment dated after AsOf
	DecoyRigidOld             = "rigid_spending_old"            // over the share before the window, under half of income in it
	DecoyRigidReviewRecent    = "rigid_review_recent"           // 刚性支出困难 in force, begun less than 12 months before AsOf
	DecoyRigidReviewEnded     = "rigid_review_ended"            // 刚性支出困难 begun long ago, ended before AsOf
	DecoyRecusalEnded         = "recusal_ended"                 // aided, the declaration ended on or before AsOf
	DecoyRecusalFuture        = "recusal_future"                // aided, the declaration registered after AsOf
	DecoyRecusalUnwarned      = "recusal_unwarned"              // related to township staff, not aided, no warning: nothing
	DecoyRecusalOtherTownship = "recusal_other_township"        // mark decoy on a planted household: staff of another township (noted, not routed)
	DecoyRecusalMarkEnded     = "recusal_mark_ended"            // mark decoy on a planted household: the declaration ended (no mark)
)

// Thresholds of the rest of issue 13 (see Params).
const (
	disposableIncome    = 41314   // yuan a person a year: last year's per-capita disposable income
	medicalIncomeShare  = 0.45    // of disposableIncome: the relative medical line
	relativeLine        = 1859130 // fen: 0.45 × 41,314 = 18,591.30
	singleStayLine      = 10000   // yuan: one settlement's 个人自付
	rigidShare          = 0.6     // rigid spending above this share of income
	rigidReviewMonths   = 12      // a 刚性支出困难 status lasts at most this long
	backgroundSpendMax  = 0.55    // background households below the line spend at most this share
	plantedSpendMin     = 0.64    // planted ones (and decoys over the share) at least this share
	belowShareLo        = 0.45    // rigid_spending_below_share spends 45-57%
	belowShareHi        = 0.57    //
	personOOPMax        = 1750000 // fen: a rigid-spending person's 12-month 个人自付 at most 17,500
	claimOOPMax         = 980000  // fen: and each of their settlements at most 9,800
	singleStayTotalMax  = 1800000 // fen: single-stay subjects' 12-month total at most 18,000
	relativeBandLo      = 1870000 // fen: planted relative subjects 18,700-19,900
	relativeBandHi      = 1990000 //
	relativeBelowLo     = 1800000 // fen: relative_below decoys 18,000-18,560
	relativeBelowHi     = 1856000 //
	backgroundRoomLarge = math.MaxInt64 / 4
)

// rigidRole is a household's role among the signals and decoys of the rest
// of issue 13, and its person.
type rigidRole struct {
	kind string
	p    *person
	n    int // how many households took the kind before
}

// rigidKind is one signal or decoy kind and how a household takes it.
type rigidKind struct {
	kind   string
	signal bool
	// take plants the kind on h if h fits it and returns its person, or
	// returns nil and changes nothing; i counts the households that took
	// the kind before.
	take func(x *handout, r *rand.Rand, h *household, i int) *person
}

// rigidKinds in the order they are handed out, one of each in turn.
var rigidKinds = []rigidKind{
	{SignalMedicalOOPRelative, true, (*handout).takeMedRelative},
	{SignalMedicalSingleStay, true, (*handout).takeSingleStay},
	{SignalRigidSpending, true, (*handout).takeRigidSpending},
	{SignalRigidReviewOverdue, true, (*handout).takeReviewOverdue},
	{SignalRecusalAided, true, takeRecusalAided},
	{DecoyMedRelativeCovered, false, (*handout).takeMedRelative},
	{DecoyMedRelativeBelow, false, (*handout).takeMedRelative},
	{DecoyMedRelativeOld, false, (*handout).takeMedRelative},
	{DecoySingleStayCovered, false, (*handout).takeSingleStay},
	{DecoySingleStayBelow, false, (*handout).takeSingleStay},
	{DecoySingleStayOld, false, (*handout).takeSingleStay},
	{DecoyRigidCovered, false, (*handout).takeRigidSpending},
	{DecoyRigidBelowShare, false, (*handout).takeRigidSpending},
	{DecoyRigidHighIncome, false, (*handout).takeRigidSpending},
	{DecoyRigidIncomeUnknown, false, (*handout).takeRigidSpending},
	{DecoyRigidOld, false, (*handout).takeRigidSpending},
	{DecoyRigidReviewRecent, false, (*handout).takeReviewOverdue},
	{DecoyRigidReviewEnded, false, (*handout).takeReviewOverdue},
	{DecoyRecusalEnded, false, takeRecusalAided},
	{DecoyRecusalFuture, false, takeRecusalAided},
	{DecoyRecusalUnwarned, false, takeRecusalAided},
}

// takeRecusalAided is (*world).takeRecusalAided (recusal.go) for the table.
func takeRecusalAided(x *handout, r *rand.Rand, h *household, i int) *person {
	return x.world.takeRecusalAided(r, h, i)
}

// isRigidKind reports a household kind of the rest of issue 13.
func isRigidKind(kind string) bool {
	return slices.ContainsFunc(rigidKinds, func(k rigidKind) bool { return k.kind == kind })
}

// quota: about 5 households of each signal and 3 of each decoy per 5,000.
func (k rigidKind) quota(w *world) int {
	if k.signal {
		return w.scaled(5, 1)
	}
	return w.scaled(3, 1)
}

// The records the rest of issue 13 adds.

// study is one enrolment (学籍) of a student at a school level.
type study struct {
	p        *person
	school   string
	level    string // preschool, primary, junior, senior, vocational, college
	grade    int    // years into the level on the school year's start
	enrolled time.Time
	left     time.Time // zero: still enrolled
	fees     int64     // fen a school year; -1: not reported (blank)
	// leftLater: the enrolment is written first as open, and again at the
	// end of the file with its 离校日期 (a later correction).
	leftLater bool
}

// rehab is one rehabilitation service settled by the disabled persons'
// federation (残联), one a month per item.
type rehab struct {
	p      *person
	date   time.Time
	item   string
	place  string
	total  int64 // fen
	self   int64 // fen: 个人负担
	cert   string
	aidAmt int64 // fen: 救助金额 (total - self)
}

// rigid draws the rest of issue 13: the roles, their records, the review of
// the roster, the background of the new files and the declarations.
func (w *world) rigid() {
	w.rigidIndex()
	runRigidRoles(w, w.rng("rigid:roles"))
	w.reviewRigid(w.rng("rigid:review"))
	w.backgroundSpending(w.rng("rigid:background"))
	w.recusal(w.rng("recusal:plant"), w.rng("recusal:background"))
	w.sortPlanted()
}

// runRigidRoles runs rigidRoles; BenchmarkRigidRoles wraps it to time it.
var runRigidRoles = (*world).rigidRoles

// rigidIndex indexes the records by person and the households covered and
// aided, for the roles.
func (w *world) rigidIndex() {
	w.claimsOf = map[*person][]*claim{}
	for _, c := range w.claims {
		w.claimsOf[c.p] = append(w.claimsOf[c.p], c)
	}
	w.coveredHH, w.aidedHH = w.coveredHouseholds(), w.aidedHouseholds()
	w.studiesOf, w.rehabsOf, w.certsOf = map[*person][]*study{}, map[*person][]*rehab{}, map[*person][]*cert{}
	for _, c := range w.certs {
		w.certsOf[c.p] = append(w.certsOf[c.p], c)
	}
}

// coveredHouseholds are those with an assistance row of any category in
// force on AsOf.
func (w *world) coveredHouseholds() map[*household]bool {
	out := map[*household]bool{}
	for _, a := range w.aids {
		if a.inForce(w.asOf) {
			out[a.p.hh] = true
		}
	}
	return out
}

func (a *aid) inForce(on time.Time) bool {
	return !a.start.After(on) && (a.end.IsZero() || !a.end.Before(on))
}

// freeForRigid: a household no earlier role, asset role or bad row is
// about, with an active head.
func (w *world) freeForRigid(h *household) bool {
	if h.role.special() || h.asset.kind != "" || w.badTouched[h] || h.rigid.kind != "" {
		return false
	}
	head, _ := w.holders(h)
	return head != nil && head.relation == "户主"
}

// rigidFits is false when a household cannot take a kind, by the checks a
// take makes before it draws anything, whatever the count of households
// that took the kind before: take returns nil at once for such a household.
// What it reads (cover, aid, income, members and their ages, the
// household's own records) changes during rigidRoles only for the
// households that take a kind, so for the others its answer stays what it
// was when rigidRoles began.
func (w *world) rigidFits(kind string, h *household) bool {
	return (&handout{world: w}).rigidFits(kind, h)
}

// rigidFits is w.rigidFits, reading the hand-out's caches.
func (x *handout) rigidFits(kind string, h *household) bool {
	w := x.world
	switch kind {
	case SignalMedicalOOPRelative, DecoyMedRelativeCovered, DecoyMedRelativeBelow, DecoyMedRelativeOld:
		covered := w.coveredHH[h]
		if covered != (kind == DecoyMedRelativeCovered) || w.aidedHH[h] && kind != DecoyMedRelativeCovered {
			return false
		}
		return x.hasAged(h, 18, 85) // else pickAged finds no one, drawing nothing
	case SignalMedicalSingleStay, DecoySingleStayCovered, DecoySingleStayBelow, DecoySingleStayOld:
		covered := w.coveredHH[h]
		if covered != (kind == DecoySingleStayCovered) || w.aidedHH[h] && kind != DecoySingleStayCovered {
			return false
		}
		return x.hasAged(h, 18, 85)
	case SignalRigidSpending, DecoyRigidCovered, DecoyRigidBelowShare, DecoyRigidHighIncome, DecoyRigidIncomeUnknown, DecoyRigidOld:
		if w.coveredHH[h] != (kind == DecoyRigidCovered) {
			return false
		}
		if kind != DecoyRigidCovered && !x.lowIncome(h) {
			return false
		}
		return !(kind == DecoyRigidHighIncome && len(x.facts(h).active) > 2 || x.spend12(h) > 3000_00)
	case SignalRigidReviewOverdue, DecoyRigidReviewRecent, DecoyRigidReviewEnded:
		// takeReviewOverdue draws nothing before it accepts.
		if kind == DecoyRigidReviewEnded {
			return !w.coveredHH[h] && w.endedOverdue(h) != nil
		}
		rows := w.rigidInForce(h)
		if len(rows) == 0 || len(w.aidsOf(h)) != len(rows) {
			return false // only households whose every row is the current rigid period
		}
		for _, a := range rows {
			if !a.p.birth.Before(a.start) {
				return false // a row begun before its person was born
			}
		}
		if kind == SignalRigidReviewOverdue {
			boundary := addMonths(w.asOf, -rigidReviewMonths) // a start on it is overdue
			for _, a := range rows {
				if !w.overdue(a) || a.start.After(boundary.Add(-days(20))) {
					return false
				}
			}
		}
		return true
	case SignalRecusalAided, DecoyRecusalEnded, DecoyRecusalFuture, DecoyRecusalUnwarned:
		if kind == DecoyRecusalUnwarned {
			if w.coveredHH[h] {
				return false
			}
		} else if !w.aidedHH[h] {
			return false
		}
		// pickAged's widest range: with no one in it, none in a narrower.
		return x.hasAged(h, 18, 80)
	}
	return true
}

// endedOverdue is the first active member of h with an overdue
// 刚性支出困难 row that ended before AsOf, or nil.
func (w *world) endedOverdue(h *household) *person {
	for _, a := range w.aidsOf(h) {
		if a.category == catRigid && a.p.status == active && !a.end.IsZero() && a.end.Before(w.asOf) && w.overdue(a) {
			return a.p
		}
	}
	return nil
}

// rigidClasses is how many lists of candidates a kind has: the parts of a
// rigid spending household (and so what it refuses without drawing) turn
// with the count of households that took the kind before.
func rigidClasses(kind string) int {
	switch kind {
	case SignalRigidSpending:
		return len(rigidParts)
	case DecoyRigidCovered, DecoyRigidBelowShare, DecoyRigidIncomeUnknown, DecoyRigidOld:
		return 3
	}
	return 1
}

// rigidRefusesParts is true when takeRigidSpending, for the i-th household
// of the kind, would refuse h for the parts of its spending before drawing
// anything: the first part it plans (education, else rehabilitation) has
// no one it could be for. Like rigidFits, it changes only for households
// that take a kind.
func (x *handout) rigidRefusesParts(kind string, h *household, i int) bool {
	var parts struct{ med, edu, rehab bool }
	switch kind {
	case SignalRigidSpending:
		parts = rigidParts[i%len(rigidParts)]
	case DecoyRigidCovered, DecoyRigidBelowShare, DecoyRigidIncomeUnknown, DecoyRigidOld:
		parts = rigidParts[[]int{0, 2, 3}[i%3]]
	default:
		return false
	}
	switch {
	case parts.edu:
		// eduPlan: no enrolment (and no draw) for ages outside 3-24 on
		// the school year, nor for 22-24 (enrolments draws for them only
		// when not generous, and eduPlan's are), or, for old ones, outside
		// 19-26.
		old := kind == DecoyRigidOld
		f := x.facts(h)
		for j := range f.active {
			if old {
				if a := f.age[j]; a >= 19 && a <= 26 {
					return false
				}
			} else if a := f.ageSY[j]; a >= 3 && a <= 21 {
				return false
			}
		}
		return true
	case parts.rehab:
		// rehabPlan: no one with a certificate or aged 6 or under.
		f := x.facts(h)
		for j := range f.active {
			if f.certs[j] > 0 || f.age[j] <= 6 {
				return false
			}
		}
		return true
	}
	return false
}

// rigidRoles hands the kinds out in turns over a seeded shuffle of the free
// households, and records each as planted or decoy. It returns how many
// times it called a take.
func (w *world) rigidRoles(r *rand.Rand) (takes int) {
	order := r.Perm(len(w.households))
	// Each kind is offered, in turn, the free households in order that fit
	// it (rigidFits): the others would refuse it at once, drawing nothing.
	// Whether a household is free and fits changes during the hand-out only
	// for the households that take a kind, so the candidates of each kind
	// are listed once, and a scan skips those taken since through next (the
	// next candidate that may still be free, with path compression): a scan
	// costs what it offers rather than the length of the county, and the
	// same households are offered to take, in the same order, as a scan of
	// every household would.
	// A kind whose refusals turn with the count (rigidClasses) has a list
	// per class of the count.
	// A candidate that refused after drawing stays on its list and is
	// offered the kind again at its next turn: its draws moved the stream
	// (the next offers draw other numbers), and it may take the kind with
	// other numbers. Those offers are what grows faster than the county
	// (about 47,000 takes at 50,000 households, 2.2 million at 400,000);
	// dropping a household after a refusal would make the hand-out linear
	// but another county. So an offer costs little instead (handout).
	type candidates struct {
		hh   []*household
		next []int32
	}
	lx := &handout{world: w} // each household's facts once, not kept
	cands := make([][]candidates, len(rigidKinds))
	for j, k := range rigidKinds {
		cands[j] = make([]candidates, rigidClasses(k.kind))
	}
	for _, i := range order {
		h := w.households[i]
		if !w.freeForRigid(h) {
			continue
		}
		for j, k := range rigidKinds {
			if !lx.rigidFits(k.kind, h) {
				continue
			}
			for cl := range cands[j] {
				if !lx.rigidRefusesParts(k.kind, h, cl) {
					cands[j][cl].hh = append(cands[j][cl].hh, h)
				}
			}
		}
	}
	for j := range cands {
		for cl := range cands[j] {
			c := &cands[j][cl]
			c.next = make([]int32, len(c.hh)+1)
			for i := range c.next {
				c.next[i] = int32(i)
			}
		}
	}
	find := func(next []int32, i int) int {
		root := i
		for int(next[root]) != root {
			root = int(next[root])
		}
		for int(next[i]) != root {
			i, next[i] = int(next[i]), int32(root)
		}
		return root
	}
	x := newHandout(w)
	x.listed = true // every household offered below is on its kind's list
	count := map[string]int{}
	for progress := true; progress; {
		progress = false
		for j, k := range rigidKinds {
			if count[k.kind] >= k.quota(w) {
				continue
			}
			c := &cands[j][count[k.kind]%len(cands[j])]
			for i := find(c.next, 0); i < len(c.hh); i = find(c.next, i+1) {
				h := c.hh[i]
				if h.rigid.kind != "" {
					c.next[i] = int32(i + 1) // taken by another kind
					continue
				}
				h.rigid.kind = k.kind // take reads its own kind
				takes++
				p := k.take(x, r, h, count[k.kind])
				if p == nil {
					h.rigid.kind = ""
					continue
				}
				h.rigid.p, h.rigid.n = p, count[k.kind]
				c.next[i] = int32(i + 1)
				count[k.kind]++
				progress = true
				break
			}
		}
	}
	for _, h := range w.households {
		k := h.rigid.kind
		switch {
		case k == "":
		case k == SignalRigidReviewOverdue:
			pl := &Planted{HouseholdID: h.id, TownshipCode: h.village.Town.Code}
			for _, p := range w.overdueMembers(h) {
				pl.Signals = append(pl.Signals, PlantedSignal{Signal: k, IDNumber: p.id})
			}
			w.planted = append(w.planted, pl)
		case slices.ContainsFunc(rigidKinds, func(x rigidKind) bool { return x.kind == k && x.signal }):
			w.planted = append(w.planted, &Planted{HouseholdID: h.id, TownshipCode: h.village.Town.Code,
				Signals: []PlantedSignal{{Signal: k, IDNumber: h.rigid.p.id}}})
		default:
			w.decoys = append(w.decoys, Decoy{HouseholdID: h.id, Kind: k, IDNumber: h.rigid.p.id})
		}
	}
	return takes
}

// Windows.

// addMonths is d moved n calendar months, the day kept or, past the end of
// the shorter month, its last day: as DuckDB's date ± INTERVAL n MONTH.
func addMonths(d time.Time, n int) time.Time {
	first := time.Date(d.Year(), d.Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, n, 0)
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d.Day(), last), 0, 0, 0, 0, time.UTC)
}

func (w *world) inWindow(d time.Time) bool { return d.After(w.windowStart()) && !d.After(w.asOf) }

// oop12 is a person's 个人自付 (fen) settled in the window, new claims
// included.
func (w *world) oop12(p *person) int64 {
	var s int64
	for _, c := range w.claimsOf[p] {
		if w.inWindow(c.date) {
			s += c.oop
		}
	}
	return s
}

// studyCounts: an enrolment's fees count in the window when its latest
// school year begun by AsOf — the enrolment date or an anniversary of it —
// began in the window and before leaving (facts.yaml rigid: a year's fees
// are paid when it begins).
func (w *world) studyCounts(s *study) bool {
	if s.enrolled.After(w.asOf) {
		return false
	}
	start := addYears(s.enrolled, w.asOf.Year()-s.enrolled.Year())
	if start.After(w.asOf) {
		start = addYears(s.enrolled, w.asOf.Year()-s.enrolled.Year()-1)
	}
	return start.After(w.windowStart()) && (s.left.IsZero() || start.Before(s.left))
}

// addYears is t n years on, 29 February becoming the 28th in a common
// year (as DuckDB's date + INTERVAL n YEAR does).
func addYears(t time.Time, n int) time.Time {
	y := t.Year() + n
	d := t.Day()
	if t.Month() == time.February && d == 29 && !(y%4 == 0 && (y%100 != 0 || y%400 == 0)) {
		d = 28
	}
	return time.Date(y, t.Month(), d, 0, 0, 0, 0, t.Location())
}

// spend12 is a household's rigid spending in the window (fen), all members
// counted (those no longer active too: never less than the rule's).
func (w *world) spend12(h *household) int64 {
	var s int64
	for _, p := range h.members {
		s += w.oop12(p)
		for _, st := range w.studiesOf[p] {
			if w.studyCounts(st) && st.fees > 0 {
				s += st.fees
			}
		}
		for _, x := range w.rehabsOf[p] {
			if w.inWindow(x.date) {
				s += x.self
			}
		}
	}
	return s
}

// incomeYear is the assessed annual income in fen, and per capita in yuan
// a year (家庭人口 as the households file writes it).
func (h *household) incomeYear() (annual int64, perCapita float64) {
	return h.income, float64(h.income) / 100 / float64(max(h.activeCount(), 1))
}

// lowIncome: per capita below the line, with a margin.
func (h *household) lowIncome() bool {
	_, pc := h.incomeYear()
	return pc < disposableIncome*0.97
}

// activeMembers are the household's members registered 正常.
func (h *household) activeMembers() []*person {
	var out []*person
	for _, p := range h.members {
		if p.status == active {
			out = append(out, p)
		}
	}
	return out
}

// maxClaim is a person's largest settlement in the window (fen).
func (w *world) maxClaim(p *person) int64 {
	var m int64
	for _, c := range w.claimsOf[p] {
		if w.inWindow(c.date) {
			m = max(m, c.oop)
		}
	}
	return m
}

// A spending plan: the records one role would add, kept apart until the
// household is taken. They are values (in buffers a hand-out reuses, see
// handout.plan), made records of the county only by commit: the many
// offers a hand-out makes and its households refuse allocate nothing.
type spendPlan struct {
	claims  []claim
	studies []planStudy
	rehabs  []rehab // cert: set by commit
}

// planStudy is a planned enrolment, its school's name (school) in parts
// until commit joins them.
type planStudy struct {
	study
	name schoolName
}

// schoolName is a school's name in up to three parts.
type schoolName [3]string

func (n schoolName) String() string { return n[0] + n[1] + n[2] }

// commit adds the plan's records to the county.
func (w *world) commit(pl *spendPlan) {
	for _, v := range pl.claims {
		c := new(claim)
		*c = v
		w.lateClaims = append(w.lateClaims, c)
		w.claimsOf[c.p] = append(w.claimsOf[c.p], c)
	}
	for _, v := range pl.studies {
		s := new(study)
		*s = v.study
		s.school = v.name.String()
		w.studies = append(w.studies, s)
		w.studiesOf[s.p] = append(w.studiesOf[s.p], s)
	}
	for _, v := range pl.rehabs {
		x := new(rehab)
		*x = v
		if cs := w.certsOf[x.p]; len(cs) > 0 {
			x.cert = cs[len(cs)-1].number()
		}
		w.rehabs = append(w.rehabs, x)
		w.rehabsOf[x.p] = append(w.rehabsOf[x.p], x)
	}
}

// inWin sums the plan's spending in the window (fen).
func (w *world) inWin(pl *spendPlan) int64 {
	var s int64
	for _, c := range pl.claims {
		if w.inWindow(c.date) {
			s += c.oop
		}
	}
	for i := range pl.studies {
		if st := &pl.studies[i].study; w.studyCounts(st) && st.fees > 0 {
			s += st.fees
		}
	}
	for _, x := range pl.rehabs {
		if w.inWindow(x.date) {
			s += x.self
		}
	}
	return s
}

// claimsFor adds settlements of a person to a plan, totalling oop fen or a
// little more (each at most most fen and a few fen) dated in [from, to].
func (w *world) claimsFor(r *rand.Rand, pl *spendPlan, p *person, oop, most int64, from, to time.Time) {
	for oop > 0 {
		part := oop
		if part > most {
			part = int64(between(r, int(most/2), int(most)))
			if oop-part < 300_00 {
				part = oop - 300_00 // the last one no crumb
			}
		}
		c := plannedClaim(p, dateBetween(r, from, to), pickHospital(r, part > 2000_00), part, 0.45+r.Float64()*0.2)
		pl.claims = append(pl.claims, c)
		oop -= c.oop
	}
}

// plannedClaim is *claimWithOOP(p, date, hospital, oop, fundShare, 0) as a
// value: the same loop over newClaim, which is inlined here, so that a
// plan's claims allocate nothing (TestPlannedClaim).
func plannedClaim(p *person, date time.Time, hospital string, oop int64, fundShare float64) claim {
	const critShare = 0
	c := *newClaim(p, date, hospital, int64(float64(oop)/(1-fundShare-critShare))+100, fundShare, critShare, 0)
	for c.oop < oop {
		c = *newClaim(p, date, hospital, c.total+100, fundShare, critShare, 0)
	}
	return c
}

// exactClaim is a settlement whose 个人自付 is exactly oop fen.
func exactClaim(r *rand.Rand, p *person, date time.Time, oop int64) claim {
	total := oop + int64(float64(oop)*(0.8+r.Float64()))/100*100
	c := claim{p: p, date: date, hospital: pickHospital(r, true), total: total, oop: oop}
	c.fund = total - oop
	return c
}

// The medical lines.

// takeMedRelative: a person's 12-month 个人自付 in [18,591.30, 20,000): the
// planted ones 18,700-19,900 (one exactly 18,591.30), half of them in a household whose rigid
// spending is over the share (only the exclusion keeps
// RIGID-SPENDING-UNCOVERED off); decoys covered, just below, or before the
// window.
func (x *handout) takeMedRelative(r *rand.Rand, h *household, i int) *person {
	w, kind := x.world, h.rigid.kind
	if !x.listed && !x.rigidFits(kind, h) {
		return nil
	}
	p := x.pickAged(r, h, 18, 85)
	if p == nil || x.oop12(h, p) > 5000_00 {
		return nil
	}
	annual, _ := x.incomeYear(h)
	pl := x.plan()
	from, to := w.asOf.Add(-days(330)), w.asOf.Add(-days(3))
	switch kind {
	case SignalMedicalOOPRelative, DecoyMedRelativeCovered:
		target := int64(between(r, relativeBandLo/100, relativeBandHi/100)) * 100
		if kind == SignalMedicalOOPRelative && i%2 == 0 {
			// Exclusion matters: the household's spending is over the share.
			if !x.lowIncome(h) || float64(target+x.spend12(h)-x.oop12(h, p)) <= plantedSpendMin*float64(annual) {
				return nil
			}
		}
		most := int64(claimOOPMax)
		if i%3 == 1 {
			most = 1400000 // one large bill among them (the single-stay line does not apply above 18,591.30)
		}
		if kind == SignalMedicalOOPRelative && i == 3 {
			// Exactly on the line: the last settlement makes up the rest.
			w.claimsFor(r, pl, p, relativeLine-x.oop12(h, p)-3000_00, most, from, to)
			rest := relativeLine - x.oop12(h, p) - w.inWin(pl)
			pl.claims = append(pl.claims, exactClaim(r, p, dateBetween(r, from, to), rest))
			break
		}
		w.claimsFor(r, pl, p, target-x.oop12(h, p), most, from, to)
	case DecoyMedRelativeBelow:
		target := int64(between(r, relativeBelowLo/100, relativeBelowHi/100)) * 100
		if float64(target+x.spend12(h)-x.oop12(h, p)) >= backgroundSpendMax*float64(annual) {
			return nil // RIGID-SPENDING-UNCOVERED must not take it
		}
		w.claimsFor(r, pl, p, target-x.oop12(h, p), claimOOPMax, from, to)
	case DecoyMedRelativeOld:
		// Settled in the two months before the window; one on its last
		// excluded day.
		target := int64(between(r, relativeBandLo/100, relativeBandHi/100)) * 100
		first, last := w.firstMonth(), w.windowStart()
		w.claimsFor(r, pl, p, target, claimOOPMax, first, last)
		if i%2 == 0 {
			pl.claims[0].date = last
		}
	}
	if x.oop12(h, p)+w.inWin(pl) >= medicalThreshold*100 {
		return nil
	}
	x.commit(pl)
	return p
}

// takeSingleStay: one settlement of 个人自付 >= 10,000 (one exactly 10,000)
// and a 12-month total below 18,000; decoys covered, largest 9,000-9,999.99
// (one 9,999.99), or the large settlement before the window.
func (x *handout) takeSingleStay(r *rand.Rand, h *household, i int) *person {
	w, kind := x.world, h.rigid.kind
	if !x.listed && !x.rigidFits(kind, h) {
		return nil
	}
	p := x.pickAged(r, h, 18, 85)
	if p == nil || x.oop12(h, p) > 3000_00 || w.maxClaim(p) >= 5000_00 {
		return nil
	}
	annual, _ := x.incomeYear(h)
	pl := x.plan()
	from, to := w.asOf.Add(-days(300)), w.asOf.Add(-days(3))
	var big int64
	switch kind {
	case SignalMedicalSingleStay, DecoySingleStayCovered, DecoySingleStayOld:
		big = int64(between(r, 10000, 15000)) * 100
		if i == 0 {
			big = singleStayLine * 100
		}
	case DecoySingleStayBelow:
		big = int64(between(r, 9000, 9999))*100 + int64(r.IntN(100))
		if i == 0 {
			big = singleStayLine*100 - 1
		}
	}
	date := dateBetween(r, from, to)
	if kind == DecoySingleStayOld {
		date = dateBetween(r, w.firstMonth(), w.windowStart())
		if i%2 == 0 {
			date = w.windowStart()
		}
	}
	pl.claims = append(pl.claims, exactClaim(r, p, date, big))
	if r.IntN(2) == 0 {
		// A follow-up visit or two.
		w.claimsFor(r, pl, p, int64(between(r, 300, 3000))*100, 2000_00, date, to)
	}
	total := x.oop12(h, p) + w.inWin(pl)
	if total >= singleStayTotalMax {
		return nil
	}
	rest := float64(x.spend12(h) + w.inWin(pl))
	switch {
	case kind == SignalMedicalSingleStay && i%2 == 0:
		// Exclusion matters: over the share, below the line.
		if !x.lowIncome(h) || rest <= plantedSpendMin*float64(annual) {
			return nil
		}
	case kind == DecoySingleStayBelow || kind == DecoySingleStayOld:
		if rest >= backgroundSpendMax*float64(annual) {
			return nil
		}
	}
	x.commit(pl)
	return p
}

// Rigid spending.

// rigidParts are the parts of a planted household's rigid spending, in
// turn: medical and education, education and rehabilitation, medical and
// rehabilitation, all three, medical alone.
var rigidParts = []struct{ med, edu, rehab bool }{
	{true, true, false}, {false, true, true}, {true, false, true}, {true, true, true}, {true, false, false},
}

// takeRigidSpending plants a household's rigid spending, or a decoy's:
// education and rehabilitation drawn as they come, the medical part
// filling up to a share of income drawn for the kind.
func (x *handout) takeRigidSpending(r *rand.Rand, h *household, i int) *person {
	w, kind := x.world, h.rigid.kind
	if !x.listed && !x.rigidFits(kind, h) {
		return nil
	}
	annual, _ := x.incomeYear(h)
	parts := rigidParts[i%len(rigidParts)]
	if kind != SignalRigidSpending {
		parts = rigidParts[[]int{0, 2, 3}[i%3]] // decoys: medical and one or two more
	}
	pl := x.plan()
	old := kind == DecoyRigidOld
	if kind == DecoyRigidHighIncome {
		// Whatever the household has: the more the better.
		x.eduPlan(r, pl, h, true, false, i)
		x.rehabPlan(r, pl, h, true, false)
		parts.med = true
	} else {
		if parts.edu && !x.eduPlan(r, pl, h, true, old, i) {
			return nil
		}
		if parts.rehab && !x.rehabPlan(r, pl, h, true, old) {
			return nil
		}
	}
	have := w.inWin(pl)
	if old {
		have = w.oldSpend(pl)
	}
	lo, hi := plantedSpendMin+0.02, 0.95
	if kind == DecoyRigidBelowShare {
		lo, hi = belowShareLo+0.01, belowShareHi-0.01
	}
	target := int64(float64(annual) * (lo + r.Float64()*(hi-lo)))
	if kind == DecoyRigidHighIncome {
		target = backgroundRoomLarge // the income is set after
	}
	if parts.med {
		from, to := w.asOf.Add(-days(330)), w.asOf.Add(-days(3))
		if old {
			from, to = w.firstMonth(), w.windowStart()
		}
		ms := x.members(h)
		r.Shuffle(len(ms), func(a, b int) { ms[a], ms[b] = ms[b], ms[a] })
		for j, p := range ms {
			if j == 2 || have >= target {
				break
			}
			room := int64(personOOPMax) - x.oop12(h, p)
			if old {
				room = personOOPMax
			}
			want := min(target-have, room)
			if kind != DecoyRigidHighIncome {
				want = min(want, int64(between(r, 6000, 17500))*100)
			}
			if want < 1000_00 {
				continue
			}
			n := len(pl.claims)
			w.claimsFor(r, pl, p, want, claimOOPMax, from, to)
			for _, c := range pl.claims[n:] {
				have += c.oop
			}
		}
		if old && len(pl.claims) > 0 && i%2 == 0 {
			pl.claims[0].date = w.windowStart() // the first day out
		}
	}
	for k, p := range h.members {
		if x.memberOOP(h, k)+planOOP(pl, p, w) >= personOOPMax+100_00 {
			return nil
		}
	}
	// The household's spending in the window, old records kept out.
	now := x.spend12(h) + w.inWin(pl)
	switch kind {
	case SignalRigidSpending, DecoyRigidCovered, DecoyRigidIncomeUnknown:
		if float64(now) <= plantedSpendMin*float64(annual) {
			return nil
		}
	case DecoyRigidBelowShare:
		if s := float64(now) / float64(annual); s < belowShareLo || s > belowShareHi {
			return nil
		}
	case DecoyRigidOld:
		if float64(have) <= plantedSpendMin*float64(annual) || float64(now) > 0.5*float64(annual) {
			return nil
		}
	case DecoyRigidHighIncome:
		// A per-capita income just above the line, the spending still
		// over the share.
		n := max(h.activeCount(), 1)
		pc := int64(math.Ceil(disposableIncome*(1.01+r.Float64()*0.05)/100)) * 100
		newAnnual := pc * int64(n) * 100
		if float64(now) <= plantedSpendMin*float64(newAnnual) {
			return nil
		}
		h.income = newAnnual
	}
	if kind == DecoyRigidIncomeUnknown {
		h.assessed = w.asOf.Add(days(between(r, 3, 45)))
	}
	x.commit(pl)
	head, _ := w.holders(h)
	return head
}

// planOOP is a person's 个人自付 in the window within a plan.
func planOOP(pl *spendPlan, p *person, w *world) int64 {
	var s int64
	for _, c := range pl.claims {
		if c.p == p && w.inWindow(c.date) {
			s += c.oop
		}
	}
	return s
}

// oldSpend sums a plan's spending before the window (fen).
func (w *world) oldSpend(pl *spendPlan) int64 {
	var s int64
	for _, c := range pl.claims {
		if !c.date.After(w.windowStart()) {
			s += c.oop
		}
	}
	for i := range pl.studies {
		if st := &pl.studies[i].study; !w.studyCounts(st) && st.fees > 0 {
			s += st.fees
		}
	}
	for _, x := range pl.rehabs {
		if !x.date.After(w.windowStart()) {
			s += x.self
		}
	}
	return s
}

// eduPlan adds the enrolments of the household's students: in force in
// the window, or (old) all ended by its start. False when nobody studies.
func (x *handout) eduPlan(r *rand.Rand, pl *spendPlan, h *household, generous, old bool, i int) bool {
	n := len(pl.studies)
	f := x.facts(h)
	for j, p := range f.active {
		if old {
			if a := f.age[j]; a >= 19 && a <= 26 {
				pl.studies = append(pl.studies, x.oldStudy(r, p, i))
			}
			continue
		}
		pl.studies = x.enrolmentsAged(r, p, f.ageSY[j], generous, pl.studies)
	}
	fees := int64(0)
	for _, s := range pl.studies[n:] {
		fees += max(s.fees, 0)
	}
	return fees >= 1500_00
}

// oldStudy is a college enrolment that ended by the window's start (on its
// first excluded day for some).
func (w *world) oldStudy(r *rand.Rand, p *person, i int) planStudy {
	left := time.Date(w.windowStart().Year(), time.July, 1, 0, 0, 0, 0, time.UTC)
	if left.After(w.windowStart()) {
		left = left.AddDate(-1, 0, 0)
	}
	if i%3 == 0 {
		left = w.windowStart() // 退学 on the day
	}
	enrolled := time.Date(left.Year()-4, time.September, 1, 0, 0, 0, 0, time.UTC)
	if adult := p.birth.AddDate(17, 0, 0); enrolled.Before(adult) {
		enrolled = time.Date(adult.Year(), time.September, 1, 0, 0, 0, 0, time.UTC)
	}
	private := r.IntN(2) == 0
	name := collegeName(r, private)
	return planStudy{study: study{p: p, level: "college", enrolled: enrolled, left: left, fees: collegeFees(r, private)}, name: schoolName{name}}
}

// rehabPlan adds rehabilitation services for one member: one who holds a
// disability certificate, or else the youngest child up to 6; monthly
// training over most of the window (or before it). False when nobody can
// have them.
func (x *handout) rehabPlan(r *rand.Rand, pl *spendPlan, h *household, generous, old bool) bool {
	w := x.world
	from, to := w.windowStart().Add(days(1)), w.asOf
	if old {
		from, to = w.firstMonth(), w.windowStart()
	}
	f := x.facts(h)
	who := -1 // in f.active
	for j, p := range f.active {
		switch {
		case f.certs[j] > 0:
			if who < 0 || f.certs[who] == 0 {
				who = j
			}
		case f.age[j] <= 6 && (who < 0 || f.certs[who] == 0 && p.birth.After(f.active[who].birth)):
			who = j
		}
	}
	if who < 0 {
		return false
	}
	n := len(pl.rehabs)
	pl.rehabs = w.servicesAged(r, f.active[who], f.age[who], generous, from, to, pl.rehabs)
	self := int64(0)
	for _, v := range pl.rehabs[n:] {
		self += v.self
	}
	return self >= 2000_00
}

// Rigid review.

// rigidInForce are the household's 刚性支出困难 rows in force on AsOf.
func (w *world) rigidInForce(h *household) []*aid {
	var out []*aid
	for _, a := range w.aidsOf(h) {
		if a.category == catRigid && a.inForce(w.asOf) {
			out = append(out, a)
		}
	}
	return out
}

// aidsOf is a household's assistance rows, in w.aids's order. The rows
// by household are indexed once and again whenever rows were added (they
// are only ever appended, and a person's household never changes), so
// planting stays linear in the county's size (a scan per household made a
// 60,000-household county take five minutes).
func (w *world) aidsOf(h *household) []*aid {
	if w.aidsByHH == nil || w.aidsIndexed != len(w.aids) {
		w.aidsByHH = map[*household][]*aid{}
		for _, a := range w.aids {
			w.aidsByHH[a.p.hh] = append(w.aidsByHH[a.p.hh], a)
		}
		w.aidsIndexed = len(w.aids)
	}
	return slices.Clone(w.aidsByHH[h])
}

// overdue: the row's status began 12 months or more before AsOf.
func (w *world) overdue(a *aid) bool { return !addMonths(a.start, rigidReviewMonths).After(w.asOf) }

// overdueMembers are the members whose 刚性支出困难 row in force is overdue.
func (w *world) overdueMembers(h *household) []*person {
	var out []*person
	for _, a := range w.rigidInForce(h) {
		if w.overdue(a) && !slices.Contains(out, a.p) {
			out = append(out, a.p)
		}
	}
	return out
}

// takeReviewOverdue: a household on 刚性支出困难 since 12 months or more
// (one since exactly 12 months); decoys since just under 12 months (one a
// day short), or begun long ago and ended before AsOf.
func (x *handout) takeReviewOverdue(r *rand.Rand, h *household, i int) *person {
	w, kind := x.world, h.rigid.kind
	if !x.listed && !x.rigidFits(kind, h) {
		return nil
	}
	if kind == DecoyRigidReviewEnded {
		return w.endedOverdue(h)
	}
	rows := w.rigidInForce(h)
	boundary := addMonths(w.asOf, -rigidReviewMonths) // a start on it is overdue
	switch kind {
	case SignalRigidReviewOverdue:
		if i == 0 {
			w.setStart(rows, boundary)
		}
	case DecoyRigidReviewRecent:
		start := boundary.Add(days(between(r, 1, 25)))
		if i == 0 {
			start = boundary.Add(days(1))
		}
		w.setStart(rows, start)
	}
	return rows[0].p
}

// setStart moves the start of a period's rows in force.
func (w *world) setStart(rows []*aid, start time.Time) {
	for _, a := range rows {
		a.start = start
	}
}

// reviewRigid: every other 刚性支出困难 period in force that began 12
// months or more before AsOf was reviewed; its rows in force begin again
// 20 days to 11 months before AsOf (and before a recipient's death).
func (w *world) reviewRigid(r *rand.Rand) {
	periods := map[string][]*aid{}
	var keys []string
	for _, a := range w.aids {
		if a.category != catRigid || !a.inForce(w.asOf) || !w.overdue(a) {
			continue
		}
		switch a.p.hh.rigid.kind {
		case SignalRigidReviewOverdue, DecoyRigidReviewRecent:
			continue
		}
		k := a.p.hh.id + a.period.String()
		if _, ok := periods[k]; !ok {
			keys = append(keys, k)
		}
		periods[k] = append(periods[k], a)
	}
	slices.Sort(keys)
	from := addMonths(w.asOf, -rigidReviewMonths).Add(days(20))
	for _, k := range keys {
		to := w.asOf.Add(-days(20))
		for _, a := range periods[k] {
			if a.p.status != active && a.p.statusDate.Add(-days(20)).Before(to) {
				to = a.p.statusDate.Add(-days(20))
			}
		}
		if to.Before(from) {
			to = from
		}
		w.setStart(periods[k], dateBetween(r, from, to))
	}
}

// Background.

// spendRole: a household whose role plants medical or rigid spending.
func spendRole(kind string) bool {
	switch kind {
	case SignalMedicalOOPRelative, SignalMedicalSingleStay, SignalRigidSpending,
		DecoyMedRelativeCovered, DecoyMedRelativeBelow, DecoyMedRelativeOld,
		DecoySingleStayCovered, DecoySingleStayBelow, DecoySingleStayOld,
		DecoyRigidCovered, DecoyRigidBelowShare, DecoyRigidHighIncome, DecoyRigidIncomeUnknown, DecoyRigidOld:
		return true
	}
	return false
}

// room is what a background household may still spend in the window (fen):
// households not covered below the line at most backgroundSpendMax of
// their income in all.
func (w *world) room(h *household) int64 {
	annual, pc := h.incomeYear()
	if w.coveredHH[h] || pc >= disposableIncome {
		return backgroundRoomLarge
	}
	return int64(backgroundSpendMax*float64(annual)) - w.spend12(h)
}

// backgroundSpending gives the households with no special or spending role
// their students and rehabilitation services, within their room.
func (w *world) backgroundSpending(r *rand.Rand) {
	for _, h := range w.households {
		if h.role.special() || spendRole(h.rigid.kind) {
			continue
		}
		for _, p := range h.activeMembers() {
			for _, s := range w.enrolments(r, p, false) {
				if s.fees > 0 && w.studyCounts(&s.study) {
					if room := w.room(h); s.fees > room {
						// 资助: the fees are waived as far as needed.
						s.fees = max(room, 0) / 100_00 * 100_00
					}
				}
				w.commit(&spendPlan{studies: []planStudy{s}})
			}
			if len(w.certsOf[p]) > 0 && r.IntN(100) < 25 || p.age(w.asOf) <= 6 && r.IntN(100) < 2 {
				for _, x := range w.services(r, p, false, w.firstMonth(), w.asOf) {
					if w.inWindow(x.date) && x.self > w.room(h) {
						x.self = 0
						x.aidAmt = x.total
					}
					w.commit(&spendPlan{rehabs: []rehab{x}})
				}
			}
		}
	}
	// Now and then a background student dropped out: written open first,
	// then with the day they left.
	for _, s := range w.studies {
		if s.left.IsZero() && !s.p.hh.role.special() && !spendRole(s.p.hh.rigid.kind) && s.enrolled.Before(w.asOf.Add(-days(60))) && r.IntN(100) < 2 {
			s.left = dateBetween(r, s.enrolled.Add(days(30)), w.asOf.Add(-days(10)))
			s.leftLater = true
		}
	}
}

// School.

// schoolYear is the start (1 September) of the school year AsOf is in.
func (w *world) schoolYear() time.Time {
	y := w.asOf.Year()
	if w.asOf.Month() < time.September {
		y--
	}
	return time.Date(y, time.September, 1, 0, 0, 0, 0, time.UTC)
}

// levelYears is how long each level lasts.
var levelYears = map[string]int{"preschool": 3, "primary": 6, "junior": 3, "senior": 3, "vocational": 3, "college": 4}

// enrolments draws a person's enrolments in force in the window: the
// current level by age on the school year's start, and the level before it
// when it ended this summer. generous: planted households, whose students
// go to private kindergartens and colleges more often.
func (w *world) enrolments(r *rand.Rand, p *person, generous bool) []planStudy {
	return w.enrolmentsAged(r, p, p.age(w.schoolYear()), generous, nil)
}

// enrolmentsAged appends to out the enrolments of a person aged age on the
// school year's start.
func (w *world) enrolmentsAged(r *rand.Rand, p *person, age int, generous bool, out []planStudy) []planStudy {
	sy := w.schoolYear()
	var level string
	var grade int
	switch {
	case age >= 3 && age <= 5:
		if r.IntN(100) < 85 || generous {
			level, grade = "preschool", age-3
		}
	case age >= 6 && age <= 11:
		level, grade = "primary", age-6
	case age >= 12 && age <= 14:
		level, grade = "junior", age-12
	case age >= 15 && age <= 17:
		switch n := r.IntN(100); {
		case n < 62:
			level = "senior"
		case n < 92:
			level = "vocational"
		}
		grade = age - 15
	case age >= 18 && age <= 21:
		if generous || r.IntN(100) < 50 {
			level, grade = "college", age-18
		}
	case age >= 22 && age <= 24:
		if !generous && r.IntN(100) < 4 {
			level, grade = "college", age-22 // 研究生
		}
	}
	if level != "" {
		private := generous && r.IntN(100) < 55 || !generous && r.IntN(100) < 12
		s := planStudy{study: study{p: p, level: level, grade: grade, enrolled: schoolDay(r, sy.AddDate(-grade, 0, 0))}}
		s.name, s.fees = schoolOf(r, p, level, private)
		out = append(out, s)
	}
	// The level finished this summer: this year's school leavers and those
	// who went on.
	if prev := previousLevel(level, age); prev != "" && (grade == 0 || level == "") && r.IntN(100) < 80 {
		left := time.Date(sy.Year(), time.July, 1, 0, 0, 0, 0, time.UTC).Add(days(between(r, -3, 5)))
		years := levelYears[prev]
		s := planStudy{study: study{p: p, level: prev, enrolled: schoolDay(r, sy.AddDate(-years, 0, 0)), left: left, grade: years - 1}}
		s.name, s.fees = schoolOf(r, p, prev, generous && r.IntN(2) == 0)
		out = append(out, s)
	}
	return out
}

// previousLevel is the level a student of that age left this summer, if any.
func previousLevel(level string, age int) string {
	switch {
	case level == "primary" && age == 6:
		return "preschool"
	case level == "junior" && age == 12:
		return "primary"
	case (level == "senior" || level == "vocational" || level == "") && age == 15:
		return "junior"
	case (level == "college" || level == "") && age == 18:
		return "senior"
	}
	return ""
}

// schoolDay is the day a school year's enrolment was recorded: 1 September
// mostly, a few days around it.
func schoolDay(r *rand.Rand, sept time.Time) time.Time {
	if r.IntN(100) < 70 {
		return sept
	}
	return sept.Add(days(between(r, -4, 4)))
}

// schoolOf names a school of the level near the person and its 学费和住宿费
// a school year (fen; -1 where nothing is charged and the cell is blank).
// The name comes in parts, joined only for the enrolments committed.
func schoolOf(r *rand.Rand, p *person, level string, private bool) (schoolName, int64) {
	town := p.hh.village.Town.Name
	yuan := func(lo, hi int) int64 { return int64(between(r, lo/10, hi/10)) * 10 * 100 }
	switch level {
	case "preschool":
		if private {
			return schoolName{countyName, pickText(r, "小天使", "阳光", "金色童年", "博雅", "蓝天"), "幼儿园"}, yuan(6000, 12000)
		}
		return schoolName{town, pickText(r, "中心幼儿园", "中心幼儿园", "第二幼儿园")}, yuan(2400, 4800)
	case "primary":
		name := schoolName{town, pickText(r, "中心小学", "中心小学", "第二小学")}
		if p.hh.village.Urban && r.IntN(3) == 0 {
			name = schoolName{countyName + "实验小学"}
		}
		if r.IntN(100) < 20 {
			return name, yuan(400, 800) // 住宿费
		}
		return name, -1
	case "junior":
		name := schoolName{town, "初级中学"}
		if p.hh.village.Urban && r.IntN(3) == 0 {
			name = schoolName{countyName + "第二中学"}
		}
		if r.IntN(100) < 35 {
			return name, yuan(500, 1200)
		}
		return name, -1
	case "senior":
		return schoolName{countyName, pickText(r, "第一中学", "第一中学", "第二中学", "实验中学")}, yuan(1600, 3600)
	case "vocational":
		return schoolName{pickText(r, countyName+"职业教育中心", countyName+"职业教育中心", "示例市工业学校", "示例市卫生学校")}, yuan(0, 1200)
	}
	return schoolName{collegeName(r, private)}, collegeFees(r, private)
}

func collegeName(r *rand.Rand, private bool) string {
	if private {
		return pickText(r, "示例科技学院", "示例大学城市学院", "示例商贸学院", "示例艺术职业学院")
	}
	return pickText(r, "示例职业技术学院", "示例师范学院", "示例理工大学", "示例医学院", "示例农业大学", "示例财经大学")
}

func collegeFees(r *rand.Rand, private bool) int64 {
	if private {
		return int64(between(r, 1400, 2200)) * 10 * 100
	}
	return int64(between(r, 500, 780)) * 10 * 100
}

// Rehabilitation.

// rehabTraining is the monthly training by disability category (1-7),
// rehabFitting the aid fitted once.
var (
	rehabTraining = map[int][]string{
		1: {"视力康复训练"}, 2: {"听力言语康复训练", "人工耳蜗术后康复"}, 3: {"言语康复训练"}, 4: {"肢体康复训练"},
		5: {"智力残疾康复训练"}, 6: {"精神康复服务", "精神障碍社区康复"}, 7: {"综合康复训练"},
	}
	rehabFitting = map[int]string{1: "低视力助视器适配", 2: "助听器验配"}
	childItems   = []string{"孤独症儿童康复训练", "孤独症儿童康复训练", "脑瘫儿童康复训练", "听力言语康复训练", "智力残疾康复训练"}
	childPlaces  = []string{"示例县残疾人康复中心", "示例市儿童康复中心", "示例市儿童康复中心", "示例县特殊教育学校"}
	rehabPlaces  = []string{"示例县残疾人康复中心", "示例县残疾人康复中心", "示例县人民医院康复科", "示例县中医院康复科"}
)

// services draws a person's rehabilitation in [from, to]: monthly training
// (children: most months; adults: some), and for some adults an aid fitted
// once. generous: what a family pays is a large share of the cost.
// Their certificate number (cert) is left to commit.
func (w *world) services(r *rand.Rand, p *person, generous bool, from, to time.Time) []rehab {
	return w.servicesAged(r, p, p.age(w.asOf), generous, from, to, nil)
}

// servicesAged appends to out the services of a person aged age on AsOf.
func (w *world) servicesAged(r *rand.Rand, p *person, age int, generous bool, from, to time.Time, out []rehab) []rehab {
	cat := 0
	if cs := w.certsOf[p]; len(cs) > 0 {
		cat = cs[len(cs)-1].category
	}
	child := age <= 14
	var item, place string
	switch {
	case child && (cat == 0 || cat == 4 || cat == 5):
		item, place = pickText(r, childItems...), pickText(r, childPlaces...)
	case child:
		item, place = pickText(r, rehabTraining[cat]...), pickText(r, childPlaces...)
	default:
		item, place = pickText(r, rehabTraining[max(cat, 1)]...), pickText(r, rehabPlaces...)
	}
	share := func() float64 {
		if generous {
			return 0.35 + r.Float64()*0.35
		}
		if r.IntN(100) < 60 {
			return 0
		}
		return r.Float64() * 0.08
	}
	add := func(d time.Time, it string, total int64) {
		if d.Before(from) || d.After(to) || d.After(w.asOf) {
			return
		}
		self := int64(float64(total)*share()) / 100 * 100
		out = append(out, rehab{p: p, date: d, item: it, place: place, total: total, self: self, aidAmt: total - self})
	}
	every := 1
	if !child && !generous {
		every = between(r, 2, 4)
	}
	start := between(r, 0, 2)
	m := time.Date(from.Year(), from.Month(), 1, 0, 0, 0, 0, time.UTC)
	for k := 0; !m.After(to); k++ {
		if k >= start && (k-start)%every == 0 {
			d := m.AddDate(0, 1, -1) // settled at the month's end, or on the day the window closes
			if d.After(to) {
				d = to
			}
			var total int64
			if child {
				total = int64(between(r, 240, 420)) * 10 * 100
			} else {
				total = int64(between(r, 60, 200)) * 10 * 100
			}
			add(d, item, total)
		}
		m = m.AddDate(0, 1, 0)
	}
	if !child && cat > 0 && r.IntN(100) < 40 {
		fit := rehabFitting[cat]
		if fit == "" {
			fit = "辅助器具适配"
		}
		add(dateBetween(r, from, to), fit, int64(between(r, 150, 800))*10*100)
	}
	return out
}
