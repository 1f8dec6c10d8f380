package rule

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/file"
	"github.com/expr-lang/expr/parser"
	"github.com/expr-lang/expr/vm"
)

// The environment conditions run in is one Go struct, built at load with
// reflect.StructOf: a field per facts group (itself a struct with a field
// per fact, named by `expr:"..."` tags) and one for the params. expr
// type-checks conditions against it, so a misspelt fact or a comparison of
// a bool with a number is an error at load, and runs them by field index,
// without map lookups.

// layout builds the env struct type and the options every expression is
// compiled with.
func (p *Pack) layout() {
	var envFields []reflect.StructField
	var names []string
	for gi, g := range p.Groups {
		var fs []reflect.StructField
		for fi, fd := range g.Fields {
			fs = append(fs, reflect.StructField{
				Name: fmt.Sprintf("F%d", fi),
				Type: fd.Type.goType(),
				Tag:  reflect.StructTag(fmt.Sprintf(`expr:%q`, fd.Name)),
			})
			p.fieldPath = append(p.fieldPath, [2]int{gi, fi})
		}
		gt := reflect.StructOf(fs)
		names = append(names, gt.String(), "facts group "+g.Name)
		envFields = append(envFields, reflect.StructField{
			Name: fmt.Sprintf("G%d", gi),
			Type: gt,
			Tag:  reflect.StructTag(fmt.Sprintf(`expr:%q`, g.Name)),
		})
	}
	var ps []reflect.StructField
	for i, prm := range p.paramList {
		prm.index = i
		ps = append(ps, reflect.StructField{
			Name: fmt.Sprintf("P%d", i),
			Type: prm.Type.goType(),
			Tag:  reflect.StructTag(fmt.Sprintf(`expr:%q`, prm.Name)),
		})
	}
	pt := reflect.StructOf(ps)
	names = append(names, pt.String(), "params")
	p.paramsAt = len(envFields)
	envFields = append(envFields, reflect.StructField{Name: "Params", Type: pt, Tag: `expr:"params"`})
	p.envType = reflect.StructOf(envFields)
	p.typeNames = strings.NewReplacer(names...)
	p.opts = append([]expr.Option{
		expr.Env(reflect.Zero(p.envType).Interface()),
		// now() would make results depend on the clock, not on --as-of.
		expr.DisableBuiltin("now"),
		expr.Patch(intIn{}),
	}, helperOptions()...)
	p.opts = append(p.opts, arithOptions()...)
}

// intIn rewrites `x in 1..2` and `x in [1, 2]` on an int fact (int64)
// into comparisons: `x >= 1 and x <= 2`, `x == 1 or x == 2`. expr does this
// itself only for Go int; otherwise it builds the range or array on every
// run, allocating. Same result, no allocation.
type intIn struct{}

// Visit implements ast.Visitor.
func (intIn) Visit(node *ast.Node) {
	b, ok := (*node).(*ast.BinaryNode)
	if !ok || b.Operator != "in" || b.Left.Type() == nil || b.Left.Type().Kind() != reflect.Int64 {
		return
	}
	switch r := b.Right.(type) {
	case *ast.BinaryNode:
		from, ok1 := r.Left.(*ast.IntegerNode)
		to, ok2 := r.Right.(*ast.IntegerNode)
		if r.Operator == ".." && ok1 && ok2 {
			ast.Patch(node, &ast.BinaryNode{
				Operator: "and",
				Left:     &ast.BinaryNode{Operator: ">=", Left: b.Left, Right: from},
				Right:    &ast.BinaryNode{Operator: "<=", Left: b.Left, Right: to},
			})
		}
	case *ast.ArrayNode:
		var or ast.Node
		for _, n := range r.Nodes {
			if _, ok := n.(*ast.IntegerNode); !ok {
				return
			}
			eq := &ast.BinaryNode{Operator: "==", Left: b.Left, Right: n}
			if or == nil {
				or = eq
			} else {
				or = &ast.BinaryNode{Operator: "or", Left: or, Right: eq}
			}
		}
		if or != nil {
			ast.Patch(node, or)
		}
	}
}

