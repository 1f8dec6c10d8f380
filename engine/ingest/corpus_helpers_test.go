package ingest

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"html"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"
	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/idnum"
)

// The machinery of the bad-input corpus (corpus_test.go): each case writes
// its department file(s) into a fresh directory, syncs them through the
// real path (file connector -> dataset mapping -> a DuckDB store) and
// checks one expectation: read right, quarantined with a reason, or failed
// with a message naming the file. Every case is also checked for what must
// hold whatever the input: no crash, every row accounted for in the ledger,
// and no ID number, 户号 or name in any reason, error or note.

// The people of the corpus: valid ID numbers of the fictional county
// 340799, as the synthetic county's mini registry has them.
const (
	idA = "340799196005010116" // 王测一
	idB = "340799196203020227" // 李测二
	idC = "340799198507150337" // 赵测三
	idD = "340799195801200442" // 钱测四
	idE = "34079919700909055X" // 孙测五
	idF = "340799197506060677" // 周测六
	hhA = "3407990010010001"
	hhB = "3407990010010002"
)

// corpusPersonal is what must never appear in a reason, an error or a
// note: the corpus's ID numbers (18- and 15-digit), 户号 and names.
var corpusPersonal = []string{idA, idB, idC, idD, idE, idF, "340799600501011", "340799700909055",
	hhA, hhB, "王测一", "李测二", "赵测三", "钱测四", "孙测五", "周测六"}

// longDigits finds what may be an identifier in a message: 15 or more
// digits in a row (dates and Unix milliseconds are shorter).
var longDigits = regexp.MustCompile(`[0-9]{15,}`)

// corpusHeaders is each dataset's usual header in the corpus, and
// corpusColumns its mapping (field -> column name as written there).
var corpusHeaders = map[string]string{
	"registry":   "公民身份号码,姓名,性别,出生日期,户号,乡镇街道代码,住址",
	"households": "户号,家庭年收入,家庭人口,收入核定日期",
	"assistance": "身份证号,户号,救助类别,开始日期,结束日期,月救助金额",
	"medical":    "结算单号,身份证号,结算日期,医疗机构,医疗总费用,个人自付",
	"disability": "身份证号,残疾人证号,残疾类别,残疾等级,发证日期,证件状态",
	"employment": "身份证号,业务类型,业务日期",
	"fishers":    "身份证号,户号,渔船证号,退捕日期,安置去向,是否参加养老保险",
}

var corpusColumns = map[string]map[string]string{
	"registry": {"id_number": "公民身份号码", "name": "姓名", "gender": "性别", "birth_date": "出生日期",
		"household_id": "户号", "township_code": "乡镇街道代码", "address": "住址"},
	"households": {"household_id": "户号", "annual_income": "家庭年收入", "members": "家庭人口", "income_assessed_date": "收入核定日期"},
	"assistance": {"id_number": "身份证号", "household_id": "户号", "category": "救助类别", "start_date": "开始日期",
		"end_date": "结束日期", "amount_monthly": "月救助金额"},
	"medical": {"claim_id": "结算单号", "id_number": "身份证号", "settle_date": "结算日期", "hospital": "医疗机构",
		"total_cost": "医疗总费用", "out_of_pocket": "个人自付"},
	"disability": {"id_number": "身份证号", "cert_number": "残疾人证号", "category": "残疾类别", "level": "残疾等级",
		"issued_date": "发证日期", "status": "证件状态"},
	"employment": {"id_number": "身份证号", "event": "业务类型", "event_date": "业务日期"},
	"fishers": {"id_number": "身份证号", "household_id": "户号", "boat_cert": "渔船证号", "retired_date": "退捕日期",
		"resettlement": "安置去向", "pension_insured": "是否参加养老保险"},
}

// Good rows, one per person, under corpusHeaders.
const (
	regA = idA + ",王测一,男,1960-05-01," + hhA + ",340799001,示例县测试路1号"
	regB = idB + ",李测二,女,1962-03-02," + hhA + ",340799001,示例县测试路2号"
	regC = idC + ",赵测三,男,1985-07-15," + hhB + ",340799001,示例县测试路3号"
	empA = idA + ",失业登记,2026-03-05"
	empB = idB + ",就业登记,2026-03-06"
)

