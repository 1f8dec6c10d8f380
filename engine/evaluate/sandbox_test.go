package evaluate

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// Issue 9: whoever edits rules/facts.yaml must not be able to change the
// store or copy data out. A facts query that writes, deletes, copies to a
// file, reads a file or runs SQL given as text is refused — by CheckFacts
// (what rules check runs) and again before evaluation runs anything — and
// the audit and the files are untouched.
func TestFactQueriesOnlyRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "lw.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.DB().Exec(`INSERT INTO audit VALUES (now()::TIMESTAMP, 'test', 'dispatch', 'x', '{}')`); err != nil {
		t.Fatal(err)
	}
	stolen := filepath.Join(dir, "stolen.csv")
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	const at = "      FROM ids LEFT JOIN reg USING (id_number)\n"
	for name, c := range map[string]struct{ to, want string }{
		"a second statement deletes": {at + "      ; DELETE FROM audit; SELECT 1\n", `may only read`},
		"copy out to a file":         {at + "      ; COPY (SELECT * FROM registry) TO '" + stolen + "'\n", `may only read`},
		"two SELECTs":                {at + "      ; SELECT 1\n", `holds 2 statements`},
		"one statement that writes":  {"", `may only read`},
		"SQL given as text":          {"      FROM ids LEFT JOIN reg USING (id_number), query('DELETE FROM audit') AS q\n", `calls query\(\), which runs SQL given as text`},
		"a file read":                {"      FROM ids LEFT JOIN reg USING (id_number), read_csv('/etc/passwd') AS p\n", `table function read_csv\(\)`},
	} {
		t.Run(name, func(t *testing.T) {
			from, to := at, c.to
			if to == "" { // the whole person query replaced by one that writes
				from, to = "      WITH ids AS (\n", "      DELETE FROM audit RETURNING 1;\n      WITH ids AS (\n"
			}
			pack := packWith(t, "", from, to)
			checkErr := CheckFacts(ctx, st.DB(), pack)
			_, evalErr := (&Evaluator{Store: st, Pack: pack}).Hits(ctx, day)
			want := regexp.MustCompile(c.want)
			if checkErr == nil || !want.MatchString(checkErr.Error()) || !strings.Contains(checkErr.Error(), "facts group person") {
				t.Errorf("check: %v, want %s naming the group", checkErr, c.want)
			}
			if evalErr == nil || !want.MatchString(evalErr.Error()) {
				t.Errorf("evaluation: %v, want %s", evalErr, c.want)
			}
			var n int
			if err := st.DB().QueryRow(`SELECT count(*) FROM audit`).Scan(&n); err != nil || n != 1 {
				t.Errorf("audit rows %d, %v: want the 1 row untouched", n, err)
			}
			if _, err := os.Stat(stolen); !os.IsNotExist(err) {
				t.Errorf("the copy was written: %v", err)
			}
		})
	}
	// The shipped facts pass the check.
	if err := CheckFacts(ctx, st.DB(), packWith(t, "", "", "")); err != nil {
		t.Fatal(err)
	}
}

// groupLine is the line of a fact group's key in the shipped facts.yaml.
func groupLine(t *testing.T, group string) int {
	t.Helper()
	b, err := os.ReadFile("../../rules/facts.yaml")
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(string(b), "\n  "+group+":\n")
	if i < 0 {
		t.Fatalf("facts.yaml has no group %s", group)
	}
	return strings.Count(string(b[:i+1]), "\n") + 1
}