// input is a fact or param an expression reads.
type input struct {
	name   string // medical.oop_12m or params.medical_oop_threshold
	field  int    // index in Pack.Fields, or -1 for a param
	param  int    // index in the params struct, or -1
	offset int    // of its first use in the expression, in runes
	pos    Pos    // of its first use in the rule file
}

// compiled is an expression compiled, with what it reads.
type compiled struct {
	prog   *vm.Program
	tree   ast.Node // as parsed, before any patch
	inputs []input
	loc    locator
}

// expression is one of a rule's compiled expressions.
type expression struct {
	name  string // when, reason or severity
	prog  *vm.Program
	facts []input // the facts it reads: checked for NaN and ±Inf before it runs
	loc   locator
}

// newExpression keeps what evaluating c needs.
func newExpression(name string, c *compiled) *expression {
	x := &expression{name: name, prog: c.prog, loc: c.loc}
	for _, in := range c.inputs {
		if in.field >= 0 {
			x.facts = append(x.facts, in)
		}
	}
	return x
}

// exprKind is what an expression must produce.
type exprKind int

const (
	kindCondition exprKind = iota // when: true or false
	kindReason                    // reason: text
	kindNumber                    // severity: a number
)

// compileExpr type-checks and compiles one expression, reporting its
// problems at their place in the file. A bool expression is a condition,
// else a reason (text). It returns nil on problems, and also, silently,
// when the expression uses a group or param that is itself broken (already
// reported).
func (p *Pack) compileExpr(c *collector, e *exprText, kind exprKind, broken brokenNames) *compiled {
	isBool := kind == kindCondition
	if offset, why := exprTooBig(e.text); why != "" {
		// The parser recurses once per bracket: a million of them would
		// overflow the stack and kill the process, not report an error.
		loc := locator{file: e.file.name, lines: c.Lines(e.file.name), node: e.node}
		c.add(loc.pos(offset), "%s: %s", e.ctx, why)
		return nil
	}
	tree, err := parser.Parse(e.text)
	if err != nil {
		p.exprErr(c, e, isBool, err)
		return nil
	}
	w := &refWalker{p: p, broken: broken}
	ast.Walk(&tree.Node, w)
	if w.skip {
		return nil
	}
	for _, re := range w.errs {
		p.exprErr(c, e, isBool, re)
	}
	if len(w.errs) > 0 {
		return nil
	}
	opts := p.opts
	switch kind {
	case kindCondition:
		opts = append(opts[:len(opts):len(opts)], expr.AsBool())
	case kindReason:
		opts = append(opts[:len(opts):len(opts)], expr.AsKind(reflect.String))
	case kindNumber:
		opts = append(opts[:len(opts):len(opts)], expr.AsFloat64())
	}
	// Type errors are reported as expr words them, before the arithmetic
	// is rewritten into checked calls (whose operands accept anything).
	prog, err := expr.Compile(e.text, opts...)
	if err != nil {
		errs := []error{err}
		if kind == kindCondition {
			errs = typeErrors(e.text, opts, err)
		}
		for _, err := range errs {
			p.exprErr(c, e, isBool, err)
		}
		return nil
	}
	loc := locator{file: e.file.name, lines: c.Lines(e.file.name), node: e.node}
	if hasArithmetic(tree.Node) {
		prog, err = expr.Compile(e.text, append(opts[:len(opts):len(opts)], checkArithmetic(p, loc)...)...)
		if err != nil {
			c.add(loc.start(), "%s: cannot check its arithmetic: %v", e.ctx, err)
			return nil
		}
	}
	for i := range w.inputs {
		w.inputs[i].pos = loc.pos(w.inputs[i].offset)
	}
	return &compiled{prog: prog, tree: tree.Node, inputs: w.inputs, loc: loc}
}

// brokenNames are the groups (in facts) and params that had problems
// where they are defined: already reported, so expressions using them are
// not reported again. A group is in facts if any of its fields had one.
type brokenNames struct {
	facts, params map[string]bool
}

