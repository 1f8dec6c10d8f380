package ingest

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/idnum"
)

// TestBadInputCorpus is the bad-input corpus of issue 7: each entry is one
// kind of input a county meets in real department files, written by the
// test itself, synced through the real path into a DuckDB store, with one
// expectation — read right (the values loaded), quarantined (the reason
// code and words a clerk acts on, nothing loaded for the row) or failed
// (the file named, the others loaded). runCorpusCase also checks, for
// every kind, that nothing crashes, that every row is accounted for and
// that no ID number, 户号 or name is shown. README.md ("Department files as
// they really come") lists the kinds in this order.
func TestBadInputCorpus(t *testing.T) {
	checkCorpusIDs(t)
	f := newFixture(t)
	seen := map[string]bool{}
	for _, c := range corpusCases(t) {
		if seen[c.kind] {
			t.Fatalf("kind %s twice", c.kind)
		}
		seen[c.kind] = true
		t.Run(c.kind, func(t *testing.T) { runCorpusCase(t, f, c) })
	}
}

// TestBadInputCorpusInREADME: the README's table lists every kind of the
// corpus, in the corpus's order.
func TestBadInputCorpusInREADME(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "### Department files as they really come (bad-input corpus)")
	if !ok {
		t.Fatal("README has no bad-input corpus section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	at := 0
	for _, c := range corpusCases(t) {
		i := strings.Index(section[at:], "| `"+c.kind+"` |")
		if i < 0 {
			t.Errorf("README's corpus table does not list %s (after the kinds before it)", c.kind)
			continue
		}
		at += i
	}
	if n := strings.Count(section, "\n| `"); n != len(corpusCases(t)) {
		t.Errorf("README's corpus table has %d kinds, the corpus %d", n, len(corpusCases(t)))
	}
	if want := fmt.Sprintf("a county meets: %d kinds.", len(corpusCases(t))); !strings.Contains(strings.Join(strings.Fields(section), " "), want) {
		t.Errorf("README's corpus section does not say %q", want)
	}
}

// one is a case's single file.
func one(name string, body []byte) []corpusFile { return []corpusFile{{name, body}} }

// emp is an employment row.
func emp(id, event, date string) string { return id + "," + event + "," + date }

// asst is an assistance roster row of the 户号 hhA, category 城市低保.
func asst(id, hh, start, end string) string {
	return id + "," + hh + ",城市低保," + start + "," + end + ",600"
}

// med is a medical settlement row with the given total and out-of-pocket.
func med(claim, total, oop string) string {
	return claim + "," + idA + ",2026-05-01,示例县人民医院," + total + "," + oop
}

func corpusCases(t *testing.T) []corpusCase {
	var cs []corpusCase
	cs = append(cs, textCases(t)...)
	cs = append(cs, idCases(t)...)
	cs = append(cs, valueCases(t)...)
	cs = append(cs, xlsxCases(t)...)
	cs = append(cs, jsonCases(t)...)
	cs = append(cs, parquetCases(t)...)
	cs = append(cs, sourceCases(t)...)
	return cs
}

// textCases: CSV and text files as they arrive — encodings, line endings,
// padding, headers, shapes.
func textCases(t *testing.T) []corpusCase {
	reg2 := string(csvOf("registry", regA, regB))
	reg2Tab := strings.ReplaceAll(reg2, ",", "\t")
	return []corpusCase{
		// Excel's "CSV (逗号分隔)" on Chinese Windows: GBK, no byte order mark.
		{kind: "csv-gbk", dataset: "registry", files: one("reg.csv", encode(t, gbk, reg2)),
			want: readRight(2, "name = '王测一' AND address = '示例县测试路1号'", "name = '李测二'")},
		// A rare character (生僻字) in a name, outside GBK: GB18030 writes it in four bytes.
		{kind: "csv-gb18030-4byte", dataset: "registry",
			files: one("reg.csv", encode(t, gb18030, string(csvOf("registry", strings.Replace(regA, "王测一", "王𠮷", 1), regB)))),
			want:  readRight(2, "name = '王𠮷'", "name = '李测二'")},
		// WPS or Excel "CSV UTF-8": a byte order mark glued to the first header cell.
		{kind: "csv-utf8-bom", dataset: "registry", files: one("reg.csv", append([]byte("\xEF\xBB\xBF"), reg2...)),
			want: readRight(2, "id_number = '"+idA+"' AND name = '王测一'")},
		// Excel's "Unicode 文本" (.txt): UTF-16LE with a byte order mark, tab-delimited.
		{kind: "csv-utf16le-bom-tab", dataset: "registry", files: one("reg.txt", encode(t, utf16LEBO, reg2Tab)),
			options: connectors.Options{"delimiter": "tab"},
			want:    readRight(2, "id_number = '"+idA+"' AND name = '王测一'", "name = '李测二'")},
		// A database tool's UTF-16LE export without a byte order mark: told by its NUL bytes.
		{kind: "csv-utf16le-no-bom", dataset: "registry", files: one("reg.csv", encode(t, utf16LE, reg2)),
			want: readRight(2, "name = '王测一'", "name = '李测二'").withNote("utf16_without_bom")},
		// UTF-16 big-endian without a byte order mark, with encoding: utf-16 named.
		{kind: "csv-utf16be-named", dataset: "registry", files: one("reg.csv", encode(t, utf16BE, reg2)),
			options: connectors.Options{"encoding": "utf-16"},
			want:    readRight(2, "name = '王测一'", "name = '李测二'")},
		// Text that is neither UTF-8 nor GB18030 (bytes of another code page): the file fails, asking for the encoding.
		{kind: "csv-unknown-encoding", dataset: "registry",
			files: one("reg.csv", []byte(corpusHeaders["registry"]+"\n"+strings.Repeat(idA+",\xff\xfe\xff\xfe,\xff,1960-05-01,"+hhA+",340799001,\xfe\xff\xfe\xff\xfe\n", 3))),
			want:  failed("encoding option", 0)},
		// A tab-delimited file read with the default comma: one column, nothing mapped.
		{kind: "csv-wrong-delimiter", dataset: "employment",
			files: one("emp.txt", []byte(strings.ReplaceAll(string(csvOf("employment", emp(idA, "失业登记", "2026-03-05"))), ",", "\t"))),
			want:  failed("mapped columns not in the header", 0)},
		// An ethnic minority name with a middle dot (买买提·艾力), in GBK.
		{kind: "csv-name-middle-dot", dataset: "registry",
			files: one("reg.csv", encode(t, gbk, string(csvOf("registry", strings.Replace(regA, "王测一", "买买提·艾力", 1))))),
			want:  readRight(1, "name = '买买提·艾力'")},
		// Classic Mac OS line endings (CR only) from an old export tool.
		{kind: "csv-cr-only", dataset: "registry", files: one("reg.csv", []byte(strings.ReplaceAll(reg2, "\n", "\r"))),
			want: readRight(2, "name = '王测一' AND _position = 2", "name = '李测二' AND _position = 3").withNote("cr_line_endings")},
		// A file appended to by two tools: CRLF and LF lines mixed.
		{kind: "csv-mixed-line-endings", dataset: "registry",
			files: one("reg.csv", []byte(corpusHeaders["registry"]+"\r\n"+regA+"\n"+regB+"\r\n"+regC+"\n")),
			want:  readRight(3, "name = '王测一' AND _position = 2", "name = '赵测三' AND _position = 4")},
		// A UTF-8 database export that cut one name's last character in half (a byte-limited VARCHAR).
		{kind: "csv-utf8-cut-character", dataset: "registry",
			files: one("reg.csv", csvOf("registry", regA, strings.Replace(regB, "李测二", cutRune("李测二"), 1), regC)),
			want:  quarantined(2, quar{3, "bad_encoding", "姓名"}).withChecks("name = '王测一'", "name = '赵测三'")},
		// A GBK file with one broken double-byte character (a lead byte whose partner was lost).
		{kind: "csv-gbk-broken-character", dataset: "registry",
			files: one("reg.csv", []byte(strings.Replace(string(encode(t, gbk, string(csvOf("registry", regA, regB, regC)))),
				string(encode(t, gbk, "赵测三")), string(encode(t, gbk, "赵测"))+"\xB6", 1))),
			want: quarantined(2, quar{4, "bad_encoding", "姓名"}).withChecks("name = '王测一'", "name = '李测二'")},
		// A legacy database's CHAR(20) export: 户号 padded with NUL bytes.
		{kind: "csv-nul-padded", dataset: "households",
			files: one("hh.csv", csvOf("households", hhA+"\x00\x00\x00\x00,12000,2,2026-03-01", hhB+"\x00\x00\x00\x00,9000,1,2026-03-01")),
			want:  readRight(2, "household_id = '"+hhA+"' AND annual_income = 12000", "household_id = '"+hhB+"'")},
		// Rows whose contents a clerk deleted in Excel: an empty line and a line of commas, mid-file.
		{kind: "csv-blank-lines", dataset: "employment",
			files: one("emp.csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"), "", emp(idB, "就业登记", "2026-03-06"), ",,", emp(idC, "失业登记", "2026-03-07"))),
			want:  quarantined(3, quar{3, "blank_row", "blank row"}, quar{5, "blank_row", "blank row"})},
		// A report printed to CSV with page breaks: the header repeated on every page.
		{kind: "csv-repeated-header", dataset: "employment",
			files: one("emp.csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"), corpusHeaders["employment"], emp(idB, "就业登记", "2026-03-06"))),
			want:  quarantined(2, quar{3, "header_repeat", "repeated header"})},
		// A title and a date line above the header (header_row: 3).
		{kind: "csv-title-rows", dataset: "employment",
			files:   one("emp.csv", []byte("2026年3月失业登记名单\n制表日期：2026-03-31,,\n"+string(csvOf("employment", emp(idA, "失业登记", "2026-03-05"))))),
			options: connectors.Options{"header_row": 3},
			want:    readRight(1, "id_number = '"+idA+"' AND _position = 4")},
		// Header cells typed by hand: a line break inside (Alt+Enter), full-width spaces, * and （必填） marks.
		{kind: "csv-header-odd-spelling", dataset: "registry",
			files: one("reg.csv", []byte("\"公民身份\n号码\",　姓名　,性别,出生日期,*户号,乡镇街道代码（必填）,住址\n"+regA+"\n"+regB+"\n")),
			want:  readRight(2, "name = '王测一' AND household_id = '"+hhA+"' AND _position = 3", "name = '李测二' AND _position = 4")},
		// A two-level header (户主信息 / 家庭成员信息) names 身份证号 twice: which one is meant?
		{kind: "csv-duplicate-header", dataset: "employment",
			files:   one("emp.csv", []byte("户主信息,,家庭成员信息,,,\n身份证号,姓名,身份证号,姓名,业务类型,业务日期\n"+idD+",钱测四,"+idC+",赵测三,失业登记,2026-03-05\n")),
			options: connectors.Options{"header_row": 2},
			want:    failed("身份证号 (id_number) appears at columns A (1) and C (3)", 0)},
		// The same file with the member's column picked: id_number: 身份证号#2.
		{kind: "csv-duplicate-header-picked", dataset: "employment",
			files:   one("emp.csv", []byte("户主信息,,家庭成员信息,,,\n身份证号,姓名,身份证号,姓名,业务类型,业务日期\n"+idD+",钱测四,"+idC+",赵测三,失业登记,2026-03-05\n")),
			options: connectors.Options{"header_row": 2},
			columns: map[string]string{"id_number": "身份证号#2", "event": "业务类型", "event_date": "业务日期"},
			want:    readRight(1, "id_number = '"+idC+"'")},
		// A file sent without its header line (or a wrong header_row): the "header" is a person's row.
		{kind: "csv-header-is-data", dataset: "employment",
			files: one("emp.csv", []byte(emp(idA, "失业登记", "2026-03-05")+"\n"+emp(idB, "就业登记", "2026-03-06")+"\n")),
			want:  failed("check header_row", 0)},
		// An address with an unquoted comma: a stray delimiter shifts the row.
		{kind: "csv-stray-delimiter", dataset: "registry",
			files: one("reg.csv", csvOf("registry", regA, regB+",3单元")),
			want:  quarantined(1, quar{3, "bad_shape", "stray delimiter"})},
		// A row cut short by the exporting tool: fewer cells than the header.
		{kind: "csv-short-row", dataset: "employment",
			files: one("emp.csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"), idB+",就业登记")),
			want:  quarantined(1, quar{3, "bad_shape", "row has 2 cells"})},
		// A quote opened in a cell and never closed: it swallows the lines after it.
		{kind: "csv-unclosed-quote", dataset: "employment",
			files: one("emp.csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"), idB+",\"就业登记,2026-03-06", emp(idC, "失业登记", "2026-03-07"))),
			want:  quarantined(1, quar{3, "bad_shape", "lines 3–"})},
		// An address with a line break inside its quoted cell (Alt+Enter in Excel).
		{kind: "csv-quoted-line-break", dataset: "registry",
			files: one("reg.csv", csvOf("registry", strings.Replace(regA, "示例县测试路1号", "\"示例县测试路1号\n3单元\"", 1), regB)),
			want:  readRight(2, "address = '示例县测试路1号 3单元'", "name = '李测二' AND _position = 4")},
		// Excel pads every row with the empty cells of wider rows below: trailing commas.
		{kind: "csv-trailing-commas", dataset: "employment",
			files: one("emp.csv", []byte(corpusHeaders["employment"]+",,\n"+emp(idA, "失业登记", "2026-03-05")+",,\n"+emp(idB, "就业登记", "2026-03-06")+",,\n")),
			want:  readRight(2, "id_number = '"+idA+"'", "id_number = '"+idB+"'")},
		// A CSV from a European-locale Excel: semicolons (delimiter: ";").
		{kind: "csv-semicolon", dataset: "employment",
			files:   one("emp.csv", []byte(strings.ReplaceAll(string(csvOf("employment", emp(idA, "失业登记", "2026-03-05"), emp(idB, "就业登记", "2026-03-06"))), ",", ";"))),
			options: connectors.Options{"delimiter": ";"},
			want:    readRight(2, "id_number = '"+idA+"' AND event = 'unemployed'", "id_number = '"+idB+"' AND event = 'employed'")},
		// Two exports joined with copy /b: the second's byte order mark and header mid-file.
		{kind: "csv-joined-files", dataset: "employment",
			files: one("emp.csv", []byte("\xEF\xBB\xBF"+corpusHeaders["employment"]+"\r\n"+emp(idA, "失业登记", "2026-03-05")+"\r\n"+
				"\xEF\xBB\xBF"+corpusHeaders["employment"]+"\r\n"+emp(idB, "就业登记", "2026-03-06")+"\r\n")),
			want: quarantined(2, quar{3, "header_repeat", "repeated header"}).withNote("bom_inside")},
		// The last line without a line break.
		{kind: "csv-no-final-newline", dataset: "employment",
			files: one("emp.csv", []byte(corpusHeaders["employment"]+"\n"+emp(idA, "失业登记", "2026-03-05")+"\n"+emp(idB, "就业登记", "2026-03-06"))),
			want:  readRight(2, "id_number = '"+idB+"' AND _position = 3")},
		// A DOS tool's end-of-file mark (Ctrl-Z, 0x1A) on a line of its own.
		{kind: "csv-ctrl-z-end", dataset: "employment",
			files: one("emp.csv", []byte(corpusHeaders["employment"]+"\r\n"+emp(idA, "失业登记", "2026-03-05")+"\r\n\x1a")),
			want:  quarantined(1, quar{3, "blank_row", "blank row"})},
		// A 合计 (total) row at the bottom of a report.
		{kind: "csv-total-row", dataset: "medical",
			files: one("med.csv", csvOf("medical", med("YB0001", "500.00", "100.00"), med("YB0002", "700.00", "300.00"), `合计,,,,"1,200.00",400.00`)),
			want:  quarantined(2, quar{4, "missing_required", "身份证号 (id_number)"})},
		// A footer line: 制表人 and 审核人 with their names.
		{kind: "csv-footer-line", dataset: "employment",
			files: one("emp.csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"), emp(idB, "就业登记", "2026-03-06"), "制表人：王测一　审核人：李测二")),
			want:  quarantined(2, quar{4, "bad_shape", "row has 1 cell;"})},
		// The same row exported twice: loaded once.
		{kind: "csv-duplicate-rows", dataset: "employment",
			files: one("emp.csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"), emp(idA, "失业登记", "2026-03-05"))),
			want:  readRight(1, "id_number = '"+idA+"' AND _position = 2")},
		// One claim number twice with different amounts: the second waits for an analyst.
		{kind: "csv-key-conflict", dataset: "medical",
			files: one("med.csv", csvOf("medical", med("YB0001", "500.00", "100.00"), med("YB0001", "5000.00", "1000.00"))),
			want:  quarantined(1, quar{3, "key_conflict", "same natural key"}).withChecks("total_cost = 500")},
		// Database NULL marks in optional cells: NULL, \N, (null).
		{kind: "csv-null-marks", dataset: "assistance",
			files: one("asst.csv", csvOf("assistance", idA+",NULL,城市低保,2024-01-01,\\N,(null)")),
			want:  readRight(1, "household_id IS NULL AND end_date IS NULL AND amount_monthly IS NULL")},
		// commas: a clean file must not be degraded by them (its rules held back).
		{kind: "csv-trailing-empty-rows", dataset: "employment",
			files: one("emp.csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"), ",,", ",,", ",,")),
			want:  quarantined(1, quar{3, "blank_row", "blank row"}, quar{4, "blank_row", "blank row"}, quar{5, "blank_row", "blank row"})},
		// named legacy encoding must fail the file, naming the encoding.
		{kind: "csv-utf8-under-gbk-option", dataset: "registry", options: connectors.Options{"encoding": "gbk"},
			columns: map[string]string{"id_number": "sfzh", "name": "xm", "household_id": "hh", "township_code": "xzdm"},
			files:   one("reg.csv", []byte("sfzh,xm,hh,xzdm\n"+idA+",王五,"+hhA+",340799001\n"+idB+",李四,"+hhA+",340799001\n"+idC+",赵六,"+hhB+",340799001\n")),
			want:    failed("encoding", 0)},
	}
}

