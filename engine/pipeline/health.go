package pipeline

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/evaluate"
	"github.com/lipwatch/lipwatch/engine/store"
)

// Health is what the store's data is worth tonight: each enabled source's
// health, what that makes of each dataset, the rules held back because
// of it, and the findings of the data-quality guards.
type Health struct {
	Sources  []store.SourceHealth  // by source name
	Datasets evaluate.DatasetState // dataset -> why it cannot be trusted ("" when fine)
	Held     []evaluate.Hold       // enabled rules that raise no new warnings tonight
	Findings []store.Finding       // the guards' measures; Warn marks those past their threshold
	// Gaps are the people and households whose own registry or assistance
	// rows are in quarantine (see personGaps), and Deps the datasets each
	// rule reads: those rules raise no new warning for them tonight.
	Gaps map[string]map[string]bool
	Deps map[string][]string
	// Checked is when the sources were judged: an earlier check's time
	// when nothing it reads has changed since (CheckHealth's memo).
	Checked time.Time
}

// Degraded lists the sources that are not ok.
func (h *Health) Degraded() []store.SourceHealth {
	var out []store.SourceHealth
	for _, s := range h.Sources {
		if s.Status != store.HealthOK {
			out = append(out, s)
		}
	}
	return out
}

// Warnings lists the guards' findings past their thresholds.
func (h *Health) Warnings() []store.Finding {
	var out []store.Finding
	for _, f := range h.Findings {
		if f.Warn {
			out = append(out, f)
		}
	}
	return out
}

// enabledSources names the enabled sources and their datasets.
func (p *Pipeline) enabledSources() []store.SourceSpec {
	var out []store.SourceSpec
	for _, n := range p.Cfg.SourceNames() {
		if sc := p.Cfg.Sources[n]; sc.IsEnabled() {
			out = append(out, store.SourceSpec{Name: n, Dataset: sc.Dataset})
		}
	}
	return out
}

// CheckHealth judges the sources as their data stands now (after tonight's
// sync, or whenever it is called), derives which rules must be held back,
// and runs the data-quality guards. It writes nothing but its memo: a check
// whose inputs (store.HealthInputs, the enabled sources' config, the
// quality limits, the rule files and lipwatch's build) are those of the
// last one takes that one's result, kept in the store, rather than judging
// every source again (about 10 s at ten million people; a night with
// nothing new, a sources page, `sources report`).
func (p *Pipeline) CheckHealth(ctx context.Context) (*Health, error) {
	if healthMemoOff {
		h, err := p.checkHealth(ctx)
		if err == nil {
			p.logHeld(h)
		}
		return h, err
	}
	// The memo is a cache: when it cannot be read, the check computes.
	key, err := p.healthKey(ctx)
	if err != nil && ctx.Err() == nil {
		p.logger().Warn("health memo not used: the check computes", "err", err)
	}
	if key != "" {
		if v, err := p.Store.HealthMemo(ctx, key); err == nil && v != nil {
			h := &Health{}
			if err := json.Unmarshal(v, h); err == nil {
				p.logger().Debug("source health as last checked: its inputs have not changed")
				p.logHeld(h)
				return h, nil
			}
		}
	}
	h, err := p.checkHealth(ctx)
	if err != nil {
		return nil, err
	}
	// Kept only when nothing changed while it was computed (another
	// process's sync, say): else it would stand for inputs it did not see.
	if key != "" {
		if after, err := p.healthKey(ctx); err == nil && after == key {
			if v, err := json.Marshal(h); err == nil {
				p.Store.KeepHealthMemo(ctx, key, v)
			}
		}
	}
	p.logHeld(h)
	return h, nil
}

// healthMemoOff makes every health check compute (tests compare with it);
// healthMemoWithout leaves one part out of the memo's key ("inputs" or
// "config"), for a test to show the part is needed.
var (
	healthMemoOff     bool
	healthMemoWithout string
)

