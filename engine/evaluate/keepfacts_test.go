package evaluate

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestKeptFactsFollowTheDate: the facts an incremental night keeps for
// the next equal those a full evaluation keeps on the same day. Three
// people's claims meet the medical window's edge on the second night: A's
// old claim leaves it (A keeps a newer one: her sums change), B's only
// claim leaves it (B has no medical row any more), and C's reaches the
// edge's margin a day early (C is reached, and her facts stay as they
// were).
func TestKeptFactsFollowTheDate(t *testing.T) {
	ctx := context.Background()
	st, ids := evalStore(t)
	d0 := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	d1 := d0.AddDate(0, 0, 1)
	a, b, c := ids[0], ids[1], ids[2]
	for i, cl := range []struct {
		id     string
		settle time.Time
		oop    int
	}{
		{a, d1.AddDate(-1, 0, 0), 700}, // in the window on d0 alone
		{b, d1.AddDate(-1, 0, 0), 300}, // B's only claim: in the window on d0 alone
		{c, d1.AddDate(-1, 0, 1), 100}, // in the window on both nights, at the edge's margin
	} {
		q := fmt.Sprintf(`INSERT INTO medical (claim_id, id_number, settle_date, total_cost, out_of_pocket, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES ('k%d', '%s', DATE '%s', %d, %d, 'k%d', 'test', 1, now(), 'test.csv', %d)`,
			i, cl.id, cl.settle.Format(time.DateOnly), 2*cl.oop, cl.oop, i, i+2)
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	pack := packWith(t, "", "", "")
	if _, err := (&Evaluator{Store: st, Pack: pack}).Evaluate(ctx, d0, false); err != nil {
		t.Fatal(err)
	}
	kept := func() map[string][]string {
		t.Helper()
		out := map[string][]string{}
		for _, g := range pack.Groups {
			rows, err := st.DB().QueryContext(ctx, `SELECT * FROM `+priorTable(g)+` ORDER BY ALL`)
			if err != nil {
				t.Fatal(err)
			}
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				if err := rows.Scan(ptrs...); err != nil {
					t.Fatal(err)
				}
				out[g.Name] = append(out[g.Name], fmt.Sprint(vals...))
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	medicalRow := func(k map[string][]string, id string) string {
		for _, r := range k["medical"] {
			if strings.HasPrefix(r, id) {
				return r
			}
		}
		return ""
	}
	before := kept()
	for _, id := range []string{a, b, c} {
		if medicalRow(before, id) == "" {
			t.Fatalf("no medical facts kept for %s on %s: %v", id, d0.Format(time.DateOnly), before["medical"])
		}
	}

	prior, err := st.LoadPrior(ctx)
	if err != nil || prior == nil {
		t.Fatalf("prior: %v, %v", prior, err)
	}
	res, err := (&Evaluator{Store: st, Pack: pack, Prior: prior}).Evaluate(ctx, d1, false)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Incremental {
		t.Fatalf("not incremental: %s", res.FullWhy)
	}
	after := kept()
	switch {
	case medicalRow(after, a) == "" || medicalRow(after, a) == medicalRow(before, a):
		t.Errorf("A's medical facts were not written again: %q, before %q", medicalRow(after, a), medicalRow(before, a))
	case medicalRow(after, b) != "":
		t.Errorf("B's claims all left the window and B still has medical facts: %q", medicalRow(after, b))
	case medicalRow(after, c) != medicalRow(before, c):
		t.Errorf("C's medical facts changed: %q, before %q", medicalRow(after, c), medicalRow(before, c))
	}

	if _, err := (&Evaluator{Store: st, Pack: pack, Full: true}).Evaluate(ctx, d1, false); err != nil {
		t.Fatal(err)
	}
	full := kept()
	for _, g := range pack.Groups {
		if !slices.Equal(after[g.Name], full[g.Name]) {
			t.Errorf("group %s: the incremental night kept\n%v\na full evaluation keeps\n%v", g.Name, after[g.Name], full[g.Name])
		}
	}
}
