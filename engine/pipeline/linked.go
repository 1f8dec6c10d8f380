package pipeline

import (
	"context"
	"math"
	"strings"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/store"
)

// linkedOf returns, for each case of cs, its active hits' evidence rows
// that identity resolution matched to their person (store.LinkedEvidence,
// one query for all the cases), grouped as lists note them: by dataset,
// by what agreed and by whether an analyst confirmed them. A case without
// any has nil.
func (p *Pipeline) linkedOf(ctx context.Context, cs []*cases.Case) ([][]dispatch.Linked, error) {
	var evs []string
	for _, c := range cs {
		for _, h := range c.Hits {
			if h.Active {
				evs = append(evs, h.Evidence)
			}
		}
	}
	rows, err := p.Store.LinkedEvidence(ctx, evs)
	if err != nil {
		return nil, err
	}
	out := make([][]dispatch.Linked, len(cs))
	i := 0
	for ci, c := range cs {
		var mine []store.LinkedRow
		for _, h := range c.Hits {
			if h.Active {
				mine = append(mine, rows[i]...)
				i++
			}
		}
		out[ci] = groupLinked(mine)
	}
	return out, nil
}

// groupLinked groups a case's linked rows (a row that two hits rest on
// counts once) in the order they come.
func groupLinked(rows []store.LinkedRow) []dispatch.Linked {
	if len(rows) == 0 {
		return nil
	}
	var out []dispatch.Linked
	at := map[string]int{}
	seen := map[string]bool{}
	for _, r := range rows {
		if seen[r.Dataset+"\x00"+r.Row] {
			continue
		}
		seen[r.Dataset+"\x00"+r.Row] = true
		confirmed := r.Status == store.LinkConfirmed
		key := r.Dataset + "\x00" + strings.Join(r.Agreements, "、")
		if confirmed {
			key += "\x00confirmed"
		}
		i, ok := at[key]
		if !ok {
			i = len(out)
			at[key] = i
			out = append(out, dispatch.Linked{Dataset: datasetTitle(r.Dataset), Agreements: r.Agreements, Confirmed: confirmed,
				MinProbability: math.Inf(1)})
		}
		g := &out[i]
		g.Rows++
		if r.Probability > 0 {
			g.MinProbability = min(g.MinProbability, r.Probability)
			g.MaxProbability = max(g.MaxProbability, r.Probability)
		}
	}
	for i := range out {
		if math.IsInf(out[i].MinProbability, 1) {
			out[i].MinProbability = 0 // no row of it has a probability
		}
	}
	return out
}

// datasetTitle names a dataset as townships know its records: its doc's
// Chinese name without the department (医保结算（医保局）→ 医保结算); the
// name itself when it has none.
func datasetTitle(name string) string {
	ds, ok := dataset.Lookup(name)
	if !ok {
		return name
	}
	title := ds.Doc
	if i := strings.IndexAny(title, "（( abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"); i >= 0 {
		title = title[:i]
	}
	if title = strings.TrimSpace(title); title == "" {
		return name
	}
	return title
}
