//go:build ignore

// gap measures the dialect gap between lipwatch's fact queries (DuckDB SQL,
// rules/facts.yaml) and PostgreSQL 15, the dialect Citus distributes: it
// copies every dataset table a fact query reads from a lipwatch store into
// PostgreSQL with the same column types, runs each fact group on DuckDB (as
// the night runs it: as_of() a macro, params bound) and its translation in
// docs/scale/pg/<group>.sql on PostgreSQL, compares the two results row by
// row (same keys, same values per field type) and times both.
//
// Run from the repository root (see docs/scale/README.md):
//
//	export LIPWATCH_TEST_PG_URL=...   # bash .ci/postgres.sh | tail -1
//	go run docs/scale/gap.go -store /tmp/scale-sample/store/lw.duckdb -as-of 2026-11-28
//
// Flags: -store (a lipwatch DuckDB file, opened read-only), -as-of (the
// evaluation date), -rules (the rules folder, default rules), -sql (the
// translations, default docs/scale/pg), -work (where the CSV exports go,
// default $TMPDIR/lipwatch-scale), -load=false to reuse tables loaded by an
// earlier run, -runs (timed runs per engine and group, default 5; the
// median is reported), -threads (DuckDB threads, default 2), -out (a
// Markdown report; default stdout only).
//
// Each translation marks every construct it rewrote with a comment
// `-- rewrite: KIND` on the line of the rewrite (one marker per construct);
// the report counts them per group and kind. The DuckDB text is also tried
// unchanged on PostgreSQL and its first error reported.
//
// Exit status 1 when a group's results differ (keys or values) or a query
// fails on either side.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/lipwatch/lipwatch/engine/rule"
)

func main() {
	storePath := flag.String("store", "", "lipwatch DuckDB store (opened read-only)")
	asOfFlag := flag.String("as-of", "2026-11-28", "evaluation date")
	rulesDir := flag.String("rules", "rules", "rules folder")
	sqlDir := flag.String("sql", "docs/scale/pg", "folder of the PostgreSQL translations")
	work := flag.String("work", filepath.Join(os.TempDir(), "lipwatch-scale"), "folder for the CSV exports")
	load := flag.Bool("load", true, "export and load the dataset tables (false: reuse the loaded ones)")
	runs := flag.Int("runs", 5, "timed runs per engine and group")
	threads := flag.Int("threads", 2, "DuckDB threads")
	out := flag.String("out", "", "write the Markdown report here too")
	flag.Parse()
	if err := run(*storePath, *asOfFlag, *rulesDir, *sqlDir, *work, *load, *runs, *threads, *out); err != nil {
		fmt.Fprintln(os.Stderr, "gap:", err)
		os.Exit(1)
	}
}

type result struct {
	group              string
	duckRows           int
	pgRows             int
	keyDiff            int // keys on one side only
	valueDiff          int // keys on both sides with a different value
	example            string
	duckMS, pgMS       []float64
	unchangedError     string
	rewrites           map[string]int
	failed             string
	tests, testsFailed int    // facts.yaml tests of the group run on PostgreSQL
	testFailure        string // the first failure
}

