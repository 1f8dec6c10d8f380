package main

// lipwatch links: the analysts' side of identity resolution (身份识别,
// engine/link and engine/store's links): run a pass, work the clerical
// review queue, confirm or reject a link, explain a link's weights as a
// waterfall, list links.

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/link"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// linkStatuses are the statuses of links, in the order of their life.
var linkStatuses = []string{store.LinkPending, store.LinkLinked, store.LinkUnmatched, store.LinkConfirmed, store.LinkRejected}

func newLinksCmd(g *globals) *cobra.Command {
	lc := &cobra.Command{
		Use:   "links",
		Short: "Identity resolution (身份识别): rows whose ID number is missing, mistyped or damaged, and the review queue",
		Long: `Identity resolution (身份识别). A department row whose ID number matched nobody (missing or
unusable, valid but of no registry person, or a registry person's under another name) is linked
to registry people by probability (Fellegi–Sunter: m/u per comparison, estimated by EM) after
every sync of lipwatch run, with one of three outcomes: linked automatically (已自动关联), waiting
in the clerical review queue (待复核), or unmatched (未匹配). Analysts confirm (已确认) or reject
(已否决) links here or on the portal's review page; a confirmed link makes the row name its person
from then on, as an automatic link does. Thresholds are in config.yaml (link:).`,
	}
	lc.AddCommand(newLinksRunCmd(g), newLinksReviewCmd(g), newLinksConfirmCmd(g), newLinksRejectCmd(g),
		newLinksExplainCmd(g), newLinksListCmd(g))
	return lc
}

func newLinksRunCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "run",
		Short: "One identity-resolution pass now: link the rows that need it, print the counts per dataset",
		Long: `Runs one identity-resolution pass now, as lipwatch run does after its sync (whether or not
link.enabled is set: that setting is the night's): the rows never linked, and, when the registry
changed since the last pass, the rows waiting for review or unmatched. Rows linked automatically
name their person at once; the next lipwatch run (or evaluate) evaluates them. Recorded in the run
ledger as kind link, on the --as-of date.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, p, day, err := g.openPipeline(cmd, "lipwatch links run")
			if err != nil {
				return err
			}
			defer p.Close()
			var pass *store.LinkPass
			err = p.Ledgered(cmd.Context(), "link", day, func() (any, error) {
				var err error
				if pass, err = p.Link(cmd.Context()); err != nil {
					return nil, err
				}
				return map[string]any{"records": pass.Records, "rechecked": pass.Rechecked, "auto": pass.Auto,
					"review": pass.Review, "none": pass.None, "applied": pass.Applied, "unlinked": pass.Unlinked, "renewed": pass.Renewed, "disowned": pass.Disowned,
					"no_registry": pass.NoRegistry}, nil
			})
			if err != nil {
				if cmd.Context().Err() != nil {
					return errInterrupted
				}
				return err
			}
			printLinksRun(cmd.OutOrStdout(), pass)
			return nil
		},
	}
}

// printLinksRun writes what a pass did: its totals, the counts per
// dataset, and the model that scored it.
func printLinksRun(w io.Writer, pass *store.LinkPass) {
	if pass.NoRegistry {
		fmt.Fprintln(w, "identity resolution (身份识别): skipped: the store holds no registry person yet (户籍 never loaded), nobody to link to")
		return
	}
	if pass.Records == 0 {
		fmt.Fprintln(w, "identity resolution (身份识别): no row needs linking (every row's ID number names its registry person, or the row was linked before and the registry has not changed)")
		return
	}
	// The rows looked at again, by cause: a rejection expired (Renewed),
	// or the registry changed (the others).
	again := ""
	switch byRegistry := pass.Rechecked - pass.Renewed; {
	case byRegistry > 0 && pass.Renewed > 0:
		again = fmt.Sprintf(" (%d of them again: %d as the registry changed, %d as their rejection expired)", pass.Rechecked, byRegistry, pass.Renewed)
	case byRegistry > 0:
		again = fmt.Sprintf(" (%d of them again: the registry changed)", pass.Rechecked)
	case pass.Renewed > 0:
		again = fmt.Sprintf(" (%d of them again: their rejection expired)", pass.Rechecked)
	}
	// Applied counts every row whose id_number changed: those that now
	// name their person, and those that name nobody again (Unlinked) or
	// now (Disowned), told apart below.
	named := pass.Applied - pass.Unlinked - pass.Disowned
	fmt.Fprintf(w, "identity resolution (身份识别): %s whose ID number matched nobody%s: %d linked, %d to review, %d unmatched; %s\n",
		plural(int(pass.Records), "row", "rows"), again, pass.Auto, pass.Review, pass.None, plural(int(named), "row now names its person", "rows now name their person"))
	if pass.Disowned > 0 {
		fmt.Fprintf(w, "%s carrying a registry person's ID under another name, not linked back to that person: they name nobody until reviewed (身份证号与姓名不符，待复核)\n",
			plural(int(pass.Disowned), "row", "rows"))
	}
	if pass.Renewed > 0 {
		fmt.Fprintf(w, "%s rejected longer ago than link.refutation_expires: back for review whatever the linker finds (否决已过期，须重新确认或否决)\n",
			plural(int(pass.Renewed), "row", "rows"))
	}
	if pass.Unlinked > 0 {
		fmt.Fprintf(w, "%s linked before no longer automatically (the registry changed: their person changed or left, or another is as likely): they name nobody again until reviewed (关联已撤销，待复核)\n",
			plural(int(pass.Unlinked), "row", "rows"))
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "DATASET\t\tLINKED 已关联\tREVIEW 待复核\tUNMATCHED 未匹配")
	for _, ds := range slices.Sorted(maps.Keys(pass.ByDataset)) {
		c := pass.ByDataset[ds]
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%d\n", ds, datasetTitle(ds), c[0], c[1], c[2])
	}
	tw.Flush()
	m := pass.Model
	switch m.Source {
	case "estimated":
		fmt.Fprintf(w, "model %d: u from random pairs, m and the match share by EM over %d pairs (%d iterations)\n", pass.ModelID, m.Pairs, m.Iterations)
	default:
		fmt.Fprintf(w, "model %d: %s (too few pairs to estimate from: %d)\n", pass.ModelID, m.Source, pass.Pairs)
	}
	if pass.Review > 0 {
		fmt.Fprintln(w, "the review queue: lipwatch links review")
	}
}

func newLinksReviewCmd(g *globals) *cobra.Command {
	var ds string
	var limit int
	var unmasked bool
	cmd := &cobra.Command{
		Use:   "review [--dataset D] [--limit N] [--unmasked]",
		Short: "The clerical review queue (待复核): each waiting row beside its candidates, oldest first",
		Long: `Shows the links waiting for an analyst (status pending), oldest first: for each, where the row
