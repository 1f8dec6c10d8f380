package file_test

import (
	"errors"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// columnWriter writes one column chunk of a row group.
type columnWriter func(cw file.ColumnChunkWriter) error

// writeParquet writes a Parquet file with the library the connector reads
// it with: one columnWriter per leaf column, per row group.
func writeParquet(t testing.TB, path string, fields schema.FieldList, rowGroups [][]columnWriter, opts ...parquet.WriterProperty) {
	t.Helper()
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, fields, -1)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	opts = append([]parquet.WriterProperty{parquet.WithCompression(compress.Codecs.Snappy)}, opts...)
	w := file.NewParquetWriter(f, root, file.WithWriterProps(parquet.NewWriterProperties(opts...)))
	for _, cols := range rowGroups {
		rg := w.AppendRowGroup()
		for _, write := range cols {
			cw, err := rg.NextColumn()
			if err != nil {
				t.Fatal(err)
			}
			if err := write(cw); err != nil {
				t.Fatal(err)
			}
		}
		if err := rg.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

type batchWriter[T any] interface {
	WriteBatch(values []T, defLevels, repLevels []int16) (int64, error)
}

// levels writes values (the non-null ones) with explicit levels.
func levels[T any](values []T, defs, reps []int16) columnWriter {
	return func(cw file.ColumnChunkWriter) error {
		_, err := cw.(batchWriter[T]).WriteBatch(values, defs, reps)
		return err
	}
}

// flat writes a top-level column's values; nil is a null.
func flat[T any](vals ...any) columnWriter {
	return func(cw file.ColumnChunkWriter) error {
		var present []T
		var defs []int16
		for _, v := range vals {
			if v == nil {
				defs = append(defs, 0)
				continue
			}
			present = append(present, v.(T))
			defs = append(defs, 1)
		}
		if cw.Descr().MaxDefinitionLevel() == 0 {
			defs = nil
		}
		_, err := cw.(batchWriter[T]).WriteBatch(present, defs, nil)
		return err
	}
}

// must takes a schema constructor's results: must(t)(schema.NewGroupNode(...)).
func must(t testing.TB) func(schema.Node, error) schema.Node {
	return func(n schema.Node, err error) schema.Node {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
}

func strNode(t testing.TB, name string, rep parquet.Repetition) schema.Node {
	return must(t)(schema.NewPrimitiveNodeLogical(name, rep, schema.StringLogicalType{}, parquet.Types.ByteArray, -1, -1))
}

// decimal16 is a DECIMAL stored in 16 bytes: big-endian two's complement.
func decimal16(s string) parquet.FixedLenByteArray {
	x, _ := new(big.Int).SetString(s, 10)
	if x.Sign() < 0 {
		x.Add(x, new(big.Int).Lsh(big.NewInt(1), 128))
	}
	return x.FillBytes(make([]byte, 16))
}

func days(y int, m time.Month, d int) int32 {
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func bs(s string) parquet.ByteArray { return parquet.ByteArray(s) }

// registryFields is a schema with every type a department's export uses.
func registryFields(t testing.TB) schema.FieldList {
	opt, req, rep := parquet.Repetitions.Optional, parquet.Repetitions.Required, parquet.Repetitions.Repeated
	node := func(name string, lt schema.LogicalType, pt parquet.Type, n int) schema.Node {
		return must(t)(schema.NewPrimitiveNodeLogical(name, opt, lt, pt, n, -1))
	}
	list := must(t)(schema.NewGroupNode("list", rep, schema.FieldList{strNode(t, "element", opt)}, -1))
	return schema.FieldList{
		strNode(t, "身份证号", req),
		strNode(t, "姓名", opt),
		node("人数", schema.NoLogicalType{}, parquet.Types.Int64, -1),
		node("补贴", schema.NoLogicalType{}, parquet.Types.Double, -1),
		node("金额", schema.NewDecimalLogicalType(12, 2), parquet.Types.Int64, -1),
		node("大额", schema.NewDecimalLogicalType(38, 4), parquet.Types.FixedLenByteArray, 16),
		node("出生日期", schema.DateLogicalType{}, parquet.Types.Int32, -1),
		node("登记时间", schema.NewTimestampLogicalType(true, schema.TimeUnitMicros), parquet.Types.Int64, -1),
		node("本地时间", schema.NewTimestampLogicalType(false, schema.TimeUnitMillis), parquet.Types.Int64, -1),
		node("在册", schema.NoLogicalType{}, parquet.Types.Boolean, -1),
		must(t)(schema.NewGroupNodeLogical("标签", opt, schema.FieldList{list}, schema.NewListLogicalType(), -1)),
		must(t)(schema.NewGroupNode(" 住址 ", opt, schema.FieldList{strNode(t, "县", opt), strNode(t, "村", opt)}, -1)),
	}
}

func TestParquetTypes(t *testing.T) {
	utc := time.Date(2026, 3, 5, 8, 30, 0, 123456000, time.UTC).UnixMicro()
	local := time.Date(2026, 3, 5, 16, 30, 0, 0, time.UTC).UnixMilli()
	midnight := time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC).UnixMilli()
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "registry.parquet"), registryFields(t), [][]columnWriter{
		{
			flat[parquet.ByteArray](bs("11010519491231002X"), bs("440524188001010014"), bs("340799200001010011")),
			flat[parquet.ByteArray](bs("张三"), nil, nil),
			flat[int64](int64(3), int64(9007199254740993), nil),
			flat[float64](0.1, 1e21, nil),
			flat[int64](int64(123450), int64(-5), nil),
			flat[parquet.FixedLenByteArray](decimal16("12345678901234567890123"), decimal16("-1"), nil),
			flat[int32](days(2026, 3, 5), days(1949, 12, 31), nil),
			flat[int64](utc, int64(-1), nil),
			flat[int64](local, midnight, nil),
			flat[bool](true, false, nil),
			levels([]parquet.ByteArray{bs("低保"), bs("残疾")}, []int16{3, 3, 1, 0}, []int16{0, 1, 0, 0}),
			levels([]parquet.ByteArray{bs("示例县")}, []int16{2, 1, 0}, nil),
			levels([]parquet.ByteArray{bs("东村")}, []int16{2, 1, 0}, nil),
		},
		{
			flat[parquet.ByteArray](bs("340799200001010012")),
			flat[parquet.ByteArray](bs("王𪚥")),
			flat[int64](int64(-7)),
			flat[float64](-2.5),
			flat[int64](int64(0)),
			flat[parquet.FixedLenByteArray](decimal16("0")),
			flat[int32](days(2000, 2, 29)),
			flat[int64](int64(0)),
			flat[int64](int64(-1)),
			flat[bool](true),
			levels([]parquet.ByteArray{bs(`c"d`)}, []int16{2, 3}, []int16{0, 1}),
			levels([]parquet.ByteArray{bs("示例县")}, []int16{2}, nil),
			levels([]parquet.ByteArray{}, []int16{1}, nil),
		},
	})
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "registry.parquet"}))
	checkHeader(t, rr, "身份证号", "姓名", "人数", "补贴", "金额", "大额", "出生日期", "登记时间", "本地时间", "在册", "标签", "住址.县", "住址.村")
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{
		row(1, "11010519491231002X", "张三", "3", "0.1", "1234.50", "1234567890123456789.0123", "2026-03-05",
			"2026-03-05T08:30:00.123456Z", "2026-03-05T16:30:00", "true", `["低保","残疾"]`, "示例县", "东村"),
		row(2, "440524188001010014", "", "9007199254740993", "1000000000000000000000", "-0.05", "-0.0001", "1949-12-31",
			"1969-12-31T23:59:59.999999Z", "2026-03-05T00:00:00", "false", "[]", "", ""),
		row(3, "340799200001010011", "", "", "", "", "", "", "", "", "", "", "", ""),
		row(4, "340799200001010012", "王𪚥", "-7", "-2.5", "0.00", "0.0000", "2000-02-29",
			"1970-01-01T00:00:00Z", "1969-12-31T23:59:59.999", "true", `[null,"c\"d"]`, "示例县", ""),
	})
}

