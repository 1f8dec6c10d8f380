package gen

import (
	"archive/zip"
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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
	tmpl, dateStyle, err := f.xlsxTemplate(asOf)
	if err != nil {
		return err
	}
	zr, err := zip.NewReader(bytes.NewReader(tmpl), int64(len(tmpl)))
	if err != nil {
		return fmt.Errorf("read template: %w", err)
	}
	parts := map[string][]byte{}
	for _, zf := range zr.File {
		b, err := readZipFile(zf)
		if err != nil {
			return fmt.Errorf("read template %s: %w", zf.Name, err)
		}
		parts[zf.Name] = b
	}
	sheet, sst := parts[sheetPart], parts[stringsPart]
	end := bytes.LastIndex(sheet, []byte("</sheetData>"))
	if end < 0 {
		return errors.New("template sheet has no </sheetData>")
	}
	ss, err := newSharedStrings(sst, f, filepath.Dir(path))
	if err != nil {
		return err
	}
	defer ss.close()

	out, err := os.Create(path)
	if err != nil {
		return err
	}
	defer out.Close()
	bout := bufio.NewWriterSize(out, 256<<10)
	zw := zip.NewWriter(bout)
	for _, zf := range zr.File {
		w, err := zw.Create(zf.Name)
		if err != nil {
			return err
		}
		switch zf.Name {
		case sheetPart:
			bw := bufio.NewWriterSize(w, 64<<10)
			bw.Write(sheet[:end])
			if err := f.writeSheetRows(bw, ss, dateStyle); err != nil {
				return err
			}
			bw.Write(sheet[end:])
			err = bw.Flush()
		case stringsPart:
			err = ss.writeTo(w)
		default:
			_, err = w.Write(parts[zf.Name])
		}
		if err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bout.Flush(); err != nil {
		return err
	}
	return out.Close()
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

// writeSheetRows writes the data rows, numbered from the row after the
// header, as excelize would: `<c r="B7" t="s"><v>12</v></c>` for text (a
// shared string), `<c r="C7"><v>3</v></c>` for a number,
// `<c r="D7" s="1"><v>46286</v></c>` for a date; empty text cells and
// rows with no cell are left out.
func (f *file) writeSheetRows(w *bufio.Writer, ss *sharedStrings, dateStyle int) error {
	style := strconv.Itoa(dateStyle)
	var num []byte
	sheetRow := f.headerRow()
	for rw := range f.all() {
		sheetRow++
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
					return err
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
	return nil
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

func (ss *sharedStrings) close() {
	ss.spill.Close()
	os.Remove(ss.spill.Name())
}

func ptr[T any](v T) *T { return &v }