// refWalker checks every GROUP.FIELD and params.NAME in an expression and
// collects them as inputs.
type refWalker struct {
	p      *Pack
	broken brokenNames
	inputs []input
	seen   map[string]bool
	errs   []error
	skip   bool
}

// Visit implements ast.Visitor.
func (w *refWalker) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.IdentifierNode:
		if w.broken.facts[n.Value] && w.p.groupIdx[n.Value] == nil {
			w.skip = true // a group left out for its problems
		}
		if isGuardName(n.Value) && w.p.groupIdx[n.Value] == nil {
			w.errs = append(w.errs, w.errAt(n, "unknown name %s", n.Value))
		}
	case *ast.MemberNode:
		base, ok1 := n.Node.(*ast.IdentifierNode)
		prop, ok2 := n.Property.(*ast.StringNode)
		if !ok1 || !ok2 {
			return
		}
		name := base.Value + "." + prop.Value
		in := input{name: name, field: -1, param: -1, offset: base.Location().From}
		switch {
		case base.Value == paramsName:
			prm, ok := w.p.Params[prop.Value]
			if !ok {
				if w.broken.params[prop.Value] {
					w.skip = true
					return
				}
				w.errs = append(w.errs, w.errAt(prop, "unknown param %s%s", prop.Value, hint(prop.Value, w.p.paramNames())))
				return
			}
			in.param = prm.index
		case w.p.groupIdx[base.Value] != nil:
			i, ok := w.p.groupIdx[base.Value][prop.Value]
			if !ok {
				if w.broken.facts[base.Value] {
					w.skip = true
					return
				}
				w.errs = append(w.errs, w.errAt(prop, "unknown fact %s%s", name, hint(name, w.p.fieldNames(base.Value))))
				return
			}
			in.field = i
		default:
			return
		}
		if w.seen == nil {
			w.seen = map[string]bool{}
		}
		if !w.seen[name] {
			w.seen[name] = true
			w.inputs = append(w.inputs, in)
		}
	}
}

func (w *refWalker) errAt(n ast.Node, format string, args ...any) error {
	return &file.Error{Location: n.Location(), Message: fmt.Sprintf(format, args...)}
}

// exprErr reports an expression's error at its place in the file, with
// expr's wording made plainer for analysts.
func (p *Pack) exprErr(c *collector, e *exprText, isBool bool, err error) {
	offset, msg := 0, err.Error()
	var fe *file.Error
	if errors.As(err, &fe) {
		offset, msg = fe.From, fe.Message
	}
	msg = goTypeNames.Replace(strings.TrimSpace(p.typeNames.Replace(msg)))
	name, unknown := strings.CutPrefix(msg, "unknown name ")
	if unknown {
		msg += hint(name, p.topNames())
	}
	if got, ok := strings.CutPrefix(msg, "expected bool, but got "); ok {
		msg = "a condition must be true or false, not " + got
	}
	if got, ok := strings.CutPrefix(msg, "expected number, but got "); ok {
		msg = "a severity must be a number, not " + got
	}
	if got, ok := strings.CutPrefix(msg, "expected string, but got "); ok {
		msg = "a reason must be text, not " + got + " (format numbers with yuan(x), days(n) or string(x))"
	}
	if strings.Contains(msg, `Operator("=")`) {
		msg += " (compare with ==)"
	}
	syntax := unknown || strings.Contains(msg, "unexpected token") || strings.Contains(msg, "unrecognized character")
	if !isBool && syntax && !strings.ContainsAny(e.text, "\"'`") {
		msg += ` (a reason is an expression: put its text in quotes, e.g. "新办残疾人证：" + level_name(disability.level))`
	}
	line, col := locate(c.Lines(e.file.name), e.node, offset)
	c.add(Pos{File: e.file.name, Line: line, Col: col}, "%s: %s", e.ctx, msg)
}

// goTypeNames renames Go types in expr's messages to the types of
// facts.yaml.
var goTypeNames = strings.NewReplacer("float64", "number", "int64", "int")

