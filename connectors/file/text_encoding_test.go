package file_test

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

var (
	utf16LE = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf16BE = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
)

// peopleCSV is a registry-like file of n rows, each with a Chinese name
// and address, and the rows expected from it.
func peopleCSV(n int) (string, []connectors.Row) {
	names := []string{"张三", "李四", "王五", "赵六", "钱七", "欧阳娜娜"}
	var b strings.Builder
	b.WriteString("身份证号,姓名,住址\n")
	var rows []connectors.Row
	for i := range n {
		id := fmt.Sprintf("34079919%02d0101%04d", 50+i%50, i)
		addr := fmt.Sprintf("示例县测试路%d号", i)
		fmt.Fprintf(&b, "%s,%s,%s\n", id, names[i%len(names)], addr)
		rows = append(rows, row(int64(i+2), id, names[i%len(names)], addr))
	}
	return b.String(), rows
}

// cutName replaces row i's name (the i-th occurrence of name) with its
// first character and the first bytes of its second, as an export that
// cut a field at a byte count leaves it; in data and in the expected rows.
func cutName(data string, rows []connectors.Row, i int, cut []byte) (string, []connectors.Row) {
	rows = append([]connectors.Row{}, rows...)
	name := rows[i].Values[1]
	first, size := utf8.DecodeRuneInString(name)
	damaged := string(first) + string(cut)
	lineStart := 0
	for range i + 1 {
		lineStart += strings.IndexByte(data[lineStart:], '\n') + 1
	}
	line := data[lineStart : lineStart+strings.IndexByte(data[lineStart:], '\n')]
	data = data[:lineStart] + strings.Replace(line, ","+name+",", ","+damaged+",", 1) + data[lineStart+len(line):]
	_ = size
	rows[i] = row(rows[i].Pos, rows[i].Values[0], damaged, rows[i].Values[2])
	return data, rows
}

// A UTF-8 file with a character cut in half (a database export that cut
// a field at a byte count) is still UTF-8: every other value reads
// right, the damaged one keeps its invalid bytes (the dataset layer
// quarantines it as bad_encoding), and a note counts them. It used to
// become GB18030, every Chinese character a wrong one, loaded in silence.
func TestCSVUTF8WithCutCharacter(t *testing.T) {
	four := []byte{0xE5, 0x9B} // 四 is E5 9B 9B
	tests := []struct {
		name string
		rows int // data rows
		at   []int
		bad  int64
	}{
		{"first non-ASCII value", 500, []int{0}, 2},
		{"middle", 500, []int{250}, 2},
		{"two rows", 500, []int{3, 400}, 4},
		{"deep in the window", 1000, []int{950}, 2},
		{"beyond the window", 1500, []int{1400}, 0}, // not examined, passed through all the same
		{"short file", 10, []int{1}, 2},
		{"tiny file", 2, []int{1}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			data, want := peopleCSV(tt.rows)
			for _, i := range tt.at {
				data, want = cutName(data, want, i, four)
			}
			dir := t.TempDir()
			writeFile(t, dir, "a.csv", []byte(data))
			rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
			checkHeader(t, rr, "身份证号", "姓名", "住址")
			checkRows(t, connectortest.ReadAll(t, rr), want)
			if n := notes(t, rr)["invalid_utf8"]; n.Count != tt.bad {
				t.Errorf("invalid_utf8 note: %+v, want a count of %d", n, tt.bad)
			}
		})
	}
}

// A GB18030 (GBK) file with a few broken characters (a lead byte whose
// second byte was cut) stays GB18030: the broken character reads as
// U+FFFD (which the dataset layer quarantines) and the rest reads right.
func TestCSVGBKWithBrokenCharacter(t *testing.T) {
	data, want := peopleCSV(300)
	enc := encode(t, simplifiedchinese.GBK, data)
	// Cut 四 (CB C4) of row 2's and row 50's 李四 to its lead byte, as a
	// field cut at a byte count leaves it.
	for _, i := range []int{1, 49} {
		field := encode(t, simplifiedchinese.GBK, want[i].Values[0]+","+want[i].Values[1]+",")
		at := bytes.Index(enc, field)
		end := at + len(field) - 1 // at the comma after the name
		enc = append(enc[:end-1:end-1], enc[end:]...)
		want[i] = row(want[i].Pos, want[i].Values[0], "李\uFFFD", want[i].Values[2])
	}
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", enc)
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
	checkHeader(t, rr, "身份证号", "姓名", "住址")
	checkRows(t, connectortest.ReadAll(t, rr), want)
	if n := notes(t, rr)["invalid_gb18030"]; n.Count != 2 {
		t.Errorf("invalid_gb18030 note: %+v, want a count of 2", n)
	}
}

