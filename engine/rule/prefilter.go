package rule

import (
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/expr-lang/expr/ast"
	"github.com/expr-lang/expr/checker"
	"github.com/expr-lang/expr/conf"
)

// A rule's condition as an SQL pre-filter. At night every person's facts
// are one wide row in DuckDB; running every rule in Go over a million rows
// is the slow part of the evaluation. Prefilter turns a rule's `when` into
// an SQL predicate over such a row that is a conservative
// over-approximation: it is TRUE for every row on which the condition is
// true or fails with an *EvalError (a division by zero, a NaN fact, an
// overflow), and may be TRUE on others. Only the rows some rule's
// predicate lets through need to reach expr, which still decides the
// verdict, the reason, the severity and the errors: the results are those
// of running every rule over every row.
//
// The translation is a small abstract interpretation of the type-checked
// expression (the tree expr compiles, with the same patches). A condition
// is three predicates:
//
//	hi   TRUE wherever the condition is true or fails (an over-approximation)
//	lo   TRUE only where it is true and does not fail (an under-approximation)
//	fail TRUE wherever it could fail
//
// so that `!x` is {NOT x.lo, NOT x.hi, x.fail}, and `a && b`, which expr
// evaluates left to right and stops at a false a, is
// {(a.hi AND b.hi) OR a.fail, a.lo AND b.lo, a.fail OR b.fail}. A
// condition the translation does not know (a power, a builtin other than
// min and max, a comparison expr's typed opcodes could fail on) is
// {TRUE, FALSE, TRUE}; one on a value it does not know but that cannot
// fail to compute (a helper such as category_name of a known number, a
// fact without a column) is {TRUE, FALSE, where its arguments fail}. The
// root's hi is the predicate. A value (a number or a text) is an SQL
// expression of its value with a predicate `ok`, TRUE only where the
// expression equals expr's value and expr did not fail; a comparison of
// values x and y is {c OR NOT ok, c AND ok, NOT ok} with c the SQL
// comparison and ok both oks. A predicate is exact when hi and lo are the
// same.
//
// expr's own ways of failing are modelled too: besides the checked
// arithmetic (arith.go), it compares two values the checker typed int as
// Go ints (OpEqualInt) and looks an int up in a map of int literals (its
// optimizer's `in`), both of which fail on an int64 at run time; min and
// max keep their argument's type, so `max(1, vehicle.cars) == 2` fails
// where the fact is the larger. Such conditions are unknown.
//
// Every SQL expression built is two-valued and cannot fail in DuckDB:
// fields are read as coalesce(column, default), int arithmetic is done in
// HUGEINT and wrapped to int64 as Go wraps it, number arithmetic in DOUBLE
// (which gives ±Inf, never an error), params and literals are literals.

// Prefilter returns the SQL predicate of the rule's condition (see above)
// at asOf (params take their values on that date and are written into the
// SQL as literals), and whether it is exact: TRUE exactly where expr's
// condition is true or fails. column gives, for a fact, the SQL
// expression of its column in the row: of type DOUBLE for a number fact,
// BIGINT for int, BOOLEAN, VARCHAR for string, whose non-NULL values are
// the values the Env is Set to, NULL where the fact keeps its default; ""
// when there is none (the fact is then unknown). A number fact column
// must hold NaN and ±Inf as such (the predicate is TRUE for them: the
// rule fails on a NaN fact it reads); one given as "" must never hold
// them. The result is never empty; "TRUE" when nothing could be proved.
func (r *Rule) Prefilter(asOf time.Time, column func(group, field string) string) (sql string, exact bool) {
	if r.pack == nil {
		return "TRUE", false
	}
	return r.pack.prefilter(r.When, asOf, column)
}