func run(storePath, asOfS, rulesDir, sqlDir, work string, load bool, runs, threads int, out string) error {
	ctx := context.Background()
	if storePath == "" {
		return errors.New("-store is required")
	}
	asOf, err := time.Parse(time.DateOnly, asOfS)
	if err != nil {
		return err
	}
	pgURL := os.Getenv("LIPWATCH_TEST_PG_URL")
	if pgURL == "" {
		return errors.New("LIPWATCH_TEST_PG_URL is not set (bash .ci/postgres.sh | tail -1)")
	}
	pack, err := rule.Load(rulesDir)
	if err != nil {
		return err
	}
	connector, err := duckdb.NewConnector(storePath+"?access_mode=READ_ONLY&threads="+strconv.Itoa(threads), nil)
	if err != nil {
		return err
	}
	ddb := sql.OpenDB(connector)
	defer ddb.Close()
	ddb.SetMaxOpenConns(1)
	dconn, err := ddb.Conn(ctx)
	if err != nil {
		return err
	}
	defer dconn.Close()
	pg, err := pgx.Connect(ctx, pgURL)
	if err != nil {
		return err
	}
	defer pg.Close(ctx)
	// GAP_PG_SETTINGS: "work_mem=256MB,max_parallel_workers_per_gather=2"
	// set on the session before anything runs (default: the server's).
	for _, kv := range strings.Split(os.Getenv("GAP_PG_SETTINGS"), ",") {
		if k, v, ok := strings.Cut(strings.TrimSpace(kv), "="); ok {
			if _, err := pg.Exec(ctx, `SELECT set_config($1, $2, false)`, k, v); err != nil {
				return err
			}
		}
	}

	var pgVersion, duckVersion string
	if err := pg.QueryRow(ctx, `SHOW server_version`).Scan(&pgVersion); err != nil {
		return err
	}
	if err := dconn.QueryRowContext(ctx, `SELECT version()`).Scan(&duckVersion); err != nil {
		return err
	}

	tables, err := datasetTables(ctx, dconn, pack)
	if err != nil {
		return err
	}
	if load {
		if err := os.MkdirAll(work, 0o700); err != nil {
			return err
		}
		for _, t := range tables {
			if err := copyTable(ctx, dconn, pg, work, t); err != nil {
				return fmt.Errorf("table %s: %w", t, err)
			}
		}
		if err := execFile(ctx, pg, filepath.Join(sqlDir, "00_setup.sql")); err != nil {
			return err
		}
		if _, err := pg.Exec(ctx, `ANALYZE`); err != nil {
			return err
		}
	}
	// as_of() and param('NAME') as PostgreSQL functions of tonight's values:
	// the query texts keep them as written.
	if _, err := pg.Exec(ctx, fmt.Sprintf(`CREATE OR REPLACE FUNCTION as_of() RETURNS date LANGUAGE sql IMMUTABLE AS $$ SELECT DATE '%s' $$`, asOfS)); err != nil {
		return err
	}
	if err := defineParams(ctx, pg, pack, asOf); err != nil {
		return err
	}
	if _, err := dconn.ExecContext(ctx, fmt.Sprintf(`CREATE OR REPLACE TEMP MACRO as_of() AS DATE '%s'`, asOfS)); err != nil {
		return err
	}

	var results []*result
	bad := false
	for _, g := range pack.Groups {
		r := &result{group: g.Name}
		results = append(results, r)
		if err := measure(ctx, dconn, pg, pack, g, asOf, sqlDir, runs, r); err != nil {
			r.failed = err.Error()
			bad = true
			fmt.Fprintf(os.Stderr, "gap: group %s: %v\n", g.Name, err)
			continue
		}
		if err := factTestsOnPG(ctx, dconn, pg, pack, g, sqlDir, tables, r); err != nil {
			r.failed = "tests: " + err.Error()
			bad = true
			fmt.Fprintf(os.Stderr, "gap: group %s: tests: %v\n", g.Name, err)
			continue
		}
		if r.keyDiff > 0 || r.valueDiff > 0 || r.testsFailed > 0 {
			bad = true
		}
		fmt.Fprintf(os.Stderr, "gap: %-13s duckdb %6d rows %8.1f ms | postgres %6d rows %8.1f ms | differ: keys %d values %d | rewrites %d | facts.yaml tests on PG %d/%d pass\n",
			g.Name, r.duckRows, median(r.duckMS), r.pgRows, median(r.pgMS), r.keyDiff, r.valueDiff, total(r.rewrites), r.tests-r.testsFailed, r.tests)
	}
	setupRewrites, err := countRewrites(filepath.Join(sqlDir, "00_setup.sql"))
	if err != nil {
		return err
	}
	var rowsPerTable []string
	for _, t := range tables {
		var n int64
		if err := dconn.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(t)).Scan(&n); err != nil {
			return err
		}
		rowsPerTable = append(rowsPerTable, fmt.Sprintf("%s %d", t, n))
	}
	report := render(results, setupRewrites, storePath, asOfS, duckVersion, pgVersion, threads, runs, rowsPerTable)
	fmt.Print(report)
	if out != "" {
		if err := os.WriteFile(out, []byte(report), 0o644); err != nil {
			return err
		}
	}
	if bad {
		return errors.New("some groups differ or failed (see above)")
	}
	return nil
}

