// Package pipeline is the county's nightly job put together: sync every
// source, evaluate the rules into cases, dispatch the township lists, and
// apply the outcomes townships send back. The command line and the
// scheduler call it; every stage is re-runnable and writes a run ledger.
package pipeline

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/calendar"
	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/ingest"
	"github.com/lipwatch/lipwatch/engine/link"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// Pipeline holds what the stages share.
type Pipeline struct {
	Cfg    *config.Config
	Store  *store.Store
	Pack   *rule.Pack
	Router *route.Router
	Logger *slog.Logger
	// Villages names villages by 12-digit code (county.divisions).
	Villages map[string]string
	// Actor names who acts, for the audit log; default the OS user@host.
	Actor string
	// Progress, when set, follows long syncs (see ingest.Syncer.Progress).
	Progress func(ingest.Progress)
	// Full evaluates everyone even on a night whose data did not change
	// since the last evaluation (see evaluate.Prior): lipwatch run --full.
	Full bool
}

// LoadRules loads and checks the rule files and the holiday calendar named
// by the config: a broken rule file is rejected before anything uses it.
func LoadRules(cfg *config.Config) (*rule.Pack, *calendar.Calendar, error) {
	pack, err := rule.Load(cfg.Resolve(cfg.Rules.Dir))
	if err != nil {
		return nil, nil, err
	}

	cal, err := calendar.Load(cfg.Resolve(cfg.Cases.Calendar))
	if err != nil {
		return nil, nil, err
	}
	return pack, cal, nil
}

// StoreOptions are the store's options as cfg's store section gives them:
// its path resolved against the config file, DuckDB's tuning, and holder
// naming this process for another one that finds the store busy.
func StoreOptions(cfg *config.Config, holder string) store.Options {
	return store.Options{Path: cfg.Resolve(cfg.Store.Path), Threads: cfg.Store.Threads,
		MemoryLimit: cfg.Store.MemoryLimit, TempDirectory: cfg.StoreTempDirectory(),
		CheckpointThreshold: cfg.Store.CheckpointThreshold, Holder: holder}
}

// Open loads the rules and calendar, then opens the store (holder names
// this process for another one that finds the store busy). Broken rules
// are reported before the store is touched.
func Open(ctx context.Context, cfg *config.Config, logger *slog.Logger, holder string) (*Pipeline, error) {
	pack, cal, err := loadRules(cfg, logger)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, StoreOptions(cfg, holder))
	if err != nil {
		return nil, err
	}
	p, err := build(cfg, st, logger, pack, cal)
	if err != nil {
		st.Close()
		return nil, err
	}
	return p, nil
}

// New is Open on a store already open: `lipwatch serve` holds the store
// from start to stop, and its jobs and the commands forwarded to it build
// their pipelines on it. It loads the rules and calendar (again for every
// pipeline: a rule file changed since is read) and the county's divisions.
// Close closes st: give it a view (store.Store.Shared) to keep st open, or
// do not call Close.
func New(cfg *config.Config, st *store.Store, logger *slog.Logger) (*Pipeline, error) {
	pack, cal, err := loadRules(cfg, logger)
	if err != nil {
		return nil, err
	}
	return build(cfg, st, logger, pack, cal)
}

// loadRules is LoadRules with the rule files' warnings logged: analysts
// see them with the caret in `rules check`; the nightly log keeps the
// place and the words.
func loadRules(cfg *config.Config, logger *slog.Logger) (*rule.Pack, *calendar.Calendar, error) {
	pack, cal, err := LoadRules(cfg)
	if err != nil {
		return nil, nil, err
	}
	if logger != nil {
		for _, w := range pack.Warnings {
			logger.Warn("rule file warning", "at", w.Pos.String(), "warning", w.Message)
		}
	}
	return pack, cal, nil
}