came from (source, stream:line), its fields (name, ID number as sent, gender, birth date, 户号)
beside its candidates' (name, ID number, birth date, gender, 户号, 乡镇/村, registry status, match
probability and weight in bits), each field that differs from the row's marked ≠, and why the
linker did not decide. Decide with lipwatch links confirm / reject; lipwatch links explain LINK
shows the weights comparison by comparison.

At the top, the progress: "3 of 17 decided". It counts the queue's work: the links the linker
left for review that an analyst has since confirmed or rejected (3), of those plus the links still
waiting (17). A link that left the queue by itself (the registry changed and the pass linked it or
found it unmatched) is no longer anyone's work and is in neither figure; nor is an automatic link
an analyst corrected. With --dataset, the progress of that dataset.

Names (石*婷) and ID numbers are masked unless --unmasked (the level of each comparison says how
the names agree; the portal's review page shows them to county analysts). Every
listing is in the audit log (links_list).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkLinkDataset(ds); err != nil {
				return err
			}
			if limit < 0 {
				return &exitError{code: 2, msg: fmt.Sprintf("--limit %d: want 0 (all) or more", limit)}
			}
			e, p, _, err := g.openPipeline(cmd, "lipwatch links review")
			if err != nil {
				return err
			}
			defer p.Close()
			prog, err := p.Store.LinkProgress(cmd.Context(), ds)
			if err != nil {
				return err
			}
			rows, err := p.Store.Links(cmd.Context(), store.LinkFilter{Statuses: []string{store.LinkPending}, Dataset: ds, Limit: limit})
			if err != nil {
				return err
			}
			if err := p.Store.Audit(cmd.Context(), g.actor(), "links_list", "review", map[string]any{
				"dataset": ds, "links": len(rows), "unmasked": unmasked}); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			of := "the review queue"
			if ds != "" {
				of += " of " + ds
			}
			fmt.Fprintf(w, "%s (复核队列): %d of %d decided (已处理 %d / %d: %d confirmed 已确认, %d rejected 已否决), %d waiting (待复核)\n",
				of, prog.Decided(), prog.Total(), prog.Decided(), prog.Total(), prog.Confirmed, prog.Rejected, prog.Pending)
			if len(rows) == 0 {
				fmt.Fprintln(w, "nothing waits for review (复核队列为空)")
				return nil
			}
			if len(rows) < prog.Pending {
				fmt.Fprintf(w, "showing the oldest %d (--limit; 0 shows all)\n", len(rows))
			}
			lv := linkView{p: p, loc: e.cfg.Location(), unmasked: unmasked, th: thresholds(p)}
			for _, r := range rows {
				fmt.Fprintln(w)
				lv.reviewBlock(w, r)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&ds, "dataset", "", "only this dataset's rows (medical, employment, …)")
	f.IntVar(&limit, "limit", 20, "show at most this many links, oldest first (0: all)")
	f.BoolVar(&unmasked, "unmasked", false, "show names and ID numbers in full (audited)")
	return cmd
}