// datasetTables are the store's base tables that some fact query names.
func datasetTables(ctx context.Context, c *sql.Conn, pack *rule.Pack) ([]string, error) {
	rows, err := c.QueryContext(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var all string
	for _, g := range pack.Groups {
		all += g.SQL + "\n"
	}
	all += "registry\n" // registry_current's table
	var out []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			return nil, err
		}
		if regexp.MustCompile(`\b` + regexp.QuoteMeta(t) + `\b`).MatchString(all) {
			out = append(out, t)
		}
	}
	return out, rows.Err()
}

// pgType maps a DuckDB column type to the PostgreSQL one of the same values.
func pgType(t string) (string, error) {
	switch {
	case t == "VARCHAR":
		return "text", nil
	case t == "DATE":
		return "date", nil
	case t == "DOUBLE":
		return "double precision", nil
	case t == "FLOAT":
		return "real", nil
	case t == "BIGINT" || t == "UBIGINT" || t == "HUGEINT":
		return "bigint", nil
	case t == "INTEGER" || t == "UINTEGER":
		return "integer", nil
	case t == "SMALLINT" || t == "TINYINT" || t == "UTINYINT" || t == "USMALLINT":
		return "smallint", nil
	case t == "BOOLEAN":
		return "boolean", nil
	case t == "TIMESTAMP":
		return "timestamp", nil
	case t == "TIMESTAMP WITH TIME ZONE":
		return "timestamptz", nil
	case strings.HasPrefix(t, "DECIMAL"):
		return "numeric" + strings.TrimPrefix(t, "DECIMAL"), nil
	}
	return "", fmt.Errorf("no PostgreSQL type for DuckDB %s", t)
}

// copyTable exports t to CSV (NULL written as \N, so that ” stays ”) and
// loads it into PostgreSQL as a table of the same name and column types.
func copyTable(ctx context.Context, dc *sql.Conn, pg *pgx.Conn, work, t string) error {
	rows, err := dc.QueryContext(ctx, `SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position`, t)
	if err != nil {
		return err
	}
	var cols, defs []string
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			rows.Close()
			return err
		}
		pt, err := pgType(typ)
		if err != nil {
			rows.Close()
			return fmt.Errorf("column %s: %w", name, err)
		}
		cols = append(cols, quote(name))
		defs = append(defs, quote(name)+" "+pt)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	file := filepath.Join(work, t+".csv")
	start := time.Now()
	if _, err := dc.ExecContext(ctx, fmt.Sprintf(`COPY (SELECT %s FROM %s) TO '%s' (FORMAT csv, HEADER, NULLSTR '\N')`,
		strings.Join(cols, ", "), quote(t), strings.ReplaceAll(file, "'", "''"))); err != nil {
		return err
	}
	exported := time.Since(start)
	if _, err := pg.Exec(ctx, `DROP TABLE IF EXISTS `+quote(t)+` CASCADE`); err != nil {
		return err
	}
	if _, err := pg.Exec(ctx, `CREATE TABLE `+quote(t)+` (`+strings.Join(defs, ", ")+`)`); err != nil {
		return err
	}
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	start = time.Now()
	tag, err := pg.PgConn().CopyFrom(ctx, f, `COPY `+quote(t)+` FROM STDIN (FORMAT csv, HEADER true, NULL '\N')`)
	if err != nil {
		return err
	}
	var n int64
	if err := dc.QueryRowContext(ctx, `SELECT count(*) FROM `+quote(t)).Scan(&n); err != nil {
		return err
	}
	if tag.RowsAffected() != n {
		return fmt.Errorf("loaded %d rows of %d", tag.RowsAffected(), n)
	}
	fmt.Fprintf(os.Stderr, "gap: %-17s %8d rows: export %v, load %v\n", t, n, exported.Round(time.Millisecond), time.Since(start).Round(time.Millisecond))
	return nil
}

