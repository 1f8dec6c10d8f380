package evaluate

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/dataset"
)

// Evaluating over the data as it was known at a past moment (rules
// backtest): every canonical dataset table is shadowed, on the
// evaluation's own connection, by a temp view of the same name holding
// only the rows loaded before that moment. DuckDB looks a name up in the
// connection's temp schema first, so the fact queries, the registry_current
// view (bound when it is read) and the household heads all read the
// shadows without a word of them changed. The store's own tables are
// named through the store's catalog (a temp view of "registry" reading
// "main.registry" would read itself: the temp catalog has a schema named
// main too).
//
// A row's _loaded_at is when it was first loaded: a row sent again
// unchanged keeps its first time (store: TouchRepeats), and a correction
// (on_conflict: replace) keeps the time of the row it corrects, with the
// corrected values — the values a row had before a correction are not kept.

// knownBy shadows every dataset with the rows loaded before cutoff and
// returns the function that takes the shadows away again. When they cannot
// be dropped, the connection is discarded instead of going back to the
// pool: no later query of the store may read a shadow.
func knownBy(ctx context.Context, conn *sql.Conn, cutoff time.Time) (func(), error) {
	var catalog string
	if err := conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&catalog); err != nil {
		return nil, fmt.Errorf("data as known at %s: %w", cutoff.UTC().Format(time.RFC3339), err)
	}
	at := timestampLiteral(cutoff)
	names := dataset.Names()
	undo := func() {
		var errs []error
		for _, n := range names {
			_, err := conn.ExecContext(context.WithoutCancel(ctx), `DROP VIEW IF EXISTS temp.main.`+quoteIdent(n))
			errs = append(errs, err)
		}
		if errors.Join(errs...) != nil {
			// Returning driver.ErrBadConn from Raw makes database/sql
			// close the connection rather than pool it.
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	for _, n := range names {
		q := fmt.Sprintf(`CREATE OR REPLACE TEMP VIEW %s AS SELECT * FROM %s.main.%s WHERE _loaded_at < TIMESTAMP '%s'`,
			quoteIdent(n), quoteIdent(catalog), quoteIdent(n), at)
		if _, err := conn.ExecContext(ctx, q); err != nil {
			undo()
			return nil, fmt.Errorf("data as known at %s: dataset %s: %w", at, n, err)
		}
	}
	return undo, nil
}

// timestampLiteral is t as the store's TIMESTAMPs hold it (UTC).
func timestampLiteral(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.999999") }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// KnownRows counts, per dataset, the rows loaded before cutoff (all rows
// for a zero cutoff), in one query.
func KnownRows(ctx context.Context, db *sql.DB, cutoff time.Time) (map[string]int64, error) {
	where := ""
	if !cutoff.IsZero() {
		where = fmt.Sprintf(` WHERE _loaded_at < TIMESTAMP '%s'`, timestampLiteral(cutoff))
	}
	var parts []string
	for _, n := range dataset.Names() {
		parts = append(parts, fmt.Sprintf(`SELECT '%s' AS dataset, count(*) AS n FROM main.%s%s`, n, quoteIdent(n), where))
	}
	rows, err := db.QueryContext(ctx, strings.Join(parts, " UNION ALL "))
	if err != nil {
		return nil, fmt.Errorf("rows known by %s: %w", timestampLiteral(cutoff), err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var n string
		var c int64
		if err := rows.Scan(&n, &c); err != nil {
			return nil, err
		}
		out[n] = c
	}
	return out, rows.Err()
}

// FirstLoad is when the oldest row of any dataset was loaded; zero when
// the store holds none.
func FirstLoad(ctx context.Context, db *sql.DB) (time.Time, error) {
	var parts []string
	for _, n := range dataset.Names() {
		parts = append(parts, `SELECT min(_loaded_at) AS t FROM main.`+quoteIdent(n))
	}
	var t sql.NullTime
	if err := db.QueryRowContext(ctx, `SELECT min(t) FROM (`+strings.Join(parts, " UNION ALL ")+`)`).Scan(&t); err != nil {
		return time.Time{}, fmt.Errorf("first load: %w", err)
	}
	return t.Time, nil
}
