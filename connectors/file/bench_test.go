package file_test

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"

	"github.com/lipwatch/lipwatch/connectors"
)

var hospitals = []string{"县人民医院", "县中医院", "市第一人民医院", "省立医院", "某镇卫生院"}

// writeMedicalCSV writes n settlement rows as 医保局 exports them, through
// enc when it is not nil.
func writeMedicalCSV(b *testing.B, path string, n int, enc transform.Transformer) {
	b.Helper()
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	var w io.Writer = f
	if enc != nil {
		tw := transform.NewWriter(f, enc)
		defer tw.Close()
		w = tw
	}
	bw := bufio.NewWriter(w)
	defer bw.Flush()
	fmt.Fprintln(bw, "结算单号,身份证号,结算日期,医疗机构,医疗总费用,统筹支付,大病保险支付,医疗救助支付,个人自付")
	for i := range n {
		fmt.Fprintf(bw, "JS2026%08d,34079919%02d%02d%02d%04d,2026-%02d-%02d,%s,%d.%02d,%d.00,0,0,%d.50\n",
			i, 50+i%50, 1+i%12, 1+i%28, i%10000, 1+i%12, 1+i%28, hospitals[i%len(hospitals)], 1000+i%90000, i%100, 500+i%4000, 100+i%3000)
	}
}

