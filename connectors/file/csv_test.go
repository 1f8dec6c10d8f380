package file_test

import (
	"bytes"
	"strings"
	"testing"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// medicalCSV is a small settlement file as the 医保局 sends it. The last
// name holds 𪚥 (U+2A6A5), which GBK lacks and GB18030 encodes in 4 bytes.
const medicalCSV = "身份证号,姓名,结算日期,个人自付\r\n" +
	"11010519491231002X,张三,2026/3/5,\"1,234.50元\"\r\n" +
	"440524188001010014,李四,2026年3月6日,800\r\n"

var medicalHeader = []string{"身份证号", "姓名", "结算日期", "个人自付"}

var medicalRows = []connectors.Row{
	row(2, "11010519491231002X", "张三", "2026/3/5", "1,234.50元"),
	row(3, "440524188001010014", "李四", "2026年3月6日", "800"),
}

func encode(t testing.TB, enc encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := enc.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}

func TestCSVEncodings(t *testing.T) {
	ext := medicalCSV + "340799200001010011,王𪚥,20260307,12\r\n"
	extRows := append(append([]connectors.Row{}, medicalRows...),
		row(4, "340799200001010011", "王𪚥", "20260307", "12"))
	utf16le := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	utf16be := unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	utf16bare := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)

	tests := []struct {
		name     string
		data     []byte
		encoding string // option; "" leaves the default (auto)
		want     []connectors.Row
	}{
		{"utf-8", []byte(medicalCSV), "", medicalRows},
		{"utf-8 with BOM", append([]byte("\xEF\xBB\xBF"), medicalCSV...), "", medicalRows},
		{"gbk", encode(t, simplifiedchinese.GBK, medicalCSV), "", medicalRows},
		{"gb18030 4-byte character", encode(t, simplifiedchinese.GB18030, ext), "", extRows},
		{"utf-16le with BOM", encode(t, utf16le, ext), "", extRows},
		{"utf-16be with BOM", encode(t, utf16be, ext), "", extRows},
		{"gbk named", encode(t, simplifiedchinese.GBK, medicalCSV), "gbk", medicalRows},
		{"gbk named in capitals", encode(t, simplifiedchinese.GBK, medicalCSV), "GBK", medicalRows},
		{"gb18030 named", encode(t, simplifiedchinese.GB18030, ext), "gb18030", extRows},
		{"utf-16 without BOM named", encode(t, utf16bare, ext), "utf-16", extRows},
		{"utf-8 with BOM named", append([]byte("\xEF\xBB\xBF"), medicalCSV...), "utf-8", medicalRows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "medical.csv", tt.data)
			opts := connectors.Options{"path": "medical.csv"}
			if tt.encoding != "" {
				opts["encoding"] = tt.encoding
			}
			rr := connectortest.OpenOnly(t, newSource(t, dir, opts))
			checkHeader(t, rr, medicalHeader...)
			checkRows(t, connectortest.ReadAll(t, rr), tt.want)
		})
	}
}

// A GBK file whose first 64 KiB are ASCII is still recognised: detection
// happens at the first non-ASCII byte, not at the start of the file.
func TestCSVDetectsGBKAfterLongASCIIPrefix(t *testing.T) {
	var b strings.Builder
	b.WriteString("id,name\n")
	n := 0
	for b.Len() < 100<<10 {
		n++
		b.WriteString("340799200001010011,x\n")
	}
	b.WriteString("340799200001010011,张三\n")
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", encode(t, simplifiedchinese.GBK, b.String()))
	rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"})))
	last := rows[len(rows)-1]
	if last.Pos != int64(n+2) || last.Values[1] != "张三" {
		t.Errorf("last row: got %d %q, want %d [... 张三]", last.Pos, last.Values, n+2)
	}
}

// A two-byte character cut by the detection window's end must not make a
// UTF-8 file look like GB18030.
func TestCSVDetectionWindowSplitsCharacter(t *testing.T) {
	for shift := range 3 {
		var b strings.Builder
		b.WriteString("姓名\n")
		b.WriteString(strings.Repeat("a", shift))
		for b.Len() < 200<<10 {
			b.WriteString("张三李四\n")
		}
		dir := t.TempDir()
		writeFile(t, dir, "a.csv", []byte(b.String()))
		rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"})))
		if got := rows[len(rows)-1].Values[0]; got != "张三李四" {
			t.Fatalf("shift %d: last value %q, want 张三李四", shift, got)
		}
	}
}

