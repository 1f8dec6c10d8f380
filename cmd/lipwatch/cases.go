package main

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/store"
)

func newFeedbackCmd(g *globals) *cobra.Command {
	fb := &cobra.Command{Use: "feedback", Short: "Apply outcomes from township-returned lists"}
	var township string
	imp := &cobra.Command{
		Use:   "import FILE...",
		Short: "Read returned lists (xlsx or csv), close verified cases, reject bad rows with reasons",
		Long: `Reads returned township lists and closes the cases they verify. Each list is bound to the
township it was sent to by the mark lipwatch wrote into it (a hidden sheet and document
properties in an xlsx, a 清单标识 row in a CSV); rows of another township's cases are rejected.
A list without a mark (a sheet copied into a new workbook, a list typed up by hand) is refused
unless --township names the township it answers for. A list's outcomes and its audit row are
written together: a crash leaves all of them or none.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			// A list that cannot be opened is refused like one that cannot
			// be read, and the others imported; when none can be, nothing
			// is done.
			var unreadable []string
			for _, f := range args {
				if err := readable(f); err != nil {
					unreadable = append(unreadable, err.Error())
				}
			}
			if len(unreadable) == len(args) {
				return &exitError{code: 2, msg: "nothing imported: no list could be read: " + strings.Join(unreadable, "; ")}
			}
			_, p, day, err := g.openPipeline(cmd, "lipwatch feedback import")
			if err != nil {
				return err
			}
			defer p.Close()
			if township != "" {
				if _, err := p.ResolveTownship(township); err != nil {
					return &exitError{code: 2, msg: "--township: " + err.Error()}
				}
			}
			var r *pipeline.FeedbackResult
			// The ledger records the import as its exit status says: ok,
			// partial (3) or failed.
			err = p.Ledgered(cmd.Context(), "feedback", day, func() (any, error) {
				var err error
				if r, err = p.Feedback(cmd.Context(), day, args, township); err != nil {
					return nil, err
				}
				return map[string]int{"files": len(args), "closed": r.Closed, "unchanged": r.Unchanged, "rejected": len(r.Rejected),
					"refused": r.RefusedFiles}, feedbackOutcome(r, len(args))
			})
			if r == nil {
				return err
			}
			w := cmd.OutOrStdout()
			tw := newTable(w)
			fmt.Fprintln(tw, "LIST\tTOWNSHIP\tBATCH\tCLOSED\tALREADY\tREJECTED")
			for _, f := range r.Files {
				town := p.Router.Name(f.Township)
				if f.Refused {
					town = "REFUSED"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\n", filepath.Base(f.File), town, cmp.Or(f.Batch, "-"), f.Closed, f.Unchanged, f.Rejected)
			}
			tw.Flush()
			fmt.Fprintf(w, "closed %d cases, %d already applied, %d rows rejected\n", r.Closed, r.Unchanged, len(r.Rejected))
			const show = 100
			for i, re := range r.Rejected {
				if i == show {
					fmt.Fprintf(w, "  … and %d more rows rejected\n", len(r.Rejected)-show)
					break
				}
				fmt.Fprintf(w, "  %s: %s\n", re.File, re.Reason)
			}
			return err
		},
	}
	imp.Flags().StringVar(&township, "township", "", "the township (code or name, or county) a list without a lipwatch mark answers for")
	fb.AddCommand(imp)
	return fb
}

// readable reports why a returned list cannot be opened, if it cannot.
func readable(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil {
		return err
	} else if fi.IsDir() {
		return fmt.Errorf("%s is a directory, not a list", path)
	}
	return nil
}

// feedbackOutcome is an import's end as its exit status says it: nil when
// every list was imported without a rejected row; exit 2 when every list
// was refused whole (nothing was imported: a file or --township to fix);
// else 3, done but partly, which the run ledger records as partial.
func feedbackOutcome(r *pipeline.FeedbackResult, files int) error {
	var msg string
	switch {
	case r.RefusedFiles == files:
		return &exitError{code: 2, msg: fmt.Sprintf("nothing imported: %s refused whole: see above", plural(files, "list", "lists"))}
	case r.RefusedFiles > 0:
		// The other lists were imported; this one needs a person.
		msg = fmt.Sprintf("%d of %d lists refused whole: see above", r.RefusedFiles, files)
	case len(r.Rejected) > 0:
		msg = fmt.Sprintf("%d rows rejected: see above; send them back to their township", len(r.Rejected))
	default:
		return nil
	}
	return &exitError{code: exitDegraded, msg: msg, err: &store.PartialError{Msg: msg}}
}

// plural is n and the word for one or for more.
func plural(n int, one, more string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, more)
}

func newCasesCmd(g *globals) *cobra.Command {
	cs := &cobra.Command{Use: "cases", Short: "Read warning cases"}
	var township, state, level string
	var overdue, unmasked bool
	list := &cobra.Command{
		Use:   "list",
		Short: "List cases (filters: --township, --state, --level, --overdue)",
		RunE: func(cmd *cobra.Command, args []string) error {
			// Filters are checked, never read as "nothing matches".
			var states []string
			for _, st := range cases.States() {
				states = append(states, string(st))
			}
			states = append(states, "open")
			if state != "" && !slices.Contains(states, state) {
				return &exitError{code: 2, msg: fmt.Sprintf("--state %q: want one of %s (open: new or dispatched)", state, strings.Join(states, ", "))}
			}
			if level != "" && !slices.Contains([]string{"red", "orange", "yellow"}, level) {
				return &exitError{code: 2, msg: fmt.Sprintf("--level %q: want red, orange or yellow", level)}
			}
			_, p, day, err := g.openPipeline(cmd, "lipwatch cases list")
			if err != nil {
				return err
			}
			defer p.Close()
			if township != "" && township != "county" {
				code, err := p.ResolveTownship(township)
				if err != nil {
					return &exitError{code: 2, msg: "--township: " + err.Error()}
				}
				township = cmp.Or(code, "county") // the county queue's name too
			}
			storeState := state
			if state == "open" {
				storeState = ""
			}
			var on time.Time
			if overdue {
				on = day
			}
			var found []*cases.Case
			if township == "county" { // the county's own queue: whatever routes there
				all, err := p.Store.CasesWhere(cmd.Context(), "", storeState, level, on)
				if err != nil {
					return err
				}
				for _, c := range all {
					if p.Router.Township(c.TownshipCode) == route.CountyQueue {
						found = append(found, c)
					}
				}
			} else if found, err = p.Store.CasesWhere(cmd.Context(), township, storeState, level, on); err != nil {
				return err
			}
			if state == "open" {
				found = slices.DeleteFunc(found, func(c *cases.Case) bool { return c.State == cases.StateClosed })
			}
			items, err := p.Items(cmd.Context(), found, day)
			if err != nil {
				return err
			}
			if err := p.Store.Audit(cmd.Context(), g.actor(), "cases_list", township, map[string]any{
				"state": state, "level": level, "overdue": overdue, "cases": len(found)}); err != nil {
				return err
			}
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "CASE\tTOWNSHIP\tVILLAGE\tHOUSEHOLD\tLEVEL\tSTATE\tOPENED\tDEADLINE\tOVERDUE\tHITS\tOUTCOME")
			for i, c := range found {
				it := items[i]
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%v\t%d\t%s\n", c.ID, p.Router.Name(p.Router.Township(c.TownshipCode)),
					cmp.Or(it.VillageName, it.VillageCode, "-"), cmp.Or(c.HouseholdID, "-"), c.Level, c.State,
					date(c.OpenedOn), date(c.Deadline), c.State != "closed" && route.Overdue(c.Deadline, day), len(c.Hits), c.Outcome)
			}
			tw.Flush()
			fmt.Fprintf(cmd.OutOrStdout(), "%d cases\n", len(found))
			return nil
		},
	}
	f := list.Flags()
	f.StringVar(&township, "township", "", "township code (9 digits) or name (城关镇), or county for the county's own queue")
	f.StringVar(&state, "state", "", "new, dispatched, closed, or open (new or dispatched)")
	f.StringVar(&level, "level", "", "red, orange or yellow")
	f.BoolVar(&overdue, "overdue", false, "only open cases past their deadline at --as-of")
	show := &cobra.Command{
		Use:   "show CASE_ID",
		Short: "Show one case with its hits and evidence (ID numbers masked unless --unmasked)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, p, _, err := g.openPipeline(cmd, "lipwatch cases show")
			if err != nil {
				return err
			}
			defer p.Close()
			c, err := p.Store.Case(cmd.Context(), args[0])
			if err != nil {
				return noCase(err)
			}
			if err := p.Store.Audit(cmd.Context(), g.actor(), "cases_show", c.ID, map[string]bool{"unmasked": unmasked}); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "case %s  level %s  state %s\n", c.ID, c.Level, c.State)
			household := c.HouseholdID
			if household == "" {
				// A person's case: the registry knows no household for them.
				id := strings.TrimPrefix(c.Subject, "P:")
				if !unmasked {
					id = idnum.Mask(id)
				}
				household = "无户籍户号 (a person's case: " + id + ")"
			}
			fmt.Fprintf(w, "household %s  township %s\n", household, p.Router.Name(p.Router.Township(c.TownshipCode)))
			fmt.Fprintf(w, "opened %s  dispatched %s  deadline %s  closed %s %s\n", date(c.OpenedOn), date(c.DispatchedOn),
				date(c.Deadline), date(c.ClosedOn), c.Outcome)
			hist, err := p.Store.CaseHistory(cmd.Context(), c.ID)
			if err != nil {
				return err
			}
			fmt.Fprintln(w, "history:")
			for _, e := range hist {
				line := "  " + date(e.On) + " " + e.What
				switch e.What {
				case "dispatched":
					line += " in " + e.Batch + ", deadline " + date(e.Deadline)
				case "extended":
					line += " to " + date(e.Deadline) + " by " + e.Actor
				case "reopened":
					line += " by " + e.Actor + " (was " + e.Outcome + "): " + e.Note + "; deadline " + date(e.Deadline)
				case "closed":
					line += ": " + e.Outcome
					if e.Actor != "" {
						line += ", verified by " + e.Actor
					}
					if e.Note != "" {
						line += ", note: " + e.Note
					}
				}
				fmt.Fprintln(w, line)
			}
			for _, h := range c.Hits {
				id := idnum.Mask(h.IDNumber)
				if unmasked {
					id = h.IDNumber
				}
				active := "active"
				if !h.Active {
					active = "no longer firing"
				}
				lv := h.Level
				if h.Mark {
					lv = "mark" // a note on the case, not a warning
					if h.Route != "" {
						lv += ", routes to the " + h.Route
					}
				}
				fmt.Fprintf(w, "\n  %s v%d (%s, %s) %s\n  seen %s .. %s\n  reason: %s\n  facts: %s\n  evidence: %s\n",
					h.RuleID, h.RuleVersion, lv, active, id, date(h.FirstSeen), date(h.LastSeen), h.Reason, h.Facts, h.Evidence)
			}
			return nil
		},
	}
	show.Flags().BoolVar(&unmasked, "unmasked", false, "show ID numbers in full")
	extend := &cobra.Command{
		Use:   "extend CASE_ID",
		Short: "Extend a dispatched case's deadline to cases.extension_days working days from dispatch",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			_, p, _, err := g.openPipeline(cmd, "lipwatch cases extend")
			if err != nil {
				return err
			}
			defer p.Close()
			d, err := p.Store.ExtendCase(cmd.Context(), args[0], func(from time.Time) (time.Time, error) {
				return p.Router.Deadline(from, true)
			})
			if err != nil {
				return noCase(err)
			}
			// Who gave a township more time, and when, is part of the
			// case's record.
			if err := p.Store.Audit(cmd.Context(), g.actor(), "cases_extend", args[0], map[string]any{"deadline": date(d)}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "case %s: deadline extended to %s\n", args[0], date(d))
			return nil
		},
	}
	var reason string
	reopen := &cobra.Command{
		Use:   "reopen CASE_ID --reason TEXT",
		Short: "Reopen a closed case to correct an outcome recorded by mistake (the township records the right one)",
		Long: `Reopens a closed case, for the county to correct an outcome recorded by mistake (不符合条件
clicked for 纳入低保, say): the outcome, 核实人 and 核实说明 are cleared, the case is open again with a
deadline of cases.deadline_days working days from today, and the next dispatch lists it again; the
suppression its closing made is lifted and the ground reports it settled are open again. Refused
for a case not closed, or whose household has another case open. Audited (case_reopened) with the
reason and the outcome undone.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if strings.TrimSpace(reason) == "" {
				return &exitError{code: 2, msg: "--reason is required: why the outcome is corrected (it is in the case's history)"}
			}
			_, p, day, err := g.openPipeline(cmd, "lipwatch cases reopen")
			if err != nil {
				return err
			}
			defer p.Close()
			d, err := p.Router.Deadline(day, false)
			if err != nil {
				return err
			}
			if err := p.Store.ReopenCase(cmd.Context(), g.actor(), args[0], strings.TrimSpace(reason), day, d); err != nil {
				var state *store.CaseStateError
				if errors.As(err, &state) {
					return &exitError{code: 1, msg: err.Error()}
				}
				return noCase(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "case %s: reopened, deadline %s; it is on the next dispatch\n", args[0], date(d))
			return nil
		},
	}
	reopen.Flags().StringVar(&reason, "reason", "", "why the outcome is corrected (required; audited)")
	cs.AddCommand(list, show, extend, reopen)
	return cs
}

// noCase makes an unknown case id a mistake in the argument (exit 2:
// nothing was done); other errors pass unchanged.
func noCase(err error) error {
	if errors.Is(err, store.ErrNoCase) {
		return &exitError{code: 2, msg: err.Error() + " (case ids are as lipwatch cases list shows them, e.g. YJ-20261128-0001)", err: err}
	}
	return err
}

func date(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Format(time.DateOnly)
}
