package rule

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// An Edge is one way the evaluation date alone changes a fact group's
// result: the group's changes_on in facts.yaml. A night whose data did not
// change since the last evaluation (same rows, same rule files, the date
// moved forward) recomputes only the people and households a date edge
// can reach between the two dates, and keeps everyone else's hits
// (evaluate.Incremental). Edges are a conservative description: a group
// whose query calls as_of() and declares no changes_on makes every such
// night a full evaluation.
//
// Forms (DS a dataset, COL a date column of it):
//
//	DS.COL                      the group changes when as_of reaches the date
//	DS.COL + N days|months|years  …when as_of reaches the date moved by N
//	DS.COL + param(NAME) months   …by a param's value (an int, at either date)
//	DS.COL yearly               …on every anniversary of the date (birthdays)
//	DS.COL + N months yearly      …on every anniversary of the moved date
//	DS daily                    …every day, for every key DS holds (days since)
type Edge struct {
	Dataset string
	Column  string // "" for daily
	Kind    EdgeKind
	// Offset moves the date: N units, or the param's value when Param is
	// set. Unit is day, month or year.
	Offset int
	Param  string
	Unit   string
	Text   string // as written
	Pos    Pos
}

// EdgeKind says how an Edge's date meets the evaluation date.
type EdgeKind string

// The kinds of date edges.
const (
	EdgePoint  EdgeKind = "point"
	EdgeYearly EdgeKind = "yearly"
	EdgeDaily  EdgeKind = "daily"
)

var (
	edgeDaily = regexp.MustCompile(`^([a-z_][a-z0-9_]*)\s+daily$`)
	edgePoint = regexp.MustCompile(`^([a-z_][a-z0-9_]*)\.([a-z_][a-z0-9_]*)(?:\s*([+-])\s*(?:(\d+)|param\(\s*'?([a-z_][a-z0-9_]*)'?\s*\))\s+(days?|months?|years?))?(\s+yearly)?$`)
)

// ParseEdge reads one changes_on entry.
func ParseEdge(s string) (Edge, error) {
	s = strings.TrimSpace(s)
	e := Edge{Text: s}
	if m := edgeDaily.FindStringSubmatch(s); m != nil {
		e.Dataset, e.Kind = m[1], EdgeDaily
		return e, nil
	}
	m := edgePoint.FindStringSubmatch(s)
	if m == nil {
		return e, fmt.Errorf("%q: want DATASET.COLUMN, DATASET.COLUMN + N days|months|years, DATASET.COLUMN + param(NAME) months, either followed by yearly, or DATASET daily", s)
	}
	e.Dataset, e.Column, e.Kind, e.Unit = m[1], m[2], EdgePoint, "day"
	if m[7] != "" {
		e.Kind = EdgeYearly
	}
	if m[3] == "" {
		return e, nil
	}
	e.Unit = strings.TrimSuffix(m[6], "s")
	if m[5] != "" {
		e.Param = m[5]
	} else {
		n, err := strconv.Atoi(m[4])
		if err != nil || n > 1000 {
			return e, fmt.Errorf("%q: the offset %s is too large", s, m[4])
		}
		e.Offset = n
	}
	if m[3] == "-" {
		e.Offset = -e.Offset
		if e.Param != "" {
			return e, fmt.Errorf("%q: a param offset is added (+), not subtracted", s)
		}
	}
	return e, nil
}

// parseEdges reads a group's changes_on: a list of edge texts.
func parseEdges(f *yfile, g *Group, p pair, params map[string]*Param) bool {
	ctx := "group " + g.Name + ": changes_on"
	n := p.val
	if n.Kind != yaml.SequenceNode {
		f.errf(n, ctx, "want a list of date edges (e.g. - medical.settle_date), got %s", describe(n))
		return false
	}
	good := true
	g.ChangesOn = []Edge{} // declared, even when empty: the group does not change with the date
	for _, item := range n.Content {
		item = resolve(item)
		if item.Kind != yaml.ScalarNode {
			f.errf(item, ctx, "want text, got %s", describe(item))
			good = false
			continue
		}
		e, err := ParseEdge(item.Value)
		if err != nil {
			f.errf(item, ctx, "%v", err)
			good = false
			continue
		}
		if e.Param != "" && params != nil {
			if _, ok := params[e.Param]; !ok {
				f.errf(item, ctx, "unknown param %s", e.Param)
				good = false
				continue
			}
		}
		e.Pos = f.pos(item)
		g.ChangesOn = append(g.ChangesOn, e)
	}
	return good
}

// UsesAsOf reports whether the group's query reads the evaluation date:
// calls as_of in any case and spacing (SQL names are case-insensitive).
// A mention in a comment counts too: a conservative reading.
func (g *Group) UsesAsOf() bool { return asOfCall.MatchString(g.SQL) }

var asOfCall = regexp.MustCompile(`(?i)\bas_of\s*\(`)

// DateEdgesComplete reports whether every group whose query reads as_of()
// declares changes_on; when not, it names the first that does not (a
// night after a no-change day is then a full evaluation).
func (p *Pack) DateEdgesComplete() (bool, string) {
	for _, g := range p.Groups {
		if g.UsesAsOf() && g.ChangesOn == nil {
			return false, g.Name
		}
	}
	return true, ""
}