func newLinksConfirmCmd(g *globals) *cobra.Command {
	var candidate int
	var person, note string
	var correct bool
	cmd := &cobra.Command{
		Use:   "confirm LINK [--candidate N | --person IDNUMBER] [--note TEXT]",
		Short: "Link a row to its person (已确认): a candidate, or any registry person; the row names them from now on",
		Long: `Confirms link LINK: the row names the person from now on (its ID number as sent stays in the
link, so the decision can be undone). The person is candidate N of the link as lipwatch links
review numbers them (--candidate), any registry person (--person IDNUMBER: an analyst who found
the person by other means), or, without either, the linker's proposal (the best candidate, or the
person an automatic link chose). The next lipwatch run evaluates the row as that person's.

A link an analyst already decided (confirmed or rejected) is refused (exit 1), naming who decided
and when; --correct changes that decision, with --note saying why. Exit 2 for a link number that
names no link, 1 for a person not in the registry. Audited (link_confirm) without the ID number.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := linkArg(args[0])
			if err != nil {
				return err
			}
			if candidate != 0 && person != "" {
				return &exitError{code: 2, msg: "--candidate and --person: give one, or neither for the linker's proposal"}
			}
			if candidate < 0 {
				return &exitError{code: 2, msg: fmt.Sprintf("--candidate %d: want a candidate's number, 1 for the best", candidate)}
			}
			if person != "" {
				pid, err := idnum.Parse(person)
				if err != nil {
					return &exitError{code: 2, msg: "--person: " + err.Error()}
				}
				person = string(pid)
			}
			if correct && strings.TrimSpace(note) == "" {
				return &exitError{code: 2, msg: "--correct needs --note: why the decision is changed (it is in the link and the audit log)"}
			}
			e, p, _, err := g.openPipeline(cmd, "lipwatch links confirm")
			if err != nil {
				return err
			}
			defer p.Close()
			r, err := oneLink(cmd, p, id)
			if err != nil {
				return err
			}
			if err := decidedBefore(r, correct, e.cfg.Location()); err != nil {
				return err
			}
			which := ""
			switch {
			case candidate > 0:
				if candidate > len(r.Candidates) {
					return &exitError{code: 2, msg: fmt.Sprintf("--candidate %d: link %d has %s", candidate, id, plural(len(r.Candidates), "candidate", "candidates"))}
				}
				person, which = r.Candidates[candidate-1].PersonID, fmt.Sprintf("candidate #%d", candidate)
			case person != "":
				which = "not among the link's candidates"
				for i, c := range r.Candidates {
					if c.PersonID == person {
						which = fmt.Sprintf("candidate #%d", i+1)
					}
				}
			default:
				if r.PersonID == "" {
					return &exitError{code: 2, msg: fmt.Sprintf("link %d has no candidate to confirm: name the person with --person IDNUMBER", id)}
				}
				person, which = r.PersonID, "the linker's proposal"
				for i, c := range r.Candidates {
					if c.PersonID == person {
						which += fmt.Sprintf(", candidate #%d", i+1)
					}
				}
			}
			if err := p.Store.ConfirmLink(cmd.Context(), id, person, g.actor(), strings.TrimSpace(note)); err != nil {
				return linkDecisionError(err)
			}
			name := ""
			for _, c := range r.Candidates {
				if c.PersonID == person {
					name = maskName(c.Name) + " "
				}
			}
			fmt.Fprintf(cmd.OutOrStdout(), "link %d confirmed (已确认): the %s row %s now names %s%s (%s); the next lipwatch run evaluates it\n",
				id, r.Dataset, rowPlace(r), name, idnum.Mask(person), which)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&candidate, "candidate", 0, "the candidate's number, as links review shows it (1: the best)")
	f.StringVar(&person, "person", "", "the ID number of the registry person the row is about")
	f.StringVar(&note, "note", "", "why (kept with the link and in the audit log)")
	f.BoolVar(&correct, "correct", false, "change a decision an analyst made before (needs --note)")
	return cmd
}

func newLinksRejectCmd(g *globals) *cobra.Command {
	var note string
	var correct bool
	cmd := &cobra.Command{
		Use:   "reject LINK [--note TEXT]",
		Short: "Refute a link (已否决): the row keeps its ID number as sent and is not proposed again",
		Long: `Rejects link LINK: none of its candidates is the row's person (or the automatic link was wrong).
The row names its ID number as the department sent it again, and the linker never proposes it
again. A link an analyst already decided is refused (exit 1) unless --correct, with --note saying
why. Exit 2 for a link number that names no link. Audited (link_reject).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := linkArg(args[0])
			if err != nil {
				return err
			}
			if correct && strings.TrimSpace(note) == "" {
				return &exitError{code: 2, msg: "--correct needs --note: why the decision is changed (it is in the link and the audit log)"}
			}
			e, p, _, err := g.openPipeline(cmd, "lipwatch links reject")
			if err != nil {
				return err
			}
			defer p.Close()
			r, err := oneLink(cmd, p, id)
			if err != nil {
				return err
			}
			if err := decidedBefore(r, correct, e.cfg.Location()); err != nil {
				return err
			}
			if err := p.Store.RejectLink(cmd.Context(), id, g.actor(), strings.TrimSpace(note)); err != nil {
				return linkDecisionError(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "link %d rejected (已否决): the %s row %s keeps its ID number as sent and is not proposed again\n",
				id, r.Dataset, rowPlace(r))
			return nil
		},
	}
	cmd.Flags().StringVar(&note, "note", "", "why (kept with the link and in the audit log)")
	cmd.Flags().BoolVar(&correct, "correct", false, "change a decision an analyst made before (needs --note)")
	return cmd
}

