package pipeline

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/internal/crashpoint"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/store"
)

// DispatchResult is what a dispatch wrote.
type DispatchResult struct {
	Batch     string // the dispatch batch id, e.g. PD-20261128-1; empty when nothing was sent
	Dir       string
	Files     []string
	Cases     int            // cases on the lists
	New       int            // of which never dispatched before
	Changed   int            // of which dispatched before, changed since
	Townships map[string]int // cases per township code (CountyQueue = "")
	Overdue   int            // open cases past their deadline on the day
	// Resumed are earlier batches whose files a crash had left unwritten,
	// written now with their own names and deadlines.
	Resumed []ResumedBatch
	// Standing are the day's batches already written when there was
	// nothing new to send; Missing their files that are gone (deleted or
	// moved): `dispatch --rewrite BATCH` writes them again.
	Standing []string
	Missing  []MissingFile
}

// MissingFile is a list of a recent batch that is no longer where it was
// written.
type MissingFile struct{ Batch, Path string }

// missingLookback is how many days back a dispatch with nothing new looks
// for lists that were deleted or moved.
const missingLookback = 31

// ResumedBatch is a batch finished after a crash, and where its files are.
type ResumedBatch struct {
	ID, Dir string
	// Relocated says the files went to Dir because the folder the batch
	// was recorded for could not be written.
	Relocated bool
}

