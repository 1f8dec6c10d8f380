package rule

import (
	"slices"

	"github.com/lipwatch/lipwatch/engine/internal/yamldiag"
)

// Problems found in the fact queries by running them (in DuckDB, outside
// this package) are reported like those Load finds: at a place in
// facts.yaml, with its line and a caret.

// FactError is an Error at pos in one of the pack's files, with the
// offending line and a caret, as Load reports.
func (p *Pack) FactError(pos Pos, format string, args ...any) *Error {
	return p.diag().At(pos, format, args...)
}

// FactWarning is a Warning at pos, as FactError.
func (p *Pack) FactWarning(pos Pos, format string, args ...any) *Warning {
	return (*Warning)(p.diag().At(pos, format, args...))
}

// SortErrors orders problems as Load does: by file (load order), line and
// column.
func (p *Pack) SortErrors(es Errors) Errors {
	es = slices.Clone(es)
	p.diag().Sort(es)
	return es
}

// SortWarnings orders warnings as Load does.
func (p *Pack) SortWarnings(ws []*Warning) []*Warning {
	c := p.diag()
	ws = slices.Clone(ws)
	slices.SortStableFunc(ws, func(a, b *Warning) int { return c.Compare((*Error)(a), (*Error)(b)) })
	return ws
}

// diag is the collector of the pack's load: its files' texts and order,
// which it only reads from now on.
func (p *Pack) diag() *yamldiag.Collector {
	if p.files == nil {
		return yamldiag.NewCollector()
	}
	return p.files
}