// Short GBK files are still GBK: a header alone in Chinese, a few names.
func TestCSVShortGBK(t *testing.T) {
	for _, data := range []string{
		"户号,家庭年收入,家庭人口,收入核定日期\n3407990010010001,1000,2,2026-03-01\n",
		"身份证号,姓名\n11010519491231002X,张三\n440524188001010014,李四\n",
		"姓名\n欧阳\n",
	} {
		dir := t.TempDir()
		writeFile(t, dir, "a.csv", encode(t, simplifiedchinese.GBK, data))
		rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.csv"})))
		lines := strings.Split(strings.TrimSuffix(data, "\n"), "\n")
		last := strings.Split(lines[len(lines)-1], ",")
		if got := rows[len(rows)-1].Values; !slices.Equal(got, last) {
			t.Errorf("%q: last row %q, want %q", data, got, last)
		}
	}
}

// Text that reads as neither UTF-8 nor GB18030 (two exports in different
// encodings joined together, a Big5 or Latin-1 file) cannot be told: the
// file fails with a message that says to name the encoding, rather than
// loading mojibake.
func TestCSVEncodingCannotBeTold(t *testing.T) {
	var mixed bytes.Buffer
	for i := range 40 {
		line := fmt.Sprintf("3407991950010%05d,张三,示例县\n", i)
		if i%2 == 0 {
			mixed.WriteString(line)
		} else {
			mixed.Write(encode(t, simplifiedchinese.GBK, line))
		}
	}
	latin1 := []byte("name,city\nJos\xe9,S\xe3o Paulo\nRen\xe9e,M\xfcnchen\n")
	for name, data := range map[string][]byte{
		"utf-8 and gbk joined": append([]byte("身份证号,姓名,住址\n"), mixed.Bytes()...),
		"latin-1":              latin1,
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.csv", data)
			rr, err := openReader(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
			if err == nil {
				for err == nil {
					_, err = rr.Next()
				}
			}
			msg := fmt.Sprint(err)
			if !strings.HasPrefix(msg, "a.csv: cannot tell the text encoding: read as UTF-8, ") ||
				!strings.HasSuffix(msg, "set the source's encoding option to the file's encoding (utf-8, gbk, gb18030 or utf-16)") {
				t.Errorf("got %v", err)
			}
		})
	}
}

// openReader opens the source's single stream, returning the error.
func openReader(t testing.TB, c connectors.Connector) (connectors.RowReader, error) {
	t.Helper()
	streams, err := c.Streams(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rr, err := streams[0].Open(t.Context())
	if err == nil {
		t.Cleanup(func() { rr.Close() })
	}
	return rr, err
}

// UTF-16 without a byte order mark (some Windows tools write it) is told
// by its NUL bytes, in either byte order, with an ASCII header or a
// Chinese one, and with NUL padding of its own; never read as ASCII with
// NULs. Named utf-16, the byte order is told the same way.
func TestCSVUTF16WithoutBOM(t *testing.T) {
	ascii := "id,name,amount\r\n11010519491231002X,张三,1.5\r\n440524188001010014,李四,20\r\n"
	asciiRows := []connectors.Row{row(2, "11010519491231002X", "张三", "1.5"), row(3, "440524188001010014", "李四", "20")}
	chinese := "姓名,金额\n张三,1\n欧阳娜娜,2\n"
	chineseRows := []connectors.Row{row(2, "张三", "1"), row(3, "欧阳娜娜", "2")}
	padded := "户号,姓名\n3407990010010001\x00\x00\x00\x00,张三\x00\x00\x00\x00\x00\x00\x00\x00\n"
	paddedRows := []connectors.Row{row(2, "3407990010010001\x00\x00\x00\x00", "张三\x00\x00\x00\x00\x00\x00\x00\x00")}
	tests := []struct {
		name, encoding, text string
		order                unicode.Endianness
		want                 []connectors.Row
	}{
		{"little-endian, ASCII header", "", ascii, unicode.LittleEndian, asciiRows},
		{"big-endian, ASCII header", "", ascii, unicode.BigEndian, asciiRows},
		{"little-endian, Chinese header", "", chinese, unicode.LittleEndian, chineseRows},
		{"big-endian, Chinese header", "", chinese, unicode.BigEndian, chineseRows},
		{"little-endian, NUL-padded", "", padded, unicode.LittleEndian, paddedRows},
		{"named, big-endian", "utf-16", ascii, unicode.BigEndian, asciiRows},
		{"named, little-endian", "utf-16", chinese, unicode.LittleEndian, chineseRows},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc := utf16LE
			if tt.order == unicode.BigEndian {
				enc = utf16BE
			}
			dir := t.TempDir()
			writeFile(t, dir, "a.csv", encode(t, enc, tt.text))
			opts := connectors.Options{"path": "a.csv"}
			if tt.encoding != "" {
				opts["encoding"] = tt.encoding
			}
			rr := connectortest.OpenOnly(t, newSource(t, dir, opts))
			header, _, _ := strings.Cut(tt.text, "\n")
			checkHeader(t, rr, strings.Split(strings.TrimSuffix(header, "\r"), ",")...)
			checkRows(t, connectortest.ReadAll(t, rr), tt.want)
			if _, ok := notes(t, rr)["utf16_without_bom"]; ok != (tt.encoding == "") {
				t.Errorf("utf16_without_bom note %v, want %v", ok, tt.encoding == "")
			}
		})
	}
}