// oneLink reads link id, or exits 2: the number names no link.
func oneLink(cmd *cobra.Command, p *pipeline.Pipeline, id int64) (store.LinkRow, error) {
	rows, err := p.Store.Links(cmd.Context(), store.LinkFilter{IDs: []int64{id}})
	if err != nil {
		return store.LinkRow{}, err
	}
	if len(rows) == 0 {
		return store.LinkRow{}, noLink(id)
	}
	return rows[0], nil
}

func noLink(id int64) error {
	return &exitError{code: 2, msg: fmt.Sprintf("no link %d (link numbers are as lipwatch links review and links list show them)", id), err: store.ErrNoLink}
}

// decidedBefore refuses (exit 1) a new decision on a link an analyst
// decided, unless correct: the second analyst learns who decided it.
func decidedBefore(r store.LinkRow, correct bool, loc *time.Location) error {
	if correct || (r.Status != store.LinkConfirmed && r.Status != store.LinkRejected) {
		return nil
	}
	by := ""
	if r.DecidedBy != "" {
		by = " by " + r.DecidedBy
	}
	if !r.DecidedAt.IsZero() {
		by += " on " + stamp(r.DecidedAt, loc)
	}
	return &exitError{code: 1, msg: fmt.Sprintf("link %d is already %s (%s)%s: to change the decision, add --correct and --note with the reason",
		r.ID, r.Status, statusLabel(r.Status), by), err: store.ErrLinkDecision}
}

// linkDecisionError gives the store's refusals their exit status: 2 for a
// link that does not exist, 1 for a decision that cannot be made (a
// person not in the registry, the same decision again).
func linkDecisionError(err error) error {
	switch {
	case errors.Is(err, store.ErrNoLink):
		return &exitError{code: 2, msg: err.Error(), err: err}
	case errors.Is(err, store.ErrLinkDecision):
		return &exitError{code: 1, msg: err.Error(), err: err}
	}
	return err
}

// linkArg reads a link number, or exits 2.
func linkArg(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, &exitError{code: 2, msg: fmt.Sprintf("link %q: want a link number as lipwatch links review and links list show them", s)}
	}
	return id, nil
}