// idCases: ID numbers and identifiers as spreadsheets and exports leave them.
func idCases(t *testing.T) []corpusCase {
	read := func(kind, raw, id string) corpusCase {
		return corpusCase{kind: kind, dataset: "employment", files: one("emp.csv", csvOf("employment", emp(raw, "失业登记", "2026-03-05"))),
			want: readRight(1, "id_number = '"+id+"'")}
	}
	bad := func(kind, raw, code, reason string) corpusCase {
		return corpusCase{kind: kind, dataset: "employment",
			files: one("emp.csv", csvOf("employment", emp(idB, "就业登记", "2026-03-06"), emp(raw, "失业登记", "2026-03-05"))),
			want:  quarantined(1, quar{3, code, reason})}
	}
	hh := func(kind, raw string, w want) corpusCase {
		return corpusCase{kind: kind, dataset: "households",
			files: one("hh.csv", csvOf("households", hhB+",9000,1,2026-03-01", raw+",12000,2,2026-03-01")), want: w}
	}
	return []corpusCase{
		// A first-generation (15-digit) ID number from an old register: upgraded to 18 digits.
		read("id-15-digit", "340799600501011", idA),
		// The check character typed as a lowercase x.
		read("id-lowercase-x", "34079919700909055x", idE),
		// Digits typed with a Chinese input method: full-width ０-９.
		read("id-fullwidth-digits", "３４０７９９１９６００５０１０１１６", idA),
		// The multiplication sign × typed for X (it looks the same in many fonts).
		read("id-times-sign", "34079919700909055×", idE),
		// Excel's text mark: a leading apostrophe kept in the export.
		read("id-leading-apostrophe", "'"+idA, idA),
		// Excel's ="…" wrapper, written so the ID is not turned into a number.
		read("id-formula-wrapper", `="`+idA+`"`, idA),
		// A leading tab, another way departments keep Excel off an ID.
		read("id-leading-tab", "\t"+idA, idA),
		// An ID written in groups for reading: 340799 19600501 0116.
		read("id-digit-groups", "340799 19600501 0116", idA),
		// Invisible padding from a web form: a zero-width space and a no-break space.
		read("id-invisible-padding", "\u200b"+idA+"\u00a0", idA),
		// A mistyped ID: its check digit (GB 11643, MOD 11-2) does not match.
		bad("id-bad-check-digit", "340799196005010117", "bad_check_digit", "身份证号 (id_number)"),
		// One digit lost: 17 digits.
		bad("id-wrong-length", "34079919600501011", "bad_id", "身份证号 (id_number)"),
		// An ID that went through an Excel number cell and was saved as text: 3.40799E+17.
		bad("id-scientific", "3.40799E+17", "damaged_number", "身份证号 (id_number)"),
		// A control character inside an ID (a damaged export).
		bad("id-control-char", "3407991960\x0705010116", "control_char", "control character"),
		// A placeholder ID of zeros, typed where the ID was unknown.
		bad("id-all-zeros", "000000000000000000", "bad_id", "身份证号 (id_number)"),
		// A division code that went through a number: 340799001.0.
		{kind: "code-float-suffix", dataset: "registry", files: one("reg.csv", csvOf("registry", strings.Replace(regA, ",340799001,", ",340799001.0,", 1))),
			want: readRight(1, "township_code = '340799001'")},
		// A division code with a digit lost.
		{kind: "code-wrong-length", dataset: "registry", files: one("reg.csv", csvOf("registry", regA, strings.Replace(regB, ",340799001,", ",34079901,", 1))),
			want: quarantined(1, quar{3, "bad_code", "乡镇街道代码 (township_code)"})},
		// A 户号 that went through a number: "100001.0" is the household 100001.
		hh("hh-float-suffix", "100001.0", readRight(2, "household_id = '100001' AND annual_income = 12000")),
		// A 户号 formatted with a thousands separator.
		hh("hh-thousands-separator", `"100,001"`, readRight(2, "household_id = '100001'")),
		// A long 户号 in scientific notation: its last digits are lost for good.
		hh("hh-scientific", "3.40799E+15", quarantined(1, quar{3, "damaged_number", "户号 (household_id)"})),
		// A 16-digit 户号 through a number ("3407990010010002.0"): past Excel's 15 digits, damaged.
		hh("hh-16-digits-through-number", hhB+".0", quarantined(1, quar{3, "damaged_number", "户号 (household_id)"})),
		// A required 户号 written as 无 (none): missing, not a household called 无.
		hh("hh-none-required", "无", quarantined(1, quar{3, "missing_required", "mark for none"})),
		// A VLOOKUP that found nothing, exported as text: #N/A in the 户号 of a CSV.
		hh("hh-excel-error-text", "#N/A", quarantined(1, quar{3, "excel_error", "#N/A"})),
		// Optional 户号 left as 无 or - on the assistance roster: no household, never one shared household "无".
		{kind: "hh-none-marks", dataset: "assistance",
			files: one("asst.csv", csvOf("assistance", asst(idA, "无", "2024-01-01", ""), asst(idB, "-", "2024-01-01", ""), asst(idC, "/", "2024-01-01", ""))),
			want:  readRight(3, "household_id IS NULL AND id_number = '"+idA+"'", "household_id IS NULL AND id_number = '"+idB+"'", "household_id IS NULL AND id_number = '"+idC+"'")},
	}
}

