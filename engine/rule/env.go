package rule

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/expr-lang/expr/vm"
)

// Env is one evaluation's inputs: the params at a date and the facts of
// one person and their household. Make one per worker with NewEnv and
// reuse it: Reset, Set the next person's facts, evaluate. An Env is not
// safe for concurrent use.
type Env struct {
	pack     *Pack
	asOf     time.Time
	val      reflect.Value   // the env struct, addressable
	fields   []reflect.Value // each fact's field in val, by index
	defaults reflect.Value   // the env struct with defaults and params, to reset from
	missing  []error         // per param: why it has no value at asOf, or nil
	boxed    any             // a copy of val as expr reads it; nil after a Set
	vm       vm.VM
	// bad marks the facts set to NaN or ±Inf (badVal holds which), nbad
	// counts them: a rule reading one cannot be evaluated.
	bad    []bool
	badVal []float64
	nbad   int
}

// NewEnv returns an env with params at their values on asOf (its calendar
// date) and every fact at its default. It fails if a param has no value on
// that date.
func (p *Pack) NewEnv(asOf time.Time) (*Env, error) {
	e := p.newEnv(asOf)
	if err := errors.Join(e.missing...); err != nil {
		return nil, err
	}
	return e, nil
}

// newEnv is NewEnv that leaves params without a value at zero, recorded in
// missing, so that only rules reading them fail (tests use it).
func (p *Pack) newEnv(asOf time.Time) *Env {
	e := &Env{pack: p, asOf: civil(asOf), missing: make([]error, len(p.paramList))}
	e.defaults = reflect.New(p.envType).Elem()
	for i, fd := range p.fields {
		e.field(e.defaults, i).Set(reflect.ValueOf(fd.Default))
	}
	ps := e.defaults.Field(p.paramsAt)
	for i, prm := range p.paramList {
		v, err := prm.At(asOf)
		if err != nil {
			e.missing[i] = err
			continue
		}
		ps.Field(i).Set(reflect.ValueOf(v))
	}
	e.val = reflect.New(p.envType).Elem()
	e.val.Set(e.defaults)
	e.bad, e.badVal = make([]bool, len(p.fields)), make([]float64, len(p.fields))
	e.fields = make([]reflect.Value, len(p.fields))
	for i := range p.fields {
		e.fields[i] = e.field(e.val, i)
	}
	return e
}

func (e *Env) field(v reflect.Value, i int) reflect.Value {
	at := e.pack.fieldPath[i]
	return v.Field(at[0]).Field(at[1])
}

// AsOf is the date the env's params were taken at.
func (e *Env) AsOf() time.Time { return e.asOf }

// Reset puts every fact back to its default.
func (e *Env) Reset() {
	e.val.Set(e.defaults)
	e.boxed = nil
	if e.nbad > 0 {
		clear(e.bad)
		e.nbad = 0
	}
}

// flag records whether fact i holds NaN or ±Inf.
func (e *Env) flag(i int, bad bool, x float64) {
	if bad != e.bad[i] {
		e.bad[i] = bad
		if bad {
			e.nbad++
		} else {
			e.nbad--
		}
	}
	if bad {
		e.badVal[i] = x
	}
}

// Set sets fact group.field to v, converted to the fact's type (see
// SetIndex).
func (e *Env) Set(group, field string, v any) error {
	i, ok := e.pack.FieldIndex(group, field)
	if !ok {
		if group == paramsName {
			return fmt.Errorf("params cannot be set: they take their values on the env's date")
		}
		return fmt.Errorf("unknown fact %s.%s", group, field)
	}
	return e.SetIndex(i, v)
}

