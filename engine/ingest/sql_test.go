package ingest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/lipwatch/lipwatch/connectors"
	_ "github.com/lipwatch/lipwatch/connectors/sqlsrc"
	"github.com/lipwatch/lipwatch/engine/dataset"

	"github.com/lipwatch/lipwatch/internal/pgtest"
)

// Issue 8 through a real department database: a record dated 2099 (a
// typo) loads but never becomes the watermark, and what the last load
// noted reaches the ledger; a record back-dated past the lookback is
// never read incrementally and is found by the reconciliation, which the
// ledger counts.
func TestSQLFutureWatermarkAndReconcile(t *testing.T) {
	url := pgtest.URL(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	exec := func(q string) {
		t.Helper()
		if _, err := conn.Exec(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	exec(`DROP TABLE IF EXISTS ingest_jyss`)
	exec(`CREATE TABLE ingest_jyss (身份证号 text, 业务类型 text, 业务日期 date, 更新时间 timestamp)`)
	exec(`INSERT INTO ingest_jyss VALUES
		('11010519491231002X', '失业登记', '2026-03-01', '2026-03-01 09:00:00'),
		('11010519491231002X', '就业登记', '2026-03-05', '2026-03-05 10:20:30'),
		('110105194912310038', '失业登记', '2026-04-01', '2099-12-31 00:00:00')`)
	t.Setenv("LIPWATCH_TEST_INGEST_DSN", url)
	c, err := connectors.New("sql", connectors.Source{Name: "jyss_db", Options: connectors.Options{
		"dsn_env": "LIPWATCH_TEST_INGEST_DSN",
		"query":   `SELECT 身份证号, 业务类型, 业务日期, 更新时间 FROM ingest_jyss WHERE 更新时间 > $1 ORDER BY 更新时间`,
		// Full reads (the first load, reconciliations) read every row,
		// also those whose 更新时间 is NULL, which "> $1" never reads.
		"full_query":       `SELECT 身份证号, 业务类型, 业务日期, 更新时间 FROM ingest_jyss`,
		"watermark_column": "更新时间", "lookback": "48h"}})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t)
	ds, _ := dataset.Lookup("employment")
	src := Source{Name: "jyss_db", Dataset: ds, Connector: c, Mapping: dataset.Mapping{Columns: employmentColumns},
		Reconcile: 7 * 24 * time.Hour}
	if r := f.synced(src); len(r.Loads) != 1 || r.Loads[0].Loaded != 3 {
		t.Fatalf("first load: %+v", r.Loads)
	}
	states, err := f.store.IncrementalStates(ctx, "jyss_db")
	if err != nil || len(states) != 1 {
		t.Fatalf("states %+v, %v", states, err)
	}
	if w := states[0].Watermark; !strings.HasPrefix(w, "2026-03-05") {
		t.Fatalf("watermark %q: the future-dated record moved it", w)
	}
	future := false
	for _, n := range states[0].Notes {
		future = future || (n.Code == connectors.NoteFutureWatermark && n.Count == 1)
	}
	if !future {
		t.Errorf("the ledger does not note the future-dated record: %+v", states[0].Notes)
	}
	// A correction back-dated past the lookback, a row entered without
	// an update time, and an ordinary new row.
	exec(`INSERT INTO ingest_jyss VALUES
		('11010519491231002X', '就业登记', '2026-02-01', '2026-02-01 08:00:00'),
		('11010519491231002X', '就业登记', '2026-01-15', NULL),
		('11010519491231002X', '失业登记', '2026-04-02', '2026-04-02 08:00:00')`)
	if r := f.synced(src); len(r.Loads) != 1 || r.Loads[0].Loaded != 1 {
		t.Fatalf("incremental read: %+v", r.Loads)
	}
	f.ageLoads("jyss_db", 8)
	r := f.synced(src)
	if len(r.Loads) != 2 || r.Loads[0].Loaded != 0 || r.Loads[1].Loaded != 2 {
		t.Fatalf("reconciliation night: %+v", r.Loads)
	}
	if n := f.count(`SELECT count(*) FROM employment WHERE event_date IN (DATE '2026-02-01', DATE '2026-01-15')`); n != 2 {
		t.Fatalf("the back-dated correction and the row without an update time were not found: %d", n)
	}
	nullNoted := false
	for _, n := range r.Loads[1].Notes {
		nullNoted = nullNoted || (n.Code == connectors.NoteNullWatermark && n.Count == 1)
	}
	if !nullNoted {
		t.Errorf("the reconciliation does not count the row without an update time: %+v", r.Loads[1].Notes)
	}
	if states, err = f.store.IncrementalStates(ctx, "jyss_db"); err != nil || states[0].FullRead.Count != 2 ||
		!strings.Contains(states[0].FullRead.Text, "(reconciliation every 7d)") || !strings.HasPrefix(states[0].Watermark, "2026-04-02") {
		t.Fatalf("after the reconciliation: %+v, %v", states, err)
	}
}