// prefilter translates a condition of the pack (see Rule.Prefilter).
func (p *Pack) prefilter(when string, asOf time.Time, column func(group, field string) string) (string, bool) {
	config := conf.CreateNew()
	for _, op := range p.opts {
		op(config)
	}
	for name := range config.Disabled {
		delete(config.Builtins, name)
	}
	config.Check()
	tree, err := checker.ParseCheck(when, config)
	if err != nil {
		return "TRUE", false
	}
	t := &translator{p: p, asOf: asOf, column: column}
	c := t.cond(tree.Node)
	sql, exact := c.hi, c.hi == c.lo
	// A number fact read anywhere in the condition that is NaN or ±Inf
	// makes the rule fail before it runs (Rule.run).
	var bad []string
	seen := map[string]bool{}
	nameCollector(seen).collect(tree.Node)
	for _, fd := range p.fields {
		if fd.Type != Number || !seen[fd.Group+"."+fd.Name] {
			continue
		}
		col := column(fd.Group, fd.Name)
		if col == "" {
			continue // the caller guarantees it is finite
		}
		bad = append(bad, "(NOT isfinite(coalesce("+col+", CAST(0 AS DOUBLE))))")
	}
	if sql != sqlTrue && len(bad) > 0 {
		sql = or(sql, strings.Join(bad, " OR "))
	}
	return sql, exact
}

// collect adds every GROUP.FIELD and params.NAME of n to c.
func (c nameCollector) collect(n ast.Node) {
	ast.Walk(&n, c)
}

const (
	sqlTrue  = "TRUE"
	sqlFalse = "FALSE"
)

// cond is a translated condition: see the comment at the top.
type cond struct{ hi, lo, fail string }

var unknownCond = cond{hi: sqlTrue, lo: sqlFalse, fail: sqlTrue}

func exactCond(sql string) cond { return cond{hi: sql, lo: sql, fail: sqlFalse} }

// isExact reports whether the condition is an SQL boolean equal to expr's
// value everywhere, never failing.
func (c cond) isExact() bool { return c.hi == c.lo && c.fail == sqlFalse }

// value is a translated value of a condition: a number, an int, a text or
// a bool (held in b), or unknown.
type value struct {
	typ   Type   // Number, Int, String, Bool; "" when unknown
	sql   string // never NULL, never fails in DuckDB
	ok    string // TRUE only where sql is expr's value and expr did not fail
	konst any    // float64, int64 or string when a constant (ok is TRUE), else nil
	// rt is the Go type of a number at run time: "int" (a literal, int
	// arithmetic), "int64" (a fact, a param), "float64", or "" when it
	// depends on the row (min and max keep their argument's).
	rt      string
	b       cond // when typ is Bool
	unknown bool
	// unknownFail is, for an unknown value, where computing it could
	// fail ("" for anywhere).
	unknownFail string
}

var unknownValue = value{unknown: true, ok: sqlFalse}

// failOf is where computing v could fail.
func failOf(v value) string {
	switch {
	case v.typ == Bool:
		return v.b.fail
	case v.unknown && v.unknownFail != "":
		return v.unknownFail
	case v.unknown:
		return sqlTrue
	}
	return not(v.ok)
}

// unknownOf is a value of type typ whose computation from args cannot
// fail where theirs does not (a helper such as category_name on a known
// number).
func unknownOf(typ Type, args ...value) value {
	v := value{typ: typ, unknown: true, ok: sqlFalse, unknownFail: sqlFalse}
	for _, a := range args {
		v.unknownFail = or(v.unknownFail, failOf(a))
	}
	return v
}

// checkedType is the type of the values of n, as the checker gave it; "" for
// any other.
func checkedType(n ast.Node) Type {
	switch kindOf(n) {
	case reflect.Float64:
		return Number
	case reflect.Int, reflect.Int64:
		return Int
	case reflect.String:
		return String
	case reflect.Bool:
		return Bool
	}
	return ""
}

func boolValue(c cond) value { return value{typ: Bool, b: c} }

// translator translates one condition.
type translator struct {
	p      *Pack
	asOf   time.Time
	column func(group, field string) string
}

// cond translates a node expected to be a condition.
func (t *translator) cond(n ast.Node) cond {
	v := t.value(n)
	if v.typ != Bool {
		return unknownCond
	}
	return v.b
}