func newLinksExplainCmd(g *globals) *cobra.Command {
	var unmasked bool
	cmd := &cobra.Command{
		Use:   "explain LINK|IDNUMBER [--unmasked]",
		Short: "Why a link scored as it did: the waterfall of each candidate's weights (先验, 姓名, 出生日期, 身份证号, 性别, 户号)",
		Long: `Explains link LINK, or every link whose row names the person IDNUMBER or whose candidates
include them: for each candidate, the waterfall of its match weight as Splink draws it, one line
per comparison — 先验 (the prior: the chance a row and a registry person drawn at random are the
same person), then 姓名, 出生日期, 身份证号, 性别, 户号 — with the level found (its Chinese label),
m (how often the same person agrees so), u (how often two people do; TF when it is the name's own
frequency in the registry), the weight log2(m/u) in bits and a bar: the running total moving right
(+, for) or left (-, against) from where the last comparison left it, | at 0. Then the total
weight (the lines' sum), the probability 2^w/(1+2^w), and the link's decision against the
thresholds (config link:). Names and ID numbers masked unless --unmasked; audited
(links_list).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f, byPerson, err := explainArg(args[0])
			if err != nil {
				return err
			}
			e, p, _, err := g.openPipeline(cmd, "lipwatch links explain")
			if err != nil {
				return err
			}
			defer p.Close()
			rows, err := p.Store.Links(cmd.Context(), f)
			if err != nil {
				return err
			}
			ids := make([]int64, len(rows))
			for i, r := range rows {
				ids[i] = r.ID
			}
			subject := "link " + args[0]
			if byPerson {
				subject = "links of a person" // never the ID number
			}
			if err := p.Store.Audit(cmd.Context(), g.actor(), "links_list", subject, map[string]any{
				"explain": true, "links": ids, "unmasked": unmasked}); err != nil {
				return err
			}
			if len(rows) == 0 {
				if byPerson {
					return &exitError{code: 2, msg: fmt.Sprintf("no link names %s or has them among its candidates", idnum.Mask(f.PersonID))}
				}
				return noLink(f.IDs[0])
			}
			lv := linkView{p: p, loc: e.cfg.Location(), unmasked: unmasked, th: thresholds(p)}
			w := cmd.OutOrStdout()
			models := map[int64]*link.Model{}
			for i, r := range rows {
				if i > 0 {
					fmt.Fprintln(w)
				}
				m, ok := models[r.ModelID]
				if !ok {
					mm, err := p.Store.LinkModel(cmd.Context(), r.ModelID)
					if err != nil {
						return err
					}
					m, models[r.ModelID] = &mm, &mm
				}
				lv.explain(w, r, m)
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&unmasked, "unmasked", false, "show names and ID numbers in full (audited)")
	return cmd
}

// explainArg reads explain's argument: a link number (digits, shorter than
// any ID number), else an ID number (exit 2 when it is neither).
func explainArg(s string) (store.LinkFilter, bool, error) {
	if len(s) < 15 && strings.Trim(s, "0123456789") == "" {
		id, err := linkArg(s)
		if err != nil {
			return store.LinkFilter{}, false, err
		}
		return store.LinkFilter{IDs: []int64{id}}, false, nil
	}
	id, err := idnum.Parse(s)
	if err != nil {
		return store.LinkFilter{}, false, &exitError{code: 2, msg: fmt.Sprintf("%s is neither a link number nor an ID number: %v", idnum.Mask(s), err)}
	}
	return store.LinkFilter{PersonID: string(id)}, true, nil
}

func newLinksListCmd(g *globals) *cobra.Command {
	var status, ds string
	var limit int
	cmd := &cobra.Command{
		Use:   "list [--status S] [--dataset D] [--limit N]",
		Short: "A table of links: number, dataset, status, probability, when found and decided",
		Long: `Lists links, oldest first: number, dataset, status (pending 待复核, linked 已自动关联,
unmatched 未匹配, confirmed 已确认, rejected 已否决), the best candidate's match probability, when
the row was first linked and when it was last linked again or decided (and by whom). No names and
no ID numbers: lipwatch links review and explain show them. Audited (links_list).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if status != "" && !slices.Contains(linkStatuses, status) {
				return choiceError("--status", status, linkStatuses)
			}
			if err := checkLinkDataset(ds); err != nil {
				return err
			}
			if limit < 0 {
				return &exitError{code: 2, msg: fmt.Sprintf("--limit %d: want 0 (all) or more", limit)}
			}
			e, p, _, err := g.openPipeline(cmd, "lipwatch links list")
			if err != nil {
				return err
			}
			defer p.Close()
			f := store.LinkFilter{Dataset: ds, Limit: limit, Bare: true}
			if status != "" {
				f.Statuses = []string{status}
			}
			rows, err := p.Store.Links(cmd.Context(), f)
			if err != nil {
				return err
			}
			counts, err := p.Store.LinkCounts(cmd.Context())
			if err != nil {
				return err
			}
			if err := p.Store.Audit(cmd.Context(), g.actor(), "links_list", "list", map[string]any{
				"status": status, "dataset": ds, "links": len(rows)}); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			loc := e.cfg.Location()
			tw := newTable(w)
			fmt.Fprintln(tw, "LINK\tDATASET\tSTATUS\t\tPROBABILITY\tFOUND\tUPDATED\tBY")
			for _, r := range rows {
				prob := "-"
				if r.PersonID != "" {
					prob = strconv.FormatFloat(r.Probability, 'f', 4, 64)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Dataset, r.Status, statusLabel(r.Status), prob,
					stamp(r.CreatedAt, loc), stamp(r.UpdatedAt, loc), cmp.Or(r.DecidedBy, "-"))
			}
			tw.Flush()
			total := 0
			for d, byStatus := range counts {
				if ds != "" && d != ds {
					continue
				}
				for st, n := range byStatus {
					if status == "" || st == status {
						total += n
					}
				}
			}
			if len(rows) < total {
				fmt.Fprintf(w, "%d of %d links (the oldest; --limit 0 shows all)\n", len(rows), total)
			} else {
				fmt.Fprintf(w, "%d links\n", len(rows))
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&status, "status", "", "only links of this status: "+strings.Join(linkStatuses, ", "))
	f.StringVar(&ds, "dataset", "", "only this dataset's links")
	f.IntVar(&limit, "limit", 100, "show at most this many links, oldest first (0: all)")
	return cmd
}

// checkLinkDataset refuses (exit 2) a --dataset that names no dataset
// whose rows can be linked.
func checkLinkDataset(ds string) error {
	if ds == "" {
		return nil
	}
	names := slices.DeleteFunc(dataset.Names(), func(n string) bool { return n == "registry" })
	if !slices.Contains(names, ds) {
		return choiceError("--dataset", ds, names)
	}
	return nil
}

// thresholds are the configured thresholds, with the linker's defaults
// for the ones not set.
func thresholds(p *pipeline.Pipeline) link.Thresholds {
	l := p.Cfg.Link
	return link.Thresholds{Auto: cmp.Or(l.Auto, 0.99), Review: cmp.Or(l.Review, 0.5), Margin: cmp.Or(l.MarginBits, 5)}
}

// datasetTitle is a dataset's Chinese name (its Doc up to the English):
// 医保结算（医保局）.
func datasetTitle(name string) string {
	d, ok := dataset.Lookup(name)
	if !ok {
		return name
	}
	i := strings.IndexFunc(d.Doc, func(r rune) bool { return r < unicode.MaxASCII && unicode.IsLetter(r) })
	if i <= 0 {
		return d.Doc
	}
	return strings.TrimSpace(d.Doc[:i])
}

// statusLabel is a link status in Chinese.
func statusLabel(s string) string {
	switch s {
	case store.LinkLinked:
		return "已自动关联"
	case store.LinkPending:
		return "待复核"
	case store.LinkUnmatched:
		return "未匹配"
	case store.LinkConfirmed:
		return "已确认"
	case store.LinkRejected:
		return "已否决"
	}
	return s
}

// bandLabel is the linker's outcome in words.
func bandLabel(b string) string {
	switch link.Band(b) {
	case link.Auto:
		return "auto: linked (自动关联)"
	case link.Review:
		return "review: waits for an analyst (待人工复核)"
	case link.None:
		return "none: unmatched (不关联)"
	}
	return b
}

// whyText says the linker's reason for not deciding, in English and
// Chinese, with the thresholds it is measured against.
func whyText(why string, t link.Thresholds) string {
	var bits float64
	switch {
	case why == "":
		return ""
	case why == "no candidate":
		return "no registry person shares a name, birth date, ID number part or 户号 with the row (没有候选人：户籍中无人与该记录姓名、出生日期、身份证号片段或户号相同)"
	case why == "below the review threshold":
		return fmt.Sprintf("the best candidate's probability is below the review threshold %g (最佳候选人的匹配概率低于复核阈值 %g，不予关联)", t.Review, t.Review)
	case why == "below the auto threshold":
		return fmt.Sprintf("the best candidate's probability is below the auto-link threshold %g (最佳候选人的匹配概率低于自动关联阈值 %g，需人工复核)", t.Auto, t.Auto)
	case fmtScan(why, "a second candidate within %f bits", &bits):
		return fmt.Sprintf("a second candidate within %.1f bits of the best: linking by itself needs a lead of %g bits (第二候选人与最佳候选人的匹配权重只差 %.1f 比特，自动关联要求领先 %g 比特以上，需人工判断)",
			bits, t.Margin, bits, t.Margin)
	}
	return why
}

func fmtScan(s, format string, v *float64) bool {
	n, err := fmt.Sscanf(s, format, v)
	return err == nil && n == 1
}

// stamp is a time in the county's zone, to the minute; "-" for none.
func stamp(t time.Time, loc *time.Location) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(loc).Format("2006-01-02 15:04")
}