// Dispatch writes, per township, the list of cases it has not seen in
// their current form (all open cases with all), plus a county summary, into
// dispatch.dir/<day>/, as one dispatch batch: new cases get their deadline
// counted from day.
//
// The batch — its cases and deadlines, file names, what the files hold,
// and its audit row — is recorded in the store in one transaction before
// any file is written; the files are then written and the batch marked
// written. A dispatch first finishes any batch a crash left unwritten,
// with the same names and deadlines, so a crash never makes a second set
// of lists. A day that already has its batch and nothing new to send gets
// no second one.
func (p *Pipeline) Dispatch(ctx context.Context, day time.Time, all bool) (*DispatchResult, error) {
	resumed, err := p.resumeBatches(ctx)
	if err != nil {
		return nil, err
	}
	// Every case, open and closed, is routed: the county summary counts
	// them all (their outlines: rules and states, not what the hits say);
	// the lists take those not yet seen as they are, which alone are
	// read whole and described (people, households, reasons).
	every, err := p.Store.CaseOutlines(ctx)
	if err != nil {
		return nil, err
	}
	everyItem, everyMark, err := p.routed(every, day)
	if err != nil {
		return nil, err
	}
	send, err := p.Store.CasesToDispatch(ctx, all)
	if err != nil {
		return nil, err
	}
	sending := make(map[string]bool, len(send))
	later := 0
	for _, c := range send {
		// A dispatch for a past day (--as-of) leaves out the cases opened
		// after it: they were not known then, and a deadline counted from
		// before their opening would cost the township working days.
		if c.OpenedOn.After(day) {
			later++
			continue
		}
		sending[c.ID] = true
	}
	if later > 0 {
		p.logger().Warn("dispatch for a past day: cases opened after it are left for a later dispatch", "as_of", day.Format(time.DateOnly), "cases", later)
	}
	if err := p.describeWhere(ctx, every, everyItem, func(it dispatch.Item) bool { return sending[it.CaseID] }); err != nil {
		return nil, err
	}
	var items []dispatch.Item
	var marks []store.Dispatched
	for i, it := range everyItem {
		if sending[it.CaseID] {
			items = append(items, it)
			m := everyMark[i]
			m.Township = it.TownshipCode
			marks = append(marks, m)
		}
	}
	res := &DispatchResult{Dir: filepath.Join(p.Cfg.Resolve(p.Cfg.Dispatch.Dir), day.Format(time.DateOnly)),
		Townships: map[string]int{}, Resumed: resumed}
	byTownship := map[string][]dispatch.Item{}
	for _, it := range items {
		byTownship[it.TownshipCode] = append(byTownship[it.TownshipCode], it)
		res.Townships[it.TownshipCode]++
		if it.State == cases.StateNew {
			res.New++
		} else {
			res.Changed++
		}
	}
	res.Cases = len(items)
	for _, it := range everyItem {
		if it.State != cases.StateClosed && route.Overdue(it.Deadline, day) {
			res.Overdue++
		}
	}
	done, err := p.Store.BatchesOn(ctx, day)
	if err != nil {
		return nil, err
	}
	// The lists of the last weeks' batches (their cases may still be
	// open): one deleted or moved is reported, for --rewrite.
	recent, err := p.Store.BatchesBetween(ctx, day.AddDate(0, 0, -missingLookback), day)
	if err != nil {
		return nil, err
	}
	for _, b := range recent {
		if !b.Written {
			continue
		}
		for _, f := range b.Files {
			if _, err := os.Stat(f); err != nil {
				res.Missing = append(res.Missing, MissingFile{Batch: b.ID, Path: f})
			}
		}
	}
	if len(items) == 0 && done > 0 {
		for _, b := range recent {
			if b.AsOf.Equal(day) {
				res.Standing = append(res.Standing, b.ID)
				res.Dir = b.Dir
			}
		}
		p.logger().Info("nothing new to dispatch; the day's lists stand", "as_of", day.Format(time.DateOnly), "batches", done,
			"missing_files", len(res.Missing))
		return res, nil
	}
	seq := max(done, summariesIn(res.Dir)) + 1
	suffix := ""
	if seq > 1 {
		suffix = fmt.Sprintf("_%d", seq)
	}
	res.Batch = store.BatchID(day, seq)
	pl := batchPayload{AsOf: day, County: p.Cfg.County.Name, Unmasked: p.Cfg.Dispatch.Unmasked}
	for _, code := range slices.Sorted(maps.Keys(byTownship)) {
		base := filepath.Join(res.Dir, listName(code, p.Router.Name(code))+suffix)
		for _, f := range p.Cfg.Dispatch.Formats {
			pl.Lists = append(pl.Lists, batchList{Path: base + "." + f, Format: f, Township: code, Items: byTownship[code]})
			res.Files = append(res.Files, base+"."+f)
		}
	}
	pl.SummaryPath = filepath.Join(res.Dir, "汇总_"+day.Format("20060102")+suffix+".xlsx")
	pl.Summary = dispatch.Summarize(everyItem, day)
	if pl.Yield, err = p.summaryYield(every, day); err != nil {
		return nil, err
	}
	res.Files = append(res.Files, pl.SummaryPath)
	payload, err := pl.encode()
	if err != nil {
		return nil, err
	}
	b := store.Batch{ID: res.Batch, AsOf: day, Dir: res.Dir, Files: res.Files, Cases: res.Cases, Payload: payload}
	if err := p.Store.RecordBatch(ctx, b, marks, p.actor(), map[string]any{
		"dir": res.Dir, "files": res.Files, "cases": res.Cases, "unmasked": p.Cfg.Dispatch.Unmasked},
		p.dispatchEvents(res.Batch, byTownship)...); err != nil {
		return nil, err
	}
	crashpoint.Here("dispatch.recorded")
	if err := p.writeBatch(ctx, res.Batch, pl); err != nil {
		return nil, err
	}
	if err := p.Store.BatchWritten(ctx, res.Batch); err != nil {
		return nil, err
	}
	p.logger().Info("dispatched", "batch", res.Batch, "as_of", day.Format(time.DateOnly), "cases", res.Cases, "new", res.New,
		"changed", res.Changed, "townships", len(byTownship), "files", len(res.Files), "dir", res.Dir)
	return res, nil
}

