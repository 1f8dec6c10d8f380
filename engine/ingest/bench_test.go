package ingest

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/gen"
	"github.com/lipwatch/lipwatch/engine/store"
)

// benchMedicalFile writes (once, cached in the temp dir) a medical CSV of n
// rows from the generator.
func benchMedicalFile(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "lipwatch-bench")
	path := filepath.Join(dir, fmt.Sprintf("medical-%d-seed1.csv", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	os.MkdirAll(dir, 0o755)
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := gen.WriteMedicalCSV(w, n, 1, time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)); err != nil {
		b.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// readCSVBaseline is DuckDB's own CSV reader filling the same table shape,
// with the conversions the dirty formats need done in SQL. It validates far
// less than lipwatch (no ID check digits, no 15-digit upgrade, no
// quarantine), so it is a floor, not an equal.
const readCSVBaseline = `
INSERT INTO medical
SELECT 结算单号, upper(replace(身份证号, ' ', '')),
  coalesce(try_strptime(结算日期, '%Y-%m-%d'), try_strptime(结算日期, '%Y/%m/%d'),
           try_strptime(结算日期, '%Y年%m月%d日'), try_strptime(结算日期, '%Y%m%d'))::DATE,
  医疗机构, m(医疗总费用), m(统筹基金支付), m(大病保险支付), m(医疗救助支付), m(个人自付),
  结算单号, 'bench', 1, now()::TIMESTAMP, 'medical.csv', row_number() OVER ()
FROM read_csv(?, all_varchar = true, header = true)`

func BenchmarkSyncMedical(b *testing.B) {
	n := 1_000_000
	if s := os.Getenv("LIPWATCH_BENCH_ROWS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	path := benchMedicalFile(b, n)
	ds, _ := dataset.Lookup("medical")
	cfg, err := config.Load("../../config.yaml") // the medical source's real column mapping
	if err != nil {
		b.Fatal(err)
	}
	medicalColumns := cfg.Sources["medical"].Columns
	ctx := context.Background()
	var syncTotal, csvTotal, rawTotal time.Duration
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		st, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "a.duckdb")})
		if err != nil {
			b.Fatal(err)
		}
		c, err := connectors.New("file", connectors.Source{Name: "medical", Options: connectors.Options{"path": path}})
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		r := (&Syncer{Store: st}).SyncSource(ctx, Source{Name: "medical", Dataset: ds, Connector: c, Mapping: dataset.Mapping{Columns: medicalColumns}})
		syncTotal += time.Since(t0)
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		if _, loaded, _, _ := r.Totals(); loaded != int64(n) {
			b.Fatalf("loaded %d of %d", loaded, n)
		}
		syncSums := sums(b, st.DB())
		st.Close()

		st2, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "b.duckdb")})
		if err != nil {
			b.Fatal(err)
		}
		// The store refuses file access (enable_external_access false), as
		// it should; the baseline reads the CSV through a plain DuckDB on
		// the same file, with the tables the store created.
		st2.Close()
		db, err := sql.Open("duckdb", filepath.Join(dir, "b.duckdb"))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := db.Exec(`CREATE MACRO m(x) AS CAST(replace(replace(replace(replace(x, ',', ''), '元', ''), '￥', ''), '¥', '') AS DECIMAL(14,2))`); err != nil {
			b.Fatal(err)
		}
		t0 = time.Now()
		res, err := db.Exec(readCSVBaseline, path)
		csvTotal += time.Since(t0)
		if err != nil {
			b.Fatal(err)
		}
		if got, _ := res.RowsAffected(); got != int64(n) {
			b.Fatalf("read_csv loaded %d of %d", got, n)
		}
		// The floor: DuckDB parsing the CSV into text columns, no conversion.
		t0 = time.Now()
		if _, err := db.Exec(`CREATE TABLE raw AS SELECT * FROM read_csv(?, all_varchar = true, header = true)`, path); err != nil {
			b.Fatal(err)
		}
		rawTotal += time.Since(t0)
		// Both paths must have stored the same values, or the comparison
		// means nothing.
		if got := sums(b, db); got != syncSums {
			b.Fatalf("sync stored %s, read_csv stored %s", syncSums, got)
		}
		db.Close()
	}
	b.ReportMetric(syncTotal.Seconds()/float64(b.N), "sync_s")
	b.ReportMetric(csvTotal.Seconds()/float64(b.N), "read_csv_s")
	b.ReportMetric(rawTotal.Seconds()/float64(b.N), "read_csv_varchar_s")
	b.ReportMetric(syncTotal.Seconds()/csvTotal.Seconds(), "ratio")
	b.ReportMetric(float64(n)*float64(b.N)/syncTotal.Seconds(), "sync_rows/s")
}

// sums fingerprints the medical table's values: money totals and dates.
func sums(b *testing.B, db *sql.DB) string {
	var out string
	err := db.QueryRow(`SELECT concat_ws(' ', sum(total_cost), sum(fund_paid), sum(critical_illness_paid),
		sum(assistance_paid), sum(out_of_pocket), min(settle_date), max(settle_date), count(DISTINCT settle_date))
		FROM medical`).Scan(&out)
	if err != nil {
		b.Fatal(err)
	}
	return out
}