// healthKey is the memo's key of a health check now: a SHA-256 of its
// inputs.
func (p *Pipeline) healthKey(ctx context.Context) (string, error) {
	inputs, err := p.Store.HealthInputs(ctx)
	if err != nil {
		return "", err
	}
	type source struct {
		Name string
		Conf config.Source
	}
	in := struct {
		Inputs, Build, Rules string
		Sources              []source
		Quality              config.Quality
		Share                float64
	}{Inputs: inputs, Build: evaluate.EngineBuild(), Quality: p.Cfg.Quality, Share: p.degradedShare()}
	if p.Pack != nil {
		in.Rules = p.Pack.Version
	}
	for _, s := range p.enabledSources() {
		in.Sources = append(in.Sources, source{s.Name, p.Cfg.Sources[s.Name]})
	}
	switch healthMemoWithout {
	case "inputs":
		in.Inputs = ""
	case "config":
		in.Sources, in.Quality, in.Share = nil, config.Quality{}, 0
	}
	b, err := json.Marshal(in)
	if err != nil {
		return "", fmt.Errorf("health memo: %w", err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// logHeld logs the rules a health check holds back.
func (p *Pipeline) logHeld(h *Health) {
	for _, hold := range h.Held {
		p.logger().Warn("rule held back", "rule", hold.Rule, "reason", hold.Reason)
	}
}

// checkHealth is CheckHealth without its memo.
func (p *Pipeline) checkHealth(ctx context.Context) (*Health, error) {
	srcs := p.enabledSources()
	q := p.Cfg.Quality
	healths, err := p.Store.SourceHealths(ctx, srcs, max(p.degradedShare(), 0))
	if err != nil {
		return nil, err
	}
	h := &Health{Sources: store.SortedHealth(healths), Datasets: datasetStates(srcs, healths), Checked: time.Now().UTC()}
	if p.Pack != nil { // a sync alone loads no rules
		deps, err := evaluate.RuleDatasets(ctx, p.Store.DB(), p.Pack)
		if err != nil {
			return nil, err
		}
		h.Deps = deps
		h.Held = evaluate.HeldRules(p.Pack, deps, h.Datasets)
	}
	if h.Gaps, err = p.personGaps(ctx, srcs); err != nil {
		return nil, err
	}
	h.Findings, err = p.Store.Quality(ctx, srcs, store.QualityLimits{UnmatchedIDsPct: q.UnmatchedIDsPct,
		UnjoinedHouseholdsPct: q.UnjoinedHouseholdsPct, SplitHouseholds: q.SplitHouseholds, RowDropPct: q.RowDropPct})
	if err != nil {
		return nil, err
	}
	return h, nil
}

// datasetStates says, for every dataset, why it cannot be trusted tonight,
// from the healths of the enabled sources that feed it: "" when they are
// all ok; "no source feeds it" when none does.
func datasetStates(srcs []store.SourceSpec, healths map[string]store.SourceHealth) evaluate.DatasetState {
	fed := map[string][]string{}
	for _, s := range srcs {
		fed[s.Dataset] = append(fed[s.Dataset], s.Name)
	}
	out := evaluate.DatasetState{}
	for _, ds := range dataset.Names() {
		names := fed[ds]
		if len(names) == 0 {
			out[ds] = "no enabled source feeds it"
			continue
		}
		sort.Strings(names)
		var parts []string
		for _, n := range names {
			h := healths[n]
			if h.Status == store.HealthOK {
				continue
			}
			what := map[string]string{store.HealthDegraded: "is degraded", store.HealthFailed: "failed",
				store.HealthNever: "has never loaded"}[h.Status]
			reason := ""
			if len(h.Reasons) > 0 {
				reason = " (" + h.Reasons[0]
				if len(h.Reasons) > 1 {
					reason += fmt.Sprintf("; and %d more", len(h.Reasons)-1)
				}
				reason += ")"
			}
			parts = append(parts, fmt.Sprintf("source %s %s%s", n, what, reason))
		}
		out[ds] = strings.Join(parts, "; ")
	}
	return out
}

// degradedShare is quality.degraded_quarantined_pct as a share (0..1); the
// sync's judgement of each file and the health's of each source use it
// alike. 0 (any bad row) is kept apart from "unset".
func (p *Pipeline) degradedShare() float64 {
	share := float64(p.Cfg.Quality.DegradedQuarantinedPct) / 100
	if share == 0 {
		return -1 // ingest: any bad row degrades
	}
	return share
}
