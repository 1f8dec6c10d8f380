package gen

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// excelEpoch is day 0 of Excel's 1900 date system (serial 1 = 1900-01-01,
// counting the phantom 1900-02-29).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// excelSerial is a date's serial number.
func excelSerial(d time.Time) float64 {
	return float64(d.Sub(excelEpoch) / (24 * time.Hour))
}

// Parts of the workbook the rows go into.
const (
	sheetPart   = "xl/worksheets/sheet1.xml"
	stringsPart = "xl/sharedStrings.xml"
)

// writeXLSX writes one sheet, streaming its rows: the bytes are those
// excelize writes when every cell is set on an in-memory workbook
// (SetCellStr, SetCellFloat with precision -1, the date style; empty text
// cells and empty rows left out), but neither the sheet nor its shared
// strings are held in memory. excelize writes the workbook without the data
// rows (the template: document properties with AsOf, not the clock, the
// styles, the title and header rows, column widths, the title's merge);
// its parts are written again in the same order with the same zip settings
// (deflate, no timestamps), the data rows streamed into the sheet and their
// new shared strings spilled to a temporary file beside path, then copied
// after the template's. Only the map from each distinct string to its
// index stays in memory.
func (f *file) writeXLSX(path string, asOf time.Time) error {
	x, err := f.openXLSX(path, asOf)
	if err != nil {
		return err
	}
	defer x.abort()
	if err := x.append(f); err != nil {
		return err
	}
	return x.close()
}

// xlsxWriter is a workbook being written: the parts before the sheet are
// written, the sheet is open for more rows (append), and close writes the
// rest. A county drawn in blocks (blocks.go) appends each block's rows.
type xlsxWriter struct {
	zr        *zip.Reader // the template's parts, in order
	parts     map[string][]byte
	next      int    // the template part after the sheet
	tail      []byte // the sheet after the data rows
	dateStyle int
	ss        *sharedStrings
	out       *os.File
	bout      *bufio.Writer
	zw        *zip.Writer
	sheet     *bufio.Writer
	rows      int // data rows written
	closed    bool
}

// openXLSX writes the template's parts up to the sheet's data rows.
func (f *file) openXLSX(path string, asOf time.Time) (*xlsxWriter, error) {
	tmpl, dateStyle, err := f.xlsxTemplate(asOf)
	if err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(bytes.NewReader(tmpl), int64(len(tmpl)))
	if err != nil {
		return nil, fmt.Errorf("read template: %w", err)
	}
	x := &xlsxWriter{zr: zr, parts: map[string][]byte{}, dateStyle: dateStyle}
	for _, zf := range zr.File {
		b, err := readZipFile(zf)
		if err != nil {
			return nil, fmt.Errorf("read template %s: %w", zf.Name, err)
		}
		x.parts[zf.Name] = b
	}
	sheet := x.parts[sheetPart]
	end := bytes.LastIndex(sheet, []byte("</sheetData>"))
	if end < 0 {
		return nil, errors.New("template sheet has no </sheetData>")
	}
	x.tail = sheet[end:]
	if x.ss, err = newSharedStrings(x.parts[stringsPart], f, filepath.Dir(path)); err != nil {
		return nil, err
	}
	if x.out, err = os.Create(path); err != nil {
		x.ss.close()
		return nil, err
	}
	x.bout = bufio.NewWriterSize(x.out, 256<<10)
	x.zw = zip.NewWriter(x.bout)
	for i, zf := range zr.File {
		w, err := x.zw.Create(zf.Name)
		if err != nil {
			x.abort()
			return nil, err
		}
		if zf.Name == sheetPart {
			x.sheet = bufio.NewWriterSize(w, 64<<10)
			x.sheet.Write(sheet[:end])
			x.next = i + 1
			return x, nil
		}
		if zf.Name == stringsPart {
			x.abort()
			return nil, errors.New("template has its shared strings before the sheet")
		}
		if _, err := w.Write(x.parts[zf.Name]); err != nil {
			x.abort()
			return nil, err
		}
	}
	x.abort()
	return nil, errors.New("template has no sheet")
}

