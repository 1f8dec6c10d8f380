package rule

// Problems found in the fact queries by running them (in DuckDB, outside
// this package) are reported like those Load finds: at a place in
// facts.yaml, with its line and a caret.

// FactError is an Error at pos in one of the pack's files, with the
// offending line and a caret, as Load reports.
func (p *Pack) FactError(pos Pos, format string, args ...any) *Error {
	c := p.diag()
	c.add(pos, format, args...)
	return c.errs[0]
}

// FactWarning is a Warning at pos, as FactError.
func (p *Pack) FactWarning(pos Pos, format string, args ...any) *Warning {
	c := p.diag()
	c.warn(pos, format, args...)
	return c.warns[0]
}

// SortErrors orders problems as Load does: by file (load order), line and
// column.
func (p *Pack) SortErrors(es Errors) Errors {
	c := p.diag()
	c.errs = es
	return c.err().(Errors)
}

// SortWarnings orders warnings as Load does.
func (p *Pack) SortWarnings(ws []*Warning) []*Warning {
	c := p.diag()
	c.warns = ws
	return c.sortedWarnings()
}

// diag is an empty collector over the pack's file texts.
func (p *Pack) diag() *collector {
	return &collector{order: p.fileOrder, lines: p.fileLines}
}
