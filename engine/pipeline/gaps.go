package pipeline

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"unicode"

	"github.com/lipwatch/lipwatch/engine/idnum"
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
var skipCodes = map[string]bool{store.KeyConflict: true, "blank_row": true, "header_repeat": true}

// personGaps finds, per dataset of gapDatasets, the people ("P:" + ID
// number) and households ("H:" + 户号) with a row in quarantine that no
// later load of the dataset has superseded (a row of theirs loaded since).
func (p *Pipeline) personGaps(ctx context.Context, srcs []store.SourceSpec) (map[string]map[string]bool, error) {
	var cand []store.Gap
	for _, s := range srcs {
		if !gapDatasets[s.Dataset] {
			continue
		}
		sc := p.Cfg.Sources[s.Name]
		rows, err := p.Store.QuarantineRows(ctx, s.Name, "", 0)
		if err != nil {
			return nil, err
		}
		for _, q := range rows {
			if skipCodes[q.Code] {
				continue
			}
			header, values, _, err := ingest.ParseRaw(q.Raw)
			if err != nil {
				continue
			}
			if v := cell(header, values, sc.Columns["id_number"]); v != "" {
				if id, err := idnum.Parse(v); err == nil {
					cand = append(cand, store.Gap{Dataset: s.Dataset, Key: "P:" + string(id), LoadID: q.LoadID})
				}
			}
			if v := cleanKey(cell(header, values, sc.Columns["household_id"])); v != "" {
				cand = append(cand, store.Gap{Dataset: s.Dataset, Key: "H:" + v, LoadID: q.LoadID})
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
	for _, g := range open {
		if out[g.Dataset] == nil {
			out[g.Dataset] = map[string]bool{}
		}
		out[g.Dataset][g.Key] = true
	}
	return out, nil
}

// cell is the value of the column a mapping names in a raw row; a pick
// "name#N" is the N-th column of that name.
func cell(header, values []string, column string) string {
	if column == "" {
		return ""
	}
	n := 1
	if i := strings.LastIndexByte(column, '#'); i > 0 {
		if k, err := strconv.Atoi(column[i+1:]); err == nil && k >= 1 {
			column, n = column[:i], k
		}
	}
	want := strings.Join(strings.Fields(column), "")
	for i, h := range header {
		if strings.Join(strings.Fields(h), "") == want && i < len(values) {
			if n--; n == 0 {
				return values[i]
			}
		}
	}
	return ""
}

// cleanKey trims what padding a 户号 may carry (spaces, NULs, a number's
// ".0"), as the dataset layer would.
func cleanKey(s string) string {
	s = strings.TrimFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) })
	return strings.TrimSuffix(s, ".0")
}