// rowPlace is where a link's row came from: stream:line; "(gone)" when
// the row is no longer in its dataset.
func rowPlace(r store.LinkRow) string {
	if r.Source == "" && r.Stream == "" {
		return "(no longer in the dataset)"
	}
	return fmt.Sprintf("%s:%d", r.Stream, r.Position)
}

// linkView prints links for an analyst: names shown, ID numbers masked
// unless unmasked.
type linkView struct {
	p        *pipeline.Pipeline
	loc      *time.Location
	unmasked bool
	th       link.Thresholds
}

// name is a person's name as the CLI shows it: masked like a list's
// (first and last character, 石*婷, 张*) unless --unmasked (audited), as
// every command keeps names out of terminals and logs; the comparison
// level says how the names agree.
func (v linkView) name(s string) string {
	if v.unmasked || s == "" {
		return s
	}
	return maskName(s)
}

// maskName keeps a name's first character and, past two characters, its
// last: 石英婷 → 石*婷, 张伟 → 张*.
func maskName(s string) string {
	rs := []rune(s)
	switch {
	case len(rs) <= 1:
		return "*"
	case len(rs) == 2:
		return string(rs[0]) + "*"
	default:
		return string(rs[0]) + strings.Repeat("*", len(rs)-2) + string(rs[len(rs)-1])
	}
}

func (v linkView) id(s string) string {
	if s == "" {
		return "-"
	}
	if v.unmasked {
		return s
	}
	return idnum.Mask(s)
}

// sentID is the row's ID number as the department sent it: the text
// after "?" for an unusable one, said so.
func (v linkView) sentID(raw string) string {
	text, unusable := strings.CutPrefix(raw, "?")
	switch {
	case unusable && strings.TrimSpace(text) == "":
		return "(none sent 未填)"
	case unusable:
		return v.id(text) + " (unusable 无效)"
	}
	return v.id(text)
}

// rowBirth is the row's birth date as the department sent it ("-" when
// its dataset has none: the ID number's birth digits are compared in the
// 身份证号 comparison, not here).
func rowBirth(r store.LinkRow) string {
	if r.BirthDate.IsZero() {
		return "-"
	}
	return r.BirthDate.Format(time.DateOnly)
}

func genderLabel(g string) string {
	switch g {
	case "male":
		return "男"
	case "female":
		return "女"
	case "":
		return "-"
	}
	return g
}

// place is a candidate's 乡镇/村 by name (county.divisions).
func (v linkView) place(c store.LinkCandidate) string {
	if c.TownshipCode == "" {
		return "-"
	}
	town := v.p.Router.Name(c.TownshipCode)
	if vil := v.p.Villages[c.VillageCode]; vil != "" {
		return town + "/" + vil
	}
	if c.VillageCode != "" {
		return town + "/" + c.VillageCode
	}
	return town
}

