package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/store"
)

// FeedbackResult is what importing returned lists did.
type FeedbackResult struct {
	Closed    int                 // cases closed by this import
	Unchanged int                 // outcomes already applied (importing again changes nothing)
	Rejected  []dispatch.RowError // rows not taken, each with its reason
}

// Feedback applies the outcomes in returned township lists. Valid rows
// close their cases; invalid rows are rejected with a reason and change
// nothing; importing the same file again changes nothing.
func (p *Pipeline) Feedback(ctx context.Context, day time.Time, files []string) (*FeedbackResult, error) {
	res := &FeedbackResult{}
	opts := dispatch.Options{County: p.Cfg.County.Name, AsOf: day}
	for _, f := range files {
		fbs, rejected, err := dispatch.ReadFeedback(f, opts)
		if err != nil {
			return nil, err
		}
		res.Rejected = append(res.Rejected, rejected...)
		fbs, foreign, err := p.ownTownship(ctx, fbs)
		if err != nil {
			return nil, err
		}
		res.Rejected = append(res.Rejected, foreign...)
		var closedIDs []string
		for _, fb := range fbs {
			on := fb.VerifiedOn
			if on.IsZero() {
				on = day
			}
			keep := p.Cfg.Cases.ReopenAfter
			if fb.Outcome == "not_eligible" {
				keep = p.Cfg.Cases.Cooldown
			}
			// The cooldown runs from the import, not from a date a township
			// typed: a mistyped year must not shorten it.
			closed, err := p.Store.CloseCase(ctx, store.Closing{CaseID: fb.CaseID, Outcome: fb.Outcome, Note: fb.Note,
				VerifiedBy: fb.VerifiedBy, On: on, Until: day.Add(time.Duration(keep))})
			var state *store.CaseStateError
			switch {
			case errors.Is(err, store.ErrNoCase):
				res.Rejected = append(res.Rejected, rowError(fb, "预警编号不存在 (no such case)"))
			case errors.As(err, &state):
				res.Rejected = append(res.Rejected, rowError(fb, state.Error()))
			case err != nil:
				return nil, err
			case closed:
				res.Closed++
				closedIDs = append(closedIDs, fb.CaseID)
			default:
				res.Unchanged++
			}
		}
		if err := p.Store.Audit(ctx, p.actor(), "feedback_import", f, map[string]any{
			"rows": len(fbs), "closed": closedIDs, "rejected": len(rejected)}); err != nil {
			return nil, err
		}
	}
	p.logger().Info("feedback imported", "files", len(files), "closed", res.Closed, "unchanged", res.Unchanged, "rejected", len(res.Rejected))
	return res, nil
}

// ownTownship keeps the rows of the township a returned list belongs to —
// the township most of its cases are in — and rejects the others: a list
// may close only its own township's cases (a mistyped or copied 预警编号
// must not close another township's case). A list whose cases split evenly
// between townships cannot be placed, and all its rows are rejected.
func (p *Pipeline) ownTownship(ctx context.Context, fbs []dispatch.Feedback) ([]dispatch.Feedback, []dispatch.RowError, error) {
	town := make([]string, len(fbs))
	count := map[string]int{}
	for i, fb := range fbs {
		c, err := p.Store.Case(ctx, fb.CaseID)
		if errors.Is(err, store.ErrNoCase) {
			town[i] = "?"
			continue
		}
		if err != nil {
			return nil, nil, err
		}
		town[i] = p.Router.Township(c.TownshipCode)
		count[town[i]]++
	}
	owner, best, tie := "", 0, false
	for t, n := range count {
		switch {
		case n > best:
			owner, best, tie = t, n, false
		case n == best:
			tie = true
		}
	}
	var keep []dispatch.Feedback
	var rejected []dispatch.RowError
	for i, fb := range fbs {
		switch {
		case town[i] == "?":
			keep = append(keep, fb) // CloseCase reports the unknown id
		case tie:
			rejected = append(rejected, rowError(fb, "本表的预警分属多个乡镇，无法确定所属乡镇 (the list mixes townships)"))
		case town[i] != owner:
			rejected = append(rejected, rowError(fb, "该预警属于"+p.Router.Name(town[i])+"，不属于本表的"+p.Router.Name(owner)+" (another township's case)"))
		default:
			keep = append(keep, fb)
		}
	}
	return keep, rejected, nil
}

func rowError(fb dispatch.Feedback, reason string) dispatch.RowError {
	return dispatch.RowError{File: fb.File, Row: fb.Row, CaseID: fb.CaseID, Reason: fmt.Sprintf("第%d行 %s: %s", fb.Row, fb.CaseID, reason)}
}
