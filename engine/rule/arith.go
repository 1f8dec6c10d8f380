package rule

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	"github.com/expr-lang/expr"
	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/vm/runtime"
)

// Arithmetic that cannot lie. In expr, x / 0 is +Inf (or NaN) for floats,
// and +Inf >= 10000 is true: a person with no household (members 0)
// would hit a per-capita rule with the reason "— 元". A condition's result
// is a bool that hides the Inf, so the check is made at the operator:
// arithGuard rewrites, after type-checking, every `/`, `%` and `**` into
// a call of a checked function, and wraps every other operation that
// gives a number and can overflow or make NaN (+, -, * on numbers, the
// built-in functions) in a finiteness check. The checked functions fail
// with an *arithError naming their site; Rule.Eval turns it into an
// *EvalError for that person. Facts that arrive NaN or ±Inf are caught
// when they are set (Env.SetIndex), params and literals at load, so the
// operations above are the only places a non-finite number can appear.
//
// The rewritten program does what expr's own operators do on finite
// numbers (same conversions, same result types); only int operations
// stay as they are: they cannot give NaN or Inf, and int % 0, which
// would panic in expr, is checked like /.

// Names of the checked functions; refWalker rejects them in rule files.
const (
	fnDiv       = "__lw_div"
	fnMod       = "__lw_mod"
	fnPow       = "__lw_pow"
	fnFinite    = "__lw_finite"     // a number stays a number
	fnFiniteAny = "__lw_finite_any" // an expression of unknown type
)

func isGuardName(s string) bool { return strings.HasPrefix(s, "__lw_") }

// arithOptions declares the checked functions to expr. Their operands are
// typed any so that the checker converts nothing (it would turn int
// literals into floats); their results have the type expr gives the
// operator, so the rest of the expression type-checks as written.
func arithOptions() []expr.Option {
	return []expr.Option{
		expr.Function(fnDiv, checkedDiv, new(func(any, any, int) float64)),
		expr.Function(fnMod, checkedMod, new(func(any, any, int) int)),
		expr.Function(fnPow, checkedPow, new(func(any, any, int) float64)),
		expr.Function(fnFinite, checkedFinite, new(func(float64, int) float64)),
		expr.Function(fnFiniteAny, checkedFinite, new(func(any, int) any)),
	}
}

// site is one checked operation in a pack's expressions.
type site struct {
	pos Pos
	// guard is a condition that would have avoided a division by zero,
	// "household.members > 0", for the hint; empty for other operations.
	guard string
}

// arithError is a checked operation that failed, at pack.sites[site].
type arithError struct {
	site            int
	kind            EvalKind
	problem, detail string
}

func (e *arithError) Error() string { return e.problem + " (" + e.detail + ")" }

func siteOf(args []any) int {
	if i, ok := args[len(args)-1].(int); ok {
		return i
	}
	return -1
}

func finite(x float64) bool { return x-x == 0 }

// number reads an operand as expr's arithmetic does: any kind of number
// (not a decimal string, which toFloat would read).
func number(v any) (float64, error) {
	if x, ok := v.(float64); ok {
		return x, nil
	}
	if _, isString := v.(string); !isString {
		if x, ok := toFloat(v); ok {
			return x, nil
		}
	}
	return 0, fmt.Errorf("invalid operation on %T: want a number", v)
}

// checkedDiv is a / b: float division as expr does it, failing on a zero
// divisor and on a result that is not finite.
func checkedDiv(args ...any) (any, error) {
	a, err := number(args[0])
	if err != nil {
		return nil, err
	}
	b, err := number(args[1])
	if err != nil {
		return nil, err
	}
	if b == 0 {
		return nil, &arithError{site: siteOf(args), kind: DivisionByZero, problem: "division by zero", detail: "a divisor was 0"}
	}
	if x := a / b; finite(x) {
		return x, nil
	}
	return nil, notFinite(args, a, "/")
}

// checkedMod is a % b on whole numbers, failing on a zero divisor (where
// expr would panic).
func checkedMod(args ...any) (any, error) {
	b, err := number(args[1])
	if err != nil {
		return nil, err
	}
	if b == 0 {
		return nil, &arithError{site: siteOf(args), kind: DivisionByZero, problem: "division by zero", detail: "the divisor of % was 0"}
	}
	return runtime.Modulo(args[0], args[1]), nil
}

// checkedPow is a ** b, failing when the result is not finite.
func checkedPow(args ...any) (any, error) {
	a, err := number(args[0])
	if err != nil {
		return nil, err
	}
	b, err := number(args[1])
	if err != nil {
		return nil, err
	}
	x := math.Pow(a, b)
	switch {
	case finite(x):
		return x, nil
	case a == 0 && b < 0:
		return nil, &arithError{site: siteOf(args), kind: DivisionByZero, problem: "division by zero", detail: "0 to a negative power"}
	case math.IsNaN(x):
		return nil, &arithError{site: siteOf(args), kind: NotFinite, problem: "not a number", detail: "a negative number to a fractional power"}
	}
	return nil, notFinite(args, a, "**")
}