// storeState is what a fact query must not change: the audit, the
// sequences' values and DuckDB's logging and profiling settings.
func storeState(t *testing.T, db *sql.DB) string {
	t.Helper()
	var s string
	if err := db.QueryRow(`SELECT concat_ws(' ', (SELECT count(*) FROM audit),
		(SELECT string_agg(sequence_name || '=' || coalesce(last_value, 0), ',' ORDER BY sequence_name) FROM duckdb_sequences()),
		current_setting('enable_logging'), current_setting('logging_level'), current_setting('logging_storage'),
		current_setting('enable_profiling'), current_setting('profiling_mode'))`).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// Issue 9 (tester's finding A): rules check passed fact queries that
// advanced the ledger's sequence (max(nextval('run_id_seq')), even under
// evaluate --dry-run), switched on DuckDB's logging to a file for the
// process, checkpointed, or ran SQL given as JSON
// (json_execute_serialized_sql). Every function a fact query calls is
// now checked against DuckDB's catalog: only DuckDB's own functions
// without side effects, a few table functions that make rows from their
// arguments, and DuckDB's macros whose definitions pass the same check.
// Each family is refused by CheckFacts (what rules check runs) and by
// the evaluation, naming facts.yaml's line, the group and the function,
// and nothing of the store or its settings changes.
func TestFactQueriesCallOnlyPureFunctions(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "lw.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.BeginRun(ctx, "run", time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	if _, err := st.DB().Exec(`INSERT INTO audit VALUES (now()::TIMESTAMP, 'test', 'dispatch', 'x', '{}')`); err != nil {
		t.Fatal(err)
	}
	logFile := filepath.Join(dir, "duckdb.log")
	before := storeState(t, st.DB())
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	line := groupLine(t, "medical")
	const col, from = "count(*) AS claims_12m", "      FROM medical\n"
	// A value the query computes (in the select list), or a table function
	// it reads FROM.
	value := func(expr string) [2]string { return [2]string{col, col + ", max(" + expr + ") AS probe"} }
	table := func(fn string) [2]string { return [2]string{from, "      FROM medical, " + fn + " AS probe\n"} }
	for family, cases := range map[string]map[string][2]string{
		"sequences": {
			"nextval": value(`nextval('run_id_seq')`),
			"currval": value(`currval('run_id_seq')`),
			"setseed": value(`setseed(0.5)`),
		},
		"logging": {
			"enable_logging":       table(`enable_logging(level := 'trace', storage := 'file', storage_path := '` + logFile + `')`),
			"disable_logging":      table(`disable_logging()`),
			"truncate_duckdb_logs": table(`truncate_duckdb_logs()`),
			"write_log":            value(`write_log('x')`),
			"duckdb_logs":          table(`duckdb_logs`),
		},
		"profiling": {
			"enable_profiling":  table(`enable_profiling()`),
			"disable_profiling": table(`disable_profiling()`),
		},
		"checkpoint": {
			"checkpoint":       table(`checkpoint()`),
			"force_checkpoint": table(`force_checkpoint()`),
		},
		"pragmas and the catalog": {
			"pragma_database_size": table(`pragma_database_size()`),
			"pragma_storage_info":  table(`pragma_storage_info('audit')`),
			"duckdb_tables":        table(`duckdb_tables()`),
		},
		"settings": {
			"duckdb_settings": table(`duckdb_settings()`),
			"current_setting": value(`current_setting('threads')`),
			"getvariable":     value(`getvariable('x')`),
			"SHOW":            table(`(SHOW TABLES)`),
		},
		"a WITH named like a store table (second tester)": {
			"store_meta": {from, "      FROM medical, (WITH a AS (WITH store_meta AS (SELECT 1) SELECT 1) SELECT value FROM store_meta) AS probe\n"},
			"audit":      {from, "      FROM medical, (WITH x AS (WITH audit AS (SELECT 1 AS actor) SELECT 1) SELECT actor FROM audit) AS probe\n"},
		},
		"attached databases": {
			"duckdb_databases": table(`duckdb_databases()`),
		},
		"secrets": {
			"which_secret":   table(`which_secret('s3://bucket/x', 's3')`),
			"duckdb_secrets": table(`duckdb_secrets()`),
		},
		"extensions": {
			"duckdb_extensions": table(`duckdb_extensions()`),
			"st_point":          value(`st_point(1, 2)`), // spatial's, would be autoloaded
		},
		"files": {
			"read_text":        table(`read_text('/etc/passwd')`),
			"glob":             table(`glob('/etc/*')`),
			"read_blob":        table(`read_blob('/etc/passwd')`),
			"read_parquet":     table(`read_parquet('/tmp/x.parquet')`),
			"parquet_metadata": table(`parquet_metadata('/tmp/x.parquet')`),
			"sniff_csv":        table(`sniff_csv('/etc/passwd')`),
			"/etc/passwd":      table(`'/etc/passwd'`),
		},
		"tables that are no dataset": {
			"audit":            table(`audit`),
			"users":            table(`main.users`),
			"store_meta":       value(`(SELECT max(value) FROM store_meta)`),
			"duckdb_settings":  table(`duckdb_settings`),
			"lw.main.registry": table(`lw.main.registry`),
		},
		"SQL given as text": {
			"query":                       table(`query('DELETE FROM audit')`),
			"query_table":                 table(`query_table('audit')`),
			"json_execute_serialized_sql": table(`json_execute_serialized_sql(json_serialize_sql('SELECT 1'))`),
		},
		"side effects of other kinds": {
			"random":    value(`random()`),
			"uuid":      value(`uuid()`),
			"sleep_ms":  value(`sleep_ms(1)`),
			"pg_sleep":  value(`pg_sleep(0.001)`), // a macro calling sleep_ms
			"error":     value(`error('x')`),
			"in lambda": value(`list_sum(list_transform([1], x -> nextval('load_id_seq')))`),
		},
	} {
		t.Run(family, func(t *testing.T) {
			for fn, edit := range cases {
				pack := packWith(t, "", edit[0], edit[1])
				want := regexp.MustCompile(`facts\.yaml:` + strconv.Itoa(line) + `: facts group medical: .*` + regexp.QuoteMeta(fn))
				if fn == "in lambda" {
					want = regexp.MustCompile(`facts\.yaml:\d+: facts group medical: .*nextval\(\)`)
				}
				// rules check: its own in-memory DuckDB, as cmd/lipwatch does.
				mem, err := sql.Open("duckdb", "")
				if err != nil {
					t.Fatal(err)
				}
				checkErr := CheckFacts(ctx, mem, pack)
				mem.Close()
				if checkErr == nil || !want.MatchString(checkErr.Error()) {
					t.Errorf("%s: rules check: %v, want %s", fn, checkErr, want)
				}
				if _, err := (&Evaluator{Store: st, Pack: pack}).Hits(ctx, day); err == nil || !want.MatchString(err.Error()) {
					t.Errorf("%s: evaluation: %v, want %s", fn, err, want)
				}
				if after := storeState(t, st.DB()); after != before {
					t.Errorf("%s: the store changed: %s, was %s", fn, after, before)
				}
			}
		})
	}
	if _, err := os.Stat(logFile); !os.IsNotExist(err) {
		t.Errorf("DuckDB's log was written: %v", err)
	}
	// The run ledger still takes the next run id in sequence.
	id, err := st.BeginRun(ctx, "run", day)
	if err != nil || id != 2 {
		t.Errorf("next run id %d, %v: want 2", id, err)
	}
}

