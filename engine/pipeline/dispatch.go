package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/store"
)

// DispatchResult is what a dispatch wrote.
type DispatchResult struct {
	Dir       string
	Files     []string
	Cases     int            // cases on the lists
	New       int            // of which never dispatched before
	Changed   int            // of which dispatched before, changed since
	Townships map[string]int // cases per township code (CountyQueue = "")
	Overdue   int            // open cases past their deadline on the day
}

// Dispatch writes, per township, the list of cases it has not seen in
// their current form (all open cases with all), plus a county summary, into
// dispatch.dir/<day>/, then records the dispatch: new cases get their
// deadline counted from day.
func (p *Pipeline) Dispatch(ctx context.Context, day time.Time, all bool) (*DispatchResult, error) {
	// Every case, open and closed, is rendered once: the county summary
	// covers them all, and the lists take those not yet seen as they are.
	every, err := p.Store.CasesWhere(ctx, "", "", "", time.Time{})
	if err != nil {
		return nil, err
	}
	everyItem, everyMark, err := p.items(ctx, every, day)
	if err != nil {
		return nil, err
	}
	send, err := p.Store.CasesToDispatch(ctx, all)
	if err != nil {
		return nil, err
	}
	sending := make(map[string]bool, len(send))
	for _, c := range send {
		sending[c.ID] = true
	}
	var items []dispatch.Item
	var marks []store.Dispatched
	for i, it := range everyItem {
		if sending[it.CaseID] {
			items = append(items, it)
			marks = append(marks, everyMark[i])
		}
	}
	res := &DispatchResult{Dir: filepath.Join(p.Cfg.Resolve(p.Cfg.Dispatch.Dir), day.Format(time.DateOnly)), Townships: map[string]int{}}
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
	opts := dispatch.Options{Unmasked: p.Cfg.Dispatch.Unmasked, County: p.Cfg.County.Name, AsOf: day}
	if err := os.MkdirAll(res.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("dispatch: %w", err)
	}
	codes := make([]string, 0, len(byTownship))
	for c := range byTownship {
		codes = append(codes, c)
	}
	sort.Strings(codes)
	seq := dispatchSeq(res.Dir)
	for _, code := range codes {
		base := filepath.Join(res.Dir, listName(code, p.Router.Name(code))+seq)
		for _, f := range p.Cfg.Dispatch.Formats {
			path := base + "." + f
			var err error
			switch f {
			case "xlsx":
				err = dispatch.WriteTownshipXLSX(path, byTownship[code], opts)
			case "csv":
				err = dispatch.WriteTownshipCSV(path, byTownship[code], opts)
			}
			if err != nil {
				return nil, fmt.Errorf("dispatch %s: %w", path, err)
			}
			res.Files = append(res.Files, path)
		}
	}
	for _, it := range everyItem {
		if it.State != cases.StateClosed && route.Overdue(it.Deadline, day) {
			res.Overdue++
		}
	}
	summary := filepath.Join(res.Dir, "汇总_"+day.Format("20060102")+seq+".xlsx")
	if err := dispatch.WriteSummaryXLSX(summary, dispatch.Summarize(everyItem, day), opts); err != nil {
		return nil, fmt.Errorf("dispatch %s: %w", summary, err)
	}
	res.Files = append(res.Files, summary)
	if err := p.Store.Audit(ctx, p.actor(), "dispatch", res.Dir, map[string]any{
		"files": res.Files, "cases": res.Cases, "unmasked": p.Cfg.Dispatch.Unmasked}); err != nil {
		return nil, err
	}
	if err := p.Store.MarkDispatched(ctx, marks); err != nil {
		return nil, err
	}
	p.logger().Info("dispatched", "as_of", day.Format(time.DateOnly), "cases", res.Cases, "new", res.New,
		"changed", res.Changed, "townships", len(byTownship), "files", len(res.Files), "dir", res.Dir)
	return res, nil
}

// dispatchSeq keeps a second dispatch on the same day from overwriting the
// lists of the first (a caught-up night and a manual dispatch): "" for the
// first, then "_2", "_3", ...
func dispatchSeq(dir string) string {
	entries, _ := os.ReadDir(dir)
	n := 0
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "汇总_") {
			n++
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("_%d", n+1)
}

// listName is a township list's file name without extension.
func listName(code, name string) string {
	if code == route.CountyQueue {
		return "县级队列_county"
	}
	return code + "_" + name
}

// items turns cases into list rows, with the people's names from the
// registry, routing and, for cases not yet dispatched, the deadline they
// get when dispatched on day.
func (p *Pipeline) items(ctx context.Context, cs []*cases.Case, day time.Time) ([]dispatch.Item, []store.Dispatched, error) {
	var ids, hhs []string
	for _, c := range cs {
		if c.HouseholdID != "" {
			hhs = append(hhs, c.HouseholdID)
		}
		for _, h := range c.Hits {
			ids = append(ids, h.IDNumber)
		}
	}
	people, err := p.Store.People(ctx, ids)
	if err != nil {
		return nil, nil, err
	}
	households, err := p.Store.Households(ctx, hhs)
	if err != nil {
		return nil, nil, err
	}
	titles := map[string]string{}
	for _, r := range p.Pack.Rules {
		titles[r.ID] = r.Title
	}
	var items []dispatch.Item
	var marks []store.Dispatched
	warned := map[int]bool{}
	for _, c := range cs {
		town := p.Router.Township(c.TownshipCode)
		it := dispatch.Item{CaseID: c.ID, TownshipCode: town, TownshipName: p.Router.Name(town), HouseholdID: c.HouseholdID,
			Level: c.Level, State: c.State, Dispatched: c.DispatchedOn, Deadline: c.Deadline,
			Changed: c.State == cases.StateNew || c.Version > c.DispatchedVersion}
		if it.Dispatched.IsZero() && c.State != cases.StateClosed {
			it.Dispatched = day
			if it.Deadline, err = p.Router.Deadline(day, false); err != nil {
				return nil, nil, err
			}
			if y := it.Deadline.Year(); p.Router.Calendar.Provisional(y) && !warned[y] {
				warned[y] = true
				p.logger().Warn("deadline counted on a provisional holiday calendar year: enter the State Council's notice in the calendar file",
					"year", it.Deadline.Year())
			}
		}
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
				Reason: h.Reason, Person: person.Name, IDNumber: h.IDNumber})
			if it.HeadID == "" { // no household: the warned person heads the row
				it.HeadName, it.HeadID = person.Name, h.IDNumber
				it.VillageCode, it.Address = person.VillageCode, person.Address
			}
		}
		it.VillageName = p.Villages[it.VillageCode]
		items = append(items, it)
		marks = append(marks, store.Dispatched{CaseID: c.ID, Version: c.Version, Day: it.Dispatched, Deadline: it.Deadline})
	}
	return items, marks, nil
}