// corpusFile is one file a case writes, relative to its directory.
type corpusFile struct {
	name string
	body []byte
}

// corpusCase is one kind of department input.
type corpusCase struct {
	kind    string // the kind's name, as the README's table lists it
	dataset string
	files   []corpusFile
	path    string             // the source's path option; the first file's name when empty
	options connectors.Options // more file connector options (encoding, header_row ...)
	columns map[string]string  // the mapping; corpusColumns[dataset] when nil
	values  map[string]map[string]string
	formats map[string]string
	want    want
}

// want is a case's expectation. Every field is checked: rows is the
// number of rows the dataset table holds after the sync, checks are SQL
// predicates over it that must each match exactly one row, quar is exactly
// what the quarantine holds, fail is part of the message of the stream
// (or source) that failed, and status the source's status.
type want struct {
	status string
	rows   int
	checks []string
	quar   []quar
	fail   string
	note   string
}

// quar is one quarantine entry: the row's position, its reason code and
// words of its reason a clerk acts on.
type quar struct {
	pos    int64
	code   string
	reason string
}

// readRight expects rows loaded, nothing quarantined, the source ok, and
// each check to match exactly one loaded row.
func readRight(rows int, checks ...string) want {
	return want{status: StatusOK, rows: rows, checks: checks}
}

// quarantined expects the good rows loaded (rows of them) and exactly the
// given entries in quarantine; the source ok.
func quarantined(rows int, q ...quar) want {
	return want{status: StatusOK, rows: rows, quar: q}
}

// failed expects a stream (or the source) to fail with msg in its error,
// rows loaded from the others: degraded when some loaded, failed when none.
func failed(msg string, rows int) want {
	st := StatusDegraded
	if rows == 0 {
		st = StatusFailed
	}
	return want{status: st, rows: rows, fail: msg}
}

func (w want) withStatus(s string) want { w.status = s; return w }
func (w want) withNote(s string) want   { w.note = s; return w }
func (w want) withChecks(c ...string) want {
	w.checks = append(w.checks, c...)
	return w
}

// csvOf is a CSV file of the dataset's usual header and the given lines,
// each ended by LF.
func csvOf(ds string, lines ...string) []byte {
	return []byte(corpusHeaders[ds] + "\n" + strings.Join(lines, "\n") + "\n")
}

// encode writes UTF-8 text in a legacy or UTF-16 encoding.
func encode(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	return b
}

var (
	gbk       = simplifiedchinese.GBK
	gb18030   = simplifiedchinese.GB18030
	utf16LE   = unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM)
	utf16LEBO = unicode.UTF16(unicode.LittleEndian, unicode.UseBOM)
	utf16BE   = unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM)
)

// xsheet is one worksheet of a workbook written from XML parts. Cells are
// text in the strTable convention of engine/pipeline's field cases: ""
// no cell, "n:123" a number, "d:46082" a date-formatted number (numFmt
// 14), "cn:46082" a number in the custom format yyyy"年"m"月"d"日", "e:#N/A"
// an error cell (a formula with its cached error), "f:SUM(B2:C2)" a
// formula saved without a value, "str:text" a formula's cached text,
// "b:1" a boolean, "isod:2026-03-05T00:00:00" an ISO 8601 date cell,
// "raw: ATTRS>INNER" a cell of the given attributes and inner XML,
// "is:text" an inline string, "rich:<r>..." a shared string given as the
// raw XML inside <si>; anything else a shared string. A row of "" cells is
// a row element without cells (formatted, empty).
type xsheet struct {
	name   string
	rows   [][]string
	hidden []int  // 1-based numbers of hidden rows
	state  string // "", "hidden", "veryHidden"
	extra  string // XML after </sheetData> (mergeCells)
}

