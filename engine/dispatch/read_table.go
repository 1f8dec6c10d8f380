package dispatch

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

// table is a returned list's sheet as rows of strings, numbered as Excel
// shows them.
type table struct {
	rows  []tableRow
	sheet string // the list sheet's name; empty for CSV
	mark  Mark   // what lipwatch wrote into the list; zero when absent
	// date1904 says that number cells holding dates count days from
	// 1904-01-01 (a workbook option some Mac files still carry).
	date1904 bool
}

// tableRow is one row of a table.
type tableRow struct {
	num   int // row number as the spreadsheet shows it, from 1
	cells []string
}

// Magic bytes that tell file formats apart whatever the file is called.
var (
	magicZip = []byte("PK\x03\x04")                       // xlsx (a zip)
	magicOLE = []byte("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") // old .xls, or an encrypted xlsx
)

// errOldFormat is returned for files Excel saved in the old binary format
// or with a password.
var errOldFormat = errors.New("是旧版 .xls 格式或加了密码，请在 Excel/WPS 中去掉密码并另存为 .xlsx（old .xls or password-protected file）")

// Bounds of a returned list. A county's largest township list is a few
// thousand rows: about 1 MiB as xlsx, 5 MiB unzipped. Far above that is a
// wrong file or a zip bomb (a 195 KB xlsx holding one 190 MB cell), which
// must not take the machine's memory.
const (
	maxListFile     = 32 << 20 // bytes of the file as returned
	maxListUnzipped = 64 << 20 // bytes of an xlsx's parts unzipped, all together
	maxListPart     = 16 << 20 // bytes of one unzipped part (a sheet, the shared strings): excelize holds a part in memory several times over (a 15 MB cell: 176 MB RSS)
)

// maxListColumns bounds a returned row's cells: the list has 17 columns,
// a township may add a few of its own.
const maxListColumns = 256

// tableBounds refuses a table past the rows or columns a returned list can
// have, as soon as it is read: a 31 MB file of 16 million one-character
// lines would otherwise take gigabytes before its rows were counted.
func tableBounds(rows, cols int) error {
	switch {
	case rows > MaxListRows+100: // title, note and blank rows besides the cases
		return fmt.Errorf("本表超过 %d 行，超过核查清单的上限，请确认是否交错了文件（more than %d rows; a returned list has at most %d）",
			MaxListRows+100, MaxListRows+100, MaxListRows)
	case cols > maxListColumns:
		return fmt.Errorf("本表有一行超过 %d 列，不像核查清单，请确认是否交错了文件（a row of %d cells; a list has at most %d columns）",
			maxListColumns, cols, maxListColumns)
	}
	return nil
}

// readTable reads the sheet of a returned list: an xlsx workbook or a CSV
// file, told apart by their contents rather than the name.
func readTable(path string) (*table, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	switch {
	case fi.IsDir():
		return nil, errors.New("这是一个文件夹，不是核查清单文件（a directory, not a list）")
	case !fi.Mode().IsRegular():
		return nil, errors.New("不是普通文件，无法作为核查清单读取（not a regular file: a pipe, device or socket）")
	case fi.Size() > maxListFile:
		mib := float64(fi.Size()) / (1 << 20)
		return nil, fmt.Errorf("文件有 %.1f MiB，超过核查清单的上限 %d MiB，请确认是否交错了文件（file is %.1f MiB, a list is at most %d MiB）",
			mib, maxListFile>>20, mib, maxListFile>>20)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	switch {
	case bytes.HasPrefix(data, magicZip):
		return readXLSXTable(data)
	case bytes.HasPrefix(data, magicOLE):
		return nil, errOldFormat
	}
	return readCSVTable(data)
}

// readXLSXTable reads the workbook's list sheet — the one sheet with a
// 预警编号 header; two such sheets are an error naming both, since which of
// them is the township's answer cannot be known — and the list's mark.
// Cells are read raw, so a date cell gives its serial number whatever
// format the township's Excel showed it in.
func readXLSXTable(data []byte) (*table, error) {
	if err := checkUnzipped(data); err != nil {
		return nil, err
	}
	x, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: maxListUnzipped, UnzipXMLSizeLimit: maxListPart})
	if err != nil {
		return nil, err
	}
	defer x.Close()
	t := &table{}
	if props, err := x.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		t.date1904 = *props.Date1904
	}
	if t.mark, err = readXLSXMark(x); err != nil {
		return nil, err
	}
	var found []string
	for _, sheet := range x.GetSheetList() {
		if sheet == markSheet {
			continue
		}
		st := &table{}
		it, err := x.Rows(sheet)
		if err != nil {
			return nil, fmt.Errorf("sheet %s: %w", sheet, err)
		}
		for n := 1; it.Next(); n++ {
			cells, err := it.Columns(excelize.Options{RawCellValue: true})
			if err != nil {
				it.Close()
				return nil, fmt.Errorf("sheet %s: %w", sheet, err)
			}
			if err := tableBounds(len(st.rows)+1, len(cells)); err != nil {
				it.Close()
				return nil, fmt.Errorf("sheet %s: %w", sheet, err)
			}
			st.rows = append(st.rows, tableRow{num: n, cells: cells})
		}
		it.Close()
		// Trailing empty rows, as GetRows drops them.
		for len(st.rows) > 0 && len(st.rows[len(st.rows)-1].cells) == 0 {
			st.rows = st.rows[:len(st.rows)-1]
		}
		if st.headerRow() < 0 {
			continue
		}
		found = append(found, sheet)
		if len(found) == 1 {
			t.rows, t.sheet = st.rows, sheet
		}
	}
	if len(found) > 1 {
		return nil, fmt.Errorf("工作簿中有%d个工作表含“%s”表头（“%s”），无法确定哪一个是交回的核查清单；请只保留本乡镇的清单工作表后再交回（ambiguous: sheets %s all have a %s header）",
			len(found), HeaderCaseID, strings.Join(found, "”“"), strings.Join(found, ", "), HeaderCaseID)
	}
	return t, nil
}