// value translates any node.
func (t *translator) value(n ast.Node) value {
	switch n := n.(type) {
	case *ast.BoolNode:
		return constValue(n.Value)
	case *ast.IntegerNode:
		// Compiled as a value of the type the checker gave it.
		switch kindOf(n) {
		case reflect.Float64:
			return constValue(float64(n.Value))
		case reflect.Int64:
			return constValue(int64(n.Value))
		case reflect.Int:
			return withRT(constValue(int64(n.Value)), "int")
		}
		return t.unknown(n)
	case *ast.FloatNode:
		return constValue(n.Value)
	case *ast.StringNode:
		return constValue(n.Value)
	case *ast.MemberNode:
		return t.member(n)
	case *ast.UnaryNode:
		return t.unary(n)
	case *ast.BinaryNode:
		return t.binary(n)
	case *ast.ConditionalNode:
		return t.conditional(n)
	case *ast.BuiltinNode:
		return t.builtin(n)
	case *ast.CallNode:
		// The helpers (category_name, yuan, ...) give a text for any
		// number or text they are given (a NaN fact is caught before).
		if id, ok := n.Callee.(*ast.IdentifierNode); ok && helperNames[id.Value] && checkedType(n) == String {
			var args []value
			for _, a := range n.Arguments {
				args = append(args, t.value(a))
			}
			return unknownOf(String, args...)
		}
	}
	return t.unknown(n)
}

// kindOf is the kind of the type the checker gave n.
func kindOf(n ast.Node) reflect.Kind {
	if t := n.Type(); t != nil {
		return t.Kind()
	}
	return reflect.Invalid
}

func withRT(v value, rt string) value {
	v.rt = rt
	return v
}

// unknown is a node the translation does not understand: a condition that
// may be anything, or a value.
func (t *translator) unknown(n ast.Node) value {
	if checkedType(n) == Bool {
		return boolValue(unknownCond)
	}
	v := unknownValue
	v.typ = checkedType(n)
	return v
}

// constValue is a constant: a literal or a param's value.
func constValue(v any) value {
	switch x := v.(type) {
	case bool:
		if x {
			return boolValue(exactCond(sqlTrue))
		}
		return boolValue(exactCond(sqlFalse))
	case int64:
		return value{typ: Int, sql: intLit(x), ok: sqlTrue, konst: x, rt: "int64"}
	case float64:
		if !finite(x) {
			return unknownValue
		}
		return value{typ: Number, sql: floatLit(x), ok: sqlTrue, konst: x, rt: "float64"}
	case string:
		lit, ok := stringLit(x)
		if !ok {
			return value{typ: String, unknown: true, ok: sqlFalse}
		}
		return value{typ: String, sql: lit, ok: sqlTrue, konst: x}
	}
	return unknownValue
}

func intLit(x int64) string {
	if x < 0 {
		return "(" + strconv.FormatInt(x, 10) + ")"
	}
	return strconv.FormatInt(x, 10)
}

// floatLit is a DOUBLE literal of exactly x (a decimal literal such as
// 0.45 would be a DECIMAL in DuckDB).
func floatLit(x float64) string {
	return "CAST('" + strconv.FormatFloat(x, 'g', -1, 64) + "' AS DOUBLE)"
}

// stringLit quotes s for SQL; false for text DuckDB cannot hold as is.
func stringLit(s string) (string, bool) {
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "", false
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", true
}

// member is GROUP.FIELD or params.NAME.
func (t *translator) member(n *ast.MemberNode) value {
	base, prop, ok := memberName(n)
	if !ok || n.Optional {
		return t.unknown(n)
	}
	if base == paramsName {
		prm, ok := t.p.Params[prop]
		if !ok {
			return t.unknown(n)
		}
		v, err := prm.At(t.asOf)
		if err != nil {
			return t.unknown(n)
		}
		return constValue(v)
	}
	i, ok := t.p.FieldIndex(base, prop)
	if !ok {
		return t.unknown(n)
	}
	fd := &t.p.fields[i]
	col := t.column(base, prop)
	if col == "" {
		// Unknown, but reading it cannot fail (the caller sees to NaN).
		if fd.Type == Bool {
			return boolValue(cond{hi: sqlTrue, lo: sqlFalse, fail: sqlFalse})
		}
		return unknownOf(fd.Type)
	}
	def := constValue(fd.Default)
	if def.unknown {
		return t.unknown(n)
	}
	if fd.Type == Bool {
		return boolValue(exactCond("coalesce(" + col + ", " + def.b.hi + ")"))
	}
	return value{typ: fd.Type, sql: "coalesce(" + col + ", " + def.sql + ")", ok: sqlTrue, rt: def.rt}
}

