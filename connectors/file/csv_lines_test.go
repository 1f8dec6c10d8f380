package file_test

import (
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// notes returns the reader's notes (after io.EOF), by code.
func notes(t testing.TB, rr connectors.RowReader) map[string]connectors.Note {
	t.Helper()
	n, ok := rr.(connectors.Noter)
	if !ok {
		t.Fatalf("%T does not report notes", rr)
	}
	out := map[string]connectors.Note{}
	for _, nt := range n.Notes() {
		out[nt.Code] = nt
	}
	return out
}

// joinLines ends each line with the line break the pattern gives it in
// turn: "mixed" cycles through CRLF, CR and LF.
func joinLines(lines []string, nl string) string {
	breaks := []string{nl}
	if nl == "mixed" {
		breaks = []string{"\r\n", "\r", "\n"}
	}
	var b strings.Builder
	for i, l := range lines {
		b.WriteString(l)
		b.WriteString(breaks[i%len(breaks)])
	}
	return b.String()
}

// Every line ending (LF, CRLF, a lone CR as classic Mac OS and some
// Windows tools write, and a mix) ends lines: blank lines, quoted line
// breaks, title rows and line numbers all read the same, and a line break
// inside a quoted value is '\n' whatever its form. A file with lone CRs
// says so in a note.
func TestCSVLineEndings(t *testing.T) {
	lines := []string{
		"2026年退捕渔民安置台账,,",    // 1: title
		"身份证号,\"渔船\n证号\",姓名", // 2-3: header, a cell on two lines
		"1,船1,张三",            // 4
		"",                   // 5
		",,",                 // 6
		"\"安徽省",              // 7-9: a quoted value on three lines
		"",                   //
		"某县\",船2,李四",         //
		"3,船3,\"王",           // 10-11
		"五\"",                //
		"",                   // 12
	}
	for _, nl := range []string{"\n", "\r\n", "\r", "mixed"} {
		t.Run(strings.NewReplacer("\r", "CR", "\n", "LF").Replace(nl), func(t *testing.T) {
			data := joinLines(lines, nl)
			dir := t.TempDir()
			writeFile(t, dir, "a.csv", []byte(data))
			rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv", "header_row": 2}))
			checkHeader(t, rr, "身份证号", "渔船\n证号", "姓名")
			checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{
				row(4, "1", "船1", "张三"),
				row(5),
				row(6, "", "", ""),
				lines3(7, 9, "安徽省\n\n某县", "船2", "李四"),
				lines3(10, 11, "3", "船3", "王\n五"),
				row(12),
			})
			note, ok := notes(t, rr)["cr_line_endings"]
			if hasLoneCR := strings.Contains(strings.ReplaceAll(data, "\r\n", ""), "\r"); ok != hasLoneCR {
				t.Errorf("cr_line_endings note %v, want %v", ok, hasLoneCR)
			}
			if nl == "\r" && note.Count != int64(strings.Count(data, "\r")) {
				t.Errorf("note counts %d lone CRs, want %d: %q", note.Count, strings.Count(data, "\r"), note.Text)
			}
		})
	}
}

func lines3(pos, end int64, values ...string) connectors.Row { return lines(pos, end, values...) }

// The field case: a fishers' register saved by an old Mac tool, every
// line ended by a lone CR (the last one too), with an unmapped note
// column. It reads as a header and two rows, not as one header row.
func TestCSVClassicMacFile(t *testing.T) {
	data := "身份证号,姓名,户号,渔船证号,退捕日期,安置去向,是否参加养老保险,备注\r" +
		"340799197506060677,周测六,3407990020010002,皖示渔(2010)0001号,2021-01-01,未安置,否,\r" +
		"340799196005010116,王测一,3407990010010001,皖示渔(2011)0002号,2021-01-01,就业,是,\r"
	dir := t.TempDir()
	writeFile(t, dir, "fishers_mac.csv", []byte(data))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "fishers_mac.csv"}))
	checkHeader(t, rr, "身份证号", "姓名", "户号", "渔船证号", "退捕日期", "安置去向", "是否参加养老保险", "备注")
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{
		row(2, "340799197506060677", "周测六", "3407990020010002", "皖示渔(2010)0001号", "2021-01-01", "未安置", "否", ""),
		row(3, "340799196005010116", "王测一", "3407990010010001", "皖示渔(2011)0002号", "2021-01-01", "就业", "是", ""),
	})
	if n := notes(t, rr)["cr_line_endings"]; n.Count != 3 {
		t.Errorf("cr_line_endings note: %+v, want a count of 3", n)
	}
}

// A lone CR inside a quoted value of an LF file is a line break like any
// other: the value holds '\n' and the row spans two lines.
func TestCSVLoneCRInQuotedValue(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte("地址,姓名\n\"某村\r某组\",张三\n某村,李四\n"))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{lines(2, 3, "某村\n某组", "张三"), row(4, "某村", "李四")})
}