// resumeBatches writes the files of batches a crash left unwritten, from
// what the store recorded, and marks them written: the same file names,
// cases and deadlines as the batch had.
func (p *Pipeline) resumeBatches(ctx context.Context) ([]ResumedBatch, error) {
	pending, err := p.Store.PendingBatches(ctx)
	if err != nil {
		return nil, err
	}
	var out []ResumedBatch
	for _, b := range pending {
		pl, err := decodeBatchPayload(b.Payload)
		if err != nil {
			return nil, fmt.Errorf("dispatch batch %s: %w", b.ID, err)
		}
		rb := ResumedBatch{ID: b.ID, Dir: b.Dir}
		if err := p.writeBatch(ctx, b.ID, pl); err != nil {
			// The folder it was recorded for cannot be written (moved,
			// replaced by a file, no longer mounted): its cases are
			// dispatched already, so the lists must reach the townships
			// from somewhere — the day's folder under today's dispatch.dir,
			// or beside it one named after the batch.
			here := filepath.Join(p.Cfg.Resolve(p.Cfg.Dispatch.Dir), pl.AsOf.Format(time.DateOnly))
			var tried []error
			for _, dir := range []string{here, here + "_" + b.ID} {
				if dir == b.Dir {
					continue
				}
				moved := pl.relocate(dir)
				if err2 := p.writeBatch(ctx, b.ID, moved); err2 != nil {
					tried = append(tried, fmt.Errorf("nor under %s: %w", dir, err2))
					continue
				}
				if err := p.Store.RelocateBatch(ctx, p.actor(), b.ID, dir, moved.files(), b.Dir); err != nil {
					return nil, err
				}
				p.logger().Warn("a dispatch batch's folder could not be written: its lists went elsewhere",
					"batch", b.ID, "recorded", b.Dir, "written", dir, "err", err)
				rb.Dir, rb.Relocated = dir, true
				break
			}
			if !rb.Relocated {
				return nil, batchUnwritable(b, errors.Join(append([]error{err}, tried...)...))
			}
		}
		if err := p.Store.Audit(ctx, p.actor(), "dispatch_resumed", b.ID, map[string]any{"dir": rb.Dir, "files": b.Files}); err != nil {
			return nil, err
		}
		if err := p.Store.BatchWritten(ctx, b.ID); err != nil {
			return nil, err
		}
		p.logger().Warn("finished a dispatch batch a crash had left unwritten", "batch", b.ID, "files", len(b.Files), "dir", rb.Dir)
		out = append(out, rb)
	}
	return out, nil
}

// batchUnwritable says what to do about a recorded batch whose lists
// cannot be written: until they are, every dispatch tries again.
func batchUnwritable(b store.Batch, err error) error {
	return fmt.Errorf("dispatch batch %s of %s (its cases are recorded as dispatched, with their deadlines) could not be written: %w; "+
		"make the folder writable, or point dispatch.dir at a writable folder, and run dispatch again",
		b.ID, b.AsOf.Format(time.DateOnly), err)
}

// relocate is the payload with every file in dir instead.
func (pl batchPayload) relocate(dir string) batchPayload {
	out := pl
	out.Lists = slices.Clone(pl.Lists)
	for i := range out.Lists {
		out.Lists[i].Path = filepath.Join(dir, filepath.Base(out.Lists[i].Path))
	}
	out.SummaryPath = filepath.Join(dir, filepath.Base(pl.SummaryPath))
	return out
}

// files are the payload's paths, the lists' then the summary's.
func (pl batchPayload) files() []string {
	var out []string
	for _, l := range pl.Lists {
		out = append(out, l.Path)
	}
	return append(out, pl.SummaryPath)
}

// Rewrite writes a written batch's files again, under the same names: a
// township lost its list, or a file was deleted. The lists show the
// batch's cases as they stand now (with the deadlines they were given;
// closed ones are left out), the summary every case as of the batch's
// day. Audited as dispatch_rewritten.
func (p *Pipeline) Rewrite(ctx context.Context, id string) (*DispatchResult, error) {
	b, err := p.Store.LoadBatch(ctx, id)
	if err != nil {
		return nil, err
	}
	if !b.Written {
		return nil, fmt.Errorf("dispatch batch %s is not written yet: run dispatch, which finishes it", id)
	}
	ids, err := p.Store.BatchCases(ctx, id)
	if err != nil {
		return nil, err
	}
	inBatch := map[string]bool{}
	for _, c := range ids {
		inBatch[c] = true
	}
	every, err := p.Store.CaseOutlines(ctx)
	if err != nil {
		return nil, err
	}
	everyItem, _, err := p.routed(every, b.AsOf)
	if err != nil {
		return nil, err
	}
	if err := p.describeWhere(ctx, every, everyItem, func(it dispatch.Item) bool {
		return inBatch[it.CaseID] && it.State != cases.StateClosed
	}); err != nil {
		return nil, err
	}
	pl := batchPayload{AsOf: b.AsOf, County: p.Cfg.County.Name, Unmasked: p.Cfg.Dispatch.Unmasked, Summary: dispatch.Summarize(everyItem, b.AsOf)}
	if pl.Yield, err = p.summaryYield(every, b.AsOf); err != nil {
		return nil, err
	}
	res := &DispatchResult{Batch: id, Dir: b.Dir, Townships: map[string]int{}}
	for _, f := range b.Files {
		base := filepath.Base(f)
		if strings.HasPrefix(base, "汇总_") {
			pl.SummaryPath = f
			continue
		}
		town, ok := p.fileTownship(base)
		if !ok {
			return nil, fmt.Errorf("dispatch batch %s: cannot tell the township of %s", id, base)
		}
		l := batchList{Path: f, Format: strings.TrimPrefix(filepath.Ext(f), "."), Township: town}
		for _, it := range everyItem {
			if inBatch[it.CaseID] && it.TownshipCode == town && it.State != cases.StateClosed {
				l.Items = append(l.Items, it)
			}
		}
		pl.Lists = append(pl.Lists, l)
		res.Townships[town] = len(l.Items)
		res.Files = append(res.Files, f)
	}
	res.Files = append(res.Files, pl.SummaryPath)
	for _, n := range res.Townships {
		res.Cases += n
	}
	if err := p.Store.Audit(ctx, p.actor(), "dispatch_rewritten", id, map[string]any{"dir": b.Dir, "files": res.Files, "cases": res.Cases}); err != nil {
		return nil, err
	}
	if err := p.writeBatch(ctx, id, pl); err != nil {
		return nil, err
	}
	return res, nil
}

