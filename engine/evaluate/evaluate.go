package evaluate

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// Evaluator runs a rule pack against a store.
type Evaluator struct {
	Store  *store.Store
	Pack   *rule.Pack
	Logger *slog.Logger
	// Held are rules held back tonight (see HeldRules): their hits are left
	// out and their hits on open cases kept as they are.
	Held []Hold
	// Gaps are, per dataset, the people ("P:" + ID number) and households
	// ("H:" + 户号) whose own rows of it are in quarantine tonight; Deps
	// are the datasets each rule reads (RuleDatasets). A rule reading a
	// dataset with a person's gap raises no new hit for that person: it
	// is held back for them alone, as a whole rule is for a failed source.
	Gaps map[string]map[string]bool
	Deps map[string][]string
	// KnownBy, when set, evaluates over the data as it was known at that
	// moment: only rows loaded before it are read (see knownBy).
	KnownBy time.Time
	// RulesOnly leaves out what a replay of the rules does not need:
	// reports from the ground (they are not the rules') and the hits'
	// evidence.
	RulesOnly bool
	// keep records tonight's facts for the next night (Evaluate, when
	// it writes).
	keep bool
	// Prior is the last evaluation's record (store.LoadPrior). When the
	// data and the rule files are as it saw them and the date moved
	// forward, only what the date reached is evaluated again (see Prior);
	// otherwise, and when nil, everyone is.
	Prior *Prior
	// Full says everyone is evaluated because the user asked (--full):
	// Result.FullWhy says so.
	Full bool
}

// Why a night evaluates everyone without a prior evaluation to go on
// (Result.FullWhy).
const (
	WhyFull    = "--full"
	WhyNoPrior = "no earlier evaluation kept (a first night, a restored store, or rules or facts that failed last night)"
)

// gapHeld reports whether rule's verdict on the person is unknown tonight
// because their own (or their household's) rows of a dataset it reads are
// in quarantine.
func (e *Evaluator) gapHeld(rule, id, household string) bool {
	for _, d := range e.Deps[rule] {
		g := e.Gaps[d]
		if g["P:"+id] || (household != "" && g["H:"+household]) {
			return true
		}
	}
	return false
}

// Result is what one evaluation found and, unless dry, changed.
type Result struct {
	AsOf       time.Time
	People     int
	Hits       []cases.Hit
	HitsByRule map[string]int
	// EvalErrors counts, per rule id, the people the rule could not be
	// evaluated for (a division by zero, a NaN or ±Inf: never a hit);
	// rules without such errors are absent.
	EvalErrors map[string]int
	// EvalErrorSample is, per rule id in EvalErrors, the first of those
	// errors: where in the rule files and what happened. It holds no ID
	// number, name or fact value.
	EvalErrorSample map[string]*rule.EvalError
	Plan            cases.Plan
	// Held are the rules held back, and HeldHits how many hits each of them
	// had tonight that were left out (computed on data with a gap).
	Held     []Hold
	HeldHits map[string]int
	// FactFailures are the fact groups whose query failed on tonight's
	// data (in pack order), and FactHolds the rules held back because they
	// read one: they raised no hits, and their hits on open cases stay as
	// they are. They are also in Held after Evaluate.
	FactFailures []FactFailure
	FactHolds    []Hold
	// HeldPeople counts, per rule, the hits left out because the person's
	// (or household's) own rows of a dataset the rule reads are in
	// quarantine (a typo in a 低保 recipient's start date must not make the
	// family look uncovered).
	HeldPeople map[string]int
	Facts      time.Duration // computing facts in DuckDB
	Rules      time.Duration // running the rules over every person
	Total      time.Duration
	// Incremental is set when only the people the date reached were
	// evaluated (Reached of them, with their households); FullWhy says
	// why a night was a full evaluation instead (WhyFull, WhyNoPrior, or
	// what changed since the Prior); "" for a backtest or a replay.
	Incremental bool
	Since       time.Time // the prior evaluation's date, when Incremental
	Reached     int64
	FullWhy     string
	// NotKept, when not "", says why tonight's evaluation is not kept for
	// the next night, which then evaluates everyone (a dry run keeps none
	// and says nothing).
	NotKept string
	// Appended names the datasets that gained rows since the prior
	// evaluation on an incremental night (with the prior's largest load
	// id); nil when only the date moved.
	Appended  map[string]int64
	newPeople int64
	// Next is what this evaluation leaves for the next night's Prior; nil
	// when it cannot serve as one (a fact group failed, a rule could not
	// be evaluated for someone, or the data was not the store's own).
	Next *Prior
	// Candidates is how many of the People reached the rules in Go: those
	// for whom the rules' SQL pre-filter says some rule could hit or fail.
	Candidates int
}

