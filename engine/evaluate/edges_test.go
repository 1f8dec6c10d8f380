package evaluate

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
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

// TestYearlyEdgesReachTheirDay: a birthday reaches its person on the
// nights around it with the day's margin alone — four nights, where the
// three days more that a month's end needs gave six. Someone born on 29
// February is reached on the 28th and the 1st of March in a year without
// one (the group decides on which their age goes up), and on the 29th in
// a leap year.
func TestYearlyEdgesReachTheirDay(t *testing.T) {
	ctx := context.Background()
	st, _ := evalStore(t)
	for i, born := range []string{"1990-12-02", "2000-02-29", "1985-01-01"} {
		if _, err := st.DB().ExecContext(ctx, `INSERT INTO registry (id_number, name, household_id, township_code, birth_date, status,
			_key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES (?, '丙', 'H9', '340799001', ?::DATE, 'active', ?, 'registry', 1, now(), 'registry.csv', ?)`,
			"born-"+born, born, "b"+born, 10+i); err != nil {
			t.Fatal(err)
		}
	}
	pack := packWith(t, "", "", "")
	var edge rule.Edge
	for _, g := range pack.Groups {
		for _, e := range g.ChangesOn {
			if g.Name == rule.ScopePerson && e.Text == "registry.birth_date yearly" {
				edge = e
			}
		}
	}
	if edge.Text == "" {
		t.Fatal("the person group has no edge registry.birth_date yearly")
	}
	nights := func(id string, from, to time.Time) []string {
		t.Helper()
		var got []string
		for day := from; !day.After(to); day = day.AddDate(0, 0, 1) {
			q, err := edgeQuery(pack, edge, day.AddDate(0, 0, -1), day)
			if err != nil {
				t.Fatal(err)
			}
			var n int
			if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM (`+q+`) WHERE p = ?`, id).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n > 0 {
				got = append(got, day.Format("01-02"))
			}
		}
		return got
	}
	date := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }
	for _, c := range []struct {
		id       string
		from, to time.Time
		want     []string
	}{
		{"born-1990-12-02", date(2026, 11, 25), date(2026, 12, 9), []string{"12-01", "12-02", "12-03", "12-04"}},
		{"born-2000-02-29", date(2027, 2, 20), date(2027, 3, 8), []string{"02-28", "03-01", "03-02"}},
		{"born-2000-02-29", date(2028, 2, 20), date(2028, 3, 8), []string{"02-28", "02-29", "03-01", "03-02"}},
		{"born-1985-01-01", date(2026, 12, 26), date(2027, 1, 8), []string{"12-31", "01-01", "01-02", "01-03"}},
	} {
		if got := nights(c.id, c.from, c.to); !slices.Equal(got, c.want) {
			t.Errorf("%s: reached on the nights %v from %s, want %v", c.id, got, c.from.Format(time.DateOnly), c.want)
		}
	}
	// A night after several days reaches every birthday between.
	q, err := edgeQuery(pack, edge, date(2027, 2, 25), date(2027, 3, 3))
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := st.DB().QueryRowContext(ctx, `SELECT count(*) FROM (`+q+`) WHERE p = 'born-2000-02-29'`).Scan(&n); err != nil || n != 1 {
		t.Errorf("the night of 03-03 after 02-25 reaches 29 February's birthday %d times (%v), want once", n, err)
	}
}

// TestMovedBetween: movedBetween's condition on a column holds for every
// date whose moved date (x + n units, DuckDB's month arithmetic, which
// clamps at a month's end) lies between lo and hi, and for at most a day
// more — over every date of four years, for spans ending on every day of
// 2024 and 2025 (a leap year's February included), for offsets of days,
// months and years either way.
func TestMovedBetween(t *testing.T) {
	ctx := context.Background()
	st, _ := evalStore(t)
	db := st.DB()
	if _, err := db.ExecContext(ctx, `CREATE TEMP TABLE xs AS SELECT range::DATE AS x FROM range(DATE '2021-06-01', DATE '2027-06-01', INTERVAL 1 DAY)`); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		n    int
		unit string
	}{{12, "month"}, {1, "month"}, {3, "month"}, {-1, "month"}, {1, "year"}, {-2, "year"}, {30, "day"}, {-7, "day"}} {
		var missed, extra int
		var example string
		for hi := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC); hi.Year() < 2026; hi = hi.AddDate(0, 0, 1) {
			lo := hi.AddDate(0, 0, -4)
			moved := fmt.Sprintf(`(x + INTERVAL (%d) %s) BETWEEN DATE '%s' AND DATE '%s'`, tc.n, strings.ToUpper(tc.unit), lo.Format(time.DateOnly), hi.Format(time.DateOnly))
			cond := movedBetween("x", tc.n, tc.unit, lo, hi)
			var m, e int
			var ex sql.NullString
			if err := db.QueryRowContext(ctx, `SELECT count(*) FILTER (WHERE `+moved+` AND NOT (`+cond+`)),
				count(*) FILTER (WHERE `+cond+` AND NOT (`+moved+`)),
				min(x::VARCHAR) FILTER (WHERE `+moved+` AND NOT (`+cond+`)) FROM temp.xs`).Scan(&m, &e, &ex); err != nil {
				t.Fatal(err)
			}
			missed += m
			extra += e
			if m > 0 && example == "" {
				example = fmt.Sprintf("%s in [%s, %s]: %s", ex.String, lo.Format(time.DateOnly), hi.Format(time.DateOnly), cond)
			}
		}
		if missed > 0 {
			t.Errorf("%+d %s: %d dates moved into the span are not reached (%s)", tc.n, tc.unit, missed, example)
		}
		// At most a day more per span, on some spans: 731 spans.
		if extra > 731 {
			t.Errorf("%+d %s: %d dates reached that are not moved into their span: more than a day a span", tc.n, tc.unit, extra)
		}
		t.Logf("%+d %s: %d extra dates over 731 spans", tc.n, tc.unit, extra)
	}
}