// fileTownship is the township code a list's file name starts with.
func (p *Pipeline) fileTownship(base string) (string, bool) {
	if strings.HasPrefix(base, listName(route.CountyQueue, "")) {
		return route.CountyQueue, true
	}
	code, _, ok := strings.Cut(base, "_")
	return code, ok && code != ""
}

// writeBatch writes a batch's files. Each file is written atomically, so
// writing a batch again after a crash replaces what the first attempt
// wrote with the same bytes; temporary files a killed attempt left behind
// (they hold personal data) are removed first.
func (p *Pipeline) writeBatch(ctx context.Context, id string, pl batchPayload) error {
	dirs := map[string]bool{filepath.Dir(pl.SummaryPath): true}
	for _, l := range pl.Lists {
		dirs[filepath.Dir(l.Path)] = true
	}
	for d := range dirs {
		if err := privateDir(d); err != nil {
			return fmt.Errorf("dispatch batch %s: %w", id, err)
		}
		removeSpills(d)
	}
	opts := dispatch.Options{Unmasked: pl.Unmasked, County: pl.County, AsOf: pl.AsOf}
	for i, l := range pl.Lists {
		removeTemps(l.Path)
		o := opts
		var err error
		if o.Mark, err = p.Mark(ctx, id, l.Township); err != nil {
			return fmt.Errorf("dispatch batch %s: %w", id, err)
		}
		switch l.Format {
		case "xlsx":
			err = dispatch.WriteTownshipXLSX(l.Path, l.Items, o)
		case "csv":
			err = dispatch.WriteTownshipCSV(l.Path, l.Items, o)
		default:
			err = fmt.Errorf("unknown list format %q", l.Format)
		}
		if err != nil {
			return fmt.Errorf("dispatch %s: %w", l.Path, err)
		}
		if i == 0 {
			crashpoint.Here("dispatch.list_written")
		}
	}
	removeTemps(pl.SummaryPath)
	if err := dispatch.WriteSummaryXLSX(pl.SummaryPath, pl.Summary, pl.Yield, opts); err != nil {
		return fmt.Errorf("dispatch %s: %w", pl.SummaryPath, err)
	}
	return nil
}

// Mark is the signed mark of batch's list for township town: what binds a
// returned list to that township in this store (see dispatch.Mark).
func (p *Pipeline) Mark(ctx context.Context, batch, town string) (dispatch.Mark, error) {
	id, err := p.Store.ID(ctx)
	if err != nil {
		return dispatch.Mark{}, err
	}
	sig, err := p.Store.SignList(ctx, batch, town, id)
	if err != nil {
		return dispatch.Mark{}, err
	}
	return dispatch.Mark{Batch: batch, Township: town, Store: id, Sig: sig}, nil
}

// privateDir makes dir (and its parents) with mode 0700 and narrows dir
// itself to 0700 if it exists wider: the day folders are lipwatch's own,
// and hold lists of people in hardship.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return os.Chmod(dir, 0o700)
	}
	return nil
}

