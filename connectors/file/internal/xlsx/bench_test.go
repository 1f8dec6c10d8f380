package xlsx_test

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
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
			sh.SetFill(true, 7)
			n := 0
			for {
				row, err := sh.Next()
				if err == io.EOF {
					break
				}
				if err != nil {
					b.Fatal(err)
				}
				if n > 0 && row.Values[2] == "" {
					b.Fatal("no date")
				}
				n++
			}
			sh.Close()
			wb.Close()
			if n != benchRows+1 {
				b.Fatalf("read %d rows", n)
			}
		}
		b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
	b.Run("excelize", func(b *testing.B) {
		b.ReportAllocs()
		raw := excelize.Options{RawCellValue: true}
		for b.Loop() {
			f, err := excelize.OpenFile(path, raw)
			if err != nil {
				b.Fatal(err)
			}
			rows, err := f.Rows("Sheet1")
			if err != nil {
				b.Fatal(err)
			}
			n := 0
			for rows.Next() {
				if _, err := rows.Columns(raw); err != nil {
					b.Fatal(err)
				}
				n++
			}
			rows.Close()
			f.Close()
			if n != benchRows+1 {
				b.Fatalf("read %d rows", n)
			}
		}
		b.ReportMetric(float64(benchRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}
