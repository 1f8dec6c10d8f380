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
		if err := p.Store.Audit(ctx, p.actor(), "feedback_import", f, map[string]int{"rows": len(fbs), "rejected": len(rejected)}); err != nil {
			return nil, err
		}
		res.Rejected = append(res.Rejected, rejected...)
		for _, fb := range fbs {
			on := fb.VerifiedOn
			if on.IsZero() {
				on = day
			}
			keep := p.Cfg.Cases.ReopenAfter
			if fb.Outcome == "not_eligible" {
				keep = p.Cfg.Cases.Cooldown
			}
			closed, err := p.Store.CloseCase(ctx, store.Closing{CaseID: fb.CaseID, Outcome: fb.Outcome, Note: fb.Note,
				VerifiedBy: fb.VerifiedBy, On: on, Until: on.Add(time.Duration(keep))})
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
			default:
				res.Unchanged++
			}
		}
	}
	p.logger().Info("feedback imported", "files", len(files), "closed", res.Closed, "unchanged", res.Unchanged, "rejected", len(res.Rejected))
	return res, nil
}

func rowError(fb dispatch.Feedback, reason string) dispatch.RowError {
	return dispatch.RowError{File: fb.File, Row: fb.Row, CaseID: fb.CaseID, Reason: fmt.Sprintf("第%d行 %s: %s", fb.Row, fb.CaseID, reason)}
}