// build makes the pipeline on st: the county's divisions and the router.
func build(cfg *config.Config, st *store.Store, logger *slog.Logger, pack *rule.Pack, cal *calendar.Calendar) (*Pipeline, error) {
	towns, villages := cfg.County.Townships, map[string]string{}
	if cfg.County.Divisions != "" {
		d, err := route.LoadDivisions(cfg.Resolve(cfg.County.Divisions))
		if err != nil {
			return nil, err
		}
		towns, villages = d.Townships, d.Villages
		for code, name := range cfg.County.Townships {
			towns[code] = name
		}
	}
	return &Pipeline{Cfg: cfg, Store: st, Pack: pack, Logger: logger, Villages: villages, Router: &route.Router{
		CountyCode: cfg.County.Code, Townships: towns, Calendar: cal,
		Days: cfg.Cases.DeadlineDays, ExtensionDays: cfg.Cases.ExtensionDays}}, nil
}

// actor is who the audit log names for this pipeline's actions.
func (p *Pipeline) actor() string {
	if p.Actor != "" {
		return p.Actor
	}
	return store.Actor()
}

// Close closes the store.
func (p *Pipeline) Close() error { return p.Store.Close() }

func (p *Pipeline) logger() *slog.Logger {
	if p.Logger != nil {
		return p.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Sync pulls the named sources (all enabled ones when none is named).
// Failed sources are in the results; an unknown name is an error. With
// full, the named sources are read from the start (see ingest.Syncer.Full).
func (p *Pipeline) Sync(ctx context.Context, names []string, full bool) ([]ingest.Result, error) {
	return p.sync(ctx, names, full, nil)
}

// sync is Sync, calling synced (when not nil) with each source's result
// as soon as the source is done.
func (p *Pipeline) sync(ctx context.Context, names []string, full bool, synced func(ingest.Result)) ([]ingest.Result, error) {
	srcs, failed, err := ingest.FromConfig(p.Cfg, names)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range srcs {
			s.Connector.Close(context.WithoutCancel(ctx))
		}
	}()
	for _, f := range failed {
		if err := p.Store.RecordFailure(ctx, 0, f.Source, f.Dataset, "", time.Now().UTC(), f.Err); err != nil {
			p.logger().Error("record failure in ledger", "source", f.Source, "err", err)
		}
	}
	sy := &ingest.Syncer{Store: p.Store, Logger: p.logger(), Timeout: time.Duration(p.Cfg.Sync.SourceTimeout),
		Full: map[string]bool{}, Progress: p.Progress, DegradedShare: p.degradedShare(), Synced: synced,
		Workers: p.Cfg.Sync.Workers}
	if full {
		for _, s := range srcs {
			sy.Full[s.Name] = true
		}
	}
	order := srcs
	if sy.Workers > 1 {
		order = ingest.LargestFirst(ctx, order)
	}
	if synced != nil {
		// The registry first: the run computes its blocking keys while
		// the other sources load. The results keep the sources' order.
		order = slices.Clone(order)
		first := func(s ingest.Source) int {
			if s.Dataset.Name == "registry" {
				return 0
			}
			return 1
		}
		slices.SortStableFunc(order, func(a, b ingest.Source) int { return first(a) - first(b) })
	}
	byName := map[string]ingest.Result{}
	for _, r := range sy.Sync(ctx, order) {
		byName[r.Source] = r
	}
	results := failed
	for _, s := range srcs {
		results = append(results, byName[s.Name])
	}
	if ctx.Err() == nil {
		if keep := time.Duration(p.Cfg.Sync.QuarantineKeep); keep > 0 {
			if n, err := p.Store.PruneQuarantine(ctx, time.Now().Add(-keep)); err != nil {
				p.logger().Error("prune quarantine", "err", err)
			} else if n > 0 {
				p.logger().Info("pruned quarantine", "rows", n, "older_than", p.Cfg.Sync.QuarantineKeep.String())
			}
		}
	}
	return results, nil
}

// Evaluate runs the rules at day and updates the cases (dry: writes
// nothing). Rules that read a dataset whose source failed, is degraded or
// never loaded are held back (see CheckHealth).
func (p *Pipeline) Evaluate(ctx context.Context, day time.Time, dry bool) (*evaluate.Result, error) {
	h, err := p.CheckHealth(ctx)
	if err != nil {
		return nil, err
	}
	return p.evaluate(ctx, day, dry, h)
}

func (p *Pipeline) evaluate(ctx context.Context, day time.Time, dry bool, h *Health) (*evaluate.Result, error) {
	ev := &evaluate.Evaluator{Store: p.Store, Pack: p.Pack, Logger: p.logger(), Held: h.Held, Gaps: h.Gaps, Deps: h.Deps, Full: p.Full}
	if !p.Full {
		prior, err := p.Store.LoadPrior(ctx)
		if err != nil {
			return nil, err
		}
		ev.Prior = prior
	}
	return ev.Evaluate(ctx, day, dry)
}

// Ledgered runs one stage (evaluate, dispatch, feedback) as its own entry
// in the run ledger, with the summary fn returns (counts only).
func (p *Pipeline) Ledgered(ctx context.Context, kind string, day time.Time, fn func() (any, error)) error {
	id, err := p.Store.BeginRun(ctx, kind, day)
	if err != nil {
		return err
	}
	summary, err := fn()
	b, _ := json.Marshal(summary)
	if ferr := p.Store.FinishRun(ctx, id, string(b), err, p.runEvents(kind, day, id, err, nil)...); ferr != nil {
		p.logger().Error("run ledger", "err", ferr)
	}
	return err
}

// Link runs one identity-resolution pass (store.Link) with the
// configured thresholds and logs its counts (never a name or an ID).
func (p *Pipeline) Link(ctx context.Context) (*store.LinkPass, error) {
	l := p.Cfg.Link
	pass, err := p.Store.Link(ctx, store.LinkOptions{Thresholds: link.Thresholds{Auto: l.Auto, Review: l.Review, Margin: l.MarginBits},
		RefutationExpires: time.Duration(l.RefutationExpires)})
	if err != nil {
		return nil, fmt.Errorf("identity resolution: %w", err)
	}
	p.logger().Info("linked", "records", pass.Records, "rechecked", pass.Rechecked, "auto", pass.Auto, "review", pass.Review,
		"none", pass.None, "applied", pass.Applied, "unlinked", pass.Unlinked, "renewed", pass.Renewed, "disowned", pass.Disowned, "no_registry", pass.NoRegistry, "pairs", pass.Pairs, "pairs_by_rule", stageCounts(pass.PairsByRule), "model", pass.Model.Source,
		"stages", stageList(pass.Stages))
	return pass, nil
}

// RunSummary is what the nightly job did.
type RunSummary struct {
	AsOf time.Time
	Sync []ingest.Result
	// Link is the identity-resolution pass after the sync (nil when
	// link.enabled is false).
	Link     *store.LinkPass
	Health   *Health // after the sync: sources, held rules, quality guards
	Evaluate *evaluate.Result
	Dispatch *DispatchResult
	Chased   int // notifications of reminders, escalations and digests recorded
	// PastReview are the params past their review date (review_by before
	// AsOf), in file order: the night evaluates them as always and says
	// so in its summary and log (ParamsPastReview).
	PastReview []rule.Review
	// Stages is how long each stage that ran took (sync, health,
	// evaluate, dispatch), for the ledger and serve's metrics.
	Stages map[string]time.Duration
}

// Run is the nightly job: sync, evaluate, dispatch, recorded in the run
// ledger. A failed source is in the summary, not an error; a failing
// evaluation or dispatch is.
func (p *Pipeline) Run(ctx context.Context, day time.Time) (*RunSummary, error) {
	id, err := p.Store.BeginRun(ctx, "run", day)
	if err != nil {
		return nil, err
	}
	sum := &RunSummary{AsOf: day}
	err = p.run(ctx, day, sum)
	if ferr := p.Store.FinishRun(ctx, id, sum.JSON(), err, p.runEvents("run", day, id, err, sum.Health)...); ferr != nil {
		p.logger().Error("run ledger", "err", ferr)
	}
	return sum, err
}

func (p *Pipeline) run(ctx context.Context, day time.Time, sum *RunSummary) error {
	var err error
	sum.Stages = map[string]time.Duration{}
	sum.PastReview = p.ParamsPastReview(day)
	begin := time.Now()
	timed := func(stage string) {
		now := time.Now()
		sum.Stages[stage] = now.Sub(begin)
		begin = now
	}
	// The registry's blocking keys (link_people) are brought up to date
	// as soon as the registry has loaded, while the other sources load:
	// the link stage then finds them ready.
	// With several sources of the registry (they sync first), after the
	// last of them.
	var people chan struct{}
	registries := 0
	for _, n := range p.Cfg.SourceNames() {
		if sc := p.Cfg.Sources[n]; sc.IsEnabled() && sc.Dataset == "registry" {
			registries++
		}
	}
	synced := func(r ingest.Result) {
		if !p.Cfg.Link.Enabled || people != nil || r.Dataset != "registry" {
			return
		}
		if registries--; registries > 0 {
			return
		}
		people = make(chan struct{})
		go func() {
			defer close(people)
			r, err := p.Store.RefreshLinkPeople(ctx)
			switch {
			case ctx.Err() != nil:
				// Interrupted: no link pass follows.
			case err != nil:
				// The link pass brings the table up to date itself.
				p.logger().Warn("registry blocking keys not refreshed ahead of the link pass", "err", err)
			default:
				p.logger().Info("registry blocking keys refreshed", "people", r)
			}
		}()
	}
	defer func() {
		if people != nil {
			<-people
		}
	}()
	sum.Sync, err = p.sync(ctx, nil, false, synced)
	timed("sync")
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("run interrupted after sync: %w", err)
	}
	if p.Cfg.Link.Enabled {
		if people != nil {
			<-people
		}
		sum.Link, err = p.Link(ctx)
		timed("link")
		if err != nil {
			return err
		}
	}
	sum.Health, err = p.CheckHealth(ctx)
	timed("health")
	if err != nil {
		return fmt.Errorf("health: %w", err)
	}
	sum.Evaluate, err = p.evaluate(ctx, day, false, sum.Health)
	timed("evaluate")
	if err != nil {
		return fmt.Errorf("evaluate: %w", err)
	}
	sum.Dispatch, err = p.Dispatch(ctx, day, false)
	timed("dispatch")
	if err != nil {
		return fmt.Errorf("dispatch: %w", err)
	}
	// Reminders and escalations: a failure here is logged, not the
	// night's (its lists are out).
	if sum.Chased, err = p.Chase(ctx, day); err != nil {
		p.logger().Error("notify: chasing deadlines", "err", err)
	}
	timed("notify")
	return nil
}

