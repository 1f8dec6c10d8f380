package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/lipwatch/lipwatch/engine/dataset"
)

// TestMigrateLinkageFields: a store at schema 0021 holding rows, as the
// loader of that schema wrote them, is migrated by 0022: every linkable
// table gains name, gender and birth_date before its lineage columns with
// its rows intact; loads gains rows_unresolved. The same file loaded
// again, now with its 姓名 column mapped, is all duplicates (the keys did
// not change) and gives the loaded rows their names.
func TestMigrateLinkageFields(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.duckdb")
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	c, err := duckdb.NewConnector(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	old := &Store{db: sql.OpenDB(c), connector: c, path: path}
	if _, err := old.db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.version > 21 {
			break
		}
		if err := old.apply(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	ds, _ := dataset.Lookup("employment")
	header := []string{"身份证号", "姓名", "业务类型", "业务日期"}
	rows := [][]string{
		{"11010519491231002X", "张三", "失业登记", "2026-03-01"},
		{"11010519491231002X", "张三", "就业登记", "2026-05-01"},
		{"440524188001010014", "李四", "失业登记", "2026-04-02"},
	}
	// The rows as 0021's loader stored them: no name mapped, the fields of
	// then, the lineage after them, in the table's order of then.
	then, err := dataset.NewMapper(ds, header, dataset.Mapping{Columns: map[string]string{"id_number": "身份证号", "event": "业务类型", "event_date": "业务日期"}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(ds.Fields))
	for i, r := range rows {
		key, p := then.Map(r, out)
		if p != nil {
			t.Fatal(p)
		}
		if _, err := old.db.ExecContext(ctx, `INSERT INTO employment VALUES (?, ?, ?, ?, 'emp', 7, TIMESTAMP '2026-03-02 01:00:00', 'emp.csv', ?)`,
			out[0], out[1], out[2], key, i+2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := old.db.ExecContext(ctx, `INSERT INTO medical VALUES ('JS1', '11010519491231002X', DATE '2026-03-05', '县医院', 100.50, 50, 0, 0, 50.50,
		'JS1', 'med', 8, TIMESTAMP '2026-03-06 01:00:00', 'm.csv', 2)`); err != nil {
		t.Fatal(err)
	}
	if _, err := old.db.ExecContext(ctx, `INSERT INTO loads (load_id, sync_id, source, dataset, stream, rows_read, rows_loaded, started_at, status)
		VALUES (7, 7, 'emp', 'employment', 'emp.csv', 3, 3, now(), 'ok')`); err != nil {
		t.Fatal(err)
	}
	old.db.Close()

	st, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if v, _ := st.AppliedMigrations(ctx); v[len(v)-1] < 22 {
		t.Fatalf("migrations %v", v)
	}
	var cols []string
	r, err := st.DB().Query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'medical' ORDER BY ordinal_position`)
	if err != nil {
		t.Fatal(err)
	}
	for r.Next() {
		var c string
		r.Scan(&c)
		cols = append(cols, c)
	}
	r.Close()
	if got := strings.Join(cols, ","); got != "claim_id,id_number,settle_date,hospital,total_cost,fund_paid,critical_illness_paid,assistance_paid,out_of_pocket,name,gender,birth_date,_key,_source,_load_id,_loaded_at,_stream,_position" {
		t.Errorf("medical columns after 0022: %s", got)
	}
	var claim string
	var oop float64
	var loadedAt time.Time
	if err := st.DB().QueryRow(`SELECT claim_id, out_of_pocket::DOUBLE, _loaded_at FROM medical WHERE name IS NULL AND _load_id = 8 AND _position = 2`).Scan(&claim, &oop, &loadedAt); err != nil ||
		claim != "JS1" || oop != 50.5 || !loadedAt.Equal(time.Date(2026, 3, 6, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("medical row after 0022: %v %s %v %v", err, claim, oop, loadedAt)
	}
	if n := count(t, st, `SELECT count(*) FROM employment WHERE _source = 'emp' AND _load_id = 7 AND name IS NULL`); n != 3 {
		t.Errorf("employment rows after 0022: %d", n)
	}
	if n := count(t, st, `SELECT coalesce(sum(rows_unresolved), -1) FROM loads`); n != 0 {
		t.Errorf("rows_unresolved of an old load: %d", n)
	}

	// The same rows again, with 姓名 mapped now.
	now, err := dataset.NewMapper(ds, header, dataset.Mapping{Columns: map[string]string{"id_number": "身份证号", "name": "姓名", "event": "业务类型", "event_date": "业务日期"}})
	if err != nil {
		t.Fatal(err)
	}
	l, err := st.BeginLoad(ctx, "emp", 9, ds)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := l.Stream(ctx, "emp.csv", "sha256:again")
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		key, p := now.Map(r, out)
		if p != nil {
			t.Fatal(p)
		}
		if err := sl.Append(out, key, int64(i+2)); err != nil {
			t.Fatal(err)
		}
	}
	ld, err := sl.Finish(ctx, int64(len(rows)))
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if ld.Loaded != 0 || ld.Duplicates != 3 || ld.Quarantined != 0 {
		t.Errorf("the same rows after the migration: %+v", ld)
	}
	got := strings.Join(texts(t, st, `SELECT name || ' ' || _load_id FROM employment ORDER BY _position`), ",")
	if got != "张三 7,张三 7,李四 7" {
		t.Errorf("employment after the re-send: %s", got)
	}
	if n := count(t, st, `SELECT count(*) FROM quarantine`); n != 0 {
		t.Errorf("%d rows quarantined (key conflicts?)", n)
	}
	// A later name does not overwrite the one loaded.
	l, _ = st.BeginLoad(ctx, "emp", 10, ds)
	sl, _ = l.Stream(ctx, "emp2.csv", "sha256:renamed")
	key, _ := now.Map([]string{"440524188001010014", "李肆", "失业登记", "2026-04-02"}, out)
	if err := sl.Append(out, key, 2); err != nil {
		t.Fatal(err)
	}
	if ld, err = sl.Finish(ctx, 1); err != nil || ld.Duplicates != 1 {
		t.Fatalf("%+v %v", ld, err)
	}
	l.Commit(ctx)
	if got := strings.Join(texts(t, st, `SELECT name FROM employment WHERE id_number = '440524188001010014'`), ","); got != "李四" {
		t.Errorf("name after a re-send under another spelling: %s", got)
	}
}

// TestLoaderFollowsTableOrder: a table whose columns are in another order
// than the dataset's fields (a store altered by hand, or a migration that
// added a column at the end) is still loaded right: the loader writes by
// the table's own order.
func TestLoaderFollowsTableOrder(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	if _, err := s.DB().Exec(`DROP TABLE employment; CREATE TABLE employment (_key VARCHAR NOT NULL, name VARCHAR, event VARCHAR NOT NULL,
		_source VARCHAR NOT NULL, _load_id BIGINT NOT NULL, _loaded_at TIMESTAMP NOT NULL, _stream VARCHAR NOT NULL, _position BIGINT NOT NULL,
		id_number VARCHAR NOT NULL, event_date DATE NOT NULL, gender VARCHAR, birth_date DATE, note VARCHAR)`); err != nil {
		t.Fatal(err)
	}
	ds, _ := dataset.Lookup("employment")
	l, err := s.BeginLoad(ctx, "emp", 1, ds)
	if err != nil {
		t.Fatal(err)
	}
	sl, err := l.Stream(ctx, "e.csv", "sha256:x")
	if err != nil {
		t.Fatal(err)
	}
	if err := sl.Append([]any{"11010519491231002X", "unemployed", time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), "张三", "female", nil}, "k1", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := sl.Finish(ctx, 1); err != nil {
		t.Fatal(err)
	}
	l.Commit(ctx)
	got := strings.Join(texts(t, s, `SELECT concat_ws('|', _key, name, event, _source, _stream, _position, id_number, event_date, gender, coalesce(note, 'NULL')) FROM employment`), ",")
	if got != "k1|张三|unemployed|emp|e.csv|2|11010519491231002X|2026-03-01|female|NULL" {
		t.Errorf("row %s", got)
	}
	// A table without a field's column is refused, naming it.
	if _, err := s.DB().Exec(`ALTER TABLE employment DROP COLUMN event_date`); err != nil {
		t.Fatal(err)
	}
	l, _ = s.BeginLoad(ctx, "emp", 2, ds)
	defer l.Rollback(ctx)
	if _, err := l.Stream(ctx, "e2.csv", "sha256:y"); err == nil || !strings.Contains(err.Error(), "lacks the columns event_date") {
		t.Errorf("a table without event_date: %v", err)
	}
}

func texts(t *testing.T, s *Store, q string) []string {
	t.Helper()
	rows, err := s.DB().Query(q)
	if err != nil {
		t.Fatal(fmt.Errorf("%s: %w", q, err))
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}