func (t *translator) unary(n *ast.UnaryNode) value {
	switch n.Operator {
	case "!", "not":
		x := t.cond(n.Node)
		return boolValue(cond{hi: not(x.lo), lo: not(x.hi), fail: x.fail})
	case "-":
		x := t.value(n.Node)
		switch {
		case x.unknown:
			return unknownValue
		case x.typ == Int:
			if k, ok := x.konst.(int64); ok {
				return withRT(constValue(-k), x.rt)
			}
			return value{typ: Int, sql: wrapInt("(-CAST(" + x.sql + " AS HUGEINT))"), ok: x.ok, rt: x.rt}
		case x.typ == Number:
			if k, ok := x.konst.(float64); ok {
				return constValue(-k)
			}
			return value{typ: Number, sql: "(-" + x.sql + ")", ok: x.ok, rt: x.rt}
		}
	case "+":
		if x := t.value(n.Node); x.typ == Int || x.typ == Number {
			return x
		}
	}
	return t.unknown(n)
}

// wrapInt wraps a HUGEINT within ±2^64 to int64 as Go's int arithmetic
// does, without a cast that could fail.
func wrapInt(huge string) string {
	const two63, two64 = "CAST('9223372036854775808' AS HUGEINT)", "CAST('18446744073709551616' AS HUGEINT)"
	return "CAST(((((" + huge + " + " + two63 + ") % " + two64 + ") + " + two64 + ") % " + two64 + ") - " + two63 + " AS BIGINT)"
}

func (t *translator) binary(n *ast.BinaryNode) value {
	switch n.Operator {
	case "&&", "and":
		a, b := t.cond(n.Left), t.cond(n.Right)
		return boolValue(cond{hi: or(and(a.hi, b.hi), a.fail), lo: and(a.lo, b.lo), fail: or(a.fail, b.fail)})
	case "||", "or":
		a, b := t.cond(n.Left), t.cond(n.Right)
		return boolValue(cond{hi: or(a.hi, b.hi), lo: or(a.lo, and(b.lo, not(a.fail))), fail: or(a.fail, b.fail)})
	case "==", "!=", "<", "<=", ">", ">=":
		a, b := t.value(n.Left), t.value(n.Right)
		if (n.Operator == "==" || n.Operator == "!=") && kindOf(n.Left) == reflect.Int && kindOf(n.Right) == reflect.Int &&
			(a.rt != "int" || b.rt != "int") {
			// expr compares two values the checker typed int as Go ints
			// (OpEqualInt): one of another type at run time (max(1, x)
			// of an int64 fact x) makes the condition fail.
			return boolValue(unknownCond)
		}
		return boolValue(compare(n.Operator, a, b))
	case "+", "-", "*", "/", "%":
		return arith(n.Operator, t.value(n.Left), t.value(n.Right))
	case "in":
		return t.in(n)
	case "contains", "startsWith", "endsWith":
		a, b := t.value(n.Left), t.value(n.Right)
		if a.unknown || b.unknown || a.typ != String || b.typ != String {
			return boolValue(unknownCond)
		}
		if x, ok := a.konst.(string); ok {
			if y, ok := b.konst.(string); ok {
				holds := map[string]func(string, string) bool{"contains": strings.Contains, "startsWith": strings.HasPrefix, "endsWith": strings.HasSuffix}[n.Operator](x, y)
				return constValue(holds)
			}
		}
		fn := map[string]string{"contains": "contains", "startsWith": "starts_with", "endsWith": "suffix"}[n.Operator]
		return boolValue(okCond(fn+"("+a.sql+", "+b.sql+")", and(a.ok, b.ok)))
	}
	return t.unknown(n)
}

// okCond is the condition of an SQL comparison c of values whose
// correctness is ok.
func okCond(c, ok string) cond {
	return cond{hi: or(c, not(ok)), lo: and(c, ok), fail: not(ok)}
}

// isNum reports whether v is a known number or int.
func isNum(v value) bool { return !v.unknown && (v.typ == Int || v.typ == Number) }

// asDouble is v's SQL as a DOUBLE (an int converted as Go's float64()
// converts it: to the nearest).
func asDouble(v value) string {
	if v.typ == Int {
		if k, ok := v.konst.(int64); ok {
			return floatLit(float64(k))
		}
		return "CAST(" + v.sql + " AS DOUBLE)"
	}
	return v.sql
}

