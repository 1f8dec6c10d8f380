package evaluate

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// TestKeptFactsFollowTheDate: the facts an incremental night keeps for
// the next, read as of that day, equal those a full evaluation keeps on
// the same day. Three
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
	// kept reads the kept facts as of on: a count of days moved to that
	// day (countShift), as the next night reads them.
	kept := func(on time.Time) map[string][]string {
		t.Helper()
		out := map[string][]string{}
		for _, g := range pack.Groups {
			sel := `*`
			if shift := countShift(g, on); shift != "" {
				sel = shift
			}
			rows, err := st.DB().QueryContext(ctx, `SELECT `+sel+` FROM `+priorTable(g)+` ORDER BY ALL`)
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
	before := kept(d0)
	for _, id := range []string{a, b, c} {
		if medicalRow(before, id) == "" {
			t.Fatalf("no medical facts kept for %s on %s: %v", id, d0.Format(time.DateOnly), before["medical"])
		}
	}

	incrementalNight(t, st, pack, d1)
	after := kept(d1)
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
	full := kept(d1)
	for _, g := range pack.Groups {
		if !slices.Equal(after[g.Name], full[g.Name]) {
			t.Errorf("group %s: the incremental night kept\n%v\na full evaluation keeps\n%v", g.Name, after[g.Name], full[g.Name])
		}
	}
}

// TestCountsMoveWithTheDate: a field that counts days (counts: days, the
// default pack's disability.days_since_issued and
// employment.days_since_registered) is moved by the days the date moved
// on an incremental night, where no edge reached its key: the kept row is
// not written again (it keeps its date), and read as of the night it
// gives the count a full evaluation gives, over a night and over a jump
// of two days. A certificate dated ahead is reached by the group's edge
// on its day; a count that is NULL (never registered unemployed: the
// default) stays NULL.
func TestCountsMoveWithTheDate(t *testing.T) {
	ctx := context.Background()
	st, ids := evalStore(t)
	d0 := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	day := func(d time.Time) string { return d.Format(time.DateOnly) }
	a, b, c, d := ids[0], ids[1], ids[2], ids[3]
	name := map[string]string{a: "A", b: "B", c: "C", d: "D"}
	for i, q := range []string{
		fmt.Sprintf(`INSERT INTO disability (id_number, cert_number, category, level, issued_date, status, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES ('%s', 'c1', '1', '1', DATE '%s', 'valid', 'c1', 'test', 1, now(), 'disability.xlsx', 1)`, a, day(d0.AddDate(0, 0, -10))),
		fmt.Sprintf(`INSERT INTO disability (id_number, cert_number, category, level, issued_date, status, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES ('%s', 'c2', '1', '2', DATE '%s', 'valid', 'c2', 'test', 1, now(), 'disability.xlsx', 2)`, b, day(d0.AddDate(0, 0, 2))),
		fmt.Sprintf(`INSERT INTO employment (id_number, event, event_date, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES ('%s', 'unemployed', DATE '%s', 'e1', 'test', 1, now(), 'employment.csv', 1)`, c, day(d0.AddDate(0, 0, -100))),
		fmt.Sprintf(`INSERT INTO employment (id_number, event, event_date, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES ('%s', 'employed', DATE '%s', 'e2', 'test', 1, now(), 'employment.csv', 2)`, d, day(d0.AddDate(0, 0, -50))),
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	pack := packWith(t, "", "", "")
	groups := map[string]bool{}
	for _, g := range pack.Groups {
		if len(g.Counting()) > 0 {
			groups[g.Name] = true
		}
	}
	if !groups["disability"] || !groups["employment"] {
		t.Fatalf("groups that count days: %v, want disability and employment", groups)
	}
	// kept reads a group's kept row of id: its count and the row's date,
	// and the count as of on (countShift); "" when it has no row.
	type row struct{ raw, asOf, on string }
	kept := func(group, field, id string, on time.Time) row {
		t.Helper()
		var g0 *rule.Group
		for _, g := range pack.Groups {
			if g.Name == group {
				g0 = g
			}
		}
		var r row
		var raw, moved sql.NullInt64
		var asOf time.Time
		err := st.DB().QueryRowContext(ctx, `SELECT p."`+field+`", p._as_of, s."`+field+`" FROM `+priorTable(g0)+` p,
			(SELECT `+countShift(g0, on)+` FROM `+priorTable(g0)+`) s WHERE p.id_number = $1 AND s.id_number = $1`, id).Scan(&raw, &asOf, &moved)
		if errors.Is(err, sql.ErrNoRows) {
			return r
		}
		if err != nil {
			t.Fatal(err)
		}
		show := func(v sql.NullInt64) string {
			if !v.Valid {
				return "NULL"
			}
			return fmt.Sprint(v.Int64)
		}
		return row{show(raw), day(asOf), show(moved)}
	}
	night := func(on time.Time) { t.Helper(); incrementalNight(t, st, pack, on) }
	if _, err := (&Evaluator{Store: st, Pack: pack}).Evaluate(ctx, d0, false); err != nil {
		t.Fatal(err)
	}
	d1, d3 := d0.AddDate(0, 0, 1), d0.AddDate(0, 0, 3)
	night(d1)
	for _, tc := range []struct {
		group, field, id string
		want             row
	}{
		{"disability", "days_since_issued", a, row{"10", day(d0), "11"}},       // moved, not written again
		{"disability", "days_since_issued", b, row{}},                          // dated ahead: no certificate yet
		{"employment", "days_since_registered", c, row{"100", day(d0), "101"}}, // moved
		{"employment", "days_since_registered", d, row{"NULL", day(d0), "NULL"}},
	} {
		if got := kept(tc.group, tc.field, tc.id, d1); got != tc.want {
			t.Errorf("%s: %s.%s of %s kept as %+v, want %+v", day(d1), tc.group, tc.field, name[tc.id], got, tc.want)
		}
	}
	night(d3) // a jump of two days, across the certificate dated ahead
	want3 := map[string]row{
		a: {"10", day(d0), "13"},
		b: {"1", day(d3), "1"}, // reached by disability.issued_date on its day, computed
		c: {"100", day(d0), "103"},
	}
	for id, w := range want3 {
		group, field := "disability", "days_since_issued"
		if id == c {
			group, field = "employment", "days_since_registered"
		}
		if got := kept(group, field, id, d3); got != w {
			t.Errorf("%s: %s.%s of %s kept as %+v, want %+v", day(d3), group, field, name[id], got, w)
		}
	}
	// The same counts as a full evaluation of that day keeps.
	if _, err := (&Evaluator{Store: st, Pack: pack, Full: true}).Evaluate(ctx, d3, false); err != nil {
		t.Fatal(err)
	}
	for id, w := range want3 {
		group, field := "disability", "days_since_issued"
		if id == c {
			group, field = "employment", "days_since_registered"
		}
		if got := kept(group, field, id, d3); got.on != w.on || got.asOf != day(d3) {
			t.Errorf("full evaluation of %s: %s.%s of %s kept as %+v, want %s as of that day", day(d3), group, field, name[id], got, w.on)
		}
	}
}

// incrementalNight evaluates pack on day after the store's kept
// evaluation, writing, and fails the test unless the night was
// incremental.
func incrementalNight(t *testing.T, st *store.Store, pack *rule.Pack, day time.Time) *Result {
	t.Helper()
	ctx := context.Background()
	prior, err := st.LoadPrior(ctx)
	if err != nil || prior == nil {
		t.Fatalf("prior: %v, %v", prior, err)
	}
	res, err := (&Evaluator{Store: st, Pack: pack, Prior: prior}).Evaluate(ctx, day, false)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Incremental {
		t.Fatalf("%s: not incremental: %s", day.Format(time.DateOnly), res.FullWhy)
	}
	return res
}