// checkUnzipped refuses an xlsx whose parts unzip, by what the zip
// directory declares, past the bounds, before any part is inflated; the
// declared sizes are then held to by excelize's own limits.
func checkUnzipped(data []byte) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return err
	}
	var total uint64
	for _, f := range zr.File {
		total += f.UncompressedSize64
		if f.UncompressedSize64 > maxListPart || total > maxListUnzipped {
			return fmt.Errorf("xlsx 解压后过大（%s 为 %d MiB），不像核查清单，未读取（unzipped part %s is %d MiB; a list's parts are at most %d MiB, %d MiB together）",
				f.Name, f.UncompressedSize64>>20, f.Name, f.UncompressedSize64>>20, maxListPart>>20, maxListUnzipped>>20)
		}
	}
	return nil
}

// readCSVTable reads a CSV list: UTF-8 with or without a byte-order mark,
// GBK/GB18030 as Excel saves "CSV (逗号分隔)" on Chinese Windows, or
// UTF-16 as it saves "Unicode 文本"; separated by commas, tabs or
// semicolons, whichever the header line uses most.
func readCSVTable(data []byte) (*table, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.Comma = sniffComma(text)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	t := &table{}
	// csv.Reader skips blank lines and joins quoted line breaks; Excel
	// shows a blank line as an empty row and a record as one row. Track
	// lines to number rows as Excel does.
	row, lastLine := 0, 0
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		line, _ := r.FieldPos(0)
		row += line - lastLine
		lastLine = line
		for _, f := range rec {
			lastLine += strings.Count(f, "\n")
		}
		for i, f := range rec {
			rec[i] = uncsvText(f)
		}
		if err := tableBounds(len(t.rows)+1, len(rec)); err != nil {
			return nil, err
		}
		t.rows = append(t.rows, tableRow{num: row, cells: rec})
	}
	h := t.headerRow()
	seen := false
	for _, r := range t.rows[:max(h, 0)] {
		if m, ok, err := parseCSVMark(r.cells); ok {
			if err != nil {
				return nil, fmt.Errorf("第%d行 %w", r.num, err)
			}
			if seen && m != t.mark {
				return nil, fmt.Errorf("第%d行 %w", r.num, errBadMark) // two marks that disagree
			}
			t.mark, seen = m, true
		}
	}
	return t, nil
}

// decodeText turns a CSV file's bytes into text.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte(utf8BOM)):
		return string(data[len(utf8BOM):]), nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}), bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		b, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(data)
		return string(b), err
	case utf8.Valid(data):
		return string(data), nil
	}
	b, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	return string(b), err
}

// sniffComma picks the separator of the line holding the 预警编号 header
// (or the first line).
func sniffComma(text string) rune {
	line, _, _ := strings.Cut(text, "\n")
	for l := range strings.Lines(text) {
		if strings.Contains(l, HeaderCaseID) {
			line = l
			break
		}
	}
	best, n := ',', strings.Count(line, ",")
	for _, c := range []rune{'\t', ';'} {
		if m := strings.Count(line, string(c)); m > n {
			best, n = c, m
		}
	}
	return best
}

// headerRow is the index of the first row with a 预警编号 cell, or -1.
func (t *table) headerRow() int {
	key := normKey(HeaderCaseID)
	for i, r := range t.rows {
		for _, c := range r.cells {
			if normKey(c) == key {
				return i
			}
		}
	}
	return -1
}
