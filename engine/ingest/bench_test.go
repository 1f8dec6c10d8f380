package ingest

import (
	"bufio"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

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
INSERT INTO medical (claim_id, id_number, settle_date, hospital, total_cost, fund_paid, critical_illness_paid, assistance_paid, out_of_pocket,
  _key, _source, _load_id, _loaded_at, _stream, _position)
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

// benchHouseholdsBook writes (once, cached in $TMPDIR/lipwatch-bench) a
// 民政 家庭收入核定 workbook of n households as the generator writes its
// households.xlsx, with excelize's own writer (the one gen uses; Excel and
// WPS write the same parts): sheet 家庭收入核定, a title merged over row 1,
// the header on row 2, 户号 as shared strings, 家庭年收入 a number or, in
// four rows of ten, a text such as "83,200.00元", 家庭人口 a number,
// 收入核定日期 a date cell (yyyy-mm-dd); as in the generated county, a blank
// row in about 800 and an impossible date typed as text (20251301) in
// about 6,000. (engine/gen's 350,000-household county would serve too, but
// generating it takes hours as gen stands.)
func benchHouseholdsBook(b *testing.B, n int) string {
	b.Helper()
	dir := filepath.Join(os.TempDir(), "lipwatch-bench")
	path := filepath.Join(dir, fmt.Sprintf("households-%d.xlsx", n))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	t0 := time.Now()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	const sheet = "家庭收入核定"
	x := excelize.NewFile()
	defer x.Close()
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	must(x.SetSheetName("Sheet1", sheet))
	layout := "yyyy-mm-dd"
	dateStyle, err := x.NewStyle(&excelize.Style{CustomNumFmt: &layout})
	must(err)
	must(x.SetCellStr(sheet, "A1", "示例县家庭收入核定表"))
	must(x.MergeCell(sheet, "A1", "D1"))
	for i, h := range []string{"户号", "家庭年收入", "家庭人口", "收入核定日期"} {
		ref, _ := excelize.CoordinatesToCellName(i+1, 2)
		must(x.SetCellStr(sheet, ref, h))
	}
	rng := rand.New(rand.NewPCG(11, uint64(n)))
	epoch := time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)
	first := time.Date(2024, 12, 28, 0, 0, 0, 0, time.UTC)
	row := 2
	for i := range n {
		row++
		if rng.IntN(800) == 0 {
			row++ // a blank row, which the file leaves out
		}
		ref := func(col int) string {
			r, _ := excelize.CoordinatesToCellName(col, row)
			return r
		}
		must(x.SetCellStr(sheet, ref(1), fmt.Sprintf("340799%03d%03d%04d", 1+i/200_000, 1+i/2_000%100, 1+i%2_000)))
		fen := int64(20_000+rng.IntN(250_000)) * 100
		if rng.IntN(10) < 4 {
			yuan := strconv.FormatInt(fen/100, 10)
			var g strings.Builder
			for j, c := range yuan {
				if j > 0 && (len(yuan)-j)%3 == 0 {
					g.WriteByte(',')
				}
				g.WriteRune(c)
			}
			must(x.SetCellStr(sheet, ref(2), g.String()+".00元"))
		} else {
			must(x.SetCellFloat(sheet, ref(2), float64(fen)/100, -1, 64))
		}
		must(x.SetCellFloat(sheet, ref(3), float64(1+rng.IntN(7)), -1, 64))
		day := first.AddDate(0, 0, rng.IntN(745))
		if rng.IntN(6000) == 0 {
			must(x.SetCellStr(sheet, ref(4), fmt.Sprintf("%d1301", day.Year())))
			continue
		}
		must(x.SetCellFloat(sheet, ref(4), float64(day.Sub(epoch)/(24*time.Hour)), -1, 64))
		must(x.SetCellStyle(sheet, ref(4), ref(4), dateStyle))
	}
	must(x.SetColWidth(sheet, "A", "A", 22))
	must(x.SetColWidth(sheet, "B", "D", 14))
	tmp := strings.TrimSuffix(path, ".xlsx") + ".tmp.xlsx" // excelize saves only to .xlsx names
	must(x.SaveAs(tmp))
	must(os.Rename(tmp, path))
	b.Logf("wrote %s in %s", path, time.Since(t0).Round(time.Second))
	return path
}

