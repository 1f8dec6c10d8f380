package pipeline

import (
	"context"
	"fmt"
	"strings"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/ingest"
	"github.com/lipwatch/lipwatch/engine/store"
)

// gapDatasets are the datasets whose rows clear a person of a warning: a
// registry row (the person's household and status) and an assistance row
// (the family is covered). A person whose row of one of them is in
// quarantine would look uncovered, or householdless, and be warned from the
// gap. Rows of the other datasets only ever raise warnings, so a missing one
// can delay a warning but not invent one.
var gapDatasets = map[string]bool{"registry": true, "assistance": true}

// maxGaps bounds the people held back one by one; past it the source is
// degraded anyway (more than its share of rows is bad) and its rules held
// back whole.
const maxGaps = 100_000

// skipCodes are the quarantine reasons that name no missing row of a
// person: a key conflict's row is loaded in another version; blank rows
// and repeated headers are nobody's.
var skipCodes = map[string]bool{store.KeyConflict: true, dataset.BlankRow: true, dataset.HeaderRepeat: true}

// personGaps finds, per dataset of gapDatasets, the people ("P:" + ID
// number) and households ("H:" + 户号) with a row in quarantine that no
// later load of the dataset has superseded (a row of theirs loaded since),
// and the households named by rows kept with an unusable ID number
// (store.UnresolvedGaps), which clear no one until they are linked.
// The ID and 户号 are read from the quarantined row by the source's own
// mapping, cleaned as the loader cleans them; a person's gap holds their
// registry household too, since a household is warned as one.
func (p *Pipeline) personGaps(ctx context.Context, srcs []store.SourceSpec) (map[string]map[string]bool, error) {
	var cand []store.Gap
	for _, s := range srcs {
		if !gapDatasets[s.Dataset] {
			continue
		}
		ds, ok := dataset.Lookup(s.Dataset)
		if !ok {
			continue
		}
		unresolved, err := p.Store.UnresolvedGaps(ctx, s)
		if err != nil {
			return nil, err
		}
		cand = append(cand, unresolved...)
		sc := p.Cfg.Sources[s.Name]
		mapping := sc.Mapping()
		rows, err := p.Store.QuarantineRows(ctx, s.Name, "", 0)
		if err != nil {
			return nil, err
		}
		mappers := map[string]*dataset.Mapper{}
		for _, q := range rows {
			if skipCodes[q.Code] {
				continue
			}
			header, values, kinds, err := ingest.ParseRaw(q.Raw)
			if err != nil {
				continue
			}
			hk := strings.Join(header, "\x1f")
			m, ok := mappers[hk]
			if !ok {
				m, _ = dataset.NewPartialMapper(ds, header, mapping)
				mappers[hk] = m
			}
			id, household := m.Identify(values, kinds)
			if id != "" {
				cand = append(cand, store.Gap{Dataset: s.Dataset, Key: "P:" + id, LoadID: q.LoadID})
			}
			if household != "" {
				cand = append(cand, store.Gap{Dataset: s.Dataset, Key: "H:" + household, LoadID: q.LoadID})
			}
			if len(cand) > maxGaps {
				p.logger().Warn("too many quarantined rows to hold people back one by one", "max", maxGaps)
				return nil, nil
			}
		}
	}
	if len(cand) == 0 {
		return nil, nil
	}
	open, err := p.Store.OpenGaps(ctx, cand)
	if err != nil {
		return nil, fmt.Errorf("gaps: %w", err)
	}
	out := map[string]map[string]bool{}
	var people []string
	for _, g := range open {
		if out[g.Dataset] == nil {
			out[g.Dataset] = map[string]bool{}
		}
		out[g.Dataset][g.Key] = true
		if id, ok := strings.CutPrefix(g.Key, "P:"); ok {
			people = append(people, id)
		}
	}
	// A person's gap is their household's: the spouse of a recipient whose
	// roster row is quarantined lives in a family that looks uncovered.
	registered, err := p.Store.People(ctx, people)
	if err != nil {
		return nil, fmt.Errorf("gaps: %w", err)
	}
	for _, g := range open {
		if id, ok := strings.CutPrefix(g.Key, "P:"); ok && registered[id].HouseholdID != "" {
			out[g.Dataset]["H:"+registered[id].HouseholdID] = true
		}
	}
	return out, nil
}
