package rule

import (
	"slices"

	"github.com/lipwatch/lipwatch/engine/internal/textdist"
	"github.com/lipwatch/lipwatch/engine/internal/yamldiag"
)

// Pos is a place in a rule file: 1-based line and column, columns counted
// in characters (runes), as editors and yaml count them. String formats it
// as "file:line:col" (or "file:line", "file" when the finer parts are
// unknown).
type Pos = yamldiag.Pos

// Error is one problem found in the rule files: Pos locates it, Message
// says what is wrong, starting with what it is about ("rule
// MED-OOP-UNCOVERED: when: unknown name medcal"), and Snippet is the
// offending line of the file with a caret under Pos.Col (empty when the
// line is not known). Error() formats it as "file:line:col: message"
// followed by the snippet. It is the diagnostic of every YAML file
// lipwatch reads (config.yaml and holidays.yaml too).
type Error = yamldiag.Problem

// Errors is every problem Load found, in file order (facts.yaml first,
// then the rule files by name), by line and column within a file.
type Errors []*Error

// Error lists the problems, each with its snippet, one after another.
func (es Errors) Error() string { return yamldiag.List(es).Error() }

// Warning is a problem that does not stop the rules from loading, e.g. a
// division whose divisor may be 0. Its fields are those of Error.
type Warning Error

// String formats w as "file:line:col: warning: message" followed by its
// snippet.
func (w *Warning) String() string {
	s := w.Pos.String() + ": warning: " + w.Message
	if w.Snippet != "" {
		s += "\n" + w.Snippet
	}
	return s
}

// collector gathers problems while loading (yamldiag's, for the errors)
// and the warnings beside them.
type collector struct {
	*yamldiag.Collector
	warns []*Warning
}

func newCollector() *collector {
	return &collector{Collector: yamldiag.NewCollector()}
}

// add records a problem at pos.
func (c *collector) add(pos Pos, format string, args ...any) {
	c.Addf(pos, format, args...)
}

// warn records a warning at pos.
func (c *collector) warn(pos Pos, format string, args ...any) {
	c.warns = append(c.warns, (*Warning)(c.At(pos, format, args...)))
}

// err returns the problems in file order, or nil when there are none.
func (c *collector) err() error {
	if es := c.Problems(); es != nil {
		return Errors(es)
	}
	return nil
}

// sortedWarnings returns the warnings in file order.
func (c *collector) sortedWarnings() []*Warning {
	ws := slices.Clone(c.warns)
	slices.SortStableFunc(ws, func(a, b *Warning) int { return c.Compare((*Error)(a), (*Error)(b)) })
	return ws
}

// hint suggests the candidate closest to word, as " (did you mean x?)",
// or "" when none is close enough to be a likely typo.
func hint(word string, candidates []string) string {
	if best := closest(word, candidates); best != "" {
		return " (did you mean " + best + "?)"
	}
	return ""
}

// closest is the candidate word most likely meant (textdist.Closest).
func closest(word string, candidates []string) string { return textdist.Closest(word, candidates) }