// valueCases: dates, amounts and values from lists as departments write them.
func valueCases(t *testing.T) []corpusCase {
	date := func(kind, raw, want string) corpusCase {
		return corpusCase{kind: kind, dataset: "employment", files: one("emp.csv", csvOf("employment", emp(idA, "失业登记", raw))),
			want: readRight(1, "event_date = DATE '"+want+"'")}
	}
	badDate := func(kind, raw, code, reason string) corpusCase {
		return corpusCase{kind: kind, dataset: "employment",
			files: one("emp.csv", csvOf("employment", emp(idB, "就业登记", "2026-03-06"), emp(idA, "失业登记", raw))),
			want:  quarantined(1, quar{3, code, reason})}
	}
	openEnd := func(kind string, ends ...string) corpusCase {
		var rows, checks []string
		for i, e := range ends {
			id := []string{idA, idB, idC, idD}[i]
			rows = append(rows, asst(id, hhA, "2024-01-01", e))
			checks = append(checks, "end_date IS NULL AND id_number = '"+id+"'")
		}
		return corpusCase{kind: kind, dataset: "assistance", files: one("asst.csv", csvOf("assistance", rows...)), want: readRight(len(ends), checks...)}
	}
	money := func(kind, total, want string) corpusCase {
		return corpusCase{kind: kind, dataset: "medical", files: one("med.csv", csvOf("medical", med("YB0001", total, "40.00"))),
			want: readRight(1, "total_cost = "+want+" AND out_of_pocket = 40")}
	}
	badMoney := func(kind, total string) corpusCase {
		return corpusCase{kind: kind, dataset: "medical", files: one("med.csv", csvOf("medical", med("YB0001", "500.00", "100.00"), med("YB0002", total, "400.00"))),
			want: quarantined(1, quar{3, "bad_number", "医疗总费用 (total_cost)"})}
	}
	dis := func(kind, category, level, status string, w want) corpusCase {
		return corpusCase{kind: kind, dataset: "disability",
			files: one("dis.csv", csvOf("disability", idB+",,视力残疾,二级,2025-01-01,有效", idF+",,"+category+","+level+",2026-10-20,"+status)), want: w}
	}
	return []corpusCase{
		// Dates written the Chinese way.
		date("date-chinese", "2026年3月5日", "2026-03-05"),
		// Dates with slashes and no leading zeros, as Excel shows them.
		date("date-slash", "2026/3/5", "2026-03-05"),
		// Eight digits, as database exports write them.
		date("date-compact", "20260305", "2026-03-05"),
		// Dots, as typed on a phone.
		date("date-dots", "2026.3.5", "2026-03-05"),
		// A date with a time of day.
		date("date-with-time", "2026/3/5 14:30", "2026-03-05"),
		// An Excel serial number that lost its date format in a CSV export.
		date("date-excel-serial-text", "46086", "2026-03-05"),
		// An Excel serial that went through a float column: 46086.0.
		date("date-serial-float", "46086.0", "2026-03-05"),
		// A Java API's instant in UTC (+0000): 16:00 UTC is the next day in China.
		date("date-instant-utc", "2026-08-29T16:00:00.000+0000", "2026-08-30"),
		// An instant with a +08 offset.
		date("date-instant-plus08", "2026-08-29 16:00:00+08", "2026-08-29"),
		// A compact date that went through a float column (pandas): 20260305.0, not guessed.
		badDate("date-compact-float", "20260305.0", "bad_date", "is a number, not a date"),
		// A day that does not exist.
		badDate("date-impossible", "2026-02-30", "impossible_date", "2026-02-30"),
		// 9999-12-31 where it cannot mean "no end" (an event date).
		badDate("date-9999-not-open-end", "9999-12-31", "impossible_date", "9999-12-31"),
		// Day first, as some templates write it (05/03/2026): not guessed.
		badDate("date-day-first", "05/03/2026", "bad_date", "05/03/2026"),
		// The zero date of MySQL exports in a required date.
		badDate("date-zero-required", "0000-00-00", "missing_required", "mark for none"),
		// Month first, as a US-locale tool writes it (3/5/2026): not guessed.
		badDate("date-month-first", "3/5/2026", "bad_date", "3/5/2026"),
		// A two-digit year (26-3-5): not guessed.
		badDate("date-two-digit-year", "26-3-5", "bad_date", "26-3-5"),
		// A month without a day (2026年3月).
		badDate("date-month-only", "2026年3月", "bad_date", "2026年3月"),
		// Oracle's default date format (DD-MON-YY).
		badDate("date-oracle-dd-mon-yy", "05-MAR-26", "bad_date", "05-MAR-26"),
		// A year typed with a digit too many.
		badDate("date-typo-year", "20266-03-05", "bad_date", "20266-03-05"),
		// A JDBC timestamp's text (2026-03-05 00:00:00.0).
		date("date-jdbc-timestamp", "2026-03-05 00:00:00.0", "2026-03-05"),
		// Excel's #### of a column too narrow, saved into the CSV.
		badDate("date-hash-marks", "########", "excel_error", "too narrow"),
		// LibreOffice/WPS error text in a CSV export.
		badDate("date-libreoffice-error", "Err:502", "excel_error", "Err:502"),
		// Unix milliseconds from an API, with formats: {event_date: epoch_ms}: dated in China time.
		{kind: "date-epoch-ms", dataset: "employment", files: one("emp.csv", csvOf("employment", emp(idA, "失业登记", "1788969600000"))),
			formats: map[string]string{"event_date": "epoch_ms"}, want: readRight(1, "event_date = DATE '2026-09-10'")},
		// The same milliseconds without the option: never read as a date by guess.
		badDate("date-epoch-ms-unset", "1788969600000", "bad_date", "epoch_ms"),
		// Seconds where the source says milliseconds: they would be a day in 1970.
		{kind: "date-epoch-seconds-as-ms", dataset: "employment",
			files:   one("emp.csv", csvOf("employment", emp(idB, "就业登记", "2026-03-06"), emp(idA, "失业登记", "1788969600"))),
			formats: map[string]string{"event_date": "epoch_ms"}, want: quarantined(1, quar{3, "bad_date", "epoch_s"})},
		// Open end dates on the assistance roster: 9999-12-31 in its usual forms.
		openEnd("date-open-end-9999", "9999-12-31", "9999/12/31", "99991231"),
		// Open end written in words: 长期, 永久有效, 无固定期限, 至今.
		openEnd("date-open-end-words", "长期", "永久有效", "无固定期限", "至今"),
		// A far-future end that means "no end": 2099-12-31.
		openEnd("date-open-end-2099", "2099-12-31"),
		// The zero date in an optional end date: empty.
		openEnd("date-zero-open-end", "0000-00-00"),
		// Amounts with grouping and 元.
		money("money-yuan-suffix", `"1,234.50元"`, "1234.50"),
		// Amounts with the yuan sign.
		money("money-yuan-sign", "￥856", "856"),
		// Amounts with a currency code.
		money("money-currency-code", "RMB 100", "100"),
		// Full-width digits in an amount.
		money("money-fullwidth-digits", "１２３４.５", "1234.50"),
		// A reversal (冲正) in a settlement file: a negative amount.
		money("money-negative-reversal", "-50.00", "-50"),
		// 个人自付 larger than the whole bill: the columns are shifted.
		{kind: "money-oop-over-total", dataset: "medical", files: one("med.csv", csvOf("medical", med("YB0001", "500.00", "100.00"), med("YB0002", "100.00", "400.00"))),
			want: quarantined(1, quar{3, "bad_value", "more than 医疗总费用"})},
		// A phone number in 个人自付: 13.8 billion yuan is no bill.
		{kind: "money-phone-number", dataset: "medical", files: one("med.csv", csvOf("medical", med("YB0001", "500.00", "100.00"), med("YB0002", "13812345678", "13812345678"))),
			want: quarantined(1, quar{3, "bad_number", "beyond any real bill"})},
		// A grouping that is no grouping: 1,23.4.
		badMoney("money-bad-grouping", `"1,23.4"`),
		// 万元 written into a 元 column: 1.5万 is not 1.5 yuan.
		badMoney("money-wan-unit", "1.5万"),
		// Two amounts typed into one cell.
		badMoney("money-two-amounts", "100/200"),
		// An accounting negative in parentheses: not read by guess.
		badMoney("money-parentheses", "(50.00)"),
		// Values as the 残联 writes them: 肢体残疾, 一级, 有效.
		dis("enum-chinese-aliases", "肢体残疾", "一级", "有效", readRight(2, "category = '4' AND level = '1' AND status = 'valid'")),
		// Codes exported from a float column: 4.0, 1.0.
		dis("enum-float-codes", "4.0", "1.0", "有效", readRight(2, "category = '4' AND level = '1'")),
		// A level that does not exist.
		dis("enum-unknown-value", "肢体残疾", "五级", "有效", quarantined(1, quar{3, "bad_value", "quarantine export shows it"})),
		// A department's own word for a value, added in config (values: {event: {待业登记: unemployed}}).
		{kind: "enum-config-alias", dataset: "employment", files: one("emp.csv", csvOf("employment", emp(idA, "待业登记", "2026-03-05"))),
			values: map[string]map[string]string{"event": {"待业登记": "unemployed"}}, want: readRight(1, "event = 'unemployed'")},
		// Yes/no in words: 是, 否, 已参保.
		{kind: "bool-chinese", dataset: "fishers",
			files: one("fish.csv", csvOf("fishers", idF+","+hhB+",皖示渔(2010)0001号,2021-01-01,未安置,否", idA+","+hhA+",皖示渔(2011)0002号,2021-01-01,就业,已参保",
				idB+","+hhA+",皖示渔(2011)0003号,2021-01-01,公益性岗位,是")),
			want: readRight(3, "pension_insured = false AND resettlement = 'unemployed'", "pension_insured AND id_number = '"+idA+"'", "pension_insured AND resettlement = 'welfare_job'")},
		// A yes/no that is neither.
		{kind: "bool-unknown", dataset: "fishers",
			files: one("fish.csv", csvOf("fishers", idF+","+hhB+",皖示渔(2010)0001号,2021-01-01,未安置,否", idA+","+hhA+",皖示渔(2011)0002号,2021-01-01,就业,待核实")),
			want:  quarantined(1, quar{3, "bad_value", "not yes/no"})},
	}
}