// Issue 9: the check refuses nothing an analyst writes to compute facts:
// DuckDB's ordinary functions of every kind (aggregates, windows, lists,
// strings, dates, regular expressions, JSON, DuckDB's own macros) and the
// table functions that make rows from their arguments.
func TestFactQueriesMayComputeFreely(t *testing.T) {
	ctx := context.Background()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	q := `WITH x AS (
	  SELECT i, 'a' || i::VARCHAR AS s, DATE '2026-01-01' + INTERVAL (i) DAY AS d, [i, i + 1] AS l, {'k': i} AS st
	  FROM range(5) t(i)
	), y AS (SELECT unnest(generate_series(1, 3)) AS g), z AS (SELECT * FROM unnest([1, 2]) u(v)),
	j AS (SELECT key, value FROM json_each('{"a": 1}')), jt AS (SELECT * FROM json_tree('[1]'))
	SELECT i, row_number() OVER (PARTITION BY i % 2 ORDER BY d DESC) AS rn, lag(i) OVER (ORDER BY i) AS prev,
	  sum(i) OVER () AS total, arg_max(s, d) OVER () AS newest, count(*) FILTER (WHERE i > 1) OVER () AS n,
	  upper(s) LIKE 'A%' AND s ILIKE 'a%' AS liked, regexp_matches(s, '^a[0-9]$') AS re, regexp_replace(s, 'a', 'b') AS rr,
	  strftime(d, '%m%d') AS md, date_diff('day', d, DATE '2026-12-31') AS dd, year(d) - month(d) + day(d) AS ymd,
	  date_trunc('month', d) AS mon, d - INTERVAL 12 MONTH AS back, extract(year FROM d) AS ey, date_add(d, INTERVAL 1 DAY) AS da,
	  list_sum(l) AS ls, list_transform(l, v -> v * 2) AS lt, list_filter(l, v -> v > 1) AS lf, len(l) AS ll, l[1] AS l1,
	  st.k AS sk, coalesce(nullif(i, 0), -1) AS nz, CASE WHEN i IN (1, 2) THEN 'x' ELSE 'y' END AS c,
	  greatest(i, 2) AS g2, round(i / 3, 2)::DOUBLE AS r, abs(-i) % 7 AS m, split_part(s, 'a', 2) AS sp,
	  json_extract_string('{"a": "b"}', '$.a') AS js, '{"a": 1}'::JSON ->> 'a' AS ja, string_split(s, 'a') AS ss,
	  trim(s) || lpad(s, 5, '0') AS pad, i::VARCHAR AS iv, TRY_CAST(s AS INTEGER) AS tc, hash(s) AS h, md5(s) AS md5,
	  (SELECT max(g) FROM y) AS ymax, EXISTS (SELECT 1 FROM z WHERE v = i) AS ex, (SELECT count(*) FROM j) AS jn,
	  (SELECT count(*) FROM jt) AS jtn, quantile_cont(i, 0.5) OVER () AS med, string_agg(s, ',') OVER () AS sa,
	  bool_or(i > 3) OVER () AS bo, any_value(s) OVER () AS av
	FROM x
	QUALIFY row_number() OVER (PARTITION BY i ORDER BY d) = 1`
	if _, err := db.Exec(`CREATE MACRO as_of() AS DATE '2026-11-28'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("the query itself: %v", err)
	}
	c := &checker{ctx: ctx, db: db, checked: map[string]error{}}
	if err := c.checkQuery(q + " AND as_of() IS NOT NULL"); err != nil {
		t.Error(err)
	}
	// And the shipped facts.
	p, err := rule.Load("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckFacts(ctx, db, p); err != nil {
		t.Error(err)
	}
}

// Issue 9: the fact queries run in a read-only transaction, a second wall
// behind the check: a query that writes fails there (naming facts.yaml,
// its line and the group), writes nothing, and leaves the connection out
// of the transaction for what follows.
func TestFactQueriesRunReadOnly(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	conn, err := st.DB().Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	before := storeState(t, st.DB())
	// Past the check (computeFacts alone), as a function the check did
	// not know would be.
	pack := packWith(t, "", "count(*) AS claims_12m", "count(*) AS claims_12m, max(nextval('run_id_seq')) AS probe")
	failed, err := computeFacts(ctx, conn, pack, day)
	want := regexp.MustCompile(`facts\.yaml:\d+: facts group medical: the query failed \(fact queries run in a read-only transaction: they may only read\): .*read-only`)
	if err != nil || failed["medical"] == nil || !want.MatchString(failed["medical"].Error()) {
		t.Errorf("got %v %v, want %s", failed, err, want)
	}
	if after := storeState(t, st.DB()); after != before {
		t.Errorf("the store changed: %s, was %s", after, before)
	}
	// The connection is out of the transaction: it writes again.
	if _, err := conn.ExecContext(ctx, `INSERT INTO audit VALUES (now()::TIMESTAMP, 'test', 'dispatch', 'x', '{}')`); err != nil {
		t.Errorf("after the failed facts: %v", err)
	}
	// A query failing as it runs names the group and facts.yaml too.
	pack = packWith(t, "", "      FROM medical\n", "      FROM medical, range(CAST('x' AS INTEGER)) AS r\n")
	res, err := (&Evaluator{Store: st, Pack: pack}).Hits(ctx, day)
	if err != nil || len(res.FactFailures) != 1 ||
		!regexp.MustCompile(`facts\.yaml:\d+: facts group medical: the query failed: .*(?i)conversion`).MatchString(res.FactFailures[0].Err.Error()) {
		t.Errorf("a query failing as it runs: %+v %v", res, err)
	}
	// The shipped facts run (and commit their temp tables).
	p, err := rule.Load("../../rules")
	if err != nil {
		t.Fatal(err)
	}
	if failed, err := factTables(ctx, conn, p, day); err != nil || len(failed) > 0 {
		t.Fatal(failed, err)
	}
	var n int
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM "f_person"`).Scan(&n); err != nil {
		t.Errorf("fact table after the transaction: %v", err)
	}
}