// compare translates a comparison as expr's runtime does it: ints exactly,
// an int with a number as float64, texts byte by byte, bools by == and !=.
func compare(op string, a, b value) cond {
	switch {
	case a.typ == Bool && b.typ == Bool:
		if (op != "==" && op != "!=") || !a.b.isExact() || !b.b.isExact() {
			return cond{hi: sqlTrue, lo: sqlFalse, fail: or(a.b.fail, b.b.fail)}
		}
		if a.b.hi == sqlTrue || a.b.hi == sqlFalse {
			a, b = b, a
		}
		switch {
		case b.b.hi == sqlTrue && op == "==", b.b.hi == sqlFalse && op == "!=":
			return a.b
		case b.b.hi == sqlFalse && op == "==", b.b.hi == sqlTrue && op == "!=":
			return exactCond(not(a.b.hi))
		}
		sqlOp := map[string]string{"==": "=", "!=": "<>"}[op]
		return exactCond("(" + a.b.hi + " " + sqlOp + " " + b.b.hi + ")")
	case isNum(a) && isNum(b):
		return okCond(bareCompare(op, a, b), and(a.ok, b.ok))
	case a.typ == String && b.typ == String && !a.unknown && !b.unknown:
		return okCond(bareCompare(op, a, b), and(a.ok, b.ok))
	case a.typ != "" && (a.typ == b.typ || isNumType(a.typ) && isNumType(b.typ)):
		// Values of one kind (expr compares them without failing) of
		// which one is unknown.
		return cond{hi: sqlTrue, lo: sqlFalse, fail: or(failOf(a), failOf(b))}
	}
	return unknownCond
}

func isNumType(t Type) bool { return t == Int || t == Number }