// append writes f's data rows after the rows written before.
func (x *xlsxWriter) append(f *file) error {
	n, err := f.writeSheetRows(x.sheet, x.ss, x.dateStyle, f.headerRow()+x.rows)
	x.rows += n
	return err
}

// close ends the sheet and writes the template's other parts, the shared
// strings with the spilled ones.
func (x *xlsxWriter) close() error {
	x.sheet.Write(x.tail)
	if err := x.sheet.Flush(); err != nil {
		return err
	}
	for _, zf := range x.zr.File[x.next:] {
		w, err := x.zw.Create(zf.Name)
		if err != nil {
			return err
		}
		if zf.Name == stringsPart {
			err = x.ss.writeTo(w)
		} else {
			_, err = w.Write(x.parts[zf.Name])
		}
		if err != nil {
			return err
		}
	}
	if err := x.zw.Close(); err != nil {
		return err
	}
	if err := x.bout.Flush(); err != nil {
		return err
	}
	x.closed = true
	x.ss.close()
	return x.out.Close()
}

// abort drops the temporary file and closes the output, unless close did.
func (x *xlsxWriter) abort() {
	if x.closed {
		return
	}
	x.closed = true
	x.ss.close()
	if x.out != nil {
		x.out.Close()
	}
}

func readZipFile(zf *zip.File) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// xlsxTemplate is the workbook without data rows, as excelize writes it,
// and the style id of dates.
func (f *file) xlsxTemplate(asOf time.Time) ([]byte, int, error) {
	x := excelize.NewFile()
	defer x.Close()
	if err := x.SetSheetName("Sheet1", f.sheet); err != nil {
		return nil, 0, err
	}
	stamp := asOf.Format("2006-01-02") + "T00:00:00Z"
	if err := x.SetDocProps(&excelize.DocProperties{
		Creator: "lipwatch gen", LastModifiedBy: "lipwatch gen", Created: stamp, Modified: stamp,
		Title: f.sheet, Language: "zh-CN",
	}); err != nil {
		return nil, 0, err
	}
	dateStyle, err := x.NewStyle(&excelize.Style{CustomNumFmt: ptr("yyyy-mm-dd")})
	if err != nil {
		return nil, 0, err
	}
	sheetRow := 1
	if f.title != "" {
		if err := x.SetCellStr(f.sheet, "A1", f.title); err != nil {
			return nil, 0, err
		}
		last, _ := excelize.CoordinatesToCellName(len(f.cols), 1)
		if err := x.MergeCell(f.sheet, "A1", last); err != nil {
			return nil, 0, err
		}
		sheetRow = 2
	}
	for i, h := range f.headers() {
		if h == "" {
			continue
		}
		ref, _ := excelize.CoordinatesToCellName(i+1, sheetRow)
		if err := x.SetCellStr(f.sheet, ref, h); err != nil {
			return nil, 0, err
		}
	}
	for i, c := range f.cols {
		name, _ := excelize.ColumnNumberToName(i + 1)
		width := 14.0
		if c.field == "id_number" || c.field == "cert_number" || c.field == "household_id" {
			width = 22
		}
		if err := x.SetColWidth(f.sheet, name, name, width); err != nil {
			return nil, 0, err
		}
	}
	b, err := x.WriteToBuffer()
	if err != nil {
		return nil, 0, err
	}
	return b.Bytes(), dateStyle, nil
}