// xlsxSum fingerprints a households sheet as read: the data rows and a
// hash of every row's 户号, 家庭年收入, 家庭人口 and 收入核定日期 (ISO) in
// order, so that two readers can be held to the same values.
type xlsxSum struct {
	rows  int64
	h     uint64
	blank int64 // rows without values, which the sync quarantines 100 of (RepeatKeep) and counts (the connector's count only)
}

func (s *xlsxSum) add(id, income, members, date string) {
	f := fnv.New64a()
	for _, v := range []string{id, income, members, date} {
		f.Write([]byte(v))
		f.Write([]byte{0})
	}
	s.rows++
	s.h = s.h*1099511628211 ^ f.Sum64()
}

// readHouseholdsConnector reads the households sheet through the file
// connector's RowReader, as the sync does.
func readHouseholdsConnector(b *testing.B, src Source) xlsxSum {
	ctx := context.Background()
	streams, err := src.Connector.Streams(ctx)
	if err != nil {
		b.Fatal(err)
	}
	rr, err := streams[0].Open(ctx)
	if err != nil {
		b.Fatal(err)
	}
	defer rr.Close()
	var s xlsxSum
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return s
		}
		if err != nil {
			b.Fatal(err)
		}
		v := row.Values
		switch len(v) {
		case 0: // a blank row
			v = []string{"", "", "", ""}
			s.blank++
		case 4:
		default:
			b.Fatalf("row %d: %d values", row.Pos, len(v))
		}
		s.add(v[0], v[1], v[2], v[3])
	}
}

// readHouseholdsExcelize reads the same sheet with excelize's streaming
// Rows iterator (raw cell values, the cheapest it offers), the rows below
// header row 2; a date cell's serial is converted to ISO for the checksum.
// (Raw values do not say which numbers are dates; the sheet's date column
// holds nothing else that is a number Excel could show as a date.)
func readHouseholdsExcelize(b *testing.B, path, sheet string) xlsxSum {
	raw := excelize.Options{RawCellValue: true}
	f, err := excelize.OpenFile(path, raw)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	rows, err := f.Rows(sheet)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var s xlsxSum
	for n := 1; rows.Next(); n++ {
		cols, err := rows.Columns(raw)
		if err != nil {
			b.Fatal(err)
		}
		if n <= 2 {
			continue
		}
		for len(cols) < 4 {
			cols = append(cols, "")
		}
		date := cols[3]
		if serial, err := strconv.ParseFloat(date, 64); err == nil && serial < 2958466 { // a serial before 10000-01-01; the file also has 20241301 typed as text
			t, err := excelize.ExcelDateToTime(serial, false)
			if err != nil {
				b.Fatal(err)
			}
			date = t.Format(time.DateOnly)
		}
		s.add(cols[0], cols[1], cols[2], date)
	}
	return s
}

// peakRSS resets the process's peak resident set (Linux: clear_refs 5)
// and returns a func reporting the peak since, in MB; 0 where the kernel
// does not say.
func peakRSS() func() float64 {
	os.WriteFile("/proc/self/clear_refs", []byte("5"), 0)
	return func() float64 {
		b, err := os.ReadFile("/proc/self/status")
		if err != nil {
			return 0
		}
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
				kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
				return kb / 1024
			}
		}
		return 0
	}
}

