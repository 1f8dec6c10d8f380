package rule

import (
	"errors"
	"testing"
)

// TestRewriteParams: param('NAME') becomes a bound parameter of the same
// length (columns kept); in strings and comments it is left alone; $1 and
// a call without a quoted name are refused at their place.
func TestRewriteParams(t *testing.T) {
	q, names, refs, probs := rewriteParams("SELECT param('a') + PARAM ( 'b' ), 'param(''a'')', param('a') -- param('c')\nFROM t /* param('d') */ WHERE x = $1 AND param(b)")
	want := "SELECT $1         + $2           , 'param(''a'')', $1         -- param('c')\nFROM t /* param('d') */ WHERE x = $1 AND param(b)"
	if q != want {
		t.Errorf("query:\n%q\nwant\n%q", q, want)
	}
	if len(names) != 2 || names[0] != "a" || names[1] != "b" || len(refs) != 3 || refs[2].line != 1 || refs[2].col != 52 {
		t.Errorf("names %v refs %+v", names, refs)
	}
	if len(probs) != 2 || probs[0].line != 2 || probs[0].col != 35 || probs[1].col != 42 {
		t.Errorf("problems %+v", probs)
	}
}

// TestErrorPos: DuckDB's "LINE n:" and caret (by display width, after
// Chinese text, in a shortened excerpt) land on the character in
// facts.yaml's block scalar.
func TestErrorPos(t *testing.T) {
	g := &Group{SQL: "SELECT a,\n  '死亡' AS s, nosuch\nFROM t", place: sqlPlace{key: Pos{File: "f.yaml", Line: 10, Col: 5}, first: 11, indent: 6}}
	g.Query = g.SQL
	err := errors.New("Binder Error: Referenced column \"nosuch\" not found\n\nLINE 2:   '死亡' AS s, nosuch\n                        ^")
	pos, msg := g.ErrorPos(err, 0)
	if pos != (Pos{File: "f.yaml", Line: 12, Col: 6 + 15}) || msg != `Binder Error: Referenced column "nosuch" not found` {
		t.Errorf("got %v %q", pos, msg)
	}
	err = errors.New("Binder Error: x\n\nLINE 3: ...OM t\n              ^")
	if pos, _ := g.ErrorPos(err, 0); pos != (Pos{File: "f.yaml", Line: 13, Col: 6 + 6}) {
		t.Errorf("shortened excerpt: %v", pos)
	}
	if pos, _ := g.ErrorPos(errors.New("Invalid Input Error: read-only"), 0); pos != g.place.key {
		t.Errorf("no place: %v", pos)
	}
}