// rawXLSX writes a workbook from XML parts, for what excelize will not
// write: the 1904 date system, formulas without a cached value, error
// cells, phonetic runs, inline strings, hidden rows.
func rawXLSX(t *testing.T, date1904 bool, sheets ...xsheet) []byte {
	t.Helper()
	var sst []string // raw <si> contents
	sstIndex := map[string]int{}
	shared := func(si string) int {
		if i, ok := sstIndex[si]; ok {
			return i
		}
		sst = append(sst, si)
		sstIndex[si] = len(sst) - 1
		return len(sst) - 1
	}
	cell := func(ref, v string) string {
		tag := func(attrs, inner string) string { return `<c r="` + ref + `"` + attrs + `>` + inner + `</c>` }
		kind, val, ok := strings.Cut(v, ":")
		if ok {
			switch kind {
			case "n":
				return tag(``, `<v>`+val+`</v>`)
			case "d":
				return tag(` s="1"`, `<v>`+val+`</v>`)
			case "cn":
				return tag(` s="2"`, `<v>`+val+`</v>`)
			case "wan": // a number formatted 0.00"万元"
				return tag(` s="3"`, `<v>`+val+`</v>`)
			case "pad": // a number formatted 0000000000
				return tag(` s="4"`, `<v>`+val+`</v>`)
			case "e":
				return tag(` t="e"`, `<f>VLOOKUP(A1,Sheet2!A:B,2,FALSE)</f><v>`+html.EscapeString(val)+`</v>`)
			case "f":
				return tag(``, `<f>`+html.EscapeString(val)+`</f>`)
			case "is":
				return tag(` t="inlineStr"`, `<is><t>`+html.EscapeString(val)+`</t></is>`)
			case "str":
				return tag(` t="str"`, `<f>TEXT(A1,"@")</f><v>`+html.EscapeString(val)+`</v>`)
			case "b":
				return tag(` t="b"`, `<v>`+val+`</v>`)
			case "raw":
				a, inner, _ := strings.Cut(val, ">")
				return tag(a, inner)
			case "isod":
				return tag(` t="d" s="1"`, `<v>`+val+`</v>`)
			case "rich":
				return tag(` t="s"`, fmt.Sprintf(`<v>%d</v>`, shared(val)))
			}
		}
		return tag(` t="s"`, fmt.Sprintf(`<v>%d</v>`, shared(`<t xml:space="preserve">`+html.EscapeString(v)+`</t>`)))
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	add := func(name, body string) {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	const head = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`
	var ct, rels, wbSheets strings.Builder
	for i, sh := range sheets {
		fmt.Fprintf(&ct, `<Override PartName="/xl/worksheets/sheet%d.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`, i+1)
		fmt.Fprintf(&rels, `<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet%d.xml"/>`, i+1, i+1)
		state := ""
		if sh.state != "" {
			state = ` state="` + sh.state + `"`
		}
		fmt.Fprintf(&wbSheets, `<sheet name="%s" sheetId="%d"%s r:id="rId%d"/>`, html.EscapeString(sh.name), i+1, state, i+1)
		var body strings.Builder
		for r, row := range sh.rows {
			attrs := ""
			for _, h := range sh.hidden {
				if h == r+1 {
					attrs = ` hidden="1"`
				}
			}
			fmt.Fprintf(&body, `<row r="%d"%s>`, r+1, attrs)
			for c, v := range row {
				if v != "" {
					body.WriteString(cell(fmt.Sprintf("%s%d", excelCol(c), r+1), v))
				}
			}
			body.WriteString(`</row>`)
		}
		add(fmt.Sprintf("xl/worksheets/sheet%d.xml", i+1), head+`<worksheet `+ns+`><sheetData>`+body.String()+`</sheetData>`+sh.extra+`</worksheet>`)
	}
	add("[Content_Types].xml", head+`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>`+ct.String()+`</Types>`)
	add("_rels/.rels", head+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	pr := `<workbookPr/>`
	if date1904 {
		pr = `<workbookPr date1904="1"/>`
	}
	add("xl/workbook.xml", head+`<workbook `+ns+`>`+pr+`<sheets>`+wbSheets.String()+`</sheets></workbook>`)
	n := len(sheets)
	add("xl/_rels/workbook.xml.rels", head+`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+rels.String()+
		fmt.Sprintf(`<Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/><Relationship Id="rId%d" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>`, n+1, n+2)+`</Relationships>`)
	add("xl/styles.xml", head+`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><numFmts count="3"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/><numFmt numFmtId="177" formatCode="0.00&quot;万元&quot;"/><numFmt numFmtId="178" formatCode="0000000000"/></numFmts><fonts count="1"><font><sz val="11"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill></fills><borders count="1"><border/></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs><cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="176" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="177" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/><xf numFmtId="178" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs></styleSheet>`)
	var sis strings.Builder
	for _, si := range sst {
		sis.WriteString(`<si>` + si + `</si>`)
	}
	add("xl/sharedStrings.xml", head+fmt.Sprintf(`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">%s</sst>`, len(sst), len(sst), sis.String()))
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// excelCol is a 0-based column index as a spreadsheet names it (0 is A).
func excelCol(i int) string {
	var b []byte
	for n := i + 1; n > 0; n = (n - 1) / 26 {
		b = append([]byte{byte('A' + (n-1)%26)}, b...)
	}
	return string(b)
}

// csvRows splits CSV-ish lines on commas into sheet rows (no quoting).
func csvRows(lines ...string) [][]string {
	out := make([][]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Split(l, ",")
	}
	return out
}

// excelizeXLSX writes a workbook as an everyday tool does, with excelize:
// rows of values (time.Time cells get the given number format).
func excelizeXLSX(t *testing.T, sheet string, dateFormat string, rows ...[]any) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		t.Fatal(err)
	}
	style, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFormat})
	if err != nil {
		t.Fatal(err)
	}
	for r, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, r+1)
		if err := f.SetSheetRow(sheet, cell, &row); err != nil {
			t.Fatal(err)
		}
		for c, v := range row {
			if _, ok := v.(interface{ IsZero() bool }); ok {
				ref, _ := excelize.CoordinatesToCellName(c+1, r+1)
				f.SetCellStyle(sheet, ref, ref, style)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// kindName is what a kind may be called: it names the case's source, and
// goes into SQL as a literal.
var kindName = regexp.MustCompile(`^[a-z0-9-]+$`)

// pqColumn is one column of a Parquet file: its name, types and values
// ([]parquet.ByteArray, []int64, []int32 or []float64; a nil element of
// null marks a null, which makes the column optional).
type pqColumn struct {
	name string
	lt   schema.LogicalType // nil: none
	pt   parquet.Type
	vals any
	null []bool
}

// parquetFile writes one row group of the columns with the library the
// connector reads Parquet with.
func parquetFile(t *testing.T, cols ...pqColumn) []byte {
	t.Helper()
	var fields schema.FieldList
	for _, c := range cols {
		lt, rep := c.lt, parquet.Repetitions.Required
		if lt == nil {
			lt = schema.NoLogicalType{}
		}
		if c.null != nil {
			rep = parquet.Repetitions.Optional
		}
		n, err := schema.NewPrimitiveNodeLogical(c.name, rep, lt, c.pt, -1, -1)
		if err != nil {
			t.Fatal(err)
		}
		fields = append(fields, n)
	}
	root, err := schema.NewGroupNode("schema", parquet.Repetitions.Required, fields, -1)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := file.NewParquetWriter(&buf, root)
	rg := w.AppendRowGroup()
	for _, c := range cols {
		cw, err := rg.NextColumn()
		if err != nil {
			t.Fatal(err)
		}
		var defs []int16
		if c.null != nil {
			for _, isNull := range c.null {
				defs = append(defs, map[bool]int16{true: 0, false: 1}[isNull])
			}
		}
		switch v := c.vals.(type) {
		case []parquet.ByteArray:
			_, err = cw.(*file.ByteArrayColumnChunkWriter).WriteBatch(v, defs, nil)
		case []int64:
			_, err = cw.(*file.Int64ColumnChunkWriter).WriteBatch(v, defs, nil)
		case []int32:
			_, err = cw.(*file.Int32ColumnChunkWriter).WriteBatch(v, defs, nil)
		case []float64:
			_, err = cw.(*file.Float64ColumnChunkWriter).WriteBatch(v, defs, nil)
		default:
			t.Fatalf("parquet values %T", c.vals)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := rg.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pqStrings is a text column's values.
func pqStrings(ss ...string) []parquet.ByteArray {
	out := make([]parquet.ByteArray, len(ss))
	for i, s := range ss {
		out[i] = parquet.ByteArray(s)
	}
	return out
}

// runCorpusCase syncs one case as the source named after its kind, from
// its own directory, into the store the corpus shares, and checks it on
// that source's rows, quarantine and ledger. The store is emptied first:
// rows are told apart by natural key across sources, so another case's
// rows would make this one's duplicates. (One store for all cases because
// opening a DuckDB file costs more than most cases' syncs.)
func runCorpusCase(t *testing.T, f *fixture, c corpusCase) {
	if !kindName.MatchString(c.kind) {
		t.Fatalf("kind %q: use lowercase letters, digits and -", c.kind)
	}
	ctx := context.Background()
	for _, d := range dataset.All() {
		if _, err := f.store.DB().ExecContext(ctx, `DELETE FROM `+d.Name); err != nil {
			t.Fatal(err)
		}
	}
	for _, tbl := range []string{"quarantine", "loads", "source_state"} {
		if _, err := f.store.DB().ExecContext(ctx, `DELETE FROM `+tbl); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(f.dir, c.kind)
	for _, fl := range c.files {
		p := filepath.Join(dir, filepath.FromSlash(fl.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, fl.body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	opts := connectors.Options{"path": c.path}
	if c.path == "" {
		opts["path"] = c.files[0].name
	}
	for k, v := range c.options {
		opts[k] = v
	}
	ds, ok := dataset.Lookup(c.dataset)
	if !ok {
		t.Fatalf("no dataset %q", c.dataset)
	}
	cols := c.columns
	if cols == nil {
		cols = corpusColumns[c.dataset]
	}
	conn, err := connectors.New("file", connectors.Source{Name: c.kind, BaseDir: dir, Options: opts})
	if err != nil {
		t.Fatalf("connector: %v", err)
	}
	src := Source{Name: c.kind, Dataset: ds, Connector: conn,
		Mapping: dataset.Mapping{Columns: cols, Values: c.values, Formats: c.formats}}
	var r Result
	func() {
		defer func() {
			if p := recover(); p != nil {
				t.Fatalf("CRASH: sync panicked: %v", p)
			}
		}()
		r = f.sy.SyncSource(ctx, src)
	}()
	w := c.want
	t.Logf("status %s; problems %q", r.Status(), r.Problems())
	mine := ` _source = '` + c.kind + `'`                      // this case's rows of the dataset table
	table := c.dataset + ` WHERE` + mine                       // FROM table: the case's rows
	quarantine := `quarantine WHERE source = '` + c.kind + `'` // the case's quarantine
	loads := `loads WHERE source = '` + c.kind + `'`           // the case's ledger rows

	// What holds whatever the input.
	var said []string // every text the sync shows a person
	if r.Err != nil {
		said = append(said, r.Err.Error())
	}
	for _, fe := range r.Failed {
		said = append(said, fe.Err.Error())
	}
	said = append(said, r.Problems()...)
	said = append(said, r.Unmapped...)
	said = append(said, f.texts(`SELECT reason FROM `+quarantine)...)
	said = append(said, f.texts(`SELECT coalesce(error, '') || coalesce(notes, '') FROM `+loads)...)
	for _, s := range said {
		for _, p := range corpusPersonal {
			if strings.Contains(s, p) {
				t.Errorf("PRIVACY: %q is shown: %s", p, s)
			}
		}
		if m := longDigits.FindString(s); m != "" {
			t.Errorf("PRIVACY: %s is shown: %s", m, s)
		}
	}
	if n := f.count(`SELECT count(*) FROM ` + loads + ` AND status IN ('ok', 'degraded') AND rows_read <> rows_loaded + rows_duplicate + rows_quarantined`); n != 0 {
		t.Errorf("%d ledger rows whose rows do not add up", n)
	}

	// The expectation.
	if got := r.Status(); got != w.status {
		t.Errorf("source status %s, want %s; problems: %q", got, w.status, r.Problems())
	}
	if n := f.count(`SELECT count(*) FROM ` + table); n != w.rows {
		t.Errorf("%d rows loaded, want %d (quarantine: %q; problems %q)", n, w.rows,
			f.texts(`SELECT position || ' ' || reason_code || ': ' || reason FROM `+quarantine+` ORDER BY position`), r.Problems())
	}
	for _, chk := range w.checks {
		if n := f.count(`SELECT count(*) FROM ` + table + ` AND (` + chk + `)`); n != 1 {
			t.Errorf("%d loaded rows where %s, want 1; loaded: %q", n, chk, f.dump(table))
		}
	}
	type entry struct {
		pos          int64
		code, reason string
	}
	var got []entry
	rows, err := f.store.DB().QueryContext(ctx, `SELECT position, reason_code, reason FROM `+quarantine+` ORDER BY position, reason_code`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.pos, &e.code, &e.reason); err != nil {
			t.Fatal(err)
		}
		got = append(got, e)
	}
	rows.Close()
	for _, e := range got {
		t.Logf("quarantined %d %s: %s", e.pos, e.code, e.reason)
	}
	if len(got) != len(w.quar) {
		t.Errorf("quarantine holds %d rows, want %d: %+v", len(got), len(w.quar), got)
	}
	for _, q := range w.quar {
		found := false
		for _, e := range got {
			if e.pos == q.pos && e.code == q.code {
				found = true
				if !strings.Contains(e.reason, q.reason) {
					t.Errorf("position %d %s: reason %q does not say %q", q.pos, q.code, e.reason, q.reason)
				}
			}
		}
		if !found {
			t.Errorf("no %s at position %d in quarantine: %+v", q.code, q.pos, got)
		}
	}
	if n := f.count(`SELECT count(*) FROM ` + table + ` AND EXISTS (SELECT 1 FROM ` + quarantine +
		` AND stream = _stream AND position = _position)`); n != 0 {
		t.Errorf("%d quarantined rows are loaded as well", n)
	}
	if w.fail != "" {
		var errs []string
		if r.Err != nil {
			errs = append(errs, r.Err.Error())
		}
		for _, fe := range r.Failed {
			errs = append(errs, fe.Err.Error())
			if base := path.Base(fe.Stream); !strings.Contains(fe.Err.Error(), base) {
				t.Errorf("the failed file's message does not name %s: %v", base, fe.Err)
			}
			if n := f.count(`SELECT count(*) FROM ` + table + ` AND _stream = '` + strings.ReplaceAll(fe.Stream, "'", "''") + `'`); n != 0 {
				t.Errorf("%d rows of the failed file %s loaded", n, fe.Stream)
			}
		}
		if !strings.Contains(strings.Join(errs, "\n"), w.fail) {
			t.Errorf("failure %q does not say %q", errs, w.fail)
		}
		if n := f.count(`SELECT count(*) FROM ` + loads + ` AND status = 'failed'`); n == 0 {
			t.Errorf("no failed load in the ledger")
		}
	} else if r.Err != nil || len(r.Failed) > 0 {
		t.Errorf("unexpected failure: %v %+v", r.Err, r.Failed)
	}
	if w.note != "" {
		if notes := strings.Join(f.texts(`SELECT coalesce(notes, '') FROM `+loads), "\n"); !strings.Contains(notes, w.note) {
			t.Errorf("notes %q do not say %q", notes, w.note)
		}
	}
}

// texts runs a query of one text column.
func (f *fixture) texts(q string) []string {
	f.t.Helper()
	rows, err := f.store.DB().Query(q)
	if err != nil {
		f.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			f.t.Fatal(err)
		}
		out = append(out, s)
	}
	return out
}

// dump shows the rows of "table WHERE ..." (for failure messages).
func (f *fixture) dump(from string) []string {
	return f.texts(`SELECT CAST(x AS VARCHAR) FROM (SELECT * EXCLUDE (_key, _source, _load_id, _loaded_at, _stream) FROM ` + from + `) x`)
}

// checkCorpusIDs fails when the corpus's ID numbers are not valid: a test
// of bad IDs built on IDs that are already bad would prove nothing.
func checkCorpusIDs(t *testing.T) {
	for _, id := range []string{idA, idB, idC, idD, idE, idF} {
		if !idnum.Valid(id) {
			t.Fatalf("corpus ID %s is not valid", id)
		}
	}
}

// cutRune returns s with its last character cut to its first byte(s): what
// a byte-limited VARCHAR export leaves of a multi-byte character.
func cutRune(s string) string {
	_, n := utf8.DecodeLastRuneInString(s)
	return s[:len(s)-n+1]
}