// defineParams makes param('NAME') a PostgreSQL function returning the
// value each param the facts read has at asOf (all of them are whole
// numbers today; another type is an error to handle when it comes).
func defineParams(ctx context.Context, pg *pgx.Conn, pack *rule.Pack, asOf time.Time) error {
	vals := map[string]any{}
	for _, g := range pack.Groups {
		args, err := pack.FactArgs(g, asOf)
		if err != nil {
			return err
		}
		for i, name := range g.Params {
			vals[name] = args[i]
		}
	}
	names := make([]string, 0, len(vals))
	for n := range vals {
		names = append(names, n)
	}
	sort.Strings(names)
	var arms []string
	for _, n := range names {
		var s string
		switch v := vals[n].(type) {
		case int:
			s = strconv.Itoa(v)
		case int64:
			s = strconv.FormatInt(v, 10)
		case float64:
			if v != math.Trunc(v) {
				return fmt.Errorf("param %s = %v: not a whole number", n, v)
			}
			s = strconv.FormatFloat(v, 'f', 0, 64)
		default:
			return fmt.Errorf("param %s: value %v of type %T", n, v, v)
		}
		arms = append(arms, fmt.Sprintf("WHEN '%s' THEN %s", n, s))
	}
	_, err := pg.Exec(ctx, `CREATE OR REPLACE FUNCTION param(name text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$ SELECT CASE name `+
		strings.Join(arms, " ")+` END $$`)
	return err
}

func measure(ctx context.Context, dc *sql.Conn, pg *pgx.Conn, pack *rule.Pack, g *rule.Group, asOf time.Time, sqlDir string, runs int, r *result) error {
	file := filepath.Join(sqlDir, g.Name+".sql")
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	pgSQL := string(b)
	if r.rewrites, err = countRewrites(file); err != nil {
		return err
	}
	// The DuckDB text as written, on PostgreSQL.
	if _, err := pg.Exec(ctx, `EXPLAIN `+g.SQL); err != nil {
		r.unchangedError = firstLine(err.Error())
	}
	args, err := pack.FactArgs(g, asOf)
	if err != nil {
		return err
	}
	for i := 0; i < runs; i++ {
		start := time.Now()
		if _, err := dc.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE gap_duck_"+g.Name+" AS\n"+g.Query, args...); err != nil {
			return fmt.Errorf("duckdb: %w", err)
		}
		r.duckMS = append(r.duckMS, float64(time.Since(start).Microseconds())/1000)
		if _, err := pg.Exec(ctx, `DROP TABLE IF EXISTS gap_pg_`+g.Name); err != nil {
			return err
		}
		start = time.Now()
		if _, err := pg.Exec(ctx, "CREATE TEMP TABLE gap_pg_"+g.Name+" AS\n"+pgSQL); err != nil {
			return fmt.Errorf("postgres: %w", err)
		}
		r.pgMS = append(r.pgMS, float64(time.Since(start).Microseconds())/1000)
	}
	types := map[string]rule.Type{}
	for _, f := range g.Fields {
		types[f.Name] = f.Type
	}
	duck, err := duckRows(ctx, dc, "gap_duck_"+g.Name, types)
	if err != nil {
		return fmt.Errorf("duckdb rows: %w", err)
	}
	pgr, err := pgRows(ctx, pg, "gap_pg_"+g.Name, types)
	if err != nil {
		return fmt.Errorf("postgres rows: %w", err)
	}
	r.duckRows, r.pgRows = len(duck.rows), len(pgr.rows)
	if !slices.Equal(duck.cols, pgr.cols) {
		return fmt.Errorf("columns differ: duckdb %v, postgres %v", duck.cols, pgr.cols)
	}
	keys := map[string]bool{}
	for k := range duck.rows {
		keys[k] = true
	}
	for k := range pgr.rows {
		keys[k] = true
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	for _, k := range sorted {
		d, dok := duck.rows[k]
		p, pok := pgr.rows[k]
		switch {
		case !dok || !pok:
			r.keyDiff++
			if r.example == "" {
				r.example = fmt.Sprintf("key %s: duckdb %v, postgres %v", k, d, p)
			}
		case !slices.Equal(d, p):
			r.valueDiff++
			if r.example == "" {
				r.example = fmt.Sprintf("key %s: duckdb %v, postgres %v", k, d, p)
			}
		}
	}
	return nil
}

