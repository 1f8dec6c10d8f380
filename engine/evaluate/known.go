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
	"github.com/lipwatch/lipwatch/engine/store"
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

// knownBy shadows every dataset with the rows loaded before cutoff (and,
// as always, without its unresolved rows: see resolvedOnly) and returns
// the function that takes the shadows away again. When they cannot be
// dropped, the connection is discarded instead of going back to the pool:
// no later query of the store may read a shadow.
func knownBy(ctx context.Context, conn *sql.Conn, cutoff time.Time) (func(), error) {
	return shadowDatasets(ctx, conn, cutoff)
}

// resolvedOnly shadows every linkable dataset (dataset.Linkable) on conn
// with its rows whose ID number is usable: a row kept with an unusable ID
// (id_number "?…", waiting for identity resolution) names no person
// until the linker links it, so the facts, the rules, the evidence and
// the household heads never see it — the evaluation is what it was when
// such rows were quarantined. It returns the function that takes the
// shadows away (see knownBy).
func resolvedOnly(ctx context.Context, conn *sql.Conn) (func(), error) {
	return shadowDatasets(ctx, conn, time.Time{})
}

// shadowDatasets makes the shadows of knownBy (cutoff set) and
// resolvedOnly (cutoff zero): a temp view per dataset that has a
// condition (baseCondition), of its rows that meet it.
func shadowDatasets(ctx context.Context, conn *sql.Conn, cutoff time.Time) (func(), error) {
	catalog, err := currentCatalog(ctx, conn)
	if err != nil {
		return nil, err
	}
	var names []string
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
	for _, ds := range dataset.All() {
		q, ok := baseRows(catalog, ds, cutoff)
		if !ok {
			continue
		}
		names = append(names, ds.Name)
		if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP VIEW `+quoteIdent(ds.Name)+` AS `+q); err != nil {
			undo()
			if cutoff.IsZero() {
				return nil, fmt.Errorf("rows with a usable ID number: dataset %s: %w", ds.Name, err)
			}
			return nil, fmt.Errorf("data as known at %s: dataset %s: %w", timestampLiteral(cutoff), ds.Name, err)
		}
	}
	return undo, nil
}

// baseRows is the query of the rows of a dataset the evaluation reads,
// named through the store's catalog: those loaded before cutoff (when
// set) and, in a linkable dataset, those with a usable ID number. ok is
// false when that is every row (no shadow is needed).
func baseRows(catalog string, ds *dataset.Dataset, cutoff time.Time) (q string, ok bool) {
	var conds []string
	if !cutoff.IsZero() {
		conds = append(conds, fmt.Sprintf(`_loaded_at < TIMESTAMP '%s'`, timestampLiteral(cutoff)))
	}
	if ds.Linkable() {
		conds = append(conds, dataset.ResolvedSQL("id_number"))
	}
	if len(conds) == 0 {
		return "", false
	}
	return fmt.Sprintf(`SELECT * FROM %s.main.%s WHERE %s`, quoteIdent(catalog), quoteIdent(ds.Name), strings.Join(conds, " AND ")), true
}

// currentCatalog is the name of the store's database on conn.
func currentCatalog(ctx context.Context, conn *sql.Conn) (string, error) {
	var catalog string
	if err := conn.QueryRowContext(ctx, `SELECT current_database()`).Scan(&catalog); err != nil {
		return "", fmt.Errorf("the store's catalog: %w", err)
	}
	return catalog, nil
}

// timestampLiteral is t as the store's TIMESTAMPs hold it (UTC).
func timestampLiteral(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.999999") }

func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// quotedList is names as an SQL select list: each quoted, separated by commas.
func quotedList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = quoteIdent(n)
	}
	return strings.Join(q, ", ")
}

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

// wholeRegistryCurrent shadows the view registry_current on conn (after
// knownBy: it reads the registry's shadow when there is one) with the same
// rows read without the view's window over every row: only the IDs with
// more than one row are ranked, the others read as they are
// (store.CurrentRows, held to the view by TestRegistryCurrentFast). The
// evaluation reads the whole registry: its fact queries read
// registry_current several times a night, each ranking a million rows at
// county scale through the view. A lookup of a few people would be slower
// this way (the duplicates are counted first), so only the evaluation's
// connection has it, and undo takes it away.
func wholeRegistryCurrent(ctx context.Context, conn *sql.Conn) (func(), error) {
	undo := func() {
		if _, err := conn.ExecContext(context.WithoutCancel(ctx), `DROP VIEW IF EXISTS temp.main.registry_current`); err != nil {
			_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		}
	}
	if err := pointRegistryCurrent(ctx, conn); err != nil {
		undo()
		return nil, err
	}
	return undo, nil
}

// repointRegistryCurrent calls pointRegistryCurrent when conn has the
// temp view registry_current (the evaluation's connection), and does
// nothing otherwise.
func repointRegistryCurrent(ctx context.Context, conn *sql.Conn) error {
	var has bool
	if err := conn.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_views() WHERE temporary AND view_name = 'registry_current'`).Scan(&has); err != nil {
		return fmt.Errorf("registry_current: %w", err)
	}
	if !has {
		return nil
	}
	return pointRegistryCurrent(ctx, conn)
}

// pointRegistryCurrent makes conn's temp view registry_current (see
// wholeRegistryCurrent) read the registry's temp shadow when there is one
// and the store's registry otherwise. A view names its tables when it is
// made, so a shadow made after it (an incremental night's shadowRows)
// calls this again, and again once the shadow is gone.
func pointRegistryCurrent(ctx context.Context, conn *sql.Conn) error {
	catalog, err := currentCatalog(ctx, conn)
	if err != nil {
		return err
	}
	reg, err := registryRelation(ctx, conn, catalog)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TEMP VIEW registry_current AS `+store.CurrentRows(reg)); err != nil {
		return fmt.Errorf("registry_current: %w", err)
	}
	return nil
}

// registryRelation is the registry the evaluation on conn reads: its temp
// shadow when there is one, the store's otherwise.
func registryRelation(ctx context.Context, conn *sql.Conn, catalog string) (string, error) {
	var shadowed bool
	if err := conn.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_views() WHERE temporary AND view_name = 'registry'`).Scan(&shadowed); err != nil {
		return "", fmt.Errorf("registry_current: %w", err)
	}
	if shadowed {
		return `temp.main.registry`, nil
	}
	return quoteIdent(catalog) + `.main.registry`, nil
}