// Thousands of rows over row groups and many small pages, with lists
// that run across the reader's batches, come back in order and whole.
func TestParquetBatchesAndRowGroups(t *testing.T) {
	const groups, perGroup = 3, 1500
	opt, rep := parquet.Repetitions.Optional, parquet.Repetitions.Repeated
	item := must(t)(schema.NewPrimitiveNode("element", opt, parquet.Types.Int64, -1, -1))
	list := must(t)(schema.NewGroupNode("list", rep, schema.FieldList{item}, -1))
	fields := schema.FieldList{
		strNode(t, "id", parquet.Repetitions.Required),
		must(t)(schema.NewPrimitiveNode("n", opt, parquet.Types.Int64, -1, -1)),
		must(t)(schema.NewGroupNodeLogical("items", opt, schema.FieldList{list}, schema.NewListLogicalType(), -1)),
	}
	var want []connectors.Row
	var rowGroups [][]columnWriter
	for g := range groups {
		var ids []parquet.ByteArray
		var ns []any
		var vals []int64
		var defs, reps []int16
		for i := g * perGroup; i < (g+1)*perGroup; i++ {
			id := fmt.Sprintf("id-%d", i)
			ids = append(ids, bs(id))
			n := ""
			if i%3 == 0 {
				ns = append(ns, nil)
			} else {
				ns = append(ns, int64(i))
				n = strconv.Itoa(i)
			}
			var items string
			switch k := i % 9; {
			case k == 7:
				defs, reps = append(defs, 0), append(reps, 0)
			case k == 0:
				defs, reps = append(defs, 1), append(reps, 0)
				items = "[]"
			default:
				length := k * 3
				if i%100 == 1 {
					length = 1300 // more than a batch of the reader's
				}
				var parts []string
				for j := range length {
					defs, reps = append(defs, 3), append(reps, min(int16(j), 1))
					vals = append(vals, int64(j))
					parts = append(parts, strconv.Itoa(j))
				}
				items = "[" + strings.Join(parts, ",") + "]"
			}
			want = append(want, row(int64(i+1), id, n, items))
		}
		rowGroups = append(rowGroups, []columnWriter{flat[parquet.ByteArray](anys(ids)...), flat[int64](ns...), levels(vals, defs, reps)})
	}
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "big.parquet"), fields, rowGroups,
		parquet.WithDataPageSize(1024), parquet.WithDictionaryDefault(false), parquet.WithBatchSize(100))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "big.parquet"}))
	checkHeader(t, rr, "id", "n", "items")
	got := connectortest.ReadAll(t, rr)
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range want {
		checkRows(t, got[i:i+1], want[i:i+1])
		if t.Failed() {
			break
		}
	}
}