// differs marks a candidate's value whose comparison with the row found
// less than full agreement (≠); a comparison that could not be made
// (a value missing) is not marked.
func differs(c store.LinkCandidate, cmpIdx int, val string) string {
	l := int(c.Vector.Levels[cmpIdx])
	if l == link.Null || l == len(link.Comparisons[cmpIdx].Levels)-1 {
		return val
	}
	return "≠ " + val
}

// reviewBlock writes one waiting link for an analyst to decide from: the
// row beside its candidates.
func (v linkView) reviewBlock(w io.Writer, r store.LinkRow) {
	fmt.Fprintf(w, "link %d · %s %s · from %s (source %s) · waiting since %s\n", r.ID, r.Dataset, datasetTitle(r.Dataset),
		rowPlace(r), cmp.Or(r.Source, "-"), stamp(r.CreatedAt, v.loc))
	if why := whyText(r.Why, v.th); why != "" {
		fmt.Fprintf(w, "why not decided: %s\n", why)
	}
	tw := newTable(w)
	head := "\trow 部门记录"
	for i := range r.Candidates {
		head += fmt.Sprintf("\t#%d", i+1)
	}
	fmt.Fprintln(tw, head)
	line := func(label, row string, cell func(c store.LinkCandidate) string) {
		s := label + "\t" + cmp.Or(row, "-")
		for _, c := range r.Candidates {
			s += "\t" + cmp.Or(cell(c), "-")
		}
		fmt.Fprintln(tw, s)
	}
	gone := func(c store.LinkCandidate) bool { return c.Name == "" && c.TownshipCode == "" }
	line("姓名 name", v.name(r.Name), func(c store.LinkCandidate) string {
		if gone(c) {
			return "(no longer in the registry 已不在户籍库)"
		}
		return differs(c, link.CmpName, v.name(c.Name))
	})
	line("身份证号 ID", v.sentID(r.RawID), func(c store.LinkCandidate) string { return differs(c, link.CmpID, v.id(c.PersonID)) })
	line("出生日期 birth", rowBirth(r), func(c store.LinkCandidate) string {
		if c.BirthDate.IsZero() {
			return "-"
		}
		return differs(c, link.CmpBirth, c.BirthDate.Format(time.DateOnly))
	})
	line("性别 gender", genderLabel(r.Gender), func(c store.LinkCandidate) string { return differs(c, link.CmpGender, genderLabel(c.Gender)) })
	line("户号 household", r.HouseholdID, func(c store.LinkCandidate) string {
		if c.HouseholdID == "" {
			return "-"
		}
		return differs(c, link.CmpHousehold, c.HouseholdID)
	})
	line("乡镇/村 place", "", v.place)
	line("户籍状态 status", "", func(c store.LinkCandidate) string {
		if c.Status == "" {
			return "-"
		}
		return rule.StatusName(c.Status) + " " + c.Status
	})
	line("匹配概率 probability", "", func(c store.LinkCandidate) string { return strconv.FormatFloat(c.Probability, 'f', 4, 64) })
	line("权重 weight", "", func(c store.LinkCandidate) string { return fmt.Sprintf("%+.1f bits", c.Bits) })
	tw.Flush()
	if len(r.Candidates) > 0 {
		fmt.Fprintln(w, "≠: differs from the row (与部门记录不同)")
	}
	fmt.Fprintf(w, "decide: lipwatch links confirm %d [--candidate N | --person IDNUMBER] [--note TEXT] · lipwatch links reject %d · weights: lipwatch links explain %d\n",
		r.ID, r.ID, r.ID)
}