// A file that is plainly not text fails with what it is: an Excel
// workbook or a zip saved as .csv, a legacy .xls, a gzip, a PDF.
func TestCSVNotText(t *testing.T) {
	var xlsx bytes.Buffer
	zw := zip.NewWriter(&xlsx)
	w, _ := zw.Create("[Content_Types].xml")
	w.Write([]byte(`<?xml version="1.0"?><Types/>`))
	zw.Close()
	var gz bytes.Buffer
	gw := gzip.NewWriter(&gz)
	gw.Write([]byte("身份证号,姓名\n"))
	gw.Close()
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"zip", xlsx.Bytes(), "a.csv: not a text file: it is a zip archive, as an .xlsx workbook is: set format: xlsx if it is one, or export the sheet as CSV"},
		{"xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...), "a.csv: not a text file: it is a legacy Excel .xls (or another OLE2) document: save it as .xlsx or CSV"},
		{"gzip", gz.Bytes(), "a.csv: not a text file: it is gzip-compressed: decompress it first"},
		{"pdf", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), "a.csv: not a text file: it is a PDF document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, enc := range []string{"auto", "gbk"} {
				dir := t.TempDir()
				writeFile(t, dir, "a.csv", tt.data)
				err := openErr(t, newSource(t, dir, connectors.Options{"path": "a.csv", "encoding": enc}))
				if err.Error() != tt.want {
					t.Errorf("encoding %s: got %q\nwant %q", enc, err, tt.want)
				}
			}
		})
	}
}

// A named encoding that the text plainly is not fails the file, naming
// the option to set: a department that switched its export to UTF-8 while
// the source still says gbk would otherwise load two-character names as
// other characters without a single invalid byte (王五 as 鐜嬩簲); the
// other way round every value would be quarantined; and 8-bit text read
// as UTF-16 becomes CJK characters. Text in the named encoding reads as
// before, whatever its ASCII prefix.
func TestCSVNamedEncodingChecked(t *testing.T) {
	utf8Text := "sfzh,xm,hh\n11010519491231002X,王五,3407990010010001\n440524188001010014,李四,3407990010010001\n"
	var longASCII strings.Builder
	longASCII.WriteString("id,name\n")
	for longASCII.Len() < 100<<10 {
		longASCII.WriteString("340799200001010011,x\n")
	}
	longASCII.WriteString("340799200001010011,张三\n")
	tests := []struct {
		name, encoding string
		data           []byte
		want           string // an error; "" to read the file
	}{
		{"utf-8 under gbk", "gbk", []byte(utf8Text),
			"a.csv: the text is UTF-8, not gbk as the source's encoding option says (its first 4 non-ASCII characters are all valid UTF-8, " +
				"as gbk text almost never is): set encoding to utf-8, or to auto"},
		{"utf-8 under gb18030", "gb18030", []byte(utf8Text),
			"a.csv: the text is UTF-8, not gb18030 as the source's encoding option says (its first 4 non-ASCII characters are all valid UTF-8, " +
				"as gb18030 text almost never is): set encoding to utf-8, or to auto"},
		{"gbk under utf-8", "utf-8", encode(t, simplifiedchinese.GBK, utf8Text),
			"a.csv: the text is not UTF-8 as the source's encoding option says (8 of its first 8 non-ASCII sequences are invalid UTF-8) " +
				"but reads as GB18030 (GBK): set encoding to gbk, or to auto"},
		{"utf-8 under utf-16", "utf-16", []byte(utf8Text),
			"a.csv: the text is not UTF-16 as the source's encoding option says: it has neither a UTF-16 byte order mark nor the NUL bytes " +
				"UTF-16 puts beside every ASCII character and line break; set encoding to auto, or to the file's encoding"},
		{"gbk under gbk", "gbk", encode(t, simplifiedchinese.GBK, utf8Text), ""},
		{"gbk after 100 KiB of ASCII under gbk", "gbk", encode(t, simplifiedchinese.GBK, longASCII.String()), ""},
		{"utf-8 with a cut character under utf-8", "utf-8", []byte(utf8Text[:strings.Index(utf8Text, "五")+1] + utf8Text[strings.Index(utf8Text, "五")+3:]), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.csv", tt.data)
			rr, err := openReader(t, newSource(t, dir, connectors.Options{"path": "a.csv", "encoding": tt.encoding}))
			var rows []connectors.Row
			for err == nil {
				var r connectors.Row
				if r, err = rr.Next(); err == nil {
					rows = append(rows, r)
				}
			}
			switch {
			case tt.want == "" && err != io.EOF:
				t.Errorf("got %v, want the file read", err)
			case tt.want == "" && !strings.Contains(fmt.Sprint(rows[len(rows)-1].Values), "李四") && !strings.Contains(fmt.Sprint(rows[len(rows)-1].Values), "张三"):
				t.Errorf("last row %q", rows[len(rows)-1].Values)
			case tt.want != "" && fmt.Sprint(err) != tt.want:
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}
