package pipeline

import (
	"context"
	"fmt"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/store"
)

// GroundResult is where a report from the ground went.
type GroundResult struct {
	Report   int64
	CaseID   string // the case it joined or opened
	Township string // the township the case is routed to (route.CountyQueue: the county's own queue)
	New      bool   // the case is new
}

// FileGroundReport records a report from the ground and puts its
// GRID-REPORT hit into the person's household's case at once — joining
// the open case or opening one, routed like any other (a person of
// another township goes to that township, not back to the reporter); the
// nightly evaluation keeps the hit until the case is closed. day is the
// county's today. Callers hold serve's job lock.
func (p *Pipeline) FileGroundReport(ctx context.Context, day time.Time, r store.GroundReport) (*GroundResult, error) {
	id, err := p.Store.AddGroundReport(ctx, r)
	if err != nil {
		return nil, err
	}
	reports, err := p.Store.OpenGroundReports(ctx, day)
	if err != nil {
		return nil, err
	}
	var mine []store.GroundReport
	for _, o := range reports {
		if o.IDNumber == r.IDNumber {
			mine = append(mine, o)
		}
	}
	hits, err := evaluate.GroundHits(ctx, p.Store, mine)
	if err != nil {
		return nil, err
	}
	if len(hits) != 1 {
		return nil, fmt.Errorf("ground report %d: no hit made", id)
	}
	h := hits[0]
	open, err := p.Store.OpenCases(ctx)
	if err != nil {
		return nil, err
	}
	// Only the person's household's case is planned: its other hits are
	// asserted as they are, so that none of them stops firing.
	var theirs []*cases.Case
	all := []cases.Hit{h}
	for _, c := range open {
		if c.Subject != h.Subject() {
			continue
		}
		theirs = append(theirs, c)
		for _, ch := range c.Hits {
			if ch.Active && !(ch.RuleID == h.RuleID && ch.IDNumber == h.IDNumber) {
				all = append(all, cases.Hit{RuleID: ch.RuleID, RuleVersion: ch.RuleVersion, Level: ch.Level, Reason: ch.Reason,
					IDNumber: ch.IDNumber, HouseholdID: c.HouseholdID, TownshipCode: c.TownshipCode,
					Facts: ch.Facts, Evidence: ch.Evidence, Severity: ch.Severity, Mark: ch.Mark, Route: ch.Route})
			}
		}
	}
	// The new hit's own township first: a household that moved goes there.
	all[0].TownshipCode = h.TownshipCode
	sup, err := p.Store.Suppressions(ctx, day)
	if err != nil {
		return nil, err
	}
	esc := cases.Escalation{MinRules: p.Pack.Escalation.MinRules, Level: p.Pack.Escalation.Level}
	plan := cases.MakePlan(day, all, theirs, sup, esc)
	if err := p.Store.ApplyPlan(ctx, plan, day, p.Pack.Version); err != nil {
		return nil, err
	}
	res := &GroundResult{Report: id, New: len(plan.New) > 0, Township: p.Router.Township(h.TownshipCode)}
	open, err = p.Store.OpenCases(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range open {
		if c.Subject == h.Subject() {
			// Where the case is now: a recusal case stays in the county's
			// queue whoever reported.
			res.CaseID, res.Township = c.ID, p.Router.Township(c.TownshipCode)
		}
	}
	if res.CaseID == "" && len(plan.Suppressed) > 0 {
		// Closed lately with the same finding: quiet for its cooldown.
		return res, nil
	}
	p.logger().Info("ground report filed", "report", id, "case", res.CaseID, "new", res.New, "township", res.Township)
	return res, nil
}
