package pipeline

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/internal/crashpoint"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/store"
)

// FeedbackResult is what importing returned lists did.
type FeedbackResult struct {
	Closed    int                 // cases closed by this import
	Unchanged int                 // outcomes already applied (importing again changes nothing)
	Rejected  []dispatch.RowError // rows not taken, each with its reason; Row 0 for a list refused whole
	// RefusedFiles counts lists refused whole: not bound to a township.
	RefusedFiles int
	// Files says what each list gave, in the order given.
	Files []FileFeedback
}

// FileFeedback is what one returned list gave.
type FileFeedback struct {
	File                        string
	Township                    string // the township it answers for (route.CountyQueue: the county's queue)
	Batch                       string // the dispatch batch it came from, "" for a list without a mark
	Closed, Unchanged, Rejected int
	Refused                     bool // not imported at all (the reason is among the rejected rows)
}

// Feedback applies the outcomes in returned township lists. A list that
// cannot be read is refused whole with the reason, and the others are
// still imported. Each list is
// bound to one township by the mark lipwatch wrote into it when it was
// sent (or, for a list without one, by township: a township code or
// "county", given by whoever imports it); a list that cannot be bound is
// refused whole, and rows of another township's cases are always
// rejected. Valid rows close their cases; invalid rows are rejected with a
// reason and change nothing; a list's outcomes and its audit row are
// written in one transaction; importing the same file again changes
// nothing.
func (p *Pipeline) Feedback(ctx context.Context, day time.Time, files []string, township string) (*FeedbackResult, error) {
	res := &FeedbackResult{}
	opts := dispatch.Options{County: p.Cfg.County.Name, AsOf: day}
	for _, f := range files {
		before, closedBefore, unchangedBefore := len(res.Rejected), res.Closed, res.Unchanged
		ff := FileFeedback{File: f}
		done := func() {
			ff.Closed, ff.Unchanged, ff.Rejected = res.Closed-closedBefore, res.Unchanged-unchangedBefore, len(res.Rejected)-before
			res.Files = append(res.Files, ff)
		}
		r, err := dispatch.ReadFeedback(f, opts)
		if err != nil {
			// A list that cannot be read (or bound to one sheet) does not
			// stop the others.
			res.Rejected = append(res.Rejected, dispatch.RowError{File: f, Reason: "整表未导入：" + err.Error()})
			res.RefusedFiles++
			ff.Refused = true
			done()
			continue
		}
		ff.Batch = r.Mark.Batch
		town, refusal, err := p.listTownship(ctx, r, township)
		if err != nil {
			return nil, err
		}
		if refusal != "" {
			res.Rejected = append(res.Rejected, dispatch.RowError{File: f, Reason: refusal})
			res.RefusedFiles++
			if err := p.Store.Audit(ctx, p.actor(), "feedback_refused", f, map[string]any{
				"batch": r.Mark.Batch, "rows": len(r.Feedback)}); err != nil {
				return nil, err
			}
			ff.Refused = true
			done()
			continue
		}
		ff.Township = town
		res.Rejected = append(res.Rejected, r.Rejected...)
		fbs, foreign, err := p.ownTownship(ctx, r.Feedback, town)
		if err != nil {
			return nil, err
		}
		res.Rejected = append(res.Rejected, foreign...)
		closings := make([]store.Closing, len(fbs))
		for i, fb := range fbs {
			closings[i] = p.closing(fb, day)
		}
		crashpoint.Here("feedback.read")
		results, err := p.Store.ApplyOutcomes(ctx, closings, p.actor(), "feedback_import", f, func(rs []store.ClosingResult) any {
			var closed []string
			for i, cr := range rs {
				if cr.Closed {
					closed = append(closed, closings[i].CaseID)
				}
			}
			return map[string]any{"rows": len(fbs), "closed": closed, "rejected": len(r.Rejected) + len(foreign),
				"township": town, "batch": r.Mark.Batch}
		})
		if err != nil {
			return nil, err
		}
		for i, cr := range results {
			var state *store.CaseStateError
			switch {
			case errors.Is(cr.Err, store.ErrNoCase):
				res.Rejected = append(res.Rejected, rowError(fbs[i], "预警编号不存在 (no such case)"))
			case errors.As(cr.Err, &state):
				res.Rejected = append(res.Rejected, rowError(fbs[i], caseStateWords(state)))
			case cr.Closed:
				res.Closed++
			default:
				res.Unchanged++
			}
		}
		done()
	}
	p.logger().Info("feedback imported", "files", len(files), "closed", res.Closed, "unchanged", res.Unchanged,
		"rejected", len(res.Rejected), "refused_files", res.RefusedFiles)
	return res, nil
}