// checkedFinite passes its first argument through unless it is a float
// that is NaN or ±Inf.
func checkedFinite(args ...any) (any, error) {
	if x, ok := args[0].(float64); ok && !finite(x) {
		return nil, notFinite(args, x, "")
	}
	return args[0], nil
}

func notFinite(args []any, x float64, op string) *arithError {
	if math.IsNaN(x) {
		return &arithError{site: siteOf(args), kind: NotFinite, problem: "not a number", detail: "the calculation gave NaN"}
	}
	if op == "" {
		return &arithError{site: siteOf(args), kind: NotFinite, problem: "not a finite number", detail: "the calculation gave +Inf or -Inf"}
	}
	return &arithError{site: siteOf(args), kind: NotFinite, problem: "overflow", detail: "the result of " + op + " is too large"}
}

// arithGuard is the expr patch that rewrites arithmetic into checked
// calls, registering each site in the pack with its place in the file.
type arithGuard struct {
	p   *Pack
	loc locator
	// guards is the hint for each / and % by its offset, read by a
	// patch that runs first: when arithGuard reaches a division its
	// divisor is already rewritten and would print the checked calls.
	guards guardCollector
}

// checkArithmetic is the expr options that compile an expression with its
// arithmetic checked, each site registered in p at its place under loc.
func checkArithmetic(p *Pack, loc locator) []expr.Option {
	g := &arithGuard{p: p, loc: loc, guards: guardCollector{}}
	return []expr.Option{expr.Patch(g.guards), expr.Patch(g)}
}

// guardCollector maps the offset of each / and % to the guard a hint
// suggests for its divisor (divisorGuard), from the type-checked tree as
// written.
type guardCollector map[int]string

// Visit implements ast.Visitor.
func (c guardCollector) Visit(node *ast.Node) {
	if b, ok := (*node).(*ast.BinaryNode); ok && (b.Operator == "/" || b.Operator == "%") {
		c[b.Location().From] = divisorGuard(b.Right)
	}
}

// Visit implements ast.Visitor. Walk visits children first, so operands
// are already rewritten when their operation is.
func (g *arithGuard) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "/":
			g.call(node, fnDiv, n, g.guards[n.Location().From])
		case "%":
			g.call(node, fnMod, n, g.guards[n.Location().From])
		case "**", "^":
			g.call(node, fnPow, n, "")
		case "+", "-", "*":
			g.wrap(node)
		}
	case *ast.BuiltinNode:
		g.wrap(node)
	}
}

// call replaces the binary operation at node with fn(left, right, site).
func (g *arithGuard) call(node *ast.Node, fn string, b *ast.BinaryNode, guard string) {
	id := g.site(b, guard)
	callee := &ast.IdentifierNode{Value: fn}
	callee.SetLocation(b.Location())
	ast.Patch(node, &ast.CallNode{Callee: callee, Arguments: []ast.Node{b.Left, b.Right, intNode(id, b)}})
}

// wrap puts a node that gives a float (or a value of unknown type) into a
// finiteness check; other types are left alone.
func (g *arithGuard) wrap(node *ast.Node) {
	n := *node
	fn := fnFinite
	switch n.Type().Kind() {
	case reflect.Float64, reflect.Float32:
	case reflect.Interface:
		fn = fnFiniteAny
	default:
		return
	}
	id := g.site(n, "")
	callee := &ast.IdentifierNode{Value: fn}
	callee.SetLocation(n.Location())
	ast.Patch(node, &ast.CallNode{Callee: callee, Arguments: []ast.Node{n, intNode(id, n)}})
}

func intNode(v int, at ast.Node) ast.Node {
	in := &ast.IntegerNode{Value: v}
	in.SetLocation(at.Location())
	return in
}

// site registers a checked operation at n and returns its index.
func (g *arithGuard) site(n ast.Node, guard string) int {
	g.p.sites = append(g.p.sites, site{pos: g.loc.pos(n.Location().From), guard: guard})
	return len(g.p.sites) - 1
}

// divisorGuard is a condition that proves divisor d is not 0, for hints:
// "d > 0" for an int fact or param (a count), "d != 0" otherwise, with
// parentheses around anything more than a name.
func divisorGuard(d ast.Node) string {
	text := d.String()
	switch d.(type) {
	case *ast.MemberNode, *ast.IdentifierNode:
		if k := d.Type().Kind(); k == reflect.Int64 || k == reflect.Int {
			return text + " > 0"
		}
	default:
		text = "(" + text + ")"
	}
	return text + " != 0"
}

// hasArithmetic reports whether an expression has an operation arithGuard
// rewrites; without one its program needs no second compile.
func hasArithmetic(n ast.Node) bool {
	found := arithFinder(false)
	ast.Walk(&n, &found)
	return bool(found)
}

type arithFinder bool

// Visit implements ast.Visitor.
func (f *arithFinder) Visit(node *ast.Node) {
	switch n := (*node).(type) {
	case *ast.BinaryNode:
		switch n.Operator {
		case "/", "%", "**", "^", "+", "-", "*":
			*f = true
		}
	case *ast.BuiltinNode:
		*f = true
	}
}