// CR-only lines deep in a file, through every buffer: each row keeps its
// line number, and a blank line between them too.
func TestCSVCRLinesDeepInFile(t *testing.T) {
	var b strings.Builder
	b.WriteString("身份证号,姓名\r")
	const n = 30000
	for i := range n {
		if i%1000 == 999 {
			b.WriteString("\r")
			continue
		}
		b.WriteString("340799200001010011,张三\r")
	}
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte(b.String()))
	rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"})))
	if len(rows) != n {
		t.Fatalf("got %d rows, want %d", len(rows), n)
	}
	for i, r := range rows {
		blank := i%1000 == 999
		if r.Pos != int64(i+2) || blank != (len(r.Values) == 0) || !blank && r.Values[1] != "张三" {
			t.Fatalf("row %d: %s", i, fmtRow(r))
		}
	}
}

// Exports joined together (one department tool appends each month's
// export to one file) repeat the byte order mark at the start of each
// part. The mark is dropped there, so that the repeated header reads as
// the header's text (the dataset layer quarantines it as a repeated
// header) and a first value is not prefixed with an invisible character;
// a note counts the marks. Parts in UTF-16 are joined the same way.
func TestCSVByteOrderMarkInside(t *testing.T) {
	part := "\uFEFF身份证号,姓名\r\n11010519491231002X,张三\r\n"
	tests := map[string][]byte{
		"utf-8":    []byte(part + part + "\uFEFF440524188001010014,李四\r\n"),
		"utf-16le": encode(t, utf16LE, part+part+"\uFEFF440524188001010014,李四\r\n"),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.csv", data)
			rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
			checkHeader(t, rr, "身份证号", "姓名")
			checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{
				row(2, "11010519491231002X", "张三"),
				row(3, "身份证号", "姓名"),
				row(4, "11010519491231002X", "张三"),
				row(5, "440524188001010014", "李四"),
			})
			if n := notes(t, rr)["bom_inside"]; n.Count != 2 {
				t.Errorf("bom_inside note: %+v, want a count of 2", n)
			}
		})
	}
}

// A header cell written on two lines inside quotes is one cell, its line
// break kept (the dataset layer matches names after normalising it); the
// ends of names are trimmed of spaces and control characters such as the
// NULs a fixed-width export pads them with.
func TestCSVHeaderCells(t *testing.T) {
	for _, nl := range []string{"\n", "\r\n", "\r"} {
		data := strings.ReplaceAll("\"身份证\n号码\",\" 姓名\u3000\",户号\x00\x00,\"家庭\n\n人口\"\n1,张三,2,3\n", "\n", nl)
		dir := t.TempDir()
		writeFile(t, dir, "a.csv", []byte(data))
		rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
		checkHeader(t, rr, "身份证\n号码", "姓名", "户号", "家庭\n\n人口")
		checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{row(5, "1", "张三", "2", "3")})
	}
}

// A CHAR(n) column exported by a legacy database is padded with NULs. They
// are passed through in the value (the dataset layer trims them), and
// break neither the parser, nor the encoding's detection, nor the line
// numbers, in UTF-8 as in GBK.
func TestCSVNULPadding(t *testing.T) {
	data := "户号,家庭年收入,家庭人口,收入核定日期\r\n" +
		"3407990010010001\x00\x00\x00\x00,\"100,000.00\",2,2026-03-01\r\n" +
		"\r\n" +
		"3407990010010002\x00\x00\x00\x00,\"12,000.00\",2,2026-03-01\r\n" +
		"\"3407990010010003\x00\x00\x00\x00\",张三\x00\x00\x00\x00\x00\x00,1,2026-03-01\r\n"
	want := []connectors.Row{
		row(2, "3407990010010001\x00\x00\x00\x00", "100,000.00", "2", "2026-03-01"),
		row(3),
		row(4, "3407990010010002\x00\x00\x00\x00", "12,000.00", "2", "2026-03-01"),
		row(5, "3407990010010003\x00\x00\x00\x00", "张三\x00\x00\x00\x00\x00\x00", "1", "2026-03-01"),
	}
	for name, b := range map[string][]byte{
		"utf-8": []byte(data),
		"gbk":   encode(t, simplifiedchinese.GBK, data),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.csv", b)
			rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
			checkHeader(t, rr, "户号", "家庭年收入", "家庭人口", "收入核定日期")
			checkRows(t, connectortest.ReadAll(t, rr), want)
			if n := notes(t, rr); len(n) != 0 {
				t.Errorf("unexpected notes: %v", n)
			}
		})
	}
}

// Fixed-width rows of an even length padded with a single NUL each put
// every NUL at an odd offset, as UTF-16LE puts the NUL of an ASCII
// character; but their line breaks are not followed by a NUL, as
// UTF-16's are, so the file is still read as 8-bit text.
func TestCSVSingleNULPerRowIsNotUTF16(t *testing.T) {
	var b strings.Builder
	b.WriteString("a,b\n")
	for range 200 {
		b.WriteString("123\x00,45\n") // 8 bytes: the NUL always at an odd offset
	}
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte(b.String()))
	rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"})))
	if len(rows) != 200 || !reflect.DeepEqual(rows[199], row(201, "123\x00", "45")) {
		t.Fatalf("got %d rows, last %s", len(rows), fmtRow(rows[len(rows)-1]))
	}
}