type table struct {
	cols []string
	rows map[string][]string // key → the other columns, normalised
}

func duckRows(ctx context.Context, dc *sql.Conn, tbl string, types map[string]rule.Type) (table, error) {
	rows, err := dc.QueryContext(ctx, `SELECT * FROM `+tbl)
	if err != nil {
		return table{}, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return table{}, err
	}
	t := table{cols: cols, rows: map[string][]string{}}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return table{}, err
		}
		if err := t.add(cols, vals, types); err != nil {
			return table{}, err
		}
	}
	return t, rows.Err()
}

func pgRows(ctx context.Context, pg *pgx.Conn, tbl string, types map[string]rule.Type) (table, error) {
	rows, err := pg.Query(ctx, `SELECT * FROM `+tbl)
	if err != nil {
		return table{}, err
	}
	defer rows.Close()
	var cols []string
	for _, f := range rows.FieldDescriptions() {
		cols = append(cols, f.Name)
	}
	t := table{cols: cols, rows: map[string][]string{}}
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return table{}, err
		}
		if err := t.add(cols, vals, types); err != nil {
			return table{}, err
		}
	}
	return t, rows.Err()
}

func (t *table) add(cols []string, vals []any, types map[string]rule.Type) error {
	key := norm(vals[0], rule.String)
	if _, dup := t.rows[key]; dup {
		return fmt.Errorf("key %s twice", key)
	}
	row := make([]string, 0, len(vals)-1)
	for i := 1; i < len(vals); i++ {
		typ, ok := types[cols[i]]
		if !ok {
			typ = rule.String
		}
		row = append(row, norm(vals[i], typ))
	}
	t.rows[key] = row
	return nil
}

// norm writes a value as its field type reads it: numbers to 6 decimals
// (yuan to a millionth: float sums in another order differ below that),
// ints and bools as such, strings as they are, NULL as NULL.
func norm(v any, typ rule.Type) string {
	if v == nil {
		return "NULL"
	}
	switch typ {
	case rule.Number, rule.Int:
		f, ok := toFloat(v)
		if !ok {
			return fmt.Sprintf("?%T:%v", v, v)
		}
		if typ == rule.Int {
			return strconv.FormatFloat(f, 'f', 0, 64)
		}
		return strconv.FormatFloat(math.Round(f*1e6)/1e6, 'f', 6, 64)
	case rule.Bool:
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b)
		}
		return fmt.Sprintf("?%T:%v", v, v)
	}
	switch x := v.(type) {
	case time.Time:
		return x.Format(time.DateOnly)
	case []byte:
		return string(x)
	}
	return fmt.Sprint(v)
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case float32:
		return float64(x), true
	case int64:
		return float64(x), true
	case int32:
		return float64(x), true
	case int16:
		return float64(x), true
	case int8:
		return float64(x), true
	case int:
		return float64(x), true
	case uint64:
		return float64(x), true
	case uint32:
		return float64(x), true
	case duckdb.Decimal:
		return x.Float64(), true
	case pgtype.Numeric:
		f, err := x.Float64Value()
		return f.Float64, err == nil && f.Valid
	}
	f, err := strconv.ParseFloat(fmt.Sprint(v), 64)
	return f, err == nil
}

