package ingest

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/dataset"
)

// UnknownSourceError reports a source name on the command line that the
// config does not define.
type UnknownSourceError struct {
	Name       string
	Configured []string
}

func (e *UnknownSourceError) Error() string {
	return fmt.Sprintf("unknown source %q (configured: %s)", e.Name, strings.Join(e.Configured, ", "))
}

// xlsxLimiter is implemented by connectors that read Excel workbooks (kind
// file): FromConfig gives them the limits of config sync.xlsx_max_unzipped
// and sync.xlsx_max_shared_strings, which hold for every source.
type xlsxLimiter interface {
	SetXLSXLimits(maxUnzipped, maxSharedStrings int64)
}

// FromConfig builds the named sources (every enabled one when names is
// empty, sorted by name) from a validated config, with the sync's limits
// on what reading a file may cost (sync.xlsx_*). The sources of one
// dataset come in the config file's order (config.SourceOrder) whatever
// the order named: where a later load supersedes an earlier one, that
// order is the analyst's. A source whose connector cannot be built comes
// back as a failed Result so that it is reported like any other failing
// source; an unknown name is an error.
func FromConfig(cfg *config.Config, names []string) ([]Source, []Result, error) {
	want := slices.Clone(names)
	if len(want) == 0 {
		for _, n := range cfg.SourceNames() {
			if cfg.Sources[n].IsEnabled() {
				want = append(want, n)
			}
		}
	}
	order := cfg.SourceOrder()
	inFileOrder(cfg, order, want)
	var out []Source
	var failed []Result
	broken := map[string]Result{} // an ordered dataset's first source that could not be built
	for _, n := range want {
		sc, ok := cfg.Sources[n]
		if !ok {
			return nil, nil, &UnknownSourceError{Name: n, Configured: cfg.SourceNames()}
		}
		ds, ok := dataset.Lookup(sc.Dataset)
		if !ok {
			return nil, nil, fmt.Errorf("source %s: unknown dataset %q", n, sc.Dataset)
		}
		if r, ok := broken[sc.Dataset]; ok { // as Syncer.Sync holds it after a failed source
			failed = append(failed, Result{Source: n, Dataset: sc.Dataset,
				Err: &HeldError{Source: n, After: r.Source, Dataset: sc.Dataset, Problem: r.Err.Error()}})
			continue
		}
		conn, err := connectors.New(sc.Kind, connectors.Source{Name: n, BaseDir: cfg.Dir, Options: sc.Options, Location: cfg.Location()})
		if err != nil {
			r := Result{Source: n, Dataset: sc.Dataset, Err: err}
			failed = append(failed, r)
			if orderedDatasets[sc.Dataset] {
				broken[sc.Dataset] = r
			}
			continue
		}
		if l, ok := conn.(xlsxLimiter); ok {
			l.SetXLSXLimits(cfg.Sync.XLSXMaxUnzipped.Bytes(), cfg.Sync.XLSXMaxSharedStrings.Bytes())
		}
		out = append(out, Source{Name: n, Dataset: ds, Connector: conn,
			Mapping:   sc.Mapping(),
			Replace:   sc.OnConflict == "replace",
			Reconcile: time.Duration(sc.Reconcile),
			Earlier:   earlier(cfg, order, n)})
	}
	return out, failed, nil
}

// inFileOrder reorders names in place so that the sources of each dataset
// take the slots they held among themselves in the config file's order
// (order, config.SourceOrder); other sources keep their places.
func inFileOrder(cfg *config.Config, order, names []string) {
	pos := map[string]int{}
	for i, n := range order {
		pos[n] = i
	}
	slots := map[string][]int{}
	var datasets []string
	for i, n := range names {
		sc, ok := cfg.Sources[n]
		if !ok {
			continue
		}
		if _, seen := slots[sc.Dataset]; !seen {
			datasets = append(datasets, sc.Dataset)
		}
		slots[sc.Dataset] = append(slots[sc.Dataset], i)
	}
	for _, ds := range datasets {
		at := slots[ds]
		if len(at) < 2 {
			continue
		}
		group := make([]string, len(at))
		for k, i := range at {
			group[k] = names[i]
		}
		slices.SortStableFunc(group, func(a, b string) int { return pos[a] - pos[b] })
		for k, i := range at {
			names[i] = group[k]
		}
	}
}

// earlier lists the enabled sources of name's dataset before it in the
// config file's order (config.SourceOrder), when the dataset is ordered
// (IsOrdered); nil otherwise.
func earlier(cfg *config.Config, order []string, name string) []string {
	ds := cfg.Sources[name].Dataset
	if !orderedDatasets[ds] {
		return nil
	}
	var out []string
	for _, n := range order {
		if n == name {
			break
		}
		if sc := cfg.Sources[n]; sc.Dataset == ds && sc.IsEnabled() {
			out = append(out, n)
		}
	}
	return out
}