// ResolveTownship reads a township as an operator gives it: its code, its
// name (城关镇), or "county" for the county's own queue. The error lists
// the county's townships.
func (p *Pipeline) ResolveTownship(arg string) (string, error) {
	arg = strings.TrimSpace(arg)
	if arg == "county" || arg == p.Router.Name(route.CountyQueue) {
		return route.CountyQueue, nil
	}
	if _, ok := p.Router.Townships[arg]; ok {
		return arg, nil
	}
	for code, name := range p.Router.Townships {
		if name == arg {
			return code, nil
		}
	}
	var known []string
	for code, name := range p.Router.Townships {
		known = append(known, code+" "+name)
	}
	slices.Sort(known)
	return "", fmt.Errorf("%q is not a township of the county: give a code or a name (%s), or county for the county's own queue",
		arg, strings.Join(known, ", "))
}

// closing is the store's Closing for a verification applied on day.
// dispatch's checks reject a blank 核实日期, so VerifiedOn is set for
// every row and form that gets here; day stands in only for a Feedback
// made some other way.
func (p *Pipeline) closing(fb dispatch.Feedback, day time.Time) store.Closing {
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
	return store.Closing{CaseID: fb.CaseID, Outcome: fb.Outcome, Note: fb.Note,
		VerifiedBy: fb.VerifiedBy, On: on, Until: day.Add(time.Duration(keep))}
}

// RecordOutcome applies one verification entered in the portal by actor
// for township town (route.CountyQueue for the county's own queue), with
// the rules feedback import applies to a list's row: the case must be
// town's, open and dispatched, the date no earlier than its dispatch; the
// outcome and its audit row (action portal_outcome) are one transaction.
// A refusal is a reason in the township's words; the error is for the
// store.
func (p *Pipeline) RecordOutcome(ctx context.Context, day time.Time, actor, town string, fb dispatch.Feedback) (closed bool, refusal string, err error) {
	keep, foreign, err := p.ownTownship(ctx, []dispatch.Feedback{fb}, town)
	if err != nil {
		return false, "", err
	}
	if len(foreign) > 0 || len(keep) == 0 {
		return false, "该预警不属于本乡镇", nil
	}
	c := p.closing(fb, day)
	rs, err := p.Store.ApplyOutcomes(ctx, []store.Closing{c}, actor, "portal_outcome", fb.CaseID, func(rs []store.ClosingResult) any {
		result := "closed"
		switch {
		case rs[0].Err != nil:
			result = "refused"
		case !rs[0].Closed:
			result = "unchanged"
		}
		detail := map[string]any{"outcome": fb.Outcome, "closed": rs[0].Closed, "result": result, "township": town}
		if !fb.VerifiedOn.IsZero() {
			detail["verified_on"] = fb.VerifiedOn.Format(time.DateOnly)
		}
		return detail
	})
	if err != nil {
		return false, "", err
	}
	var state *store.CaseStateError
	switch {
	case errors.Is(rs[0].Err, store.ErrNoCase):
		return false, "预警编号不存在", nil
	case errors.As(rs[0].Err, &state):
		return false, caseStateWords(state), nil
	}
	return rs[0].Closed, "", nil
}

// caseStateWords says in the township's words why a case cannot take an
// outcome.
func caseStateWords(e *store.CaseStateError) string {
	switch {
	case strings.HasPrefix(e.Reason, "already closed"):
		code := strings.TrimPrefix(e.Reason, "already closed as ")
		label := code
		for _, o := range dispatch.DefaultOutcomes() {
			if o.Code == code {
				label = o.Label
			}
		}
		return "该预警已办结（核实结果：" + label + "），如结果有误，请联系县民政局更正"
	case strings.HasPrefix(e.Reason, "not dispatched"):
		return "该预警尚未下发"
	}
	return "核实日期早于该预警的下发日期，请核对后重新填写"
}