// explain writes a link's waterfalls, one per candidate, and its decision.
func (v linkView) explain(w io.Writer, r store.LinkRow, m *link.Model) {
	fmt.Fprintf(w, "link %d · %s %s · from %s · %s (%s)\n", r.ID, r.Dataset, datasetTitle(r.Dataset), rowPlace(r), r.Status, statusLabel(r.Status))
	fmt.Fprintf(w, "row 部门记录: %s · ID as sent %s · birth %s · gender %s · 户号 %s\n", cmp.Or(v.name(r.Name), "-"), v.sentID(r.RawID),
		rowBirth(r), genderLabel(r.Gender), cmp.Or(r.HouseholdID, "-"))
	fmt.Fprintf(w, "model %d (%s", r.ModelID, m.Source)
	if m.Pairs > 0 {
		fmt.Fprintf(w, ", %d pairs, %d EM iterations", m.Pairs, m.Iterations)
	}
	fmt.Fprintf(w, "): λ = %.3g (match share %.3g over %d registry people)\n", m.Lambda, m.Pi, m.People)
	if len(r.Candidates) == 0 {
		fmt.Fprintln(w, "no candidate (没有候选人)")
	}
	// One scale for every candidate's waterfall: the running totals' range.
	lo, hi := 0.0, 0.0
	steps := make([][]link.Step, len(r.Candidates))
	for i, c := range r.Candidates {
		steps[i] = m.Explain(c.Vector)
		run := 0.0
		for _, s := range steps[i] {
			run += s.Bits
			lo, hi = min(lo, run), max(hi, run)
		}
	}
	for i, c := range r.Candidates {
		fmt.Fprintf(w, "\ncandidate #%d: %s %s", i+1, cmp.Or(v.name(c.Name), "(no longer in the registry 已不在户籍库)"), v.id(c.PersonID))
		if c.TownshipCode != "" {
			fmt.Fprintf(w, " · %s · %s", v.place(c), rule.StatusName(c.Status))
		}
		if (r.Status == store.LinkLinked || r.Status == store.LinkConfirmed) && c.PersonID == r.PersonID {
			fmt.Fprint(w, " · the row names this person now (当前关联)")
		}
		fmt.Fprintln(w)
		tw := newTable(w)
		fmt.Fprintf(tw, "  COMPARISON\tLEVEL\tM\tU\tBITS\t%s\n", scaleLine(lo, hi))
		run := 0.0
		for _, s := range steps[i] {
			mm, uu := "-", "-"
			if s.M > 0 {
				mm, uu = fmtP(s.M), fmtP(s.U)
				if s.TF {
					uu += " TF"
				}
			}
			level := s.LevelLabel
			if s.Comparison == "prior" {
				level += fmt.Sprintf(" λ=%.3g", m.Lambda)
			}
			fmt.Fprintf(tw, "  %s %s\t%s\t%s\t%s\t%+.2f\t%s\n", s.Label, s.Comparison, level, mm, uu, s.Bits, bar(run, run+s.Bits, lo, hi, 0))
			run += s.Bits
		}
		fmt.Fprintf(tw, "  = total 匹配权重\t\t\t\t%+.2f\t%s\n", run, bar(0, run, lo, hi, '='))
		tw.Flush()
		fmt.Fprintf(w, "  probability 匹配概率 %.4f (2^w / (1 + 2^w))\n", link.Probability(run))
		if math.Abs(run-c.Bits) > 1e-6 {
			fmt.Fprintf(w, "  note: the link recorded %+.2f bits for this candidate\n", c.Bits)
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "decision 判定: %s", bandLabel(r.Band))
	if why := whyText(r.Why, v.th); why != "" {
		fmt.Fprintf(w, " — %s", why)
	}
	fmt.Fprintln(w)
	if len(r.Candidates) > 1 {
		fmt.Fprintf(w, "  the best leads the second by %.2f bits\n", r.Candidates[0].Bits-r.Candidates[1].Bits)
	}
	fmt.Fprintf(w, "  thresholds (config link:): linked automatically from probability %g when the best leads the second by %g bits; reviewed from %g; below, unmatched\n",
		v.th.Auto, v.th.Margin, v.th.Review)
	if r.Status == store.LinkConfirmed || r.Status == store.LinkRejected {
		fmt.Fprintf(w, "  %s (%s) by %s on %s", r.Status, statusLabel(r.Status), cmp.Or(r.DecidedBy, "-"), stamp(r.DecidedAt, v.loc))
		if r.Status == store.LinkConfirmed {
			fmt.Fprintf(w, " to %s", v.id(r.PersonID))
		}
		if r.Note != "" {
			fmt.Fprintf(w, ": %s", r.Note)
		}
		fmt.Fprintln(w)
	}
}

// fmtP writes a probability in three significant digits.
func fmtP(p float64) string { return strconv.FormatFloat(p, 'g', 3, 64) }

// barWidth is the waterfall's width in characters.
const barWidth = 41

// barPos is the column of x bits on a line spanning lo..hi.
func barPos(x, lo, hi float64) int {
	if hi <= lo {
		return 0
	}
	return int(math.Round((x - lo) / (hi - lo) * (barWidth - 1)))
}

// bar draws a waterfall step from the running weight from to to: the
// columns after from's up to to's, '+' rightwards for a step for the
// match, '-' leftwards for one against it (fill, when not 0, for the
// total); '|' marks 0 bits.
func bar(from, to, lo, hi float64, fill byte) string {
	cells := []byte(strings.Repeat(" ", barWidth))
	if fill == 0 {
		fill = '+'
		if to < from {
			fill = '-'
		}
	}
	f, t := barPos(from, lo, hi), barPos(to, lo, hi)
	switch {
	case t > f:
		for i := f + 1; i <= t; i++ {
			cells[i] = fill
		}
	case t < f:
		for i := t; i < f; i++ {
			cells[i] = fill
		}
	case from != to: // a step too small for a column of its own still shows
		cells[t] = fill
	}
	if z := barPos(0, lo, hi); cells[z] == ' ' {
		cells[z] = '|'
	}
	return strings.TrimRight(string(cells), " ")
}

// scaleLine heads the waterfall column with its range.
func scaleLine(lo, hi float64) string {
	left := fmt.Sprintf("%+.0f", lo)
	right := fmt.Sprintf("%+.0f bits", hi)
	pad := barWidth - len(left) - len(right)
	if pad < 1 {
		pad = 1
	}
	return left + strings.Repeat(" ", pad) + right
}