// topNames are the names a condition can start with: groups, params and
// the helper functions.
func (p *Pack) topNames() []string {
	names := []string{paramsName}
	for _, g := range p.Groups {
		names = append(names, g.Name)
	}
	for _, h := range helpers {
		names = append(names, h.name)
	}
	return names
}

func (p *Pack) paramNames() []string {
	var names []string
	for _, prm := range p.paramList {
		names = append(names, prm.Name)
	}
	return names
}

// fieldNames are a group's facts as GROUP.FIELD, in file order.
func (p *Pack) fieldNames(group string) []string {
	var names []string
	for _, fd := range p.fields {
		if fd.Group == group {
			names = append(names, fd.Group+"."+fd.Name)
		}
	}
	return names
}

// conjuncts splits a condition on its top-level && (or `and`), for
// explaining which part failed.
func conjuncts(n ast.Node) []ast.Node {
	if b, ok := n.(*ast.BinaryNode); ok && (b.Operator == "&&" || b.Operator == "and") {
		return append(conjuncts(b.Left), conjuncts(b.Right)...)
	}
	return []ast.Node{n}
}

// compileParts compiles each top-level condition of a rule's When on its
// own. They type-checked as part of the whole, so they compile; if one
// does not, explaining falls back to the whole condition. Their
// arithmetic is checked too (a part that divides by zero does not hold,
// with the error), placed at the start of the condition.
func (p *Pack) compileParts(when *compiled) []part {
	nodes := conjuncts(when.tree)
	if len(nodes) < 2 {
		return nil
	}
	start := when.loc
	start.fixed = true // offsets in a re-rendered part are not the file's
	opts := append(p.opts[:len(p.opts):len(p.opts)], expr.AsBool())
	parts := make([]part, 0, len(nodes))
	for _, n := range nodes {
		text := n.String()
		prog, err := expr.Compile(text, append(opts[:len(opts):len(opts)], checkArithmetic(p, start)...)...)
		if err != nil {
			return nil
		}
		x := &expression{name: "when", prog: prog, loc: start}
		names := nameCollector{}
		ast.Walk(&n, names)
		for _, in := range when.inputs {
			if in.field >= 0 && names[in.name] {
				x.facts = append(x.facts, in)
			}
		}
		parts = append(parts, part{text: text, x: x})
	}
	return parts
}

// nameCollector collects the GROUP.FIELD and params.NAME an expression
// refers to.
type nameCollector map[string]bool

// Visit implements ast.Visitor.
func (c nameCollector) Visit(node *ast.Node) {
	if base, prop, ok := memberName(*node); ok {
		c[base+"."+prop] = true
	}
}

// memberName splits a reference written NAME.FIELD (a fact or a param)
// into its two names; ok is false for any other node.
func memberName(n ast.Node) (base, prop string, ok bool) {
	m, ok := n.(*ast.MemberNode)
	if !ok {
		return "", "", false
	}
	b, ok1 := m.Node.(*ast.IdentifierNode)
	p, ok2 := m.Property.(*ast.StringNode)
	if !ok1 || !ok2 {
		return "", "", false
	}
	return b.Value, p.Value, true
}

// Bounds on an expression, far beyond any rule's and far below what would
// overflow the parser's stack: its length in bytes, and how deeply its
// brackets nest.
const (
	maxExprBytes = 16 << 10
	maxExprDepth = 64
)

// exprTooBig says why an expression is refused before it is parsed, with
// the offset to point at, or "" when it is within the bounds. Brackets
// inside string literals do not count.
func exprTooBig(s string) (offset int, why string) {
	if len(s) > maxExprBytes {
		return 0, fmt.Sprintf("the expression is %d bytes long, more than the %d an expression may have; split the condition into facts or several rules", len(s), maxExprBytes)
	}
	depth := 0
	var quote byte
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' && quote != '`' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'' || c == '`':
			quote = c
		case c == '(' || c == '[' || c == '{':
			if depth++; depth > maxExprDepth {
				return i, fmt.Sprintf("brackets nested more than %d deep; write the condition flatter", maxExprDepth)
			}
		case c == ')' || c == ']' || c == '}':
			depth--
		}
	}
	return 0, ""
}
