package xlsx_test

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx"
)

// benchRows is the size of the benchmark's sheet.
const benchRows = 200_000

// writeBenchBook writes a 医保 settlement sheet of n rows as Excel would
// hold it: shared strings, number cells, date cells. It is cached under
// the test's temporary directory for the benchmark's iterations.
func writeBenchBook(b *testing.B, n int) string {
	b.Helper()
	path := filepath.Join(b.TempDir(), "medical.xlsx")
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	dateStyle, err := f.NewStyle(&excelize.Style{NumFmt: 14})
	if err != nil {
		b.Fatal(err)
	}
	hospitals := []string{"县人民医院", "县中医院", "市第一人民医院", "省立医院", "某镇卫生院"}
	if err := sw.SetRow("A1", []any{"结算单号", "身份证号", "结算日期", "医疗机构", "医疗总费用", "统筹支付", "个人自付"}); err != nil {
		b.Fatal(err)
	}
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		err := sw.SetRow(cell, []any{
			fmt.Sprintf("JS2026%08d", i),
			fmt.Sprintf("34079919%02d%02d%02d%04d", 50+i%50, 1+i%12, 1+i%28, i%10000),
			excelize.Cell{StyleID: dateStyle, Value: day.AddDate(0, 0, i%365)},
			hospitals[i%len(hospitals)],
			float64(1000+i%90000) + float64(i%100)/100,
			float64(500 + i%4000),
			float64(100+i%3000) + 0.5,
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkSheet reads a 200,000-row sheet with this package's reader and,
// in the same run, with excelize's streaming Rows iterator (RawCellValue,
// as the file connector read xlsx before), and reports rows/s for each.
func BenchmarkSheet(b *testing.B) {
	path := writeBenchBook(b, benchRows)
	if fi, err := os.Stat(path); err == nil {
		b.Logf("%s: %d rows, %.1f MB", filepath.Base(path), benchRows, float64(fi.Size())/1e6)
	}
	benchReaders(b, path, "Sheet1", 7, benchRows+1)
}

// BenchmarkHouseholdsSheet reads the households workbook of 350,000 rows
// (LIPWATCH_BENCH_HOUSEHOLDS) that engine/ingest's BenchmarkSyncXLSX writes
// and caches in $TMPDIR/lipwatch-bench (shared strings, numbers, date
// cells, a merged title row, as excelize and Excel write them), with this
// package's reader and with excelize's Rows iterator, without the sync's
// store: for profiling the reader. It is skipped until that file exists.
func BenchmarkHouseholdsSheet(b *testing.B) {
	n := 350_000
	if s := os.Getenv("LIPWATCH_BENCH_HOUSEHOLDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	path := filepath.Join(os.TempDir(), "lipwatch-bench", fmt.Sprintf("households-%d.xlsx", n))
	fi, err := os.Stat(path)
	if err != nil {
		b.Skipf("%s is written by go test -bench SyncXLSX ./engine/ingest", path)
	}
	rows := countRows(b, path)
	b.Logf("%s: %d rows, %.1f MB", path, rows, float64(fi.Size())/1e6)
	benchReaders(b, path, "家庭收入核定", 4, rows)
	// A floor: inflating the parts the reader reads, the sheet twice (the
	// scan for merged ranges, then the rows), without parsing them.
	b.Run("inflate", func(b *testing.B) {
		for b.Loop() {
			zr, err := zip.OpenReader(path)
			if err != nil {
				b.Fatal(err)
			}
			var n int64
			for _, f := range zr.File {
				times := map[string]int{"xl/worksheets/sheet1.xml": 2, "xl/sharedStrings.xml": 1, "xl/styles.xml": 1}[f.Name]
				for range times {
					rc, err := f.Open()
					if err != nil {
						b.Fatal(err)
					}
					m, err := io.Copy(io.Discard, rc)
					if err != nil {
						b.Fatal(err)
					}
					n += m
					rc.Close()
				}
			}
			zr.Close()
			b.SetBytes(n)
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// countRows counts the rows of the first sheet of a workbook.
func countRows(b *testing.B, path string) int {
	wb, err := xlsx.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer wb.Close()
	sh, err := wb.OpenSheet(0)
	if err != nil {
		b.Fatal(err)
	}
	defer sh.Close()
	n := 0
	for {
		_, err := sh.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
	}
}

// benchReaders reads the first sheet of the workbook at path (named sheet)
// with this package's reader, merged ranges filled to width, and with
// excelize's Rows iterator, each expected to return rows rows.
func benchReaders(b *testing.B, path, sheet string, width, rows int) {
	b.Run("lipwatch", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			wb, err := xlsx.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			sh, err := wb.OpenSheet(0)
			if err != nil {
				b.Fatal(err)
			}
			sh.SetFill(true, width)
			n := 0
			for {
				row, err := sh.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				if len(row.Values) > width {
					b.Fatalf("row %d: %q", row.Num, row.Values)
				}
				n++
			}
			sh.Close()
			wb.Close()
			if n != rows {
				b.Fatalf("read %d rows", n)
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("excelize", func(b *testing.B) {
		b.ReportAllocs()
		raw := excelize.Options{RawCellValue: true}
		for b.Loop() {
			f, err := excelize.OpenFile(path, raw)
			if err != nil {
				b.Fatal(err)
			}
			it, err := f.Rows(sheet)
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for it.Next() {
				if _, err := it.Columns(raw); err != nil {
					b.Fatal(err)
				}
				n++
			}
			it.Close()
			f.Close()
			if n != rows {
				b.Fatalf("read %d rows", n)
			}
		}
		b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
