package evaluate

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/rule"
)

// FactValue is one fact of an explained person.
type FactValue struct {
	Name    string // group.field
	Scope   string // person | household
	Value   any
	Default bool // no row for this person or household: the field's default
	Doc     string
}

// Verdict is one rule's decision for an explained person.
type Verdict struct {
	Rule   *rule.Rule
	Hit    bool
	Reason string // the rule's reason text when it hits
	Err    error
	// Conditions are the parts of the rule's condition (split at its
	// top-level &&) and whether each held: why the rule missed.
	Conditions []rule.Condition
}

// Explanation is everything `lipwatch rules explain` shows.
type Explanation struct {
	IDNumber string
	AsOf     time.Time
	Found    bool // the person appears in some dataset
	Facts    []FactValue
	Verdicts []Verdict
}

// Explain computes every fact of one person (and their household) at day
// and each rule's verdict, enabled or not.
func (e *Evaluator) Explain(ctx context.Context, day time.Time, number string) (*Explanation, error) {
	canon, err := idnum.Parse(number)
	if err != nil {
		return nil, err
	}
	id := string(canon)
	conn, err := e.Store.DB().Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	undo, err := resolvedOnly(ctx, conn)
	if err != nil {
		return nil, err
	}
	defer undo()
	failed, err := factTables(ctx, conn, e.Pack, day)
	if err != nil {
		return nil, err
	}
	if len(failed) > 0 { // explain shows every fact: one it cannot compute is an error here
		var errs []error
		for _, g := range e.Pack.Groups {
			errs = append(errs, failed[g.Name])
		}
		return nil, errors.Join(errs...)
	}
	env, err := e.Pack.NewEnv(day)
	if err != nil {
		return nil, err
	}
	q, fields := wideQuery(e.Pack)
	q = `SELECT * FROM (` + q + `) WHERE id_number = '` + id + `'`
	ex := &Explanation{IDNumber: id, AsOf: day}
	err = eachPerson(ctx, conn, q, fields, env, func(_ string, vals []any) error {
		ex.Found = true
		for i, f := range fields {
			v, def := vals[i], vals[i] == nil
			if def {
				v = f.Default
			}
			scope := "person"
			for _, g := range e.Pack.Groups {
				if g.Name == f.Group {
					scope = g.Scope
				}
			}
			ex.Facts = append(ex.Facts, FactValue{Name: f.Group + "." + f.Name, Scope: scope, Value: v, Default: def, Doc: f.Doc})
		}
		for _, r := range e.Pack.Rules {
			x := r.Explain(env)
			ex.Verdicts = append(ex.Verdicts, Verdict{Rule: r, Hit: x.Hit, Reason: x.Reason, Err: x.Err, Conditions: x.Conditions})
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	return ex, nil
}