// countRewrites counts the `-- rewrite: KIND` markers of a translation.
func countRewrites(file string) (map[string]int, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	out := map[string]int{}
	for _, line := range strings.Split(string(b), "\n") {
		i := strings.Index(line, "-- rewrite:")
		if i < 0 {
			continue
		}
		for _, kind := range strings.Split(line[i+len("-- rewrite:"):], ",") {
			kind = strings.TrimSpace(kind)
			if kind != "" {
				out[kind]++
			}
		}
	}
	return out, nil
}

func execFile(ctx context.Context, pg *pgx.Conn, file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	_, err = pg.Exec(ctx, string(b))
	return err
}

func render(results []*result, setup map[string]int, store, asOf, duckV, pgV string, threads, runs int, tables []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Fact groups on DuckDB and PostgreSQL\n\n")
	fmt.Fprintf(&b, "`go run docs/scale/gap.go -store %s -as-of %s -runs %d -threads %d`, %s, DuckDB %s (%d threads), PostgreSQL %s, %d CPUs.\n\n",
		store, asOf, runs, threads, time.Now().UTC().Format("2006-01-02 15:04 MST"), duckV, threads, pgV, runtime.NumCPU())
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Fprintf(&b, "Load average at the end (1, 5, 15 min): %s.\n\n", strings.Join(strings.Fields(string(la))[:3], ", "))
	}
	if s := os.Getenv("GAP_PG_SETTINGS"); s != "" {
		fmt.Fprintf(&b, "PostgreSQL settings: %s.\n\n", s)
	}
	fmt.Fprintf(&b, "Tables (rows): %s.\n\n", strings.Join(tables, ", "))
	fmt.Fprintf(&b, "| group | rows DuckDB | rows PG | keys differ | values differ | DuckDB ms (median of %d) | PG ms (median) | PG/DuckDB | facts.yaml tests on PG | DuckDB text on PG | rewrites | kinds |\n", runs)
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---|---|---:|---|\n")
	var sumD, sumP float64
	all := map[string]int{}
	for k, v := range setup {
		all[k] += v
	}
	for _, r := range results {
		if r.failed != "" {
			fmt.Fprintf(&b, "| %s | FAILED: %s ||||||||||\n", r.group, strings.ReplaceAll(firstLine(r.failed), "|", "/"))
			continue
		}
		d, p := median(r.duckMS), median(r.pgMS)
		sumD += d
		sumP += p
		unchanged := "runs"
		if r.unchangedError != "" {
			unchanged = "fails: " + strings.ReplaceAll(r.unchangedError, "|", "/")
		}
		for k, v := range r.rewrites {
			all[k] += v
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %.1f | %.1f | %.1f | %d/%d pass | %s | %d | %s |\n",
			r.group, r.duckRows, r.pgRows, r.keyDiff, r.valueDiff, d, p, p/d, r.tests-r.testsFailed, r.tests, unchanged, total(r.rewrites), kinds(r.rewrites))
	}
	fmt.Fprintf(&b, "| **all** | | | | | %.1f | %.1f | %.1f | | | %d (+%d in 00_setup.sql) | |\n\n", sumD, sumP, sumP/sumD, total(all)-total(setup), total(setup))
	fmt.Fprintf(&b, "Rewrites by kind (groups and 00_setup.sql): %s.\n", kinds(all))
	for _, r := range results {
		if r.example != "" {
			fmt.Fprintf(&b, "\nFirst difference in %s: %s\n", r.group, r.example)
		}
		if r.testFailure != "" {
			fmt.Fprintf(&b, "\nFirst failing test of %s on PostgreSQL: %s\n", r.group, r.testFailure)
		}
	}
	return b.String()
}