func anys[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestParquetErrors(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	writeParquet(t, good, schema.FieldList{strNode(t, "a", parquet.Repetitions.Optional)}, [][]columnWriter{
		{flat[parquet.ByteArray](bs(strings.Repeat("内容", 1000)))},
	})
	data, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dir, "text.parquet", []byte("身份证号,姓名\n"))
	writeFile(t, dir, "cut.parquet", data[:len(data)-10])
	for name, want := range map[string]string{
		"text.parquet": "text.parquet: not a readable Parquet file: ",
		"cut.parquet":  "cut.parquet: not a readable Parquet file: ",
	} {
		err := openErr(t, newSource(t, dir, connectors.Options{"path": name}))
		if !strings.HasPrefix(err.Error(), want) {
			t.Errorf("got %q, want it to start with %q", err, want)
		}
	}

	// A list of lists is refused by name rather than read wrong.
	opt, rep := parquet.Repetitions.Optional, parquet.Repetitions.Repeated
	inner := must(t)(schema.NewGroupNodeLogical("element", opt, schema.FieldList{
		must(t)(schema.NewGroupNode("list", rep, schema.FieldList{strNode(t, "element", opt)}, -1)),
	}, schema.NewListLogicalType(), -1))
	outer := must(t)(schema.NewGroupNodeLogical("矩阵", opt, schema.FieldList{
		must(t)(schema.NewGroupNode("list", rep, schema.FieldList{inner}, -1)),
	}, schema.NewListLogicalType(), -1))
	writeParquet(t, filepath.Join(dir, "nested.parquet"), schema.FieldList{outer}, nil)
	err = openErr(t, newSource(t, dir, connectors.Options{"path": "nested.parquet"}))
	if want := "nested.parquet: column 矩阵 is nested in more than one list"; !strings.HasPrefix(err.Error(), want) {
		t.Errorf("got %q, want it to start with %q", err, want)
	}
}

// Damaged pages fail the read with the file and the row, not a panic.
func TestParquetCorruptPages(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "bad.parquet")
	var vals []any
	for i := range 500 {
		vals = append(vals, bs(fmt.Sprintf("第%d行的内容", i)))
	}
	writeParquet(t, p, schema.FieldList{strNode(t, "a", parquet.Repetitions.Optional)},
		[][]columnWriter{{flat[parquet.ByteArray](vals...)}}, parquet.WithDictionaryDefault(false))
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	for i := 40; i < 400; i++ { // past the magic and the page header, into the data
		data[i] = 0xFF
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "bad.parquet"}))
	_, err = rr.Next()
	if err == nil || !strings.HasPrefix(err.Error(), "bad.parquet: ") || !strings.Contains(err.Error(), "row 1") {
		t.Errorf("got %v, want an error naming bad.parquet and row 1", err)
	}
	if errors.Is(err, io.EOF) {
		t.Errorf("%v reads as the end of the rows", err)
	}
}