// listTownship is the township a returned list answers for: the one its
// mark names, which must be a batch this store sent to that township; or,
// for a list without a mark, the one the importer named. A refusal is the
// reason, in the township's words, the whole list is not taken.
func (p *Pipeline) listTownship(ctx context.Context, r *dispatch.Returned, named string) (town, refusal string, err error) {
	if named == "" {
		named = "-" // none given
	} else if named, err = p.ResolveTownship(named); err != nil {
		return "", "", err
	}
	name := func(code string) string {
		if code == route.CountyQueue {
			return p.Router.Name(code)
		}
		return p.Router.Name(code) + "（" + code + "）"
	}
	if r.Mark.IsZero() {
		if named == "-" {
			return "", "本表没有县民政局下发时写入的清单标识（可能是复制到新工作簿的表、手工制作的表，或删去了标识行的 CSV），无法确认属于哪个乡镇，整表未导入；" +
				"请交回下发的原表，或由县局用 feedback import --township 指定乡镇后导入 (the list carries no lipwatch mark: give --township)", nil
		}
		return named, "", nil
	}
	self, err := p.Store.ID(ctx)
	if err != nil {
		return "", "", err
	}
	if r.Mark.Store != self {
		return "", "本表是另一个系统（另一个数据库）下发的清单，不是本系统下发的，整表未导入 (the list was sent by another lipwatch store)", nil
	}
	if ok, err := p.Store.VerifyList(ctx, r.Mark.Batch, r.Mark.Township, r.Mark.Store, r.Mark.Sig); err != nil {
		return "", "", err
	} else if !ok {
		return "", "清单标识被修改过（签名不符），无法确认本表所属乡镇，整表未导入；请使用县民政局下发的原表 (the list's mark does not verify)", nil
	}
	b, err := p.Store.LoadBatch(ctx, r.Mark.Batch)
	switch {
	case errors.Is(err, store.ErrNoBatch):
		return "", "清单标识中的下发批次 " + r.Mark.Batch + " 不是本系统下发的，整表未导入 (unknown dispatch batch)", nil
	case err != nil:
		return "", "", err
	}
	if b.Townships[r.Mark.Township] == 0 {
		return "", "清单标识称本表是批次 " + b.ID + " 下发给" + name(r.Mark.Township) + "的清单，但该批次没有发给它，整表未导入 (the batch sent no list to that township)", nil
	}
	if named != "-" && named != r.Mark.Township {
		return "", "本表的清单标识属于" + name(r.Mark.Township) + "，与指定的 --township " + name(named) + " 不一致，整表未导入 (--township disagrees with the list's mark)", nil
	}
	return r.Mark.Township, "", nil
}

// ownTownship keeps the rows of cases in the list's township and rejects
// the others: a list may close only its own township's cases (a mistyped
// or copied 预警编号 must not close another township's case). Unknown case
// ids are kept for ApplyOutcomes to report.
func (p *Pipeline) ownTownship(ctx context.Context, fbs []dispatch.Feedback, town string) ([]dispatch.Feedback, []dispatch.RowError, error) {
	ids := make([]string, len(fbs))
	for i, fb := range fbs {
		ids[i] = fb.CaseID
	}
	homes, err := p.Store.CaseHomes(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	var keep []dispatch.Feedback
	var rejected []dispatch.RowError
	for _, fb := range fbs {
		home, ok := homes[fb.CaseID]
		if !ok {
			keep = append(keep, fb) // ApplyOutcomes reports the unknown id
			continue
		}
		// A row whose 户号 is not its case's household was pasted from
		// another list (another store's, whose case ids look alike).
		if fb.HouseholdID != "" && home.Household != "" && strings.TrimSpace(fb.HouseholdID) != home.Household {
			rejected = append(rejected, rowError(fb, "本行户号与该预警的家庭不符，可能是从其他清单复制的行 (the row's 户号 is not the case's household)"))
			continue
		}
		if owner := p.Router.Township(home.Township); owner != town {
			rejected = append(rejected, rowError(fb, "该预警属于"+p.Router.Name(owner)+"，不属于本表的"+p.Router.Name(town)+" (another township's case)"))
			continue
		}
		keep = append(keep, fb)
	}
	return keep, rejected, nil
}

func rowError(fb dispatch.Feedback, reason string) dispatch.RowError {
	return dispatch.RowError{File: fb.File, Row: fb.Row, CaseID: fb.CaseID, Reason: fmt.Sprintf("第%d行 %s: %s", fb.Row, fb.CaseID, reason)}
}