var sqlOps = map[string]string{"==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}

func boolLit(b bool) string {
	if b {
		return sqlTrue
	}
	return sqlFalse
}

// compareConst compares two number constants as expr does.
func compareConst(op string, a, b any) bool {
	x, xInt := a.(int64)
	y, yInt := b.(int64)
	if xInt && yInt {
		switch {
		case x < y:
			return compareOrdered(op, -1)
		case x > y:
			return compareOrdered(op, 1)
		}
		return compareOrdered(op, 0)
	}
	f, g := constFloat(a), constFloat(b)
	switch op {
	case "==":
		return f == g
	case "!=":
		return f != g
	case "<":
		return f < g
	case "<=":
		return f <= g
	case ">":
		return f > g
	}
	return f >= g
}

func constFloat(v any) float64 {
	if k, ok := v.(int64); ok {
		return float64(k)
	}
	return v.(float64)
}

// compareOrdered is op applied to the result of a three-way comparison.
func compareOrdered(op string, c int) bool {
	switch op {
	case "==":
		return c == 0
	case "!=":
		return c != 0
	case "<":
		return c < 0
	case "<=":
		return c <= 0
	case ">":
		return c > 0
	}
	return c >= 0
}

// arith translates + - * / % as expr's runtime and the checked arithmetic
// (arith.go) do them: int + - * wrap around, % fails on a zero divisor;
// on numbers, a result that is not finite fails, as does a division by
// zero; text + text concatenates.
func arith(op string, a, b value) value {
	if a.unknown || b.unknown {
		if a.typ == Int && b.typ == Int && op != "/" && op != "%" {
			return unknownOf(Int, a, b) // int + - * wrap, never fail
		}
		return unknownValue
	}
	if op == "+" && a.typ == String && b.typ == String {
		if x, ok := a.konst.(string); ok {
			if y, ok := b.konst.(string); ok {
				return constValue(x + y)
			}
		}
		return value{typ: String, sql: "(" + a.sql + " || " + b.sql + ")", ok: and(a.ok, b.ok)}
	}
	if !isNum(a) || !isNum(b) {
		return unknownValue
	}
	if a.konst != nil && b.konst != nil {
		return constArith(op, a.konst, b.konst)
	}
	ok := and(a.ok, b.ok)
	if a.typ == Int && b.typ == Int && op != "/" {
		x, y := "CAST("+a.sql+" AS HUGEINT)", "CAST("+b.sql+" AS HUGEINT)"
		if op == "%" {
			// Go's % truncates, as DuckDB's does; the divisor is never 0
			// in the SQL (the rule fails there: ok is false).
			nonzero := nonZero(b, b.sql)
			return value{typ: Int, sql: wrapInt("(" + x + " % (CASE WHEN " + nonzero + " THEN " + y + " ELSE CAST(1 AS HUGEINT) END))"),
				ok: and(ok, nonzero), rt: "int"}
		}
		return value{typ: Int, sql: wrapInt("(" + x + " " + op + " " + y + ")"), ok: ok, rt: "int"}
	}
	if op == "%" {
		return unknownValue // expr refuses % on numbers
	}
	x, y := asDouble(a), asDouble(b)
	var r string
	if op == "/" {
		nonzero := nonZero(b, y)
		r = "(" + x + " / (CASE WHEN " + nonzero + " THEN " + y + " ELSE CAST(1 AS DOUBLE) END))"
		ok = and(ok, nonzero)
	} else {
		r = "(" + x + " " + op + " " + y + ")"
	}
	// Where ok holds both operands are finite (expr fails on a value that
	// is not); a product by a constant of magnitude at most 1 is then
	// finite too.
	if op == "*" && (small(a) || small(b)) {
		return value{typ: Number, sql: r, ok: ok, rt: "float64"}
	}
	return value{typ: Number, sql: r, ok: and(ok, "isfinite("+r+")"), rt: "float64"}
}

// nonZero is the SQL condition that divisor v, written sql, is not 0.
func nonZero(v value, sql string) string {
	if v.konst != nil {
		return boolLit(constFloat(v.konst) != 0)
	}
	return "(" + sql + " <> 0)"
}

// small reports whether v is a constant of magnitude at most 1.
func small(v value) bool {
	return v.konst != nil && isNum(v) && math.Abs(constFloat(v.konst)) <= 1
}

// constArith computes an operation on two number constants; a failure
// (an operation the rule fails on for everybody) is unknown.
func constArith(op string, a, b any) value {
	x, xInt := a.(int64)
	y, yInt := b.(int64)
	if xInt && yInt && op != "/" {
		switch op {
		case "+":
			return withRT(constValue(x+y), "int")
		case "-":
			return withRT(constValue(x-y), "int")
		case "*":
			return withRT(constValue(x*y), "int")
		case "%":
			if y == 0 {
				return unknownValue
			}
			return withRT(constValue(x%y), "int")
		}
	}
	if op == "%" {
		return unknownValue
	}
	f, g := constFloat(a), constFloat(b)
	var r float64
	switch op {
	case "+":
		r = f + g
	case "-":
		r = f - g
	case "*":
		r = f * g
	case "/":
		if g == 0 {
			return unknownValue
		}
		r = f / g
	}
	return constValue(r) // unknown when not finite
}

// in translates `x in [a, b, ...]` (expr evaluates every element, then
// compares with == each in turn) and `x in a..b` on numbers (intIn
// rewrites those on an int fact with literal bounds into comparisons
// before this).
func (t *translator) in(n *ast.BinaryNode) value {
	needle := t.value(n.Left)
	switch r := n.Right.(type) {
	case *ast.ArrayNode:
		if kindOf(n.Left) == reflect.Int && needle.rt != "int" && len(r.Nodes) > 0 &&
			!slices.ContainsFunc(r.Nodes, func(e ast.Node) bool { _, ok := e.(*ast.IntegerNode); return !ok }) {
			// expr looks a needle typed int up in a map of the ints
			// (its optimizer's inArray): one of another type at run time
			// makes the condition fail.
			return boolValue(unknownCond)
		}
		if needle.typ == Bool {
			c := sqlFalse
			for _, e := range r.Nodes {
				v := t.value(e)
				if v.typ != Bool || !needle.b.isExact() || !v.b.isExact() {
					return boolValue(unknownCond)
				}
				c = or(c, compare("==", needle, v).hi)
			}
			return boolValue(exactCond(c))
		}
		c, ok := sqlFalse, needle.ok
		for _, e := range r.Nodes {
			v := t.value(e)
			if !comparable(needle, v) {
				return boolValue(unknownCond)
			}
			c = or(c, bareCompare("==", needle, v))
			ok = and(ok, v.ok)
		}
		return boolValue(okCond(c, ok))
	case *ast.BinaryNode:
		if r.Operator != ".." || !isNum(needle) {
			break
		}
		from, to := t.value(r.Left), t.value(r.Right)
		if from.typ != Int || to.typ != Int || from.unknown || to.unknown {
			break
		}
		c := and(bareCompare(">=", needle, from), bareCompare("<=", needle, to))
		ok := and(needle.ok, and(from.ok, to.ok))
		if needle.typ == Int {
			return boolValue(okCond(c, ok))
		}
		// A number is in the range only if it is also whole: an
		// over-approximation is enough.
		return boolValue(cond{hi: or(c, not(ok)), lo: sqlFalse, fail: not(ok)})
	}
	return boolValue(unknownCond)
}

// comparable reports whether expr's == on a and b is a comparison the
// translation knows: numbers with numbers, texts with texts.
func comparable(a, b value) bool {
	if a.unknown || b.unknown {
		return false
	}
	return isNum(a) && isNum(b) || a.typ == String && b.typ == String
}

// bareCompare is the SQL of a op b on known numbers or texts, without
// their oks.
func bareCompare(op string, a, b value) string {
	if a.konst != nil && b.konst != nil {
		if isNum(a) {
			return boolLit(compareConst(op, a.konst, b.konst))
		}
		return boolLit(compareOrdered(op, strings.Compare(a.konst.(string), b.konst.(string))))
	}
	x, y := a.sql, b.sql
	if a.typ != b.typ {
		x, y = asDouble(a), asDouble(b)
	}
	return "(" + x + " " + sqlOps[op] + " " + y + ")"
}

// conditional translates c ? a : b (and if/else).
func (t *translator) conditional(n *ast.ConditionalNode) value {
	c := t.cond(n.Cond)
	a, b := t.value(n.Exp1), t.value(n.Exp2)
	if a.typ == Bool && b.typ == Bool {
		x, y := a.b, b.b
		return boolValue(cond{
			hi:   or(c.fail, or(and(c.hi, x.hi), and(not(c.lo), y.hi))),
			lo:   or(and(c.lo, x.lo), and(not(c.hi), y.lo)),
			fail: or(c.fail, or(x.fail, y.fail)),
		})
	}
	if !c.isExact() || a.unknown || b.unknown || a.typ != b.typ || a.typ == Bool {
		return t.unknown(n)
	}
	v := value{typ: a.typ, sql: "(CASE WHEN " + c.hi + " THEN " + a.sql + " ELSE " + b.sql + " END)",
		ok: or(and(c.hi, a.ok), and(not(c.hi), b.ok))}
	if a.rt == b.rt {
		v.rt = a.rt
	}
	return v
}

// builtin translates min and max of numbers of one type (least and
// greatest); any other builtin is unknown.
func (t *translator) builtin(n *ast.BuiltinNode) value {
	if (n.Name != "min" && n.Name != "max") || len(n.Arguments) == 0 {
		return t.unknown(n)
	}
	var args []value
	konst := true
	for _, a := range n.Arguments {
		v := t.value(a)
		if !isNum(v) {
			return t.unknown(n)
		}
		konst = konst && v.konst != nil
		args = append(args, v)
	}
	if konst {
		// expr keeps the first of the smallest (largest), with its type.
		best := args[0]
		for _, v := range args[1:] {
			op := ">"
			if n.Name == "max" {
				op = "<"
			}
			if compareConst(op, best.konst, v.konst) {
				best = v
			}
		}
		return best
	}
	typ := args[0].typ
	var sqls []string
	ok := sqlTrue
	for _, v := range args {
		if v.typ != typ {
			return t.unknown(n) // the result's type would depend on the row
		}
		sqls = append(sqls, v.sql)
		ok = and(ok, v.ok)
	}
	fn := map[string]string{"min": "least", "max": "greatest"}[n.Name]
	v := value{typ: typ, sql: fn + "(" + strings.Join(sqls, ", ") + ")", ok: ok, rt: args[0].rt}
	for _, a := range args {
		if a.rt != v.rt {
			v.rt = ""
		}
	}
	return v
}

// and, or and not build SQL booleans, folding TRUE and FALSE.
func and(a, b string) string {
	switch {
	case a == sqlFalse || b == sqlFalse:
		return sqlFalse
	case a == sqlTrue:
		return b
	case b == sqlTrue || a == b:
		return a
	}
	return "(" + a + " AND " + b + ")"
}

func or(a, b string) string {
	switch {
	case a == sqlTrue || b == sqlTrue:
		return sqlTrue
	case a == sqlFalse:
		return b
	case b == sqlFalse || a == b:
		return a
	}
	return "(" + a + " OR " + b + ")"
}

func not(a string) string {
	switch a {
	case sqlTrue:
		return sqlFalse
	case sqlFalse:
		return sqlTrue
	}
	return "(NOT " + a + ")"
}