func TestCSVBlankLinesKeepPositions(t *testing.T) {
	for _, nl := range []string{"\n", "\r\n"} {
		data := strings.Join([]string{
			"身份证号,姓名,金额", // 1
			"1,张三,10",    // 2
			"",           // 3
			",,",         // 4
			"",           // 5
			"",           // 6
			"2,李四,20",    // 7
			",,,,",       // 8
			"",           // 9
		}, nl)
		dir := t.TempDir()
		writeFile(t, dir, "a.csv", []byte(data+nl))
		rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
		checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{
			row(2, "1", "张三", "10"),
			row(3),
			row(4, "", "", ""),
			row(5),
			row(6),
			row(7, "2", "李四", "20"),
			row(8, "", "", "", "", ""),
			row(9),
		})
	}
}

func TestCSVLastLineWithoutNewline(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte("a,b\n1,2\n\n3,4"))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{row(2, "1", "2"), row(3), row(4, "3", "4")})
}

func TestCSVHeaderOnly(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte("身份证号,姓名\n"))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
	checkHeader(t, rr, "身份证号", "姓名")
	checkRows(t, connectortest.ReadAll(t, rr), nil)
}

func TestCSVQuotedNewlines(t *testing.T) {
	for _, nl := range []string{"\n", "\r\n"} {
		data := strings.ReplaceAll("地址,姓名\n"+ // 1
			"\"安徽省\n某县\",张三\n"+ // 2-3
			"某县某镇,李四\n"+ // 4
			"\n"+ // 5
			"\"一\n二\n\n三\",王五\n"+ // 6-9
			"某村,\"赵\n六\"\n"+ // 10-11
			"某村,钱七\n", // 12
			"\n", nl)
		dir := t.TempDir()
		writeFile(t, dir, "a.csv", []byte(data))
		rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
		checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{
			lines(2, 3, "安徽省\n某县", "张三"),
			row(4, "某县某镇", "李四"),
			row(5),
			lines(6, 9, "一\n二\n\n三", "王五"),
			lines(10, 11, "某村", "赵\n六"),
			row(12, "某村", "钱七"),
		})
	}
}

// A quote that opens a field and never closes takes every following line
// into that field: one record, spanning to the last line, and nothing after
// it, whether or not the file ends with a line break or blank lines.
func TestCSVUnclosedQuote(t *testing.T) {
	tests := []struct {
		name, data string
		want       []connectors.Row
	}{
		{"final line break",
			"身份证号,姓名,地址\n1,张三,某村\n2,李四,\"某镇\n3,王五,某村\n4,赵六,某村\n5,钱七,某村\n",
			[]connectors.Row{
				row(2, "1", "张三", "某村"),
				lines(3, 6, "2", "李四", "某镇\n3,王五,某村\n4,赵六,某村\n5,钱七,某村\n"),
			}},
		{"no final line break",
			"身份证号,姓名,地址\n1,张三,某村\n2,李四,\"某镇\n3,王五,某村\n4,赵六,某村\n5,钱七,某村",
			[]connectors.Row{
				row(2, "1", "张三", "某村"),
				lines(3, 6, "2", "李四", "某镇\n3,王五,某村\n4,赵六,某村\n5,钱七,某村"),
			}},
		{"CRLF",
			"身份证号,姓名,地址\r\n1,张三,某村\r\n2,李四,\"某镇\r\n3,王五,某村\r\n4,赵六,某村\r\n5,钱七,某村\r\n",
			[]connectors.Row{
				row(2, "1", "张三", "某村"),
				lines(3, 6, "2", "李四", "某镇\n3,王五,某村\n4,赵六,某村\n5,钱七,某村\n"),
			}},
		{"blank lines at the end",
			"身份证号,姓名,地址\n1,张三,某村\n2,李四,\"某镇\n3,王五,某村\n\n\n",
			[]connectors.Row{
				row(2, "1", "张三", "某村"),
				lines(3, 6, "2", "李四", "某镇\n3,王五,某村\n\n\n"),
			}},
		{"on the last line",
			"身份证号,姓名,地址\n1,张三,某村\n2,李四,\"某镇\n",
			[]connectors.Row{
				row(2, "1", "张三", "某村"),
				row(3, "2", "李四", "某镇\n"),
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.csv", []byte(tt.data))
			rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
			checkRows(t, connectortest.ReadAll(t, rr), tt.want)
		})
	}
}