// ParamsPastReview lists the params past their review date on day
// (Pack.Reviews) and logs them as one warning, by name and date, never
// their values. It never fails a night: the params are evaluated as
// always, for a date running out must not stop the warnings.
func (p *Pipeline) ParamsPastReview(day time.Time) []rule.Review {
	if p.Pack == nil {
		return nil
	}
	rs := p.Pack.Reviews(day, -1)
	if len(rs) > 0 {
		names := make([]string, len(rs))
		for i, r := range rs {
			names[i] = r.Param.Name + " (review_by " + r.Param.ReviewBy.Format(time.DateOnly) + ")"
		}
		p.logger().Warn("params past their review date: evaluated as always; confirm their values and set new review dates (lipwatch rules check)",
			"params", strings.Join(names, ", "))
	}
	return rs
}

// JSON renders the summary for the run ledger: counts only, no personal data.
func (s *RunSummary) JSON() string {
	type src struct {
		Source                                string
		Read, Loaded, Duplicates, Quarantined int64
		Failed                                bool   `json:",omitempty"`
		Status                                string // ok, degraded or failed
	}
	out := struct {
		AsOf     string
		Sources  []src
		Held     map[string]int `json:",omitempty"` // rules held back -> hits left out
		HeldFor  map[string]int `json:",omitempty"` // rules -> hits left out for people whose own rows are in quarantine
		Errors   map[string]int `json:",omitempty"` // rules -> people they could not be evaluated for
		Warnings int            `json:",omitempty"` // data-quality guards past their thresholds
		HitsBy   map[string]int `json:",omitempty"`
		NewCases int
		Updated  int
		Suppress int
		Dispatch map[string]int `json:",omitempty"`
		Overdue  int
		// FactFailures names the fact groups that failed tonight (their
		// rules are in Held).
		FactFailures []string `json:",omitempty"`
		// PastReview names the params past their review date.
		PastReview []string `json:",omitempty"`
		// StageSeconds: how long each stage took, in seconds.
		StageSeconds map[string]float64 `json:",omitempty"`
		// Linked: identity resolution's outcomes of the night's rows
		// (auto, review, none) and the rows it changed.
		Linked map[string]int64 `json:",omitempty"`
	}{AsOf: s.AsOf.Format(time.DateOnly)}
	if l := s.Link; l != nil && l.Records > 0 {
		out.Linked = map[string]int64{"auto": int64(l.Auto), "review": int64(l.Review), "none": int64(l.None), "applied": l.Applied}
	}
	for stage, d := range s.Stages {
		if out.StageSeconds == nil {
			out.StageSeconds = map[string]float64{}
		}
		out.StageSeconds[stage] = math.Round(d.Seconds()*1000) / 1000
	}
	for _, r := range s.Sync {
		read, loaded, dup, q := r.Totals()
		out.Sources = append(out.Sources, src{r.Source, read, loaded, dup, q, r.Err != nil, r.Status()})
	}
	if h := s.Health; h != nil {
		out.Warnings = len(h.Warnings())
		if len(h.Held) > 0 {
			out.Held = map[string]int{}
			for _, hold := range h.Held {
				out.Held[hold.Rule] = 0
			}
		}
	}
	if e := s.Evaluate; e != nil {
		for _, f := range e.FactFailures {
			out.FactFailures = append(out.FactFailures, f.Group)
		}
		for _, hold := range e.FactHolds {
			if out.Held == nil {
				out.Held = map[string]int{}
			}
			out.Held[hold.Rule] = 0
		}
		if len(e.EvalErrors) > 0 {
			out.Errors = e.EvalErrors
		}
		if len(e.HeldPeople) > 0 {
			out.HeldFor = e.HeldPeople
		}
		for r, n := range e.HeldHits {
			if out.Held != nil {
				out.Held[r] = n
			}
		}
		out.HitsBy, out.NewCases, out.Updated, out.Suppress = e.HitsByRule, len(e.Plan.New), len(e.Plan.Updated), len(e.Plan.Suppressed)
	}
	if d := s.Dispatch; d != nil {
		out.Dispatch, out.Overdue = d.Townships, d.Overdue
	}
	for _, r := range s.PastReview {
		out.PastReview = append(out.PastReview, r.Param.Name)
	}
	b, _ := json.Marshal(out)
	return string(b)
}

// stageList writes a pass's stage timings as "select=1.2s block=0.3s …",
// in the order the stages ran.
func stageList(st map[string]time.Duration) string {
	var parts []string
	order := []string{"snapshot", "select", "prepare", "block", "compare", "estimate", "score", "record", "keep"}
	for _, k := range order {
		if d, ok := st[k]; ok {
			parts = append(parts, k+"="+d.Round(time.Millisecond).String())
		}
	}
	for _, k := range slices.Sorted(maps.Keys(st)) {
		if !slices.Contains(order, k) {
			parts = append(parts, k+"="+st[k].Round(time.Millisecond).String())
		}
	}
	return strings.Join(parts, " ")
}

// stageCounts formats counts by name as "a=1 b=2", names sorted.
func stageCounts(n map[string]int64) string {
	parts := make([]string, 0, len(n))
	for _, k := range slices.Sorted(maps.Keys(n)) {
		parts = append(parts, fmt.Sprintf("%s=%d", k, n[k]))
	}
	return strings.Join(parts, " ")
}