// BenchmarkCSV reads a 200,000-row settlement file through the RowReader,
// as the sync does, and reports rows per second.
func BenchmarkCSV(b *testing.B) {
	const rows = 200_000
	for _, bc := range []struct {
		name string
		enc  transform.Transformer
	}{
		{"utf-8", nil},
		{"gbk", simplifiedchinese.GBK.NewEncoder()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			dir := b.TempDir()
			path := filepath.Join(dir, "medical.csv")
			writeMedicalCSV(b, path, rows, bc.enc)
			fi, _ := os.Stat(path)
			c, err := connectors.New("file", connectors.Source{Name: "medical", BaseDir: dir, Options: connectors.Options{"path": "medical.csv"}})
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(fi.Size())
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if n := readCount(b, c); n != rows {
					b.Fatalf("read %d rows, want %d", n, rows)
				}
			}
			b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkXLSX reads a 50,000-row sheet, for comparison with CSV.
func BenchmarkXLSX(b *testing.B) {
	const rows = 50_000
	dir := b.TempDir()
	path := filepath.Join(dir, "medical.xlsx")
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	sw.SetRow("A1", []any{"结算单号", "身份证号", "结算日期", "医疗机构", "医疗总费用", "个人自付"})
	for i := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		sw.SetRow(cell, []any{fmt.Sprintf("JS2026%08d", i), fmt.Sprintf("3407991950010%05d", i), 46000 + i%365, hospitals[i%len(hospitals)], 1000.5 + float64(i%9000), 100 + i%3000})
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		b.Fatal(err)
	}
	f.Close()
	c, err := connectors.New("file", connectors.Source{Name: "medical", BaseDir: dir, Options: connectors.Options{"path": "medical.xlsx"}})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if n := readCount(b, c); n != rows {
			b.Fatalf("read %d rows, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

func readCount(b *testing.B, c connectors.Connector) int {
	streams, err := c.Streams(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	rr, err := streams[0].Open(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	defer rr.Close()
	n := 0
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		if len(row.Values) != 9 && len(row.Values) != 6 {
			b.Fatalf("row %d has %d values", row.Pos, len(row.Values))
		}
		n++
	}
}

// settlementJSON writes row i of the settlement file as a JSON object.
func settlementJSON(w io.Writer, i int) {
	fmt.Fprintf(w, `{"结算单号":"JS2026%08d","身份证号":"34079919%02d%02d%02d%04d","结算日期":"2026-%02d-%02d","医疗机构":%q,"医疗总费用":%d.%02d,"统筹支付":%d.00,"大病保险支付":0,"医疗救助支付":0,"个人自付":%d.50}`,
		i, 50+i%50, 1+i%12, 1+i%28, i%10000, 1+i%12, 1+i%28, hospitals[i%len(hospitals)], 1000+i%90000, i%100, 500+i%4000, 100+i%3000)
}

// benchRead reads the file through the RowReader as the sync does and
// reports rows per second.
func benchRead(b *testing.B, dir, name string, rows int) {
	fi, err := os.Stat(filepath.Join(dir, name))
	if err != nil {
		b.Fatal(err)
	}
	c, err := connectors.New("file", connectors.Source{Name: "medical", BaseDir: dir, Options: connectors.Options{"path": name}})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if n := readCount(b, c); n != rows {
			b.Fatalf("read %d rows, want %d", n, rows)
		}
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkJSON reads the settlement rows of BenchmarkCSV as a JSON array
// and as NDJSON.
func BenchmarkJSON(b *testing.B) {
	const rows = 200_000
	for _, ndjson := range []bool{false, true} {
		name := "medical.json"
		if ndjson {
			name = "medical.ndjson"
		}
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			f, err := os.Create(filepath.Join(dir, name))
			if err != nil {
				b.Fatal(err)
			}
			bw := bufio.NewWriter(f)
			if !ndjson {
				bw.WriteString("[\n")
			}
			for i := range rows {
				settlementJSON(bw, i)
				if !ndjson && i < rows-1 {
					bw.WriteByte(',')
				}
				bw.WriteByte('\n')
			}
			if !ndjson {
				bw.WriteString("]\n")
			}
			if err := bw.Flush(); err != nil {
				b.Fatal(err)
			}
			f.Close()
			benchRead(b, dir, name, rows)
		})
	}
}

// BenchmarkParquet reads the settlement rows from a Parquet file with
// string, decimal and date columns, in row groups of 50,000.
func BenchmarkParquet(b *testing.B) {
	const rows, perGroup = 200_000, 50_000
	req := parquet.Repetitions.Required
	dec := func(name string) schema.Node {
		return must(b)(schema.NewPrimitiveNodeLogical(name, req, schema.NewDecimalLogicalType(12, 2), parquet.Types.Int64, -1, -1))
	}
	fields := schema.FieldList{
		strNode(b, "结算单号", req), strNode(b, "身份证号", req),
		must(b)(schema.NewPrimitiveNodeLogical("结算日期", req, schema.DateLogicalType{}, parquet.Types.Int32, -1, -1)),
		strNode(b, "医疗机构", req), dec("医疗总费用"), dec("统筹支付"), dec("大病保险支付"), dec("医疗救助支付"), dec("个人自付"),
	}
	var groups [][]columnWriter
	for g := 0; g < rows; g += perGroup {
		var ids, people, hosp []parquet.ByteArray
		var dates []int32
		money := make([][]int64, 5)
		for i := g; i < g+perGroup; i++ {
			ids = append(ids, bs(fmt.Sprintf("JS2026%08d", i)))
			people = append(people, bs(fmt.Sprintf("34079919%02d%02d%02d%04d", 50+i%50, 1+i%12, 1+i%28, i%10000)))
			dates = append(dates, days(2026, time.Month(1+i%12), 1+i%28))
			hosp = append(hosp, bs(hospitals[i%len(hospitals)]))
			for k, v := range []int64{int64(1000+i%90000)*100 + int64(i%100), int64(500+i%4000) * 100, 0, 0, int64(100+i%3000)*100 + 50} {
				money[k] = append(money[k], v)
			}
		}
		cols := []columnWriter{levels(ids, nil, nil), levels(people, nil, nil), levels(dates, nil, nil), levels(hosp, nil, nil)}
		for _, m := range money {
			cols = append(cols, levels(m, nil, nil))
		}
		groups = append(groups, cols)
	}
	dir := b.TempDir()
	writeParquet(b, filepath.Join(dir, "medical.parquet"), fields, groups)
	benchRead(b, dir, "medical.parquet", rows)
}