// SetIndex sets the fact at index i of Pack.Fields to v. Numbers of any
// Go kind are converted to the fact's type (an int fact takes a float only
// if it is whole), as are decimal strings, *big.Int and values with a
// Float64 method (DuckDB decimals); nil (SQL NULL) sets the default. Any
// other kind is an error and leaves the fact unchanged.
//
// A number that is NaN or ±Inf (a facts query can give them for doubles)
// is not an error here: the fact is marked, and every rule that reads it
// fails for this person with an *EvalError of kind BadFact, never a hit;
// rules that do not read it are evaluated as usual. (A number fact keeps
// the value, for explaining; an int fact its default.)
func (e *Env) SetIndex(i int, v any) error {
	if i < 0 || i >= len(e.fields) {
		return fmt.Errorf("fact index %d out of range", i)
	}
	fd := &e.pack.fields[i]
	f := e.fields[i]
	e.boxed = nil
	if v == nil {
		f.Set(e.field(e.defaults, i))
		if e.nbad > 0 {
			e.flag(i, false, 0)
		}
		return nil
	}
	switch fd.Type {
	case Number:
		if x, ok := v.(float64); ok {
			f.SetFloat(x)
			if !finite(x) || e.nbad > 0 {
				e.flag(i, !finite(x), x)
			}
			return nil
		}
	case Int:
		switch x := v.(type) {
		case int64:
			f.SetInt(x)
			if e.nbad > 0 {
				e.flag(i, false, 0)
			}
			return nil
		case int32:
			f.SetInt(int64(x))
			if e.nbad > 0 {
				e.flag(i, false, 0)
			}
			return nil
		}
	case Bool:
		if x, ok := v.(bool); ok {
			f.SetBool(x)
			return nil
		}
	case String:
		if x, ok := v.(string); ok {
			f.SetString(x)
			return nil
		}
	}
	if isNumeric(fd.Type) {
		if x, ok := toFloat(v); ok && !finite(x) {
			if fd.Type == Number {
				f.SetFloat(x)
			} else {
				f.Set(e.field(e.defaults, i))
			}
			e.flag(i, true, x)
			return nil
		}
	}
	x, err := convert(v, fd.Type)
	if err != nil {
		return fmt.Errorf("%s.%s: %w", fd.Group, fd.Name, err)
	}
	f.Set(reflect.ValueOf(x))
	if e.nbad > 0 {
		e.flag(i, false, 0)
	}
	return nil
}

// Get returns the value of fact group.field, or of params.NAME.
func (e *Env) Get(group, field string) (any, error) {
	if group == paramsName {
		prm, ok := e.pack.Params[field]
		if !ok {
			return nil, fmt.Errorf("unknown param %s", field)
		}
		if err := e.missing[prm.index]; err != nil {
			return nil, err
		}
		return e.val.Field(e.pack.paramsAt).Field(prm.index).Interface(), nil
	}
	i, ok := e.pack.FieldIndex(group, field)
	if !ok {
		return nil, fmt.Errorf("unknown fact %s.%s", group, field)
	}
	return e.fields[i].Interface(), nil
}

// Value returns the fact at index i of Pack.Fields.
func (e *Env) Value(i int) any { return e.fields[i].Interface() }

// env is the value expr runs on: a copy of the env struct, made once
// after the facts change. expr reads fields of a struct it holds by value
// without allocating, and of one behind a pointer with an allocation each.
func (e *Env) env() any {
	if e.boxed == nil {
		e.boxed = e.val.Interface()
	}
	return e.boxed
}

// convert converts v to a value of type t: float64, int64, bool or string.
func convert(v any, t Type) (any, error) {
	switch t {
	case Number:
		if x, ok := toFloat(v); ok {
			return x, nil
		}
	case Int:
		switch rv := reflect.ValueOf(v); rv.Kind() {
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			return rv.Int(), nil
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			if rv.Uint() > math.MaxInt64 {
				return nil, fmt.Errorf("want int, got %d (too large)", rv.Uint())
			}
			return int64(rv.Uint()), nil
		}
		if b, ok := v.(*big.Int); ok {
			if !b.IsInt64() {
				return nil, fmt.Errorf("want int, got %s (too large)", b)
			}
			return b.Int64(), nil
		}
		if s, ok := v.(string); ok {
			if i, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
				return i, nil
			}
		}
		if x, ok := toFloat(v); ok {
			if x != math.Trunc(x) || math.Abs(x) > 1<<53 {
				return nil, fmt.Errorf("want int, got %v (not a whole number)", v)
			}
			return int64(x), nil
		}
	case Bool:
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case String:
		if x, ok := v.(string); ok {
			return x, nil
		}
	}
	if s, ok := v.(string); ok {
		return nil, fmt.Errorf("want %s, got text %q", t, s)
	}
	return nil, fmt.Errorf("want %s, got %T %v", t, v, v)
}

// toFloat reads any kind of number, or a decimal string, as a float64.
func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int:
		return float64(x), true
	case int8:
		return float64(x), true
	case int16:
		return float64(x), true
	case int32:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint:
		return float64(x), true
	case uint8:
		return float64(x), true
	case uint16:
		return float64(x), true
	case uint32:
		return float64(x), true
	case uint64:
		return float64(x), true
	case *big.Int:
		f, _ := new(big.Float).SetInt(x).Float64()
		return f, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(x), 64)
		return f, err == nil && !math.IsNaN(f) && !math.IsInf(f, 0)
	case interface{ Float64() float64 }:
		return x.Float64(), true
	case interface{ Float64() (float64, error) }:
		f, err := x.Float64()
		return f, err == nil
	}
	switch rv := reflect.ValueOf(v); rv.Kind() { // named number types
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), true
	case reflect.Float32, reflect.Float64:
		return rv.Float(), true
	}
	return 0, false
}
