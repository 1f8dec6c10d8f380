// Package yamlguard bounds what a YAML document's aliases expand to before
// anything decodes it. A few lines of anchors and aliases (a "billion
// laughs" document, or merge keys << that refer to each other) expand to
// billions of nodes: decoding such a config.yaml took over 6 GiB and 90 s.
// Parsed into yaml.Node the document stays small; Check measures what it
// would become.
package yamlguard

import (
	"fmt"

	"go.yaml.in/yaml/v3"
)

// MaxNodes is how many nodes a document may expand to, aliases followed:
// far beyond any lipwatch file (the shipped config.yaml has about 400),
// far below what costs memory or time.
const MaxNodes = 1_000_000

// Error is a document whose aliases expand past the bound, at the alias
// where it was passed.
type Error struct {
	Line, Col int
	Nodes     int // at least this many
}

func (e *Error) Error() string {
	return fmt.Sprintf("the document's aliases (*name, and << merge keys) expand to more than %d nodes; write the values out instead of nesting aliases", MaxNodes)
}

// Check returns an *Error when doc, with every alias expanded, has more
// than MaxNodes nodes. It visits each node once (sizes of anchored nodes
// are remembered), so it takes time linear in the document as written.
func Check(doc *yaml.Node) error {
	sizes := map[*yaml.Node]int{}
	var where *yaml.Node
	var size func(n *yaml.Node, depth int) int
	size = func(n *yaml.Node, depth int) int {
		if n == nil {
			return 0
		}
		if s, ok := sizes[n]; ok {
			return s
		}
		if depth > 10_000 { // nesting the parser let through; count it as too big
			where = n
			return MaxNodes + 1
		}
		sizes[n] = MaxNodes + 1 // an alias cycle counts as too big
		total := 1
		if n.Kind == yaml.AliasNode {
			total = size(n.Alias, depth+1)
		} else {
			for _, c := range n.Content {
				total += size(c, depth+1)
				if total > MaxNodes {
					break
				}
			}
		}
		if total > MaxNodes && where == nil {
			where = n
		}
		sizes[n] = total
		return total
	}
	if n := size(doc, 0); n > MaxNodes {
		at := where
		if at == nil {
			at = doc
		}
		return &Error{Line: at.Line, Col: at.Column, Nodes: n}
	}
	return nil
}