// TestCountsMustBeDayCounts: a field that says counts: days must be
// date_diff('day', <a date>, as_of()) in the query's final SELECT (cast or
// not): any other int column, moved by the days since it was kept, would
// be wrong on every incremental night. The fact check refuses it at the
// group, naming the field, both for rules check (CheckFactQueries) and
// for the night (CheckFacts); the default pack's counts pass.
func TestCountsMustBeDayCounts(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	if err := CheckFacts(ctx, st.DB(), packWith(t, "", "", "")); err != nil {
		t.Fatalf("the default pack: %v", err)
	}
	const level = `level:             {type: int, default: 0, doc:`
	wrong := packWith(t, "", level, `level:             {type: int, default: 0, counts: days, doc:`)
	err := CheckFacts(ctx, st.DB(), wrong)
	if err == nil || !strings.Contains(err.Error(), "facts group disability: field level: counts: days needs its column in the query's final SELECT to be date_diff('day', <a date>, as_of())") {
		t.Errorf("counts: days on disability.level: %v", err)
	}
	errs, _, err := CheckFactQueries(ctx, st, wrong)
	if err != nil {
		t.Fatal(err)
	}
	if len(errs) != 1 || !strings.Contains(errs.Error(), "group disability: sql: field level: counts: days needs") {
		t.Errorf("rules check of counts: days on disability.level: %v", errs)
	}
	// A count of days in another unit, or from another date than as_of().
	for _, to := range []string{
		`date_diff('month', max(issued_date), as_of()) AS days_since_issued`,
		`date_diff('day', max(issued_date), DATE '2026-01-01') AS days_since_issued`,
		`date_diff('day', max(issued_date), as_of()) + 1 AS days_since_issued`,
	} {
		p := packWith(t, "", `date_diff('day', max(issued_date), as_of()) AS days_since_issued`, to)
		if err := CheckFacts(ctx, st.DB(), p); err == nil || !strings.Contains(err.Error(), "field days_since_issued: counts: days needs") {
			t.Errorf("%s: %v", to, err)
		}
	}
	cast := packWith(t, "", `date_diff('day', max(issued_date), as_of()) AS days_since_issued`, `date_diff('day', max(issued_date), as_of())::INTEGER AS days_since_issued`)
	if err := CheckFacts(ctx, st.DB(), cast); err != nil {
		t.Errorf("a cast count: %v", err)
	}
}