// xlsxCases: Excel workbooks as Excel, WPS and report generators write them.
func xlsxCases(t *testing.T) []corpusCase {
	hhHead := []string{"户号", "家庭年收入", "家庭人口", "收入核定日期"}
	hhGood := []string{hhB, "n:9000", "n:1", "d:46082"}
	hhBook := func(rows ...[]string) []byte {
		return rawXLSX(t, false, xsheet{name: "家庭收入核定", rows: append([][]string{hhHead, hhGood}, rows...)})
	}
	empHead := []string{"身份证号", "业务类型", "业务日期"}
	born1925, err := idnum.Build("340799", time.Date(1925, 3, 5, 0, 0, 0, 0, time.UTC), 12)
	if err != nil {
		t.Fatal(err)
	}
	return []corpusCase{
		// A workbook saved by Excel for Mac in the 1904 date system.
		{kind: "xlsx-date-1904", dataset: "disability",
			files: one("dis.xlsx", rawXLSX(t, true, xsheet{name: "持证残疾人", rows: [][]string{
				{"身份证号", "残疾人证号", "残疾类别", "残疾等级", "发证日期", "证件状态"}, {idF, "", "肢体残疾", "一级", "d:44853", "有效"}}})),
			want: readRight(1, "issued_date = DATE '2026-10-20'").withNote("date_system_1904")},
		// A date pasted as a plain number in a 1904 workbook: a 1904 serial, never read as a 1900 one.
		{kind: "xlsx-1904-plain-number-date", dataset: "disability",
			files: one("dis.xlsx", rawXLSX(t, true, xsheet{name: "持证残疾人", rows: [][]string{
				{"身份证号", "残疾人证号", "残疾类别", "残疾等级", "发证日期", "证件状态"}, {idF, "", "肢体残疾", "一级", "n:44853", "有效"}}})),
			want: readRight(1, "issued_date = DATE '2026-10-20'").withNote("date_system_1904")},
		// A birth before 1927 in a date cell: a four-digit serial (9196) is a date too.
		{kind: "xlsx-date-four-digit-serial", dataset: "registry",
			files: one("reg.xlsx", rawXLSX(t, false, xsheet{name: "户籍", rows: [][]string{
				strings.Split(corpusHeaders["registry"], ","), {string(born1925), "王测一", "男", "d:9196", hhA, "340799001", "示例县测试路1号"}}})),
			want: readRight(1, "birth_date = DATE '1925-03-05'")},
		// Serial 60: Excel's fictitious 1900-02-29 (the Lotus 1-2-3 leap-year bug).
		{kind: "xlsx-serial-60", dataset: "registry",
			files: one("reg.xlsx", rawXLSX(t, false, xsheet{name: "户籍", rows: [][]string{
				strings.Split(corpusHeaders["registry"], ","), strings.Split(regB, ","), {idA, "王测一", "男", "d:60", hhA, "340799001", "示例县测试路1号"}}})),
			want: quarantined(1, quar{3, "impossible_date", "1900-02-29"})},
		// A serial before that fictitious day (1900-01-15 is serial 15).
		{kind: "xlsx-serial-before-60", dataset: "registry",
			files: one("reg.xlsx", rawXLSX(t, false, xsheet{name: "户籍", rows: [][]string{
				strings.Split(corpusHeaders["registry"], ","), {idA, "王测一", "男", "d:15", hhA, "340799001", "示例县测试路1号"}}})),
			want: readRight(1, "birth_date = DATE '1900-01-15'")},
		// An ISO 8601 date cell (t="d"), as Strict Open XML writers save dates.
		{kind: "xlsx-iso-date-cell", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", rows: [][]string{empHead, {idA, "失业登记", "isod:2026-03-05T00:00:00"}}})),
			want:  readRight(1, "event_date = DATE '2026-03-05'")},
		// Dates in a Chinese custom format (yyyy"年"m"月"d"日"), as WPS templates use.
		{kind: "xlsx-chinese-date-format", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", rows: [][]string{empHead, {idA, "失业登记", "cn:46086"}}})),
			want:  readRight(1, "event_date = DATE '2026-03-05'")},
		// Cached error values from formulas: #N/A (a VLOOKUP found nothing), #DIV/0!, #REF!.
		{kind: "xlsx-error-cells", dataset: "households",
			files: one("hh.xlsx", hhBook([]string{"e:#N/A", "n:12000", "n:2", "d:46082"}, []string{hhA, "e:#DIV/0!", "n:2", "d:46082"},
				[]string{"100003", "n:1000", "n:1", "e:#REF!"}, []string{"100004", "n:1000", "n:1", "d:46082"}, []string{"100005", "n:1000", "n:1", "d:46082"})),
			want: quarantined(3, quar{3, "excel_error", "#N/A"}, quar{4, "excel_error", "#DIV/0!"}, quar{5, "excel_error", "#REF!"})},
		// A text cell that reads #N/A (pasted as values).
		{kind: "xlsx-error-as-text", dataset: "households", files: one("hh.xlsx", hhBook([]string{"#N/A", "n:12000", "n:2", "d:46082"})),
			want: quarantined(1, quar{3, "excel_error", "#N/A"})},
		// A report generator's formulas saved without values: lipwatch calculates them.
		{kind: "xlsx-formula-computed", dataset: "households",
			files: one("hh.xlsx", rawXLSX(t, false, xsheet{name: "家庭收入", rows: [][]string{
				{"户号", "成员1年收入", "成员2年收入", "家庭年收入", "家庭人口", "收入核定日期"},
				{hhA, "n:60000", "n:40000", "f:SUM(B2:C2)", "n:2", "d:46082"}}})),
			columns: map[string]string{"household_id": "户号", "annual_income": "家庭年收入", "members": "家庭人口", "income_assessed_date": "收入核定日期"},
			want:    readRight(1, "annual_income = 100000").withNote("formulas_computed")},
		// A formula without a value that cannot be calculated (a function lipwatch lacks).
		{kind: "xlsx-formula-not-computed", dataset: "households",
			files: one("hh.xlsx", rawXLSX(t, false, xsheet{name: "家庭收入", rows: [][]string{
				{"户号", "成员1年收入", "成员2年收入", "家庭年收入", "家庭人口", "收入核定日期"},
				{hhA, "n:60000", "n:40000", "f:SUM(B2:C2)", "n:2", "d:46082"},
				{hhB, "n:12000", "n:0", "f:NOSUCHFUNCTION(B3:C3)", "n:2", "d:46082"}}})),
			columns: map[string]string{"household_id": "户号", "annual_income": "家庭年收入", "members": "家庭人口", "income_assessed_date": "收入核定日期"},
			want:    quarantined(1, quar{3, "formula_not_computed", "open and save the file in Excel/WPS"})},
		// Shared formulas saved without values: the second row's formula is the first's, moved down.
		{kind: "xlsx-shared-formula", dataset: "households",
			files: one("hh.xlsx", rawXLSX(t, false, xsheet{name: "家庭收入", rows: [][]string{
				{"户号", "成员1年收入", "成员2年收入", "家庭年收入", "家庭人口", "收入核定日期"},
				{hhA, "n:60000", "n:40000", `raw:><f t="shared" ref="D2:D3" si="0">SUM(B2:C2)</f>`, "n:2", "d:46082"},
				{hhB, "n:12000", "n:0", `raw:><f t="shared" si="0"/>`, "n:2", "d:46082"}}})),
			columns: map[string]string{"household_id": "户号", "annual_income": "家庭年收入", "members": "家庭人口", "income_assessed_date": "收入核定日期"},
			want:    readRight(2, "household_id = '"+hhA+"' AND annual_income = 100000", "household_id = '"+hhB+"' AND annual_income = 12000")},
		// A cell pointing at a shared string the workbook does not have (a damaged file).
		{kind: "xlsx-missing-shared-string", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", rows: [][]string{empHead, {idA, `raw: t="s"><v>99</v>`, "d:46086"}}})),
			want:  failed("emp.xlsx", 0)},
		// 户号 merged down a household's rows.
		{kind: "xlsx-merged-household", dataset: "registry",
			files: one("reg.xlsx", rawXLSX(t, false, xsheet{name: "户籍", extra: `<mergeCells count="1"><mergeCell ref="E2:E3"/></mergeCells>`,
				rows: [][]string{strings.Split(corpusHeaders["registry"], ","), strings.Split(regA, ","),
					{idB, "李测二", "女", "1962-03-02", "", "340799001", "示例县测试路2号"}}})),
			want: readRight(2, "name = '王测一' AND household_id = '"+hhA+"'", "name = '李测二' AND household_id = '"+hhA+"'").withNote("merged_cells")},
		// Rows hidden by a filter: loaded like the others, and counted in a note.
		{kind: "xlsx-hidden-rows", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", hidden: []int{3},
				rows: [][]string{empHead, {idA, "失业登记", "d:46086"}, {idB, "就业登记", "d:46087"}}})),
			want: readRight(2, "id_number = '"+idB+"' AND _position = 3").withNote("hidden_rows")},
		// A hidden lookup sheet placed first: the first visible sheet is read.
		{kind: "xlsx-hidden-first-sheet", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false,
				xsheet{name: "代码表", state: "hidden", rows: [][]string{{"代码", "名称"}, {"1", "失业登记"}}},
				xsheet{name: "名单", rows: [][]string{empHead, {idA, "失业登记", "d:46086"}}})),
			want: readRight(1, "id_number = '"+idA+"'").withNote("hidden_sheets")},
		// A 16-digit 户号 typed into a number cell: Excel kept 15 digits.
		{kind: "xlsx-household-16-digits-number", dataset: "households", files: one("hh.xlsx", hhBook([]string{"n:3407990010010000", "n:12000", "n:2", "d:46082"})),
			want: quarantined(1, quar{3, "damaged_number", "15"})},
		// A legacy 15-digit ID typed into a number cell: 15 digits survive.
		{kind: "xlsx-15-digit-id-number-cell", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", rows: [][]string{empHead, {"n:340799600501011", "失业登记", "d:46086"}}})),
			want:  readRight(1, "id_number = '"+idA+"'")},
		// A short 户号 in a number cell: the household 100001.
		{kind: "xlsx-household-number-cell", dataset: "households", files: one("hh.xlsx", hhBook([]string{"n:100001", "n:12000", "n:2", "d:46082"})),
			want: readRight(2, "household_id = '100001' AND members = 2")},
		// An ID number typed into a number cell: stored as 3.40799196005010E+17, its last digits lost.
		{kind: "xlsx-id-number-cell", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", rows: [][]string{empHead, {idB, "就业登记", "d:46087"}, {"n:3.4079919600501E+17", "失业登记", "d:46086"}}})),
			want:  quarantined(1, quar{3, "damaged_number", "身份证号 (id_number)"})},
		// A 户号 column Excel turned into dates.
		{kind: "xlsx-date-in-identifier", dataset: "households", files: one("hh.xlsx", hhBook([]string{"d:46086", "n:12000", "n:2", "d:46082"})),
			want: quarantined(1, quar{3, "bad_value", "formatted as a date"})},
		// Amounts with float noise from a number cell: 1234.5000000000002.
		{kind: "xlsx-float-noise", dataset: "medical",
			files: one("med.xlsx", rawXLSX(t, false, xsheet{name: "结算", rows: [][]string{strings.Split(corpusHeaders["medical"], ","),
				{"YB0001", idA, "d:46086", "示例县人民医院", "n:1234.5000000000002", "n:400.1"}}})),
			want: readRight(1, "total_cost = 1234.50 AND out_of_pocket = 400.10")},
		// Codes in number cells: 残疾类别 4, 残疾等级 1.
		{kind: "xlsx-enum-number-cells", dataset: "disability",
			files: one("dis.xlsx", rawXLSX(t, false, xsheet{name: "持证残疾人", rows: [][]string{
				{"身份证号", "残疾人证号", "残疾类别", "残疾等级", "发证日期", "证件状态"}, {idF, "", "n:4", "n:1", "d:46086", "有效"}}})),
			want: readRight(1, "category = '4' AND level = '1'")},
		// Rich text with phonetic guides (rPh) in a name.
		{kind: "xlsx-rich-text-phonetic", dataset: "registry",
			files: one("reg.xlsx", rawXLSX(t, false, xsheet{name: "户籍", rows: [][]string{strings.Split(corpusHeaders["registry"], ","),
				{idA, `rich:<r><t>王</t></r><r><rPr><b/></rPr><t>测一</t></r><rPh sb="0" eb="1"><t>wáng</t></rPh>`, "男", "1960-05-01", hhA, "340799001", "示例县测试路1号"}}})),
			want: readRight(1, "name = '王测一'")},
		// Inline strings, as streaming writers produce them.
		{kind: "xlsx-inline-strings", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", rows: [][]string{{"is:身份证号", "is:业务类型", "is:业务日期"}, {"is:" + idA, "is:失业登记", "is:2026-03-05"}}})),
			want:  readRight(1, "id_number = '"+idA+"' AND event_date = DATE '2026-03-05'")},
		// A formula's cached text result (t="str"): the text it shows.
		{kind: "xlsx-formula-text-result", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", rows: [][]string{empHead, {"str:" + idA, "失业登记", "d:46086"}}})),
			want:  readRight(1, "id_number = '"+idA+"'")},
		// Boolean cells (TRUE/FALSE) for yes/no.
		{kind: "xlsx-boolean-cells", dataset: "fishers",
			files: one("fish.xlsx", rawXLSX(t, false, xsheet{name: "退捕", rows: [][]string{strings.Split(corpusHeaders["fishers"], ","),
				{idF, hhB, "皖示渔(2010)0001号", "d:44197", "未安置", "b:0"}, {idA, hhA, "皖示渔(2011)0002号", "d:44197", "就业", "b:1"}}})),
			want: readRight(2, "pension_insured = false AND id_number = '"+idF+"'", "pension_insured AND id_number = '"+idA+"'")},
		// A header cell merged across two columns names both: which is meant?
		{kind: "xlsx-merged-header", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", extra: `<mergeCells count="1"><mergeCell ref="A1:B1"/></mergeCells>`,
				rows: [][]string{{"身份证号", "", "业务类型", "业务日期"}, {idA, "居民身份证", "失业登记", "d:46086"}}})),
			want: failed("appears at columns A (1) and B (2)", 0)},
		// A 填表说明 (instructions) sheet before the data: the source must name its sheet.
		{kind: "xlsx-instructions-sheet-first", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "填表说明", rows: [][]string{{"1. 身份证号填18位"}, {"2. 日期格式为2026-03-05"}}},
				xsheet{name: "名单", rows: [][]string{empHead, {idA, "失业登记", "d:46086"}}})),
			want: failed("mapped columns not in the header", 0)},
		// A workbook written by an everyday tool (excelize) with a title row and real date cells.
		{kind: "xlsx-title-row", dataset: "employment",
			files: one("emp.xlsx", excelizeXLSX(t, "失业登记", "yyyy/m/d",
				[]any{"2026年3月失业登记名单"}, []any{"身份证号", "业务类型", "业务日期"},
				[]any{idA, "失业登记", time.Date(2026, 3, 5, 0, 0, 0, 0, time.UTC)})),
			options: connectors.Options{"header_row": 2},
			want:    readRight(1, "id_number = '"+idA+"' AND event_date = DATE '2026-03-05' AND _position = 3")},
		// The workbook open in Excel while syncing: its lock file (~$emp.xlsx) beside it.
		{kind: "xlsx-lock-file", dataset: "employment", path: "*.xlsx",
			files: []corpusFile{{"~$emp.xlsx", []byte("\x0cclerk\x00\x00")},
				{"emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", rows: [][]string{empHead, {idA, "失业登记", "d:46086"}}})}},
			want: readRight(1, "id_number = '"+idA+"'")},
		// A sheet option naming a sheet the workbook lacks (renamed by the department).
		{kind: "xlsx-unknown-sheet", dataset: "employment", options: connectors.Options{"sheet": "名单"},
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "2026年3月名单", rows: [][]string{empHead, {idA, "失业登记", "d:46086"}}})),
			want:  failed(`no sheet "名单"`, 0)},
		// A legacy Excel 97-2003 .xls workbook.
		{kind: "xlsx-legacy-xls", dataset: "employment",
			files: one("emp.xls", append([]byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}, make([]byte, 504)...)),
			want:  failed(".xlsx", 0)},
		// An .xlsx that is not a workbook (a download that saved an error page), beside a good file.
		{kind: "xlsx-not-a-zip", dataset: "employment", path: "in/*",
			files: []corpusFile{{"in/a.csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"))}, {"in/b.xlsx", []byte("<html>404 Not Found</html>")}},
			want:  failed("in/b.xlsx", 1)},
		// Formatted empty rows below the data (Excel's used range): the same.
		{kind: "xlsx-trailing-empty-rows", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", rows: [][]string{empHead, {idA, "失业登记", "d:46086"}, {"", "", ""}, {"", "", ""}}})),
			want:  quarantined(1, quar{3, "blank_row", "blank row"}, quar{4, "blank_row", "blank row"})},
		// cell is (column D) rather than "a stray delimiter?".
		{kind: "xlsx-note-beyond-header", dataset: "employment",
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "名单", rows: [][]string{empHead, {idA, "失业登记", "d:46086", "已入户"}, {idB, "就业登记", "d:46087"}}})),
			want:  readRight(2).withNote("column D without a header")},
		// sheet names (they are people's names).
		{kind: "xlsx-sheet-named-after-person", dataset: "employment", options: connectors.Options{"sheet": "名单"},
			files: one("emp.xlsx", rawXLSX(t, false, xsheet{name: "王测一户", rows: [][]string{empHead, {idA, "失业登记", "d:46086"}}})),
			want:  failed(`no sheet "名单"`, 0)},
		// not theirs: the second row must not load with it.
		{kind: "xlsx-merged-amount", dataset: "medical",
			files: one("med.xlsx", rawXLSX(t, false, xsheet{name: "结算", extra: `<mergeCells count="1"><mergeCell ref="F2:F3"/></mergeCells>`,
				rows: [][]string{strings.Split(corpusHeaders["medical"], ","), {"YB0001", idA, "d:46086", "示例县人民医院", "n:500", "n:400"},
					{"YB0002", idA, "d:46087", "示例县人民医院", "n:300", ""}}})),
			want: quarantined(1, quar{3, "bad_number", "merged"}).withChecks("claim_id = 'YB0001' AND out_of_pocket = 400")},
		// 家庭年收入 typed as 10 in a cell formatted 0.00"万元": Excel shows
		// 10.00万元, the file stores 10. Read as 10 yuan, a well-off family
		// would look poor.
		{kind: "xlsx-amount-in-wan", dataset: "households",
			files: one("hh.xlsx", rawXLSX(t, false, xsheet{name: "家庭收入", rows: [][]string{strings.Split(corpusHeaders["households"], ","), {hhA, "wan:10", "n:2", "d:46082"}}})),
			want:  quarantined(0, quar{2, "bad_number", "unit of its own"}).withStatus(StatusDegraded)},
		// 户号 in a number cell formatted 0000000000 (Excel shows its leading
		// zeros): the value is what it shows.
		{kind: "xlsx-zero-padded-number", dataset: "households",
			files: one("hh.xlsx", rawXLSX(t, false, xsheet{name: "家庭收入", rows: [][]string{strings.Split(corpusHeaders["households"], ","), {"pad:10010002", "n:12000", "n:2", "d:46082"}}})),
			want:  readRight(1, "household_id = '0010010002'")},
	}
}

