package rule

import (
	"math"
	"time"

	"github.com/expr-lang/expr/ast"
)

// A division by a fact that may be 0 (household.members is 0 for a person
// not in the registry) cannot be evaluated for that person: at night it is
// an evaluation error, counted, never a hit. Load warns of every / and %
// whose divisor is not proved non-zero where it is computed:
//
//   - a number literal other than 0, or a param none of whose dated values
//     is 0;
//   - a comparison earlier in the same && chain that excludes 0:
//     `household.members > 0 && x / household.members >= 10000`, `d != 0`,
//     `d >= 1`, `d < 0`, `d in 1..5`, `!(d == 0)`;
//   - the left side of || when it is false (`d == 0 || x / d > 1`) and the
//     branches of `c ? a : b`;
//   - for a reason or severity, which run only on a hit, the whole
//     condition.
//
// `x > 0 || x / d ...` proves nothing of d, nor does a guard after the
// division. A literal 0 divisor is an error: it can never be evaluated.

// known is a condition known to hold (positive) or not to hold where an
// expression is computed.
type known struct {
	cond     ast.Node
	positive bool
}

// divWalker finds the unguarded divisions of one expression.
type divWalker struct {
	p      *Pack
	c      *collector
	loc    locator
	ctx    string // "rule X: when"
	isWhen bool
	top    ast.Node // the top-level conjunct being walked (when), for the hint
	failed bool     // a literal 0 divisor was reported as an error
}

// checkDivisions warns of the unguarded divisions of a rule's expressions;
// false if one divides by a literal 0 (reported as an error).
func (p *Pack) checkDivisions(c *collector, pr *parsedRule, when, reason, severity *compiled) bool {
	w := &divWalker{p: p, c: c, loc: when.loc, ctx: pr.when.ctx, isWhen: true}
	w.walkTop(when.tree, nil)
	ok := !w.failed
	whenHolds := []known{{cond: when.tree, positive: true}}
	for _, x := range []struct {
		c *compiled
		e *exprText
	}{{reason, pr.reason}, {severity, pr.severity}} {
		if x.c == nil {
			continue
		}
		w := &divWalker{p: p, c: c, loc: x.c.loc, ctx: x.e.ctx}
		w.walk(x.c.tree, whenHolds)
		ok = ok && !w.failed
	}
	return ok
}

// walk visits n where the conditions in ks are known.
func (w *divWalker) walk(n ast.Node, ks []known) {
	if n == nil {
		return
	}
	switch n := n.(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and":
			w.walkTop(n.Left, ks)
			w.walkTop(n.Right, with(ks, n.Left, true))
			return
		case "||", "or":
			w.walk(n.Left, ks)
			w.walk(n.Right, with(ks, n.Left, false))
			return
		case "/", "%":
			w.walk(n.Left, ks)
			w.walk(n.Right, ks)
			w.division(n, ks)
			return
		}
		w.walk(n.Left, ks)
		w.walk(n.Right, ks)
	case *ast.ConditionalNode:
		w.walk(n.Cond, ks)
		w.walk(n.Exp1, with(ks, n.Cond, true))
		w.walk(n.Exp2, with(ks, n.Cond, false))
	case *ast.UnaryNode:
		w.walk(n.Node, ks)
	case *ast.ChainNode:
		w.walk(n.Node, ks)
	case *ast.MemberNode:
		w.walk(n.Node, ks)
		w.walk(n.Property, ks)
	case *ast.SliceNode:
		w.walk(n.Node, ks)
		w.walk(n.From, ks)
		w.walk(n.To, ks)
	case *ast.CallNode:
		w.walk(n.Callee, ks)
		for _, a := range n.Arguments {
			w.walk(a, ks)
		}
	case *ast.BuiltinNode:
		for _, a := range n.Arguments {
			w.walk(a, ks)
		}
	case *ast.PredicateNode:
		w.walk(n.Node, ks)
	case *ast.VariableDeclaratorNode:
		w.walk(n.Value, ks)
		w.walk(n.Expr, ks)
	case *ast.SequenceNode:
		for _, s := range n.Nodes {
			w.walk(s, ks)
		}
	case *ast.ArrayNode:
		for _, a := range n.Nodes {
			w.walk(a, ks)
		}
	case *ast.MapNode:
		for _, pr := range n.Pairs {
			w.walk(pr, ks)
		}
	case *ast.PairNode:
		w.walk(n.Key, ks)
		w.walk(n.Value, ks)
	}
}