// Evaluate computes facts and hits at day and merges the hits into cases.
// With dryRun nothing is written.
func (e *Evaluator) Evaluate(ctx context.Context, day time.Time, dryRun bool) (*Result, error) {
	start := time.Now()
	e.keep = !dryRun && e.KnownBy.IsZero()
	defer func() { e.keep = false }()
	res, err := e.Hits(ctx, day)
	if err != nil {
		return nil, err
	}
	open, err := e.Store.OpenCases(ctx)
	if err != nil {
		return nil, err
	}
	sup, err := e.Store.Suppressions(ctx, day)
	if err != nil {
		return nil, err
	}
	esc := cases.Escalation{MinRules: e.Pack.Escalation.MinRules, Level: e.Pack.Escalation.Level}
	ruleHeld := map[string]bool{}
	held := append(slices.Clone(e.Held), res.FactHolds...)
	for _, h := range held {
		ruleHeld[h.Rule] = true
	}
	res.Held, res.HeldHits, res.HeldPeople = held, map[string]int{}, map[string]int{}
	kept := res.Hits[:0]
	for _, h := range res.Hits {
		switch {
		case ruleHeld[h.RuleID]:
			res.HeldHits[h.RuleID]++
		case e.gapHeld(h.RuleID, h.IDNumber, h.HouseholdID):
			res.HeldPeople[h.RuleID]++
		default:
			kept = append(kept, h)
		}
	}
	res.Hits = kept
	res.Plan = cases.MakePlanHeld(day, res.Hits, open, sup, esc, func(rule, id, household string) bool {
		return ruleHeld[rule] || e.gapHeld(rule, id, household)
	})
	if !dryRun {
		if err := e.Store.ApplyPlan(ctx, res.Plan, day, e.Pack.Version); err != nil {
			return nil, err
		}
		if err := e.Store.PruneSuppressions(ctx, day); err != nil {
			return nil, err
		}
		if e.KnownBy.IsZero() {
			if res.Next != nil {
				err = e.Store.SavePrior(ctx, res.Next)
			} else {
				err = e.Store.ForgetPrior(ctx)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	res.Total = time.Since(start)
	e.logger().Info("evaluated", "as_of", day.Format(time.DateOnly), "people", res.People, "hits", len(res.Hits),
		"new_cases", len(res.Plan.New), "updated_cases", len(res.Plan.Updated), "suppressed", len(res.Plan.Suppressed),
		"dry_run", dryRun, "incremental", res.Incremental, "reached", res.Reached, "full_why", res.FullWhy, "not_kept", res.NotKept, "facts_elapsed", res.Facts.Round(time.Millisecond), "rules_elapsed", res.Rules.Round(time.Millisecond))
	return res, nil
}

// Hits computes the facts at day and runs every enabled rule for every
// person. It writes nothing to the store.
func (e *Evaluator) Hits(ctx context.Context, day time.Time) (*Result, error) {
	res := &Result{AsOf: day, HitsByRule: map[string]int{}, EvalErrors: map[string]int{}, EvalErrorSample: map[string]*rule.EvalError{}}
	conn, err := e.Store.DB().Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// Every query below reads the datasets through shadows: the rows known
	// by KnownBy when set, and never the rows kept with an unusable ID
	// number (they join no person until linked).
	undo, err := knownBy(ctx, conn, e.KnownBy)
	if err != nil {
		return nil, err
	}
	defer undo() // before the connection goes back to the pool
	undoCur, err := wholeRegistryCurrent(ctx, conn)
	if err != nil {
		return nil, err
	}
	defer undoCur()
	var data string
	if e.KnownBy.IsZero() && !e.RulesOnly {
		if data, err = DataSignature(ctx, conn); err != nil {
			return nil, err
		}
	}
	t0 := time.Now()
	switch {
	case data == "":
	case e.Full:
		res.FullWhy = WhyFull
	case e.Prior == nil:
		res.FullWhy = WhyNoPrior
	}
	if data != "" && e.Prior != nil && !e.Full {
		var appended map[string]int64
		if res.FullWhy = incrementalWhy(e.Pack, e.Prior, day); res.FullWhy == "" {
			appended, res.FullWhy, err = appendedRows(ctx, conn, e.Prior.Data, data)
			if err != nil {
				return nil, err
			}
		}
		if res.FullWhy == "" {
			reached, newPeople, undo, err := incrementalFacts(ctx, conn, e.logger(), e.Pack, e.Prior.AsOf, day, appended)
			switch {
			case ctx.Err() != nil:
				return nil, ctx.Err()
			case err != nil:
				// Never a reason to stop the night: everyone is evaluated.
				res.FullWhy = "the incremental evaluation failed: " + err.Error()
				e.logger().Warn("incremental evaluation failed: evaluating everyone", "err", err)
			default:
				defer undo()
				res.Incremental, res.Since, res.Reached = true, e.Prior.AsOf, reached
				res.Appended, res.newPeople = appended, newPeople
			}
		}
	}
	failed := map[string]error{}
	if !res.Incremental {
		if failed, err = factTables(ctx, conn, e.Pack, day); err != nil {
			return nil, err
		}
	}
	res.Facts = time.Since(t0)
	t0 = time.Now()
	env, err := e.Pack.NewEnv(day)
	if err != nil {
		return nil, err
	}
	var rules []*rule.Rule
	for _, r := range e.Pack.Rules {
		if !r.Enabled {
			continue
		}
		if h, ok := factHold(r, e.Pack, failed); ok {
			res.FactHolds = append(res.FactHolds, h)
			continue
		}
		rules = append(rules, r)
	}
	for _, g := range e.Pack.Groups {
		if err := failed[g.Name]; err != nil {
			res.FactFailures = append(res.FactFailures, FactFailure{Group: g.Name, Err: err})
			e.logger().Error("facts group failed tonight: the rules that read it are held back", "group", g.Name, "err", err)
		}
	}
	// On an incremental night every f_<group> holds the people evaluated
	// again alone (incrementalFacts).
	pf, err := buildPrefilter(ctx, conn, e.Pack, rules, day, !res.Incremental)
	if err != nil {
		return nil, err
	}
	res.People = pf.people
	if pf.anchorErr != nil {
		e.logger().Warn("the rules' anchors failed: every person reaches the rules' SQL pre-filter", "err", pf.anchorErr)
	}
	q, fields := pf.query(e.Pack)
	// A rule that cannot be evaluated for one person (*rule.EvalError) is
	// counted for that rule and the evaluation goes on; any other error
	// concerns every person and stops it.
	perPerson := func(r *rule.Rule, err error) error {
		var ee *rule.EvalError
		if !errors.As(err, &ee) {
			return fmt.Errorf("rule %s (%s:%d): %w", r.ID, r.Pos.File, r.Pos.Line, err)
		}
		if res.EvalErrors[r.ID]++; res.EvalErrorSample[r.ID] == nil {
			res.EvalErrorSample[r.ID] = ee
		}
		return nil
	}
	err = eachPerson(ctx, conn, q, fields, env, func(id string, vals []any) error {
		res.Candidates++
		for _, r := range rules {
			hit, reason, err := r.Eval(env)
			if err != nil {
				if err := perPerson(r, err); err != nil {
					return err
				}
				continue
			}
			if !hit {
				continue
			}
			sev, err := r.SeverityOf(env)
			if err != nil {
				if err := perPerson(r, err); err != nil {
					return err
				}
				continue
			}
			res.HitsByRule[r.ID]++
			res.Hits = append(res.Hits, cases.Hit{RuleID: r.ID, RuleVersion: r.Version, Level: r.Level, Reason: reason,
				IDNumber: id, HouseholdID: str(vals, fields, "person", "household_id"),
				TownshipCode: str(vals, fields, "person", "township_code"), Facts: inputsJSON(r, env), Severity: sev,
				Mark: r.Mark, Route: r.Route})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e.logger().Info("rules pre-filtered in SQL", "people", res.People, "candidates", res.Candidates,
		"rules", len(rules), "exact_rules", pf.exact, "anchored", pf.kept)
	for _, r := range rules {
		if n := res.EvalErrors[r.ID]; n > 0 {
			e.logger().Warn("rule could not be evaluated for some people", "rule", r.ID, "people", n,
				"error", res.EvalErrorSample[r.ID].Text())
		}
	}
	e.logger().Debug("evaluate: rules run", "people", res.People, "elapsed", time.Since(t0))
	var households map[string]household
	if res.Hits, households, err = onePerHousehold(ctx, conn, rules, res.Hits); err != nil {
		return nil, err
	}
	sortHits(e.Pack, res.Hits)
	for k := range res.HitsByRule {
		res.HitsByRule[k] = 0
	}
	for _, h := range res.Hits {
		res.HitsByRule[h.RuleID]++
	}
	if e.RulesOnly {
		res.Rules = time.Since(t0)
		return res, nil
	}
	if res.Incremental && len(res.Appended) == 0 {
		// Evidence depends on the rows alone, which did not change: a hit
		// the prior evaluation had keeps its evidence.
		err = evidenceSince(ctx, conn, e.Pack, e.Prior.Hits, res.Hits, households)
	} else {
		err = evidence(ctx, conn, e.Pack, res.Hits, households)
	}
	if err != nil {
		return nil, err
	}
	e.logger().Debug("evaluate: evidence gathered", "hits", len(res.Hits), "elapsed", time.Since(t0))
	if res.Incremental {
		if res.Hits, err = mergePrior(ctx, conn, e.Pack, e.Prior.Hits, res.Hits); err != nil {
			return nil, err
		}
		res.People = e.Prior.People + int(res.newPeople)
		for k := range res.HitsByRule {
			res.HitsByRule[k] = 0
		}
		for _, h := range res.Hits {
			res.HitsByRule[h.RuleID]++
		}
	}
	e.logger().Debug("evaluate: hits merged", "hits", len(res.Hits), "elapsed", time.Since(t0))
	switch {
	case !e.keep || data == "":
	case len(res.FactFailures) > 0:
		res.NotKept = fmt.Sprintf("%d facts groups failed tonight", len(res.FactFailures))
	case len(res.EvalErrors) > 0:
		res.NotKept = fmt.Sprintf("%d rules failed for some people tonight", len(res.EvalErrors))
	}
	if e.keep && data != "" && len(res.FactFailures) == 0 && len(res.EvalErrors) == 0 {
		if err := keepFacts(ctx, conn, e.Pack, day, data, res.Incremental); err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			e.logger().Warn("tonight's facts were not kept: the next night evaluates everyone", "err", err)
			res.NotKept = "tonight's facts could not be kept: " + err.Error()
		} else {
			res.Next = &Prior{AsOf: day, PackVersion: priorVersion(e.Pack), Data: data, People: res.People, Hits: slices.Clone(res.Hits),
				Since: e.Prior}
		}
		e.logger().Debug("evaluate: facts kept", "elapsed", time.Since(t0))
	}
	// Reports from the ground are hits of the built-in GRID-REPORT rule
	// every night until their case is closed.
	reports, err := e.Store.OpenGroundReports(ctx, day)
	if err != nil {
		return nil, err
	}
	ground, err := GroundHits(ctx, e.Store, reports)
	if err != nil {
		return nil, err
	}
	res.Hits = append(res.Hits, ground...)
	if len(ground) > 0 {
		res.HitsByRule[GroundRule] += len(ground)
	}
	res.Rules = time.Since(t0)
	return res, nil
}

// eachPerson streams the wide fact rows, loading each into env.
func eachPerson(ctx context.Context, conn *sql.Conn, q string, fields []*rule.Field, env *rule.Env, fn func(id string, vals []any) error) error {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("facts: %w", err)
	}
	defer rows.Close()
	vals := make([]any, len(fields))
	ptrs := make([]any, len(fields)+1)
	var id string
	ptrs[0] = &id
	for i := range vals {
		ptrs[i+1] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("facts: %w", err)
		}
		env.Reset()
		for i, f := range fields {
			if vals[i] == nil {
				continue
			}
			if err := env.Set(f.Group, f.Name, vals[i]); err != nil {
				return fmt.Errorf("fact %s.%s: %w", f.Group, f.Name, err)
			}
		}
		if err := fn(id, vals); err != nil {
			return err
		}
	}
	return rows.Err()
}

func str(vals []any, fields []*rule.Field, group, name string) string {
	for i, f := range fields {
		if f.Group == group && f.Name == name {
			if s, ok := vals[i].(string); ok {
				return s
			}
		}
	}
	return ""
}

// inputsJSON records the facts and params a rule read, with the values it
// saw, as {"medical.oop_12m": 25300.5, "params.medical_oop_threshold": 20000}.
func inputsJSON(r *rule.Rule, env *rule.Env) string {
	names := r.Inputs()
	m := make(map[string]any, len(names))
	for _, n := range names {
		group, field, _ := strings.Cut(n, ".")
		if v, err := env.Get(group, field); err == nil {
			m[n] = v
		}
	}
	b, _ := json.Marshal(m)
	return string(b)
}

// evidenceDatasets are the tables searched for the rows behind a hit:
// every dataset keyed by a person's ID number (all but households).
var evidenceDatasets = func() []string {
	var out []string
	for _, ds := range dataset.All() {
		if _, ok := ds.Field("id_number"); ok {
			out = append(out, ds.Name)
		}
	}
	return out
}()

// evidenceSources maps each rule to the person-keyed datasets its facts are
// computed from, given what each fact group reads (GroupDatasets). Only
// those rows are kept as a hit's evidence, so a medical hit does not carry
// the person's disability records. A person rule skips the household
// group's tables (they hold other members' rows); a household rule's hit
// stands for the whole household and reads them all.
func evidenceSources(pack *rule.Pack, groups map[string][]string) map[string][]string {
	tables := map[string][]string{}
	for g, ds := range groups {
		for _, d := range ds {
			if slices.Contains(evidenceDatasets, d) {
				tables[g] = append(tables[g], d)
			}
		}
	}
	out := map[string][]string{}
	for _, r := range pack.Rules {
		seen := map[string]bool{}
		for _, in := range r.Inputs() {
			group, _, _ := strings.Cut(in, ".")
			if group == "household" && r.Scope != rule.ScopeHousehold {
				continue // the household's own tables hold other members' data
			}
			for _, ds := range tables[group] {
				if !seen[ds] {
					seen[ds] = true
					out[r.ID] = append(out[r.ID], ds)
				}
			}
		}
		if len(out[r.ID]) == 0 {
			out[r.ID] = []string{"registry"}
		}
		slices.Sort(out[r.ID])
	}
	return out
}

// evidence fills each hit's Evidence with the source rows behind it: the
// person's rows in the datasets its rule's facts come from, as
// {"medical": ["testdata/county/medical/medical_2026-03.csv:45", ...]};
// for a rule of scope household, the rows of every member of the
// household in the registry's newest rows (a household's spending, its
// homes), member by member in ID order. known holds households already
// read (onePerHousehold's); the others are read here.
func evidence(ctx context.Context, conn *sql.Conn, pack *rule.Pack, hits []cases.Hit, known map[string]household) error {
	if len(hits) == 0 {
		return nil
	}
	householdRule := map[string]bool{}
	for _, r := range pack.Rules {
		householdRule[r.ID] = r.Scope == rule.ScopeHousehold
	}
	ids := map[string]bool{}
	var people []string
	hhs := hitHouseholds(hits, householdRule)
	for _, h := range hits {
		if ids[h.IDNumber] {
			continue
		}
		ids[h.IDNumber] = true
		if _, err := idnum.Parse(h.IDNumber); err != nil || len(h.IDNumber) != 18 {
			return fmt.Errorf("evidence: a hit has an ID number that is not canonical")
		}
		people = append(people, h.IDNumber)
	}
	var missing []string
	for _, hh := range hhs {
		if _, ok := known[hh]; !ok {
			missing = append(missing, hh)
		}
	}
	read, err := readHouseholds(ctx, conn, missing)
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	members := map[string][]string{} // household → its members' ID numbers, sorted
	for _, hh := range hhs {
		h, ok := known[hh]
		if !ok {
			h = read[hh]
		}
		if len(h.members) == 0 {
			continue
		}
		members[hh] = h.members
		for _, m := range h.members {
			if !ids[m] && len(m) == 18 {
				ids[m] = true
				people = append(people, m)
			}
		}
	}
	sort.Strings(people)
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE hit_ids AS `+stringList+` AS id_number`, listParam(people)); err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	// Each person's rows in stream and position order: the list of
	// (stream, position) structs sorted whole, which orders them as
	// ORDER BY _stream, _position does; an ordered aggregate
	// (list(… ORDER BY …)) sorts group by group and took 3–4× as long
	// (1.2 s of a full evaluation at a million people, issue 14).
	var parts []string
	for _, ds := range evidenceDatasets {
		parts = append(parts, fmt.Sprintf(`SELECT id_number, '%[1]s' AS dataset,
			list_transform(list_sort(list({s: _stream, p: _position})), x -> x.s || ':' || x.p) AS rows
			FROM %[1]s WHERE id_number IN (SELECT id_number FROM hit_ids) GROUP BY id_number`, ds))
	}
	rows, err := conn.QueryContext(ctx, `SELECT id_number, dataset, to_json(rows)::VARCHAR FROM (`+strings.Join(parts, " UNION ALL ")+`)`)
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	defer rows.Close()
	byID := map[[2]string][]string{}
	for rows.Next() {
		var id, ds, list string
		if err := rows.Scan(&id, &ds, &list); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		var l []string
		if err := json.Unmarshal([]byte(list), &l); err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		byID[[2]string{id, ds}] = l
	}
	if err := rows.Err(); err != nil {
		return err
	}
	groups, err := GroupDatasets(ctx, conn, pack)
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	sources := evidenceSources(pack, groups)
	for i := range hits {
		people := []string{hits[i].IDNumber}
		if ms, ok := members[hits[i].HouseholdID]; ok && householdRule[hits[i].RuleID] {
			people = ms
		}
		ev := map[string][]string{}
		for _, ds := range sources[hits[i].RuleID] {
			for _, id := range people {
				ev[ds] = append(ev[ds], byID[[2]string{id, ds}]...)
			}
			if len(ev[ds]) == 0 {
				delete(ev, ds)
			}
		}
		b, _ := json.Marshal(ev)
		hits[i].Evidence = string(b)
	}
	return nil
}

func (e *Evaluator) logger() *slog.Logger {
	if e.Logger != nil {
		return e.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// household is a household (户号) as the registry's newest rows give it.
type household struct {
	head    string   // 户主's ID number (the smaller if two are so marked); "" without one
	members []string // every member's ID number, sorted
}

// readHouseholds reads the households hhs (户号) from the registry's newest
// rows (registry_current's, ranked as the view ranks them:
// store.CurrentRowOrder) of the people with any row in them; a household
// with no such row is not in the map. A filter on household_id does not
// reach below the view's window, which then ranks the whole registry: a
// million people, 0.2–0.3 s a query where this one ranks only the rows of
// the hits' households (0.1 s for 3,334, issue 14).
func readHouseholds(ctx context.Context, conn *sql.Conn, hhs []string) (map[string]household, error) {
	out := map[string]household{}
	if len(hhs) == 0 {
		return out, nil
	}
	rows, err := conn.QueryContext(ctx, `WITH hh AS (`+stringList+` AS household_id)
		SELECT household_id, coalesce(min(id_number) FILTER (WHERE relation = '户主'), ''),
		       to_json(list_sort(list(DISTINCT id_number)))::VARCHAR
		FROM (SELECT * FROM registry WHERE id_number IN (SELECT id_number FROM registry WHERE household_id IN (SELECT household_id FROM hh))
		      QUALIFY row_number() OVER (PARTITION BY id_number ORDER BY `+store.CurrentRowOrder+`) = 1)
		WHERE household_id IN (SELECT household_id FROM hh) GROUP BY household_id`, listParam(hhs))
	if err != nil {
		return nil, fmt.Errorf("households: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var hh, head, list string
		if err := rows.Scan(&hh, &head, &list); err != nil {
			return nil, fmt.Errorf("households: %w", err)
		}
		var ms []string
		if err := json.Unmarshal([]byte(list), &ms); err != nil {
			return nil, fmt.Errorf("households: %w", err)
		}
		out[hh] = household{head: head, members: ms}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("households: %w", err)
	}
	return out, nil
}

// onePerHousehold keeps, for each rule of scope household, one hit per
// household: the head's (户主 in the registry's newest rows) when the rule
// holds for the head, else the member's with the smallest ID number. A
// person with no household keeps her own hit. Order is kept. It returns
// the households of those rules' hits as read (for evidence).
func onePerHousehold(ctx context.Context, conn *sql.Conn, rules []*rule.Rule, hits []cases.Hit) ([]cases.Hit, map[string]household, error) {
	householdRule := map[string]bool{}
	for _, r := range rules {
		if r.Scope == rule.ScopeHousehold {
			householdRule[r.ID] = true
		}
	}
	// The heads of the households with a hit of such a rule alone (reading
	// every household's head into a map took 0.8 s a night at 1M people).
	lits := hitHouseholds(hits, householdRule)
	if len(lits) == 0 {
		return hits, nil, nil
	}
	read, err := readHouseholds(ctx, conn, lits)
	if err != nil {
		return nil, nil, fmt.Errorf("household heads: %w", err)
	}
	heads := make(map[string]string, len(read))
	for hh, h := range read {
		if h.head != "" {
			heads[hh] = h.head
		}
	}
	// The chosen hit of each (rule, household).
	chosen := map[[2]string]int{}
	for i, h := range hits {
		if !householdRule[h.RuleID] || h.HouseholdID == "" {
			continue
		}
		k := [2]string{h.RuleID, h.HouseholdID}
		j, seen := chosen[k]
		switch {
		case !seen:
			chosen[k] = i
		case hits[j].IDNumber == heads[h.HouseholdID]:
		case h.IDNumber == heads[h.HouseholdID] || h.IDNumber < hits[j].IDNumber:
			chosen[k] = i
		}
	}
	out := hits[:0:0]
	for i, h := range hits {
		if householdRule[h.RuleID] && h.HouseholdID != "" && chosen[[2]string{h.RuleID, h.HouseholdID}] != i {
			continue
		}
		out = append(out, h)
	}
	return out, read, nil
}

// hitHouseholds is the 户号 of the hits of the household rules (rule ID →
// true), each once, as SQL string literals in sorted order.
func hitHouseholds(hits []cases.Hit, householdRule map[string]bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, h := range hits {
		if householdRule[h.RuleID] && h.HouseholdID != "" && !seen[h.HouseholdID] {
			seen[h.HouseholdID] = true
			out = append(out, h.HouseholdID)
		}
	}
	sort.Strings(out)
	return out
}

// stringList is the SQL that reads the strings bound to its one parameter
// (bind listParam(xs)) as a relation of one VARCHAR column, for IN (…) and
// CREATE TABLE … AS. A literal list of the same strings costs DuckDB's
// parser and binder about 20 µs a string: 0.36–0.49 s for the 21,674 ID
// numbers of a 1M-people night's hits, against a few ms for one JSON
// parameter (issue 14).
const stringList = `SELECT unnest(from_json(?::VARCHAR, '["VARCHAR"]'))`

// listParam is xs as the JSON array stringList reads.
func listParam(xs []string) string {
	if xs == nil {
		xs = []string{}
	}
	b, _ := json.Marshal(xs)
	return string(b)
}

// FactFailure is a fact group whose query failed on the night's data.
type FactFailure struct {
	Group string
	Err   error
}

// factHold holds r back when it reads a fact group that failed tonight.
func factHold(r *rule.Rule, pack *rule.Pack, failed map[string]error) (Hold, bool) {
	var groups []string
	for _, in := range r.Inputs() {
		g, _, _ := strings.Cut(in, ".")
		if failed[g] != nil && !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	if len(groups) == 0 {
		return Hold{}, false
	}
	var why []string
	for _, g := range groups {
		why = append(why, fmt.Sprintf("facts group %s failed tonight (%v)", g, failed[g]))
	}
	return Hold{Rule: r.ID, Reason: strings.Join(why, "; ")}, true
}