// removeTemps removes the temporary files an interrupted write of path
// left behind (see dispatch's atomic write: .<name>.<random>.tmp).
func removeTemps(path string) {
	olds, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+globEscape(filepath.Base(path))+".*.tmp"))
	for _, o := range olds {
		_ = os.Remove(o)
	}
}

// removeSpills removes the files a killed list writer left in dir: a
// township list's sheet past 16 MiB (some 15,000 cases) spills to a
// temporary excelize-<random> file in the list's folder, removed when the
// list is written, and left there only if the process dies first. The
// day folders are lipwatch's own, and such a file holds personal data.
func removeSpills(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "excelize-") && e.Type().IsRegular() {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

// globEscape quotes the characters filepath.Match treats specially.
func globEscape(s string) string {
	r := strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`)
	return r.Replace(s)
}

// summariesIn counts the county summaries already in a day folder, so that
// a batch never overwrites files an older lipwatch wrote there.
func summariesIn(dir string) int {
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "汇总_") && strings.HasSuffix(e.Name(), ".xlsx") {
			n++
		}
	}
	return n
}

// batchPayload is what a batch's files hold, recorded with the batch so
// that a crash before the files are written loses nothing: the files can
// be written again exactly.
type batchPayload struct {
	AsOf        time.Time
	County      string
	Unmasked    bool
	Lists       []batchList
	SummaryPath string
	Summary     []dispatch.SummaryRow
	// Yield is the summary's sheet 预警核实成效; nil in a batch recorded
	// by a lipwatch before it (its summary is written without the sheet).
	Yield *dispatch.SummaryYield `json:",omitempty"`
}

// summaryYield is the county summary's warning yield on day: the twelve
// months up to it, every township.
func (p *Pipeline) summaryYield(every []*cases.Case, day time.Time) (*dispatch.SummaryYield, error) {
	y, err := p.YieldOf(every, YieldOptions{AsOf: day})
	if err != nil {
		return nil, err
	}
	return y.SummaryYield(), nil
}

// batchList is one township list file of a batch.
type batchList struct {
	Path     string
	Format   string // xlsx | csv
	Township string // township code; '' = the county's own queue
	Items    []dispatch.Item
}

// encode is the payload as gzip JSON, compressed for speed: it is kept
// only until the batch's files are written.
func (pl batchPayload) encode() ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(zw).Encode(pl); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func decodeBatchPayload(b []byte) (batchPayload, error) {
	var pl batchPayload
	if len(b) == 0 {
		return pl, errors.New("no payload recorded")
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return pl, err
	}
	if err := json.NewDecoder(zr).Decode(&pl); err != nil {
		return pl, err
	}
	return pl, nil
}

// listName is a township list's file name without extension.
func listName(code, name string) string {
	if code == route.CountyQueue {
		return "县级队列_county"
	}
	return code + "_" + name
}

// Items renders cases as lists show them (names from the registry,
// routing, village, deadlines a new case would get if dispatched on day):
// what the portal shows, the same as the lists.
func (p *Pipeline) Items(ctx context.Context, cs []*cases.Case, day time.Time) ([]dispatch.Item, error) {
	items, _, err := p.items(ctx, cs, day)
	return items, err
}

// items turns cases into list rows: routed, then described.
func (p *Pipeline) items(ctx context.Context, cs []*cases.Case, day time.Time) ([]dispatch.Item, []store.Dispatched, error) {
	items, marks, err := p.routed(cs, day)
	if err != nil {
		return nil, nil, err
	}
	if err := p.describe(ctx, cs, items); err != nil {
		return nil, nil, err
	}
	return items, marks, nil
}

// routed turns cases into list rows as far as the county summary reads
// them: township (routing), level, state, and for cases not yet dispatched
// the day and deadline they get when dispatched on day; with the marks
// that record a dispatch. describe adds the rest.
func (p *Pipeline) routed(cs []*cases.Case, day time.Time) ([]dispatch.Item, []store.Dispatched, error) {
	items := make([]dispatch.Item, 0, len(cs))
	marks := make([]store.Dispatched, 0, len(cs))
	warned := map[int]bool{}
	for _, c := range cs {
		town := p.Router.Township(c.TownshipCode)
		it := dispatch.Item{CaseID: c.ID, TownshipCode: town, TownshipName: p.Router.Name(town), HouseholdID: c.HouseholdID,
			Level: c.Level, State: c.State, Dispatched: c.DispatchedOn, Deadline: c.Deadline,
			Changed: c.State == cases.StateNew || c.Version > c.DispatchedVersion}
		if it.Dispatched.IsZero() && c.State != cases.StateClosed {
			it.Dispatched = day
			var err error
			if it.Deadline, err = p.Router.Deadline(day, false); err != nil {
				return nil, nil, err
			}
			if y := it.Deadline.Year(); p.Router.Calendar.Provisional(y) && !warned[y] {
				warned[y] = true
				p.logger().Warn("deadline counted on a provisional holiday calendar year: enter the State Council's notice in the calendar file",
					"year", it.Deadline.Year())
			}
		}
		items = append(items, it)
		marks = append(marks, store.Dispatched{CaseID: c.ID, Version: c.Version, Day: it.Dispatched, Deadline: it.Deadline})
	}
	return items, marks, nil
}

// describe completes routed rows (items[i] is cs[i]'s) with the people's
// names from the registry, the household's head, members and village, the
// rules' titles and reasons, and the records identity resolution matched
// (a note on the list). It reads the registry and the links for these
// cases alone: a night's lists, not every case of the county.
func (p *Pipeline) describe(ctx context.Context, cs []*cases.Case, items []dispatch.Item) error {
	if len(cs) == 0 {
		return nil
	}
	var ids, hhs []string
	for _, c := range cs {
		if c.HouseholdID != "" {
			hhs = append(hhs, c.HouseholdID)
		}
		for _, h := range c.Hits {
			ids = append(ids, h.IDNumber)
		}
	}
	people, households, err := p.Store.PeopleAndHouseholds(ctx, ids, hhs)
	if err != nil {
		return err
	}
	titles := map[string]string{}
	for _, r := range p.Pack.Rules {
		titles[r.ID] = r.Title
	}
	titles[evaluate.GroundRule] = evaluate.GroundTitle
	linked, err := p.linkedOf(ctx, cs)
	if err != nil {
		return err
	}
	for ci, c := range cs {
		it := &items[ci]
		it.Linked = linked[ci]
		if hh, ok := households[c.HouseholdID]; ok {
			it.HeadName, it.HeadID, it.Members = hh.Head.Name, hh.Head.IDNumber, hh.Members
			it.VillageCode, it.Address = hh.Head.VillageCode, hh.Head.Address
		}
		for _, h := range c.Hits {
			if !h.Active {
				continue
			}
			person := people[h.IDNumber]
			it.Hits = append(it.Hits, dispatch.Hit{RuleID: h.RuleID, RuleTitle: titles[h.RuleID], Level: h.Level,
				Reason: h.Reason, Person: person.Name, IDNumber: h.IDNumber, Mark: h.Mark})
			if it.HeadID == "" { // no household: the warned person heads the row
				it.HeadName, it.HeadID = person.Name, h.IDNumber
				it.VillageCode, it.Address = person.VillageCode, person.Address
			}
		}
		it.VillageName = p.Villages[it.VillageCode]
	}
	return nil
}

// describeWhere describes the rows of items (items[i] is every[i]'s, an
// outline: CaseOutlines) that keep selects, reading those cases whole.
func (p *Pipeline) describeWhere(ctx context.Context, every []*cases.Case, items []dispatch.Item, keep func(dispatch.Item) bool) error {
	var ids []string
	var idx []int
	for i, it := range items {
		if keep(it) {
			ids, idx = append(ids, every[i].ID), append(idx, i)
		}
	}
	whole, err := p.Store.CasesByID(ctx, ids)
	if err != nil {
		return err
	}
	byID := make(map[string]*cases.Case, len(whole))
	for _, c := range whole {
		byID[c.ID] = c
	}
	cs := make([]*cases.Case, len(ids))
	for j, id := range ids {
		if cs[j] = byID[id]; cs[j] == nil {
			return fmt.Errorf("case %s: %w", id, store.ErrNoCase)
		}
	}
	sub := make([]dispatch.Item, len(idx))
	for j, i := range idx {
		sub[j] = items[i]
	}
	if err := p.describe(ctx, cs, sub); err != nil {
		return err
	}
	for j, i := range idx {
		items[i] = sub[j]
	}
	return nil
}
