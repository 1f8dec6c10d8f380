package ingest

import (
	"fmt"
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
// empty) from a validated config, with the sync's limits on what reading a
// file may cost (sync.xlsx_*). A source whose connector cannot be built
// comes back as a failed Result so that it is reported like any other
// failing source; an unknown name is an error.
func FromConfig(cfg *config.Config, names []string) ([]Source, []Result, error) {
	want := names
	if len(want) == 0 {
		for _, n := range cfg.SourceNames() {
			if cfg.Sources[n].IsEnabled() {
				want = append(want, n)
			}
		}
	}
	var out []Source
	var failed []Result
	for _, n := range want {
		sc, ok := cfg.Sources[n]
		if !ok {
			return nil, nil, &UnknownSourceError{Name: n, Configured: cfg.SourceNames()}
		}
		ds, ok := dataset.Lookup(sc.Dataset)
		if !ok {
			return nil, nil, fmt.Errorf("source %s: unknown dataset %q", n, sc.Dataset)
		}
		conn, err := connectors.New(sc.Kind, connectors.Source{Name: n, BaseDir: cfg.Dir, Options: sc.Options, Location: cfg.Location()})
		if err != nil {
			failed = append(failed, Result{Source: n, Dataset: sc.Dataset, Err: err})
			continue
		}
		if l, ok := conn.(xlsxLimiter); ok {
			l.SetXLSXLimits(cfg.Sync.XLSXMaxUnzipped.Bytes(), cfg.Sync.XLSXMaxSharedStrings.Bytes())
		}
		out = append(out, Source{Name: n, Dataset: ds, Connector: conn,
			Mapping:   sc.Mapping(),
			Replace:   sc.OnConflict == "replace",
			Reconcile: time.Duration(sc.Reconcile)})
	}
	return out, failed, nil
}
