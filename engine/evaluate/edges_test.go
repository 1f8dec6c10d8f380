package evaluate

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/rule"
)

// TestMonthEdgesReachTheirDay: an edge counted in months reaches a row on
// the nights around the day it names, with a margin for < against <= and,
// on a date column, three days more for the month's end (31 January + 1
// month is 28 February). A month column holds first days, which month
// arithmetic never clamps: a contribution month of December 2025 passes
// its 12 months on 1 December 2026 and is reached on four nights, from
// the eve to the 3rd; a claim settled on 30 November 2025 passes its
// window on 30 November 2026 and is reached on six.
func TestMonthEdgesReachTheirDay(t *testing.T) {
	ctx := context.Background()
	st, ids := evalStore(t)
	for _, q := range []string{
		`INSERT INTO contributions (id_number, scheme, month, base_monthly, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES ('` + ids[0] + `', 'employee_pension', DATE '2025-12-01', 5000, 'k1', 'test', 1, now(), 'c.csv', 1)`,
		`INSERT INTO medical (claim_id, id_number, settle_date, total_cost, out_of_pocket, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES ('m1', '` + ids[1] + `', DATE '2025-11-30', 2, 1, 'm1', 'test', 1, now(), 'm.csv', 1)`,
	} {
		if _, err := st.DB().ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	pack := packWith(t, "", "", "")
	edge := func(group, text string) rule.Edge {
		for _, g := range pack.Groups {
			for _, e := range g.ChangesOn {
				if g.Name == group && e.Text == text {
					return e
				}
			}
		}
		t.Fatalf("no edge %s in group %s", text, group)
		return rule.Edge{}
	}
	for _, c := range []struct {
		edge rule.Edge
		id   string
		want []string
	}{
		{edge("contributions", "contributions.month + 12 months"), ids[0], []string{"11-30", "12-01", "12-02", "12-03"}},
		{edge("medical", "medical.settle_date + param(medical_window_months) months"), ids[1], []string{"11-29", "11-30", "12-01", "12-02", "12-03", "12-04"}},
	} {
		var got []string
		for day := time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC); day.Before(time.Date(2026, 12, 9, 0, 0, 0, 0, time.UTC)); day = day.AddDate(0, 0, 1) {
			q, err := edgeQuery(pack, c.edge, day.AddDate(0, 0, -1), day)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM (`+q+`) WHERE p = ?`, c.id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				got = append(got, day.Format("01-02"))
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("%s reaches its row on the nights %v, want %v", c.edge.Text, got, c.want)
		}
	}
}