// walkTop walks a part of a && chain, remembering the top-level one of
// a condition for the hint.
func (w *divWalker) walkTop(n ast.Node, ks []known) {
	if b, ok := n.(*ast.BinaryNode); w.isWhen && !(ok && (b.Operator == "&&" || b.Operator == "and")) && w.top == nil {
		w.top = n
		defer func() { w.top = nil }()
	}
	w.walk(n, ks)
}

func with(ks []known, cond ast.Node, positive bool) []known {
	return append(ks[:len(ks):len(ks)], known{cond: cond, positive: positive})
}

// division reports the division b if its divisor is not proved non-zero.
func (w *divWalker) division(b *ast.BinaryNode, ks []known) {
	d := b.Right
	pos := w.loc.pos(b.Location().From)
	if lo, hi, ok := w.p.constRange(d); ok {
		switch {
		case lo == 0 && hi == 0 && isLiteral(d):
			w.c.add(pos, "%s: division by zero: the divisor %s is 0", w.ctx, d)
			w.failed = true
		case lo <= 0 && hi >= 0:
			w.c.warn(pos, "%s: division by %s, which is 0 on some dates (%s): on those days the rule cannot be evaluated for anyone; guard it, e.g. %s && ...",
				w.ctx, d, w.p.zeroDates(d), divisorGuardText(w.p, d))
		}
		return
	}
	key := d.String()
	for _, k := range ks {
		if w.p.provesNonZero(k.cond, k.positive, key) {
			return
		}
	}
	guard := divisorGuardText(w.p, d)
	if w.isWhen {
		eg := guard + " && ..."
		if w.top != nil {
			top := w.top.String()
			if b, ok := w.top.(*ast.BinaryNode); ok && (b.Operator == "||" || b.Operator == "or" || b.Operator == "??") {
				top = "(" + top + ")"
			} else if _, ok := w.top.(*ast.ConditionalNode); ok {
				top = "(" + top + ")"
			}
			eg = guard + " && " + top
		}
		w.c.warn(pos, "%s: division by %s, which may be 0: for such a person the rule cannot be evaluated (counted as an error, never a hit); guard it earlier in the same && chain, e.g. %s",
			w.ctx, d, eg)
		return
	}
	w.c.warn(pos, "%s: division by %s, which may be 0 even when the condition holds: for such a person the hit is lost (counted as an error); guard it in when, e.g. %s && ...",
		w.ctx, d, guard)
}

// divisorGuardText is the guard to suggest for divisor d: "d > 0" for an
// int fact (a count), "d != 0" otherwise.
func divisorGuardText(p *Pack, d ast.Node) string {
	if base, prop, ok := memberName(d); ok {
		if i, ok := p.groupIdx[base][prop]; ok && p.fields[i].Type == Int {
			return d.String() + " > 0"
		}
		if prm, ok := p.Params[prop]; ok && base == paramsName && prm.Type == Int {
			return d.String() + " > 0"
		}
	}
	switch d.(type) {
	case *ast.MemberNode, *ast.IdentifierNode:
		return d.String() + " != 0"
	}
	return "(" + d.String() + ") != 0"
}

func isLiteral(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.IntegerNode, *ast.FloatNode:
		return true
	case *ast.UnaryNode:
		return (n.Operator == "-" || n.Operator == "+") && isLiteral(n.Node)
	}
	return false
}