// BenchmarkSyncXLSX syncs a households.xlsx of 350,000 households
// (LIPWATCH_BENCH_HOUSEHOLDS; see benchHouseholdsBook) through the
// households source of config.yaml and reports, in the same run: the file
// connector's reading of it alone (reader_rows/s), excelize's streaming Rows
// iterator over the same sheet (excelize_rows/s, the baseline), and the
// whole sync path into a store (sync_rows/s: connector → mapping and
// validation → Appender → duplicate check → commit), with ratio = sync time
// / excelize time and the peak RSS of each phase. It fails unless both
// readers read the same rows and values and the sync read them all.
func BenchmarkSyncXLSX(b *testing.B) {
	n := 350_000
	if s := os.Getenv("LIPWATCH_BENCH_HOUSEHOLDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	path := benchHouseholdsBook(b, n)
	if fi, err := os.Stat(path); err == nil {
		b.Logf("%s: %.1f MB", path, float64(fi.Size())/1e6)
	}
	cfg, err := config.Load("../../config.yaml") // the households source's real options and mapping
	if err != nil {
		b.Fatal(err)
	}
	sc := cfg.Sources["households"]
	sc.Options["path"] = path
	cfg.Sources["households"] = sc
	srcs, failed, err := FromConfig(cfg, []string{"households"})
	if err != nil || len(failed) > 0 {
		b.Fatalf("source: %v %v", err, failed)
	}
	src := srcs[0]
	sheet, _ := sc.Options["sheet"].(string)
	ctx := context.Background()
	var readTotal, excelTotal, syncTotal time.Duration
	var readRSS, excelRSS, syncRSS float64
	var rows int64
	for i := 0; i < b.N; i++ {
		debug.FreeOSMemory()
		peak := peakRSS()
		t0 := time.Now()
		got := readHouseholdsConnector(b, src)
		readTotal += time.Since(t0)
		readRSS = max(readRSS, peak())

		debug.FreeOSMemory()
		peak = peakRSS()
		t0 = time.Now()
		want := readHouseholdsExcelize(b, path, sheet)
		excelTotal += time.Since(t0)
		excelRSS = max(excelRSS, peak())
		if got.rows != want.rows || got.h != want.h {
			b.Fatalf("the connector read %d rows (hash %x), excelize %d (hash %x)", got.rows, got.h, want.rows, want.h)
		}
		rows = got.rows

		st, err := store.Open(ctx, store.Options{Path: filepath.Join(b.TempDir(), "s.duckdb")})
		if err != nil {
			b.Fatal(err)
		}
		debug.FreeOSMemory()
		peak = peakRSS()
		t0 = time.Now()
		r := (&Syncer{Store: st}).SyncSource(ctx, src)
		syncTotal += time.Since(t0)
		syncRSS = max(syncRSS, peak())
		if r.Err != nil {
			b.Fatal(r.Err)
		}
		read, loaded, dup, quarantined := r.Totals()
		if stored := loaded + dup + quarantined; read != rows || stored > rows || stored < rows-got.blank {
			b.Fatalf("sync read %d rows (%d loaded, %d duplicates, %d quarantined), the readers %d (%d blank)", read, loaded, dup, quarantined, rows, got.blank)
		}
		var fp string
		if err := st.DB().QueryRow(`SELECT concat_ws(' ', count(*), count(DISTINCT household_id), sum(annual_income), sum(members),
			min(income_assessed_date), max(income_assessed_date), sum(hash(household_id, annual_income, members, income_assessed_date)))
			FROM households`).Scan(&fp); err != nil {
			b.Fatal(err)
		}
		st.Close()
		if i == 0 {
			b.Logf("%d rows, %d blank (sheet hash %x); sync: %d loaded, %d duplicates, %d quarantined; store: %s", rows, got.blank, got.h, loaded, dup, quarantined, fp)
		}
	}
	per := func(d time.Duration) float64 { return float64(rows) * float64(b.N) / d.Seconds() }
	b.ReportMetric(per(readTotal), "reader_rows/s")
	b.ReportMetric(per(excelTotal), "excelize_rows/s")
	b.ReportMetric(per(syncTotal), "sync_rows/s")
	b.ReportMetric(syncTotal.Seconds()/float64(b.N), "sync_s")
	b.ReportMetric(syncTotal.Seconds()/excelTotal.Seconds(), "ratio")
	b.ReportMetric(readRSS, "reader_MB")
	b.ReportMetric(excelRSS, "excelize_MB")
	b.ReportMetric(syncRSS, "sync_MB")
}