// jsonCases: JSON and NDJSON files, as APIs' answers saved to disk.
func jsonCases(t *testing.T) []corpusCase {
	api := `{"code": 0, "msg": "ok", "data": {"total": 2, "items": [
{"身份证号": "` + idA + `", "业务类型": "失业登记", "业务日期": "2026-03-05"},
{"身份证号": "` + idB + `", "业务类型": "就业登记", "业务日期": "2026-03-06"}]}}`
	return []corpusCase{
		// An API's answer saved to a file: the records under data.items (records: data.items).
		{kind: "json-records-path", dataset: "employment", files: one("emp.json", []byte(api)), options: connectors.Options{"records": "data.items"},
			want: readRight(2, "id_number = '"+idA+"'", "id_number = '"+idB+"'")},
		// A JSON file with a UTF-8 byte order mark (written by a .NET or Windows tool).
		{kind: "json-utf8-bom", dataset: "employment",
			files: one("emp.json", []byte("\xEF\xBB\xBF"+`[{"身份证号": "`+idA+`", "业务类型": "失业登记", "业务日期": "2026-03-05"}]`)),
			want:  readRight(1, "id_number = '"+idA+"'")},
		// An ID number as a JSON number: its digits are as written, nothing lost.
		{kind: "json-id-as-number", dataset: "employment",
			files: one("emp.json", []byte(`[{"身份证号": 340799196005010116, "业务类型": "失业登记", "业务日期": "2026-03-05"}]`)),
			want:  readRight(1, "id_number = '"+idA+"'")},
		// An API that returned no records tonight: an empty array.
		{kind: "json-empty-array", dataset: "employment", files: one("emp.json", []byte("[]")),
			want: readRight(0).withStatus(StatusDegraded)},
		// Rows as arrays under a header array ([["身份证号", ...], ["...", ...]]), not objects.
		{kind: "json-array-of-arrays", dataset: "employment",
			files: one("emp.json", []byte(`[["身份证号", "业务类型", "业务日期"], ["`+idA+`", "失业登记", "2026-03-05"]]`)),
			want:  failed("emp.json", 0)},
		// The records option names a path the file lacks (the API renamed items to rows).
		{kind: "json-records-path-missing", dataset: "employment", files: one("emp.json", []byte(api)), options: connectors.Options{"records": "data.rows"},
			want: failed(`has no key "rows"`, 0)},
		// An API's answer saved to a file, records option unset.
		{kind: "json-object-without-records", dataset: "employment", files: one("emp.json", []byte(api)),
			want: failed("set the records option", 0)},
		// A 户号 as a JSON number with a fraction: 100001.0.
		{kind: "json-number-household", dataset: "households",
			files: one("hh.json", []byte(`[{"户号": 100001.0, "家庭年收入": 12000.5, "家庭人口": 2, "收入核定日期": "2026-03-01"}]`)),
			want:  readRight(1, "household_id = '100001' AND annual_income = 12000.50 AND members = 2")},
		// A required value sent as null.
		{kind: "json-null-required", dataset: "employment",
			files: one("emp.json", []byte(`[{"身份证号": "`+idA+`", "业务类型": "失业登记", "业务日期": "2026-03-05"}, {"身份证号": "`+idB+`", "业务类型": "就业登记", "业务日期": null}]`)),
			want:  quarantined(1, quar{2, "missing_required", "业务日期 (event_date)"})},
		// A GBK-encoded JSON file from a Windows tool.
		{kind: "json-gbk", dataset: "registry",
			files: one("reg.json", encode(t, gbk, `[{"公民身份号码": "`+idA+`", "姓名": "王测一", "性别": "男", "出生日期": "1960-05-01", "户号": "`+hhA+`", "乡镇街道代码": "340799001", "住址": "示例县测试路1号"}]`)),
			want:  readRight(1, "name = '王测一' AND address = '示例县测试路1号'")},
		// A download cut short: the JSON array ends mid-record.
		{kind: "json-truncated", dataset: "employment",
			files: one("emp.json", []byte(`[{"身份证号": "`+idA+`", "业务类型": "失业登记", "业务日期": "2026-03-05"}, {"身份证号": "`+idB+`", "业务类`)),
			want:  failed("emp.json", 0)},
		// NDJSON with an empty line and a line cut short (a log rotated mid-write).
		{kind: "ndjson-blank-and-broken-lines", dataset: "employment",
			files: one("emp.ndjson", []byte(`{"身份证号": "`+idA+`", "业务类型": "失业登记", "业务日期": "2026-03-05"}`+"\n\n"+
				`{"身份证号": "`+idB+`", "业务类型": "就业登记"`+"\n"+`{"身份证号": "`+idC+`", "业务类型": "失业登记", "业务日期": "2026-03-07"}`+"\n")),
			want: quarantined(2, quar{2, "blank_row", "blank row"}, quar{3, "bad_shape", "not a JSON object"})},
		// JSON object (cut short?).
		{kind: "ndjson-broken-line-reason", dataset: "employment",
			files: one("emp.ndjson", []byte(`{"身份证号": "`+idA+`", "业务类型": "失业登记", "业务日期": "2026-03-05"}`+"\n"+
				`{"身份证号": "`+idB+`", "业务类型": "就业登记"`+"\n")),
			want: quarantined(1, quar{2, "bad_shape", "JSON"})},
		// the error must not list the keys (they are ID numbers).
		{kind: "json-object-keyed-by-id", dataset: "employment",
			files: one("emp.json", []byte(`{"`+idA+`": {"业务类型": "失业登记"}, "`+idB+`": {"业务类型": "就业登记"}}`)),
			want:  failed("set the records option", 0)},
		// nor what to do; it must say the records are not objects.
		{kind: "json-array-of-arrays-message", dataset: "employment",
			files: one("emp.json", []byte(`[["身份证号", "业务类型", "业务日期"], ["`+idA+`", "失业登记", "2026-03-05"]]`)),
			want:  failed("object", 0)},
	}
}