// constRange is the least and greatest value n can take when it is a
// constant: a number literal, a number param (over all its dated values),
// or one of those with a sign.
func (p *Pack) constRange(n ast.Node) (lo, hi float64, ok bool) {
	switch n := n.(type) {
	case *ast.IntegerNode:
		return float64(n.Value), float64(n.Value), true
	case *ast.FloatNode:
		return n.Value, n.Value, true
	case *ast.UnaryNode:
		lo, hi, ok := p.constRange(n.Node)
		switch {
		case !ok:
			return 0, 0, false
		case n.Operator == "-":
			return -hi, -lo, true
		case n.Operator == "+":
			return lo, hi, true
		}
	case *ast.MemberNode:
		prm := p.paramOf(n)
		if prm == nil || !isNumeric(prm.Type) || len(prm.Values) == 0 {
			return 0, 0, false
		}
		lo, hi = math.Inf(1), math.Inf(-1)
		for _, v := range prm.Values {
			x, _ := toFloat(v.Value)
			lo, hi = min(lo, x), max(hi, x)
		}
		return lo, hi, true
	}
	return 0, 0, false
}

// paramOf is the param n refers to (params.NAME), or nil.
func (p *Pack) paramOf(n ast.Node) *Param {
	base, prop, ok := memberName(n)
	if !ok || base != paramsName {
		return nil
	}
	return p.Params[prop]
}

// zeroDates lists the dates from which a param divisor is 0.
func (p *Pack) zeroDates(d ast.Node) string {
	prm := p.paramOf(d)
	if prm == nil {
		return "always"
	}
	s := ""
	for _, v := range prm.Values {
		if x, _ := toFloat(v.Value); x == 0 {
			if s != "" {
				s += ", "
			}
			s += "from " + v.From.Format(time.DateOnly)
		}
	}
	return s
}

// provesNonZero reports whether cond holding (positive) or not holding
// proves that the expression written key is not 0.
func (p *Pack) provesNonZero(cond ast.Node, positive bool, key string) bool {
	switch n := cond.(type) {
	case *ast.UnaryNode:
		if n.Operator == "!" || n.Operator == "not" {
			return p.provesNonZero(n.Node, !positive, key)
		}
	case *ast.BinaryNode:
		switch n.Operator {
		case "&&", "and":
			if positive {
				return p.provesNonZero(n.Left, true, key) || p.provesNonZero(n.Right, true, key)
			}
			return p.provesNonZero(n.Left, false, key) && p.provesNonZero(n.Right, false, key)
		case "||", "or":
			if positive {
				return p.provesNonZero(n.Left, true, key) && p.provesNonZero(n.Right, true, key)
			}
			return p.provesNonZero(n.Left, false, key) || p.provesNonZero(n.Right, false, key)
		case "in":
			return positive && n.Left.String() == key && p.excludesZero(n.Right)
		case "==", "!=", "<", "<=", ">", ">=":
			op := n.Operator
			if !positive {
				op = negated[op]
			}
			var other ast.Node
			switch key {
			case n.Left.String():
				other = n.Right
			case n.Right.String():
				other, op = n.Left, mirrored[op]
			default:
				return false
			}
			lo, hi, ok := p.constRange(other)
			if !ok {
				return false
			}
			switch op {
			case "!=":
				return lo == 0 && hi == 0
			case "==":
				return lo > 0 || hi < 0
			case ">":
				return lo >= 0
			case ">=":
				return lo > 0
			case "<":
				return hi <= 0
			case "<=":
				return hi < 0
			}
		}
	}
	return false
}

var (
	negated  = map[string]string{"==": "!=", "!=": "==", "<": ">=", ">=": "<", ">": "<=", "<=": ">"}
	mirrored = map[string]string{"==": "==", "!=": "!=", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
)

// excludesZero reports whether `x in n` proves x is not 0: a range a..b
// of constants not containing 0, or a list of non-zero constants.
func (p *Pack) excludesZero(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.BinaryNode:
		if n.Operator != ".." {
			return false
		}
		lo, _, ok1 := p.constRange(n.Left)
		_, hi, ok2 := p.constRange(n.Right)
		return ok1 && ok2 && (lo > 0 || hi < 0)
	case *ast.ArrayNode:
		for _, e := range n.Nodes {
			lo, hi, ok := p.constRange(e)
			if !ok || lo <= 0 && hi >= 0 {
				return false
			}
		}
		return len(n.Nodes) > 0
	}
	return false
}
