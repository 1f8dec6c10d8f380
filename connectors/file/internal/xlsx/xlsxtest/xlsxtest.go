// Package xlsxtest writes .xlsx workbooks part by part for tests: the
// sheet XML exactly as a test gives it, so that tests can hold what
// excelize does not write (the 1904 date system, formulas without a saved
// value, cells without references, phonetic runs, shared formulas, hidden
// sheets, damaged parts).
package xlsxtest

import (
	"archive/zip"
	"bytes"
	"fmt"
	"html"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
)

// Book is a workbook to write.
type Book struct {
	Sheets []Sheet
	// Date1904 sets workbookPr date1904="1"; Date1904Attr, when set, is
	// the attribute's value as written instead ("true").
	Date1904     bool
	Date1904Attr string
	// FullCalcOnLoad sets calcPr fullCalcOnLoad="1", as tools that do not
	// calculate their formulas do.
	FullCalcOnLoad bool
	// Strings is the shared strings table, each written as a plain <si><t>.
	Strings []string
	// StringsXML, when set, is the shared strings table's <si> elements as
	// written (rich text, phonetic runs), instead of Strings.
	StringsXML string
	// Styles, when set, is the styles part as written; else the part that
	// Formats describes.
	Styles string
	// Formats are the number formats of cell formats 1, 2, ... (the s=
	// attribute of a cell); cell format 0 is General. An int is a built-in
	// number format id, a string a custom format code.
	Formats []any
	// Parts replaces or adds parts by name; an empty value leaves the part
	// out.
	Parts map[string]string
}

// Sheet is one sheet of a Book.
type Sheet struct {
	Name string
	// State is "", "hidden" or "veryHidden".
	State string
	// Rows is the XML inside <sheetData>.
	Rows string
	// After is the XML after </sheetData>, such as <mergeCells>.
	After string
	// Chart makes the sheet a chart sheet (no cells).
	Chart bool
}