// writeSheetRows writes the data rows, numbered from the row after
// sheetRow (the header's, or the last row written before), and returns how
// many it wrote, as excelize would write them: `<c r="B7" t="s"><v>12</v></c>` for text (a
// shared string), `<c r="C7"><v>3</v></c>` for a number,
// `<c r="D7" s="1"><v>46286</v></c>` for a date; empty text cells and
// rows with no cell are left out.
func (f *file) writeSheetRows(w *bufio.Writer, ss *sharedStrings, dateStyle int, sheetRow int) (int, error) {
	style := strconv.Itoa(dateStyle)
	var num []byte
	n := 0
	for rw := range f.all() {
		sheetRow++
		n++
		started := false
		for i, c := range rw.cells {
			var v string
			switch c.kind {
			case numberCell:
				v = formatCellFloat(c.num)
			case dateCell:
				v = formatCellFloat(c.num)
			default:
				if c.text == "" {
					continue
				}
				idx, err := ss.index(c.text)
				if err != nil {
					return n, err
				}
				num = strconv.AppendInt(num[:0], int64(idx), 10)
				v = ""
			}
			if !started {
				w.WriteString(`<row r="`)
				w.WriteString(strconv.Itoa(sheetRow))
				w.WriteString(`">`)
				started = true
			}
			w.WriteString(`<c r="`)
			writeColumnName(w, i+1)
			w.WriteString(strconv.Itoa(sheetRow))
			switch c.kind {
			case numberCell:
				w.WriteString(`"><v>`)
				w.WriteString(v)
			case dateCell:
				w.WriteString(`" s="`)
				w.WriteString(style)
				w.WriteString(`"><v>`)
				w.WriteString(v)
			default:
				w.WriteString(`" t="s"><v>`)
				w.Write(num)
			}
			w.WriteString(`</v></c>`)
		}
		if started {
			w.WriteString(`</row>`)
		}
	}
	return n, nil
}

// writeColumnName writes a 1-based column number as letters (1 = A).
func writeColumnName(w *bufio.Writer, n int) {
	var buf [8]byte
	i := len(buf)
	for n > 0 {
		n--
		i--
		buf[i] = byte('A' + n%26)
		n /= 26
	}
	w.Write(buf[i:])
}

// formatCellFloat is excelize's text of a number set with precision -1
// (at most 15 significant digits, Excel's limit), copied from excelize
// v2.11.1 (BSD-3-Clause) so that the streamed sheet reads as it would.
func formatCellFloat(value float64) string {
	if math.IsNaN(value) || math.IsInf(value, 0) {
		panic("gen: not a finite number in a sheet")
	}
	str := strconv.FormatFloat(value, 'f', -1, 64)
	if math.Abs(value) == math.MaxFloat64 {
		return str
	}
	const maxPrec = 15
	decimal := strings.IndexByte(str, '.')
	significant := 0
	for idx := range str {
		if str[idx] < '0' || str[idx] > '9' || significant == 0 && str[idx] == '0' {
			continue
		}
		significant++
		if significant <= maxPrec {
			continue
		}
		if decimal >= 0 && idx > decimal {
			return strings.TrimSuffix(str[:idx], ".")
		}
		if decimal < 0 {
			decimal = len(str)
		}
		truncated := []byte(str[:decimal])
		for ; idx < len(truncated); idx++ {
			truncated[idx] = '0'
		}
		return string(truncated)
	}
	return str
}

// sharedStrings is the shared string table of a streamed sheet: the
// template's strings (title and headers), then each new distinct string in
// the order first met, spilled to a temporary file as its <si> element.
type sharedStrings struct {
	head  []byte // the template's part up to the count, exclusive
	items []byte // the template's <si> elements
	ids   map[string]int32
	base  map[string]int32 // the template's
	n     int
	spill *os.File
	w     *bufio.Writer
}

// newSharedStrings reads the template's table (count="k" uniqueCount="k"
// then k <si> elements): its strings are the title and the headers, in the
// order the template set them.
func newSharedStrings(tmpl []byte, f *file, dir string) (*sharedStrings, error) {
	at := bytes.Index(tmpl, []byte(` count="`))
	body := bytes.Index(tmpl, []byte(`<si>`))
	tail := bytes.LastIndex(tmpl, []byte(`</sst>`))
	if at < 0 || body < 0 || tail < body {
		return nil, errors.New("template shared strings not as expected")
	}
	ss := &sharedStrings{head: tmpl[:at], items: tmpl[body:tail], ids: map[string]int32{}}
	var seed []string
	if f.title != "" {
		seed = append(seed, f.title)
	}
	seed = append(seed, f.headers()...)
	for _, s := range seed {
		if _, ok := ss.ids[s]; !ok && s != "" {
			ss.ids[s] = int32(ss.n)
			ss.n++
		}
	}
	ss.base = maps.Clone(ss.ids)
	if got := bytes.Count(ss.items, []byte("<si>")); got != ss.n {
		return nil, fmt.Errorf("template has %d shared strings, want %d", got, ss.n)
	}
	spill, err := os.CreateTemp(dir, ".lipwatch-sst-*")
	if err != nil {
		return nil, err
	}
	ss.spill, ss.w = spill, bufio.NewWriterSize(spill, 256<<10)
	return ss, nil
}