func kinds(m map[string]int) string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if m[ks[i]] != m[ks[j]] {
			return m[ks[i]] > m[ks[j]]
		}
		return ks[i] < ks[j]
	})
	var parts []string
	for _, k := range ks {
		parts = append(parts, fmt.Sprintf("%s ×%d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	sort.Float64s(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func quote(id string) string { return `"` + strings.ReplaceAll(id, `"`, `""`) + `"` }

// factTestsOnPG runs the tests beside g in facts.yaml on its PostgreSQL
// translation, as `lipwatch rules test` runs them on DuckDB: in a
// transaction rolled back at the end, every dataset table is shadowed by an
// empty temp table of its columns (and registry_current by a temp view
// over it), the test's rows are inserted (columns not given NULL, or the
// type's zero where the store's column cannot be NULL; the lineage columns
// as the engine fills them), as_of() and param() take the test's date, and
// each expected value is compared with what the translation returns (no
// row: the field's default). The sample's rows do not reach every edge
// (29 February, ties, a death in the window); these tests do.
func factTestsOnPG(ctx context.Context, dc *sql.Conn, pg *pgx.Conn, pack *rule.Pack, g *rule.Group, sqlDir string, tables []string, r *result) error {
	b, err := os.ReadFile(filepath.Join(sqlDir, g.Name+".sql"))
	if err != nil {
		return err
	}
	pgSQL := string(b)
	setup, err := os.ReadFile(filepath.Join(sqlDir, "00_setup.sql"))
	if err != nil {
		return err
	}
	tempView := strings.Replace(string(setup), "CREATE OR REPLACE VIEW", "CREATE TEMP VIEW", 1)
	type col struct {
		name, typ, pgType string
		notNull           bool
	}
	schema := map[string][]col{}
	for _, t := range tables {
		rows, err := dc.QueryContext(ctx, `SELECT column_name, data_type, NOT is_nullable FROM duckdb_columns()
			WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1 ORDER BY column_index`, t)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c col
			if err := rows.Scan(&c.name, &c.typ, &c.notNull); err != nil {
				rows.Close()
				return err
			}
			if c.pgType, err = pgType(c.typ); err != nil {
				rows.Close()
				return err
			}
			schema[t] = append(schema[t], c)
		}
		rows.Close()
	}
	for _, t := range g.Tests {
		r.tests++
		msg, err := func() (string, error) {
			tx, err := pg.Begin(ctx)
			if err != nil {
				return "", err
			}
			defer tx.Rollback(context.WithoutCancel(ctx))
			for _, tb := range tables {
				if _, err := tx.Exec(ctx, `CREATE TEMP TABLE `+quote(tb)+` (LIKE public.`+quote(tb)+`)`); err != nil {
					return "", err
				}
			}
			if _, err := tx.Exec(ctx, tempView); err != nil {
				return "", err
			}
			// as_of() and param() at the test's date, rolled back with the rest.
			if _, err := tx.Exec(ctx, fmt.Sprintf(`CREATE OR REPLACE FUNCTION public.as_of() RETURNS date LANGUAGE sql IMMUTABLE AS $$ SELECT DATE '%s' $$`, t.AsOf.Format(time.DateOnly))); err != nil {
				return "", err
			}
			if err := defineParams(ctx, tx.Conn(), pack, t.AsOf); err != nil {
				return "", err
			}
			for _, gr := range t.Given {
				cols, ok := schema[gr.Dataset]
				if !ok {
					return "", fmt.Errorf("%s: dataset %s not loaded", t.Name, gr.Dataset)
				}
				for i, row := range gr.Rows {
					var names, vals []string
					var args []any
					given := map[string]bool{}
					for _, c := range row.Cols {
						ci := slices.IndexFunc(cols, func(x col) bool { return x.name == c.Name })
						if ci < 0 {
							return "", fmt.Errorf("%s: %s has no column %s", t.Name, gr.Dataset, c.Name)
						}
						given[c.Name] = true
						names = append(names, quote(c.Name))
						if c.Null {
							vals = append(vals, "NULL")
							continue
						}
						args = append(args, c.Value)
						vals = append(vals, fmt.Sprintf("CAST($%d::text AS %s)", len(args), cols[ci].pgType))
					}
					for _, c := range cols {
						if given[c.name] || !c.notNull {
							continue
						}
						var v string
						switch c.name {
						case "_key":
							v = fmt.Sprintf("test:%d", row.Pos.Line)
						case "_source":
							v = "facts-test"
						case "_load_id":
							v = "1"
						case "_loaded_at":
							v = t.AsOf.Format(time.DateOnly)
						case "_stream":
							v = row.Pos.File
						case "_position":
							v = strconv.Itoa(i + 1)
						default:
							switch {
							case c.typ == "VARCHAR":
								v = ""
							case c.typ == "BOOLEAN":
								v = "false"
							case c.typ == "DATE" || strings.HasPrefix(c.typ, "TIMESTAMP"):
								return "", fmt.Errorf("%s: %s row: give %s", t.Name, gr.Dataset, c.name)
							default:
								v = "0"
							}
						}
						args = append(args, v)
						names = append(names, quote(c.name))
						vals = append(vals, fmt.Sprintf("CAST($%d::text AS %s)", len(args), c.pgType))
					}
					q := fmt.Sprintf(`INSERT INTO %s (%s) VALUES (%s)`, quote(gr.Dataset), strings.Join(names, ", "), strings.Join(vals, ", "))
					if _, err := tx.Exec(ctx, q, args...); err != nil {
						return "", fmt.Errorf("%s: %s row: %w", t.Name, gr.Dataset, err)
					}
				}
			}
			rows, err := tx.Query(ctx, pgSQL, pgx.QueryExecModeSimpleProtocol)
			if err != nil {
				return "", fmt.Errorf("%s: %w", t.Name, err)
			}
			got := map[string]map[string]any{}
			for rows.Next() {
				vals, err := rows.Values()
				if err != nil {
					rows.Close()
					return "", err
				}
				row := map[string]any{}
				for i, f := range rows.FieldDescriptions() {
					v := vals[i]
					switch x := v.(type) {
					case pgtype.Numeric:
						f, err := x.Float64Value()
						if err != nil {
							rows.Close()
							return "", err
						}
						v = f.Float64
						if !f.Valid {
							v = nil
						}
					case int32:
						v = int64(x)
					case int16:
						v = int64(x)
					}
					row[f.Name] = v
				}
				key, _ := vals[0].(string)
				got[key] = row
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return "", fmt.Errorf("%s: %w", t.Name, err)
			}
			var fails []string
			for _, e := range t.Expect {
				for _, ef := range e.Fields {
					v, err := ef.Field.FactValue(got[e.Key][ef.Field.Name])
					if err != nil {
						return "", fmt.Errorf("%s: %s.%s: %w", t.Name, e.Key, ef.Field.Name, err)
					}
					if !sameValue(v, ef.Value) {
						fails = append(fails, fmt.Sprintf("%s: %s.%s = %v, want %v", e.Key, g.Name, ef.Field.Name, v, ef.Value))
					}
				}
			}
			if len(fails) > 0 {
				return t.Name + ": " + strings.Join(fails, "; "), nil
			}
			return "", nil
		}()
		if err != nil {
			return err
		}
		if msg != "" {
			r.testsFailed++
			if r.testFailure == "" {
				r.testFailure = msg
			}
		}
	}
	return nil
}

// sameValue compares a fact with its expected value as the engine's fact
// tests do: numbers to a millionth of a yuan.
func sameValue(got, want any) bool {
	if g, ok := got.(float64); ok {
		if w, ok := want.(float64); ok {
			return g == w || math.Abs(g-w) <= 1e-6*math.Max(1, math.Abs(w))
		}
	}
	return got == want
}