const (
	ns    = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"`
	nsR   = `xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	relNS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
	decl  = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n"
)

// Bytes returns the workbook as a zip file.
func (b Book) Bytes() ([]byte, error) {
	parts := map[string]string{}
	var order []string
	put := func(name, body string) {
		if _, ok := parts[name]; !ok {
			order = append(order, name)
		}
		parts[name] = body
	}
	put("[Content_Types].xml", decl+`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>`+
		`<Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
		`</Types>`)
	put("_rels/.rels", decl+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="`+relNS+`officeDocument" Target="xl/workbook.xml"/></Relationships>`)

	var wb, rels strings.Builder
	wb.WriteString(decl + `<workbook ` + ns + ` ` + nsR + `>`)
	switch {
	case b.Date1904Attr != "":
		fmt.Fprintf(&wb, `<workbookPr date1904="%s"/>`, b.Date1904Attr)
	case b.Date1904:
		wb.WriteString(`<workbookPr date1904="1"/>`)
	default:
		wb.WriteString(`<workbookPr/>`)
	}
	wb.WriteString(`<sheets>`)
	rels.WriteString(decl + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`)
	for i, s := range b.Sheets {
		state := ""
		if s.State != "" {
			state = fmt.Sprintf(` state="%s"`, s.State)
		}
		fmt.Fprintf(&wb, `<sheet name="%s" sheetId="%d"%s r:id="rId%d"/>`, html.EscapeString(s.Name), i+1, state, i+1)
		if s.Chart {
			fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="%schartsheet" Target="chartsheets/sheet%d.xml"/>`, i+1, relNS, i+1)
			put(fmt.Sprintf("xl/chartsheets/sheet%d.xml", i+1), decl+`<chartsheet `+ns+`/>`)
			continue
		}
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="%sworksheet" Target="worksheets/sheet%d.xml"/>`, i+1, relNS, i+1)
		put(fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1), decl+`<worksheet `+ns+` `+nsR+`><sheetData>`+s.Rows+`</sheetData>`+s.After+`</worksheet>`)
	}
	n := len(b.Sheets)
	fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="%sstyles" Target="styles.xml"/>`, n+1, relNS)
	fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="%ssharedStrings" Target="sharedStrings.xml"/>`, n+2, relNS)
	rels.WriteString(`</Relationships>`)
	wb.WriteString(`</sheets>`)
	if b.FullCalcOnLoad {
		wb.WriteString(`<calcPr calcId="124519" fullCalcOnLoad="1"/>`)
	}
	wb.WriteString(`</workbook>`)
	put("xl/workbook.xml", wb.String())
	put("xl/_rels/workbook.xml.rels", rels.String())

	styles := b.Styles
	if styles == "" {
		styles = StylesPart(b.Formats...)
	}
	put("xl/styles.xml", styles)
	sst := b.StringsXML
	if sst == "" {
		var s strings.Builder
		for _, str := range b.Strings {
			fmt.Fprintf(&s, `<si><t xml:space="preserve">%s</t></si>`, Escape(str))
		}
		sst = s.String()
	}
	put("xl/sharedStrings.xml", decl+`<sst `+ns+`>`+sst+`</sst>`)
	for _, name := range slices.Sorted(maps.Keys(b.Parts)) {
		put(name, b.Parts[name])
	}

	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, name := range order {
		body := parts[name]
		if body == "" {
			continue
		}
		w, err := z.Create(name)
		if err != nil {
			return nil, err
		}
		if _, err := w.Write([]byte(body)); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes the workbook to path, failing the test on error.
func (b Book) Write(t testing.TB, path string) {
	t.Helper()
	data, err := b.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// StylesPart writes a styles part whose cell format i+1 has the number
// format formats[i] (an int: a built-in id; a string: a custom code, given
// ids from 164); cell format 0 is General.
func StylesPart(formats ...any) string {
	var numFmts, xfs strings.Builder
	next, custom := 164, 0
	xfs.WriteString(`<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>`)
	for _, f := range formats {
		id := 0
		switch f := f.(type) {
		case int:
			id = f
		case string:
			id = next
			next++
			custom++
			fmt.Fprintf(&numFmts, `<numFmt numFmtId="%d" formatCode="%s"/>`, id, html.EscapeString(f))
		default:
			panic(fmt.Sprintf("xlsxtest: format %v is neither an id nor a code", f))
		}
		fmt.Fprintf(&xfs, `<xf numFmtId="%d" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>`, id)
	}
	nf := ""
	if custom > 0 {
		nf = fmt.Sprintf(`<numFmts count="%d">%s</numFmts>`, custom, numFmts.String())
	}
	return decl + `<styleSheet ` + ns + `>` + nf +
		`<fonts count="1"><font><sz val="11"/><name val="宋体"/></font></fonts>` +
		`<fills count="1"><fill><patternFill patternType="none"/></fill></fills>` +
		`<borders count="1"><border/></borders>` +
		`<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>` +
		fmt.Sprintf(`<cellXfs count="%d">%s</cellXfs>`, len(formats)+1, xfs.String()) +
		`</styleSheet>`
}

// Escape escapes text for XML content.
func Escape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Str is a cell holding inline text: <c r="A1" t="inlineStr"><is><t>...</t></is></c>.
func Str(ref, text string) string {
	return fmt.Sprintf(`<c r="%s" t="inlineStr"><is><t xml:space="preserve">%s</t></is></c>`, ref, Escape(text))
}

// Num is a number cell with cell format style (0 for General).
func Num(ref, v string, style int) string {
	if style == 0 {
		return fmt.Sprintf(`<c r="%s"><v>%s</v></c>`, ref, v)
	}
	return fmt.Sprintf(`<c r="%s" s="%d"><v>%s</v></c>`, ref, style, v)
}

// Row wraps cells in <row r="n">.
func Row(n int, cells ...string) string {
	return fmt.Sprintf(`<row r="%d">%s</row>`, n, strings.Join(cells, ""))
}