// index is a string's index, new strings added.
func (ss *sharedStrings) index(s string) (int32, error) {
	if i, ok := ss.ids[s]; ok {
		return i, nil
	}
	if len(s) > excelize.TotalCellChars || strings.Contains(s, "_x") {
		// excelize would truncate the one and, for some of the other
		// (_xHHHH_), never find the string again: not worth mirroring for
		// text the generator does not write.
		return 0, fmt.Errorf("cell text the streaming writer does not support: %.40q", s)
	}
	if ss.n == math.MaxInt32 {
		return 0, errors.New("too many shared strings")
	}
	i := int32(ss.n)
	ss.ids[s] = i
	ss.n++
	return i, writeSI(ss.w, s)
}

// writeSI writes one <si> as encoding/xml marshals excelize's xlsxSI: text
// with XML's special characters, tabs and line breaks escaped, and
// xml:space="preserve" when it begins or ends with white space.
func writeSI(w *bufio.Writer, s string) error {
	if len(s) > 0 && utf8.ValidString(s) && !strings.ContainsAny(s, "&<>\"'\t\n\r") &&
		!isXMLSpace(s[0]) && !isXMLSpace(s[len(s)-1]) {
		w.WriteString("<si><t>")
		w.WriteString(s)
		_, err := w.WriteString("</t></si>")
		return err
	}
	var b bytes.Buffer
	if err := xml.NewEncoder(&b).Encode(excelizeSI(s)); err != nil {
		return err
	}
	_, err := w.Write(b.Bytes())
	return err
}

func isXMLSpace(c byte) bool { return c == 9 || c == 10 || c == 13 || c == 32 }

// siXML and tXML mirror excelize's xlsxSI and xlsxT.
type siXML struct {
	XMLName xml.Name `xml:"si"`
	T       tXML     `xml:"t"`
}

type tXML struct {
	Space xml.Attr `xml:"space,attr,omitempty"`
	Val   string   `xml:",chardata"`
}

// excelizeSI is the <si> excelize builds for s; the rare strings that take
// this path (special characters, surrounding white space) are checked
// against excelize itself by the tests.
func excelizeSI(s string) siXML {
	var t tXML
	t.Val = s
	if s != "" {
		for _, c := range []byte{9, 10, 13, 32} {
			if s[0] == c || s[len(s)-1] == c {
				t.Space = xml.Attr{Name: xml.Name{Space: "http://www.w3.org/XML/1998/namespace", Local: "space"}, Value: "preserve"}
				break
			}
		}
	}
	return siXML{T: t}
}

// writeTo writes the whole table: the template's head with the final
// count, its strings, then the spilled ones.
func (ss *sharedStrings) writeTo(w io.Writer) error {
	if err := ss.w.Flush(); err != nil {
		return err
	}
	if _, err := ss.spill.Seek(0, io.SeekStart); err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	n := strconv.Itoa(ss.n)
	bw.Write(ss.head)
	bw.WriteString(` count="` + n + `" uniqueCount="` + n + `">`)
	bw.Write(ss.items)
	if _, err := io.Copy(bw, ss.spill); err != nil {
		return err
	}
	bw.WriteString(`</sst>`)
	return bw.Flush()
}

// forget drops the strings added so far from the map (not from the
// table): a string met again is added again, so the map holds one block's
// strings (blocks.go), not a whole province's. A table may repeat a string.
func (ss *sharedStrings) forget() { ss.ids = maps.Clone(ss.base) }

func (ss *sharedStrings) close() {
	ss.spill.Close()
	os.Remove(ss.spill.Name())
}

func ptr[T any](v T) *T { return &v }