// A long file, read through the 64 KiB buffer, gives the same spans: a
// quoted field far from the start, then an unclosed quote.
func TestCSVSpansDeepInFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("地址,姓名\n")
	const n = 5000
	for range n {
		b.WriteString("某县某镇某村,张三\n")
	}
	b.WriteString("\"安徽省\n某县\",李四\n") // lines n+2, n+3
	b.WriteString("某村,王五\n")          // n+4
	b.WriteString("\"某村,赵六\n")        // n+5, unclosed
	b.WriteString("某村,钱七\n")          // n+6
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte(b.String()))
	rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"})))
	if len(rows) != n+3 {
		t.Fatalf("got %d rows, want %d", len(rows), n+3)
	}
	checkRows(t, rows[n:], []connectors.Row{
		lines(n+2, n+3, "安徽省\n某县", "李四"),
		row(n+4, "某村", "王五"),
		lines(n+5, n+6, "某村,赵六\n某村,钱七\n"),
	})
}

func TestCSVTitleAboveHeader(t *testing.T) {
	data := "2026年3月医疗救助结算明细表,,\n" +
		"身份证号,姓名,金额\n" +
		"1,张三,10\n"
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte(data))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv", "header_row": 2}))
	checkHeader(t, rr, "身份证号", "姓名", "金额")
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{row(3, "1", "张三", "10")})
}

func TestCSVHeaderRowErrors(t *testing.T) {
	tests := []struct {
		name      string
		data      string
		headerRow int
		want      string
	}{
		{"empty file", "", 1, "a.csv: empty file: no header"},
		{"beyond the end", "标题\n姓名\n", 5, "a.csv: header_row is 5 but the file has 2 lines"},
		{"blank header line", "标题\n\n姓名\n", 2, "a.csv:2: line is blank where header_row 2 expects the column names"},
		{"inside a quoted field", "\"标题\n续\"\n姓名\n", 2, "a.csv:2: header_row 2 falls inside a quoted field that starts on line 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.csv", []byte(tt.data))
			err := openErr(t, newSource(t, dir, connectors.Options{"path": "a.csv", "header_row": tt.headerRow}))
			if err.Error() != tt.want {
				t.Errorf("got %q, want %q", err, tt.want)
			}
		})
	}
}

func TestCSVRaggedRowsAndDirtyQuotes(t *testing.T) {
	data := "a,b,c\n" +
		"1\n" +
		"1,2,3,4,5\n" +
		"x\"y,2\n" + // a bare quote inside an unquoted field
		"\"say \"hi\" now\",2\n" + // quotes inside a quoted field not doubled
		"\"never closed,3\n" + // runs to the end of the file: one field
		"4,5\n"
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte(data))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{
		row(2, "1"),
		row(3, "1", "2", "3", "4", "5"),
		row(4, "x\"y", "2"),
		row(5, "say \"hi\" now", "2"),
		lines(6, 7, "never closed,3\n4,5\n"),
	})
}

func TestCSVValuesUntouchedHeaderTrimmed(t *testing.T) {
	data := "\u200B 身份证号\u3000, 姓名 ,\u00A0金额\t\n" +
		" 11010519491231002X ,\u3000张三,１２３\n"
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte(data))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
	checkHeader(t, rr, "身份证号", "姓名", "金额")
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{row(2, " 11010519491231002X ", "\u3000张三", "１２３")})
}

func TestCSVDelimiters(t *testing.T) {
	for _, d := range []struct{ opt, sep string }{{"\t", "\t"}, {"tab", "\t"}, {";", ";"}, {"|", "|"}, {",", ","}} {
		data := strings.Join([]string{"姓名", "金额"}, d.sep) + "\n" + strings.Join([]string{"张三", "1,5"}, d.sep) + "\n"
		if d.sep == "," {
			data = "姓名,金额\n张三,\"1,5\"\n"
		}
		dir := t.TempDir()
		writeFile(t, dir, "a.txt", []byte(data))
		rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.txt", "delimiter": d.opt}))
		checkHeader(t, rr, "姓名", "金额")
		checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{row(2, "张三", "1,5")})
	}
}

// Values are reused between calls, as documented; the strings themselves
// stay valid.
func TestCSVValuesReused(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte("a,b\n1,2\n3,4\n"))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
	r1, _ := rr.Next()
	first := r1.Values[0]
	rr.Next()
	if first != "1" {
		t.Errorf("a string from an earlier row changed: %q", first)
	}
}

func TestCSVEOFRepeats(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", bytes.Repeat([]byte("a\n"), 2))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
	connectortest.ReadAll(t, rr)
	if _, err := rr.Next(); err == nil {
		t.Error("Next after EOF returned no error")
	}
}