// parquetCases: Parquet files from data platforms (Spark, pandas).
func parquetCases(t *testing.T) []corpusCase {
	str := func(name string, vals ...string) pqColumn {
		return pqColumn{name: name, lt: schema.StringLogicalType{}, pt: parquet.Types.ByteArray, vals: pqStrings(vals...)}
	}
	ms := func(s string) int64 {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UnixMilli()
	}
	day := int32(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400)
	return []corpusCase{
		// Typed columns: 户号 as INT64, income as DECIMAL(12,2), members as INT32, a DATE.
		{kind: "parquet-typed-columns", dataset: "households",
			files: one("hh.parquet", parquetFile(t, pqColumn{name: "户号", pt: parquet.Types.Int64, vals: []int64{100001}},
				pqColumn{name: "家庭年收入", lt: schema.NewDecimalLogicalType(12, 2), pt: parquet.Types.Int64, vals: []int64{1200050}},
				pqColumn{name: "家庭人口", pt: parquet.Types.Int32, vals: []int32{2}},
				pqColumn{name: "收入核定日期", lt: schema.DateLogicalType{}, pt: parquet.Types.Int32, vals: []int32{day}})),
			want: readRight(1, "household_id = '100001' AND annual_income = 12000.50 AND members = 2 AND income_assessed_date = DATE '2026-03-01'")},
		// A UTC timestamp (Spark's default): 16:00 UTC is the next day in China.
		{kind: "parquet-utc-timestamp", dataset: "employment",
			files: one("emp.parquet", parquetFile(t, str("身份证号", idA), str("业务类型", "失业登记"),
				pqColumn{name: "业务日期", lt: schema.NewTimestampLogicalType(true, schema.TimeUnitMillis), pt: parquet.Types.Int64, vals: []int64{ms("2026-08-29T16:00:00Z")}})),
			want: readRight(1, "event_date = DATE '2026-08-30'")},
		// A local timestamp (not adjusted to UTC): the day as written.
		{kind: "parquet-local-timestamp", dataset: "employment",
			files: one("emp.parquet", parquetFile(t, str("身份证号", idA), str("业务类型", "失业登记"),
				pqColumn{name: "业务日期", lt: schema.NewTimestampLogicalType(false, schema.TimeUnitMillis), pt: parquet.Types.Int64, vals: []int64{ms("2026-08-29T16:00:00Z")}})),
			want: readRight(1, "event_date = DATE '2026-08-29'")},
		// pandas turned a 户号 column with gaps into float64: 100001.0 and NaN.
		{kind: "parquet-pandas-float-household", dataset: "assistance",
			files: one("asst.parquet", parquetFile(t, str("身份证号", idA, idB), pqColumn{name: "户号", pt: parquet.Types.Double, vals: []float64{100001, 0}, null: []bool{false, true}},
				str("救助类别", "城市低保", "城市低保"), str("开始日期", "2024-01-01", "2024-01-01"), str("结束日期", "", ""), str("月救助金额", "600", "600"))),
			want: readRight(2, "household_id = '100001' AND id_number = '"+idA+"'", "household_id IS NULL AND id_number = '"+idB+"'")},
		// ID of another person): damaged, never loaded.
		{kind: "parquet-id-as-double", dataset: "employment",
			files: one("emp.parquet", parquetFile(t, pqColumn{name: "身份证号", pt: parquet.Types.Double, vals: []float64{340799196005010298}},
				str("业务类型", "失业登记"), str("业务日期", "2026-03-05"))),
			want: quarantined(0, quar{1, "damaged_number", "身份证号 (id_number)"}).withStatus(StatusDegraded)},
	}
}

// sourceCases: what a source as a whole may look like on a bad night.
func sourceCases(t *testing.T) []corpusCase {
	var drift []string
	for i := 0; i < 25; i++ {
		drift = append(drift, emp(idA, "失业登记", fmt.Sprintf("%02d-03-2026", i+1)))
	}
	return []corpusCase{
		// An empty file (the export failed after creating it).
		{kind: "source-empty-file", dataset: "employment", files: one("emp.csv", nil),
			want: failed("emp.csv", 0)},
		// A file with its header and no rows: not "ok".
		{kind: "source-header-only", dataset: "employment", files: one("emp.csv", []byte(corpusHeaders["employment"]+"\r\n")),
			want: readRight(0).withStatus(StatusDegraded)},
		// A file whose every row is bad: degraded, all of it in quarantine.
		{kind: "source-every-row-bad", dataset: "employment",
			files: one("emp.csv", csvOf("employment", emp(idA, "失业登记", "2026-02-30"), emp(idB, "就业登记", "2026-02-31"), emp(idC, "失业登记", "2026-13-01"))),
			want: quarantined(0, quar{2, "impossible_date", "2026-02-30"}, quar{3, "impossible_date", "2026-02-31"}, quar{4, "impossible_date", "2026-13-01"}).
				withStatus(StatusDegraded)},
		// Tonight's files were not delivered: the path matches nothing.
		{kind: "source-no-file", dataset: "employment", path: "inbox/*.csv", files: one("other/emp.csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"))),
			want: failed(`no file matches "inbox/*.csv"`, 0)},
		// One broken month file of three (a PDF saved as .csv): the others load.
		{kind: "source-one-broken-of-three", dataset: "employment", path: "in/*.csv",
			files: []corpusFile{{"in/2026-01.csv", csvOf("employment", emp(idA, "失业登记", "2026-01-05"))},
				{"in/2026-02.csv", []byte("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")},
				{"in/2026-03.csv", csvOf("employment", emp(idB, "就业登记", "2026-03-06"))}},
			want: failed("not a text file", 2)},
		// The same file delivered twice (a browser's "emp(1).csv"): its rows load once.
		{kind: "source-same-file-twice", dataset: "employment", path: "in/*.csv",
			files: []corpusFile{{"in/emp.csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"))}, {"in/emp(1).csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"))}},
			want:  readRight(1, "id_number = '"+idA+"'")},
		// A Word document dropped into the folder by mistake.
		{kind: "source-unknown-extension", dataset: "employment", path: "in/*",
			files: []corpusFile{{"in/a.csv", csvOf("employment", emp(idA, "失业登记", "2026-03-05"))}, {"in/说明.docx", []byte("PK\x03\x04")}},
			want:  failed("说明.docx", 1)},
		// A mapped column renamed by the department (业务日期 became 办理日期).
		{kind: "source-missing-column", dataset: "employment",
			files: one("emp.csv", []byte("身份证号,业务类型,办理日期\n"+emp(idA, "失业登记", "2026-03-05")+"\n")),
			want:  failed("业务日期 (event_date)", 0)},
		// The department changed its date format (DD-MM-YYYY) for a whole file: schema drift, nothing loaded.
		{kind: "source-schema-drift", dataset: "employment", files: one("emp.csv", csvOf("employment", drift...)),
			want: failed("schema drift", 0)},
	}
}
