package file_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// employmentJSON is a 人社局 export: keys differ between records, values
// are of every JSON kind.
const employmentJSON = `[
  {"身份证号": "11010519491231002X", "姓名": "张三", "业务类型": "失业登记", "人数": 3,
   "金额": 1234.50, "大数": 12345678901234567890123, "指数": 1.5e3, "小数": 1E-7,
   "在册": true, "备注": null},
  {"姓名": "李四", "身份证号": "440524188001010014", "住址": {"县": "示例县", "村": "东村"},
   "标签": ["低保", "残疾"], "在册": false, "新字段": "x"},
  {}
]`

var employmentHeader = []string{"身份证号", "姓名", "业务类型", "人数", "金额", "大数", "指数", "小数", "在册", "备注", "住址", "标签", "新字段"}

var employmentRows = []connectors.Row{
	row(1, "11010519491231002X", "张三", "失业登记", "3", "1234.50", "12345678901234567890123", "1500", "0.0000001", "true", "", "", "", ""),
	row(2, "440524188001010014", "李四", "", "", "", "", "", "", "false", "", `{"县":"示例县","村":"东村"}`, `["低保","残疾"]`, "x"),
	row(3, "", "", "", "", "", "", "", "", "", "", "", "", ""),
}

func TestJSONArray(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "employment.json", []byte(employmentJSON))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "employment.json"}))
	checkHeader(t, rr, employmentHeader...)
	checkRows(t, connectortest.ReadAll(t, rr), employmentRows)
}

func TestJSONRecordsPath(t *testing.T) {
	dir := t.TempDir()
	// As the data-sharing platform wraps its answers: the records under
	// data.items, with values of every size around them.
	wrapped := `{"code": 0, "msg": "成功", "meta": {"items": "not these", "list": [[1], {"a": [2]}]},
	  "data": {"total": 3, "items": ` + employmentJSON + `, "page": {"no": 1}}, "trailer": null}`
	writeFile(t, dir, "employment.json", []byte(wrapped))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "employment.json", "records": "data.items"}))
	checkHeader(t, rr, employmentHeader...)
	checkRows(t, connectortest.ReadAll(t, rr), employmentRows)
}

// A null or an empty array under the records path is an empty load.
func TestJSONNoRecords(t *testing.T) {
	for _, data := range []string{`{"data": {"items": null}}`, `{"data": {"items": []}}`, `[]`, " [ ] \n"} {
		dir := t.TempDir()
		writeFile(t, dir, "a.json", []byte(data))
		opts := connectors.Options{"path": "a.json"}
		if strings.HasPrefix(data, "{") {
			opts["records"] = "data.items"
		}
		rr := connectortest.OpenOnly(t, newSource(t, dir, opts))
		checkHeader(t, rr)
		checkRows(t, connectortest.ReadAll(t, rr), nil)
	}
}

// An element that is not an object keeps its text past the header, where
// the dataset layer quarantines it; null is a blank row.
func TestJSONElementsNotObjects(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(`[{"a": 1, "b": "x"}, 5, "文本", null, [1, 2], {"b": "y"}]`))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.json"}))
	checkHeader(t, rr, "a", "b")
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{
		row(1, "1", "x"),
		row(2, "", "", "5"),
		row(3, "", "", `"文本"`),
		row(4),
		row(5, "", "", "[1,2]"),
		row(6, "", "y"),
	})
}

// Keys first seen after the records read for the header are kept in a
// value past the header, as a JSON object, so that the row is quarantined
// with them rather than loaded without them. A null changes nothing.
func TestJSONKeysAfterHeaderSample(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range 1000 {
		fmt.Fprintf(&b, `{"id": %d},`, i+1)
	}
	b.WriteString(`{"id": 1001, "备注": "迟到的键", "x": "a\"<b>"}, {"id": 1002, "备注": null, "x": ""}]`)
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(b.String()))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.json"}))
	checkHeader(t, rr, "id")
	rows := connectortest.ReadAll(t, rr)
	if len(rows) != 1002 {
		t.Fatalf("got %d rows, want 1002", len(rows))
	}
	checkRows(t, rows[999:], []connectors.Row{
		row(1000, "1000"),
		row(1001, "1001", `{"备注":"迟到的键","x":"a\"<b>"}`),
		row(1002, "1002"),
	})
}

// The header is trimmed like a CSV header; values are as written.
func TestJSONHeaderTrimmedValuesNot(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(`[{" 姓名\u3000": "　张三 ", "\u59d3\u540d2": "\u674e\n四"}]`))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.json"}))
	checkHeader(t, rr, "姓名", "姓名2")
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{row(1, "　张三 ", "李\n四")})
}

// JSON from Windows tools: a byte order mark, or GBK text.
func TestJSONEncodings(t *testing.T) {
	data := `[{"姓名": "张三", "金额": 1.5}]`
	for name, b := range map[string][]byte{
		"utf-8 with BOM":       append([]byte("\xEF\xBB\xBF"), data...),
		"gbk":                  encode(t, simplifiedchinese.GBK, data),
		"utf-16le with BOM":    encode(t, unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), data),
		"utf-16le without BOM": encode(t, utf16LE, data),
		"utf-16be without BOM": encode(t, utf16BE, data),
		"gb18030 CR-only":      encode(t, simplifiedchinese.GB18030, strings.ReplaceAll("[\n"+data[1:], "\n", "\r")),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.json", b)
			rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.json"}))
			checkHeader(t, rr, "姓名", "金额")
			checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{row(1, "张三", "1.5")})
		})
	}
}

func TestJSONNumbersWithoutExponent(t *testing.T) {
	tests := [][2]string{ // as written, as read
		{"0", "0"}, {"-0", "-0"}, {"42", "42"}, {"800.00", "800.00"}, {"0.1", "0.1"},
		{"12345678901234567890123", "12345678901234567890123"},
		{"1e3", "1000"}, {"1.5e3", "1500"}, {"-2.5E+2", "-250"}, {"1.50e1", "15.0"},
		{"1E-7", "0.0000001"}, {"12.5e-1", "1.25"}, {"0.05e-1", "0.005"}, {"0.05e1", "0.5"},
		{"123e-2", "1.23"}, {"0e5", "0"}, {"0.0e-3", "0"},
		{"3.4079919491231E+17", "340799194912310000"},
		{"1e999", "1e999"}, // beyond any real value: left for the dataset layer to reject
	}
	var b strings.Builder
	b.WriteString("[")
	var want []connectors.Row
	i := 0
	for _, tt := range tests {
		if i > 0 {
			b.WriteString(",")
		}
		i++
		fmt.Fprintf(&b, `{"n": %s}`, tt[0])
		want = append(want, row(int64(i), tt[1]))
	}
	b.WriteString("]")
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(b.String()))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.json"}))
	checkRows(t, connectortest.ReadAll(t, rr), want)
}

func TestJSONOpenErrors(t *testing.T) {
	tests := []struct {
		name, data, records, want string
	}{
		{"empty", "", "", "a.json: empty file: no JSON"},
		{"spaces", " \n ", "", "a.json: empty file: no JSON"},
		{"object without records", `{"code": 0, "data": {"items": []}}`, "",
			"a.json: the file holds an object, not an array of records: set the records option to the path of the array (arrays in it: data.items)"},
		{"scalar", `"x"`, "", "a.json: the file holds a string, not an array of records"},
		{"records on an array", `[{"a": 1}]`, "data.items", "a.json: records is data.items but the file holds an array, not an object"},
		{"missing key", `{"code": 0, "data": {"list": [], "total": 0}}`, "data.items",
			`a.json: records: data has no key "items" (its keys: list, total)`},
		{"missing top key", `{"code": 0}`, "data", `a.json: records: the top-level object has no key "data" (its keys: code)`},
		{"not an array", `{"data": {"items": {"a": 1}}}`, "data.items", "a.json: records: data.items holds an object, not an array"},
		{"not an object on the way", `{"data": [1]}`, "data.items", "a.json: records: data holds an array, not an object"},
		{"bad syntax before the records", "{\n  \"data\" 1}", "data", "a.json:2:10: before the records: invalid character '1' after object key"},
		{"bad syntax in the first records", "[\n{\"a\": 1},\n{\"a\": 2,,}]", "", "a.json:3:9: record 2: invalid character ',' looking for beginning of object key string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.json", []byte(tt.data))
			opts := connectors.Options{"path": "a.json"}
			if tt.records != "" {
				opts["records"] = tt.records
			}
			if err := openErr(t, newSource(t, dir, opts)); err.Error() != tt.want {
				t.Errorf("got  %q\nwant %q", err, tt.want)
			}
		})
	}
}

// Errors after the first records come from Next, after the rows before
// them, and name the line, column and record.
func TestJSONReadErrors(t *testing.T) {
	var head strings.Builder
	head.WriteString("{\"data\": [\n")
	for i := range 1001 {
		fmt.Fprintf(&head, "  {\"姓名\": \"张%d\"},\n", i)
	}
	tests := []struct {
		name, tail, want string
	}{
		{"bad syntax", "  {\"姓名\": 张三}\n]}", "a.json:1003:10: record 1002: invalid character 'å' looking for beginning of value"},
		{"cut short in a record", `  {"姓名": "张`, "a.json:1003:12: record 1002: unexpected EOF"},
		{"cut short after a record", `  {"姓名": "张"}`, "a.json:1003:14: record 1003: unexpected EOF"},
		{"object not closed", `  {"姓名": "张"}]`, "a.json:1003:15: after the records: unexpected EOF"},
		{"data after the file", `  {"姓名": "张"}]} []`, `a.json:1003:17: after the records: found an array after the records`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.json", []byte(head.String()+tt.tail))
			rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.json", "records": "data"}))
			var n int
			var err error
			for err == nil {
				_, err = rr.Next()
				n++
			}
			if err.Error() != tt.want {
				t.Errorf("after %d rows: got  %q\nwant %q", n-1, err, tt.want)
			}
			if _, again := rr.Next(); again != err {
				t.Errorf("the error does not repeat: %v", again)
			}
		})
	}
}

// kindsText writes a row's kinds for a message, "" for nil (all text).
func kindsText(k []connectors.CellKind) string {
	if k == nil {
		return "nil"
	}
	var b strings.Builder
	for i, c := range k {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// checkKinds compares rows' kinds with want, one string per row as
// kindsText writes it.
func checkKinds(t testing.TB, rows []connectors.Row, want []string) {
	t.Helper()
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d", len(rows), len(want))
	}
	for i, r := range rows {
		if r.Kinds != nil && len(r.Kinds) != len(r.Values) {
			t.Errorf("row %d: %d kinds for %d values", r.Pos, len(r.Kinds), len(r.Values))
		}
		if got := kindsText(r.Kinds); got != want[i] {
			t.Errorf("row %d: kinds %s, want %s", r.Pos, got, want[i])
		}
	}
}

// A number written with a fraction or an exponent may have gone through a
// floating-point number on its way (an identifier typed into a spreadsheet
// and exported, 100001.0 or 1.0E+5): its cell is KindNumber, so that the
// dataset layer can judge an identifier made of it. Integer literals are
// exact as written and strings are text whatever they look like, so a
// record without such a number has nil Kinds. Values keep their exact
// text, exponents expanded. A repeated key's last value wins, its kind
// too.
func TestJSONNumberKinds(t *testing.T) {
	data := `[
	  {"户号": 3407990010010001, "金额": 1234.50, "指数": 1.0E+5, "文本": "1.5", "嵌套": {"a": 1.5}, "是": true, "空": null},
	  {"户号": "3407990010010002", "金额": 800},
	  {"户号": 100001.0, "户号": "100001"},
	  {"户号": "100002", "户号": 1.00002e5},
	  {"户号": -0.0, "金额": 3407990010010001.0}
	]`
	dir := t.TempDir()
	for _, name := range []string{"a.json", "a.ndjson"} {
		t.Run(name, func(t *testing.T) {
			text := data
			if name == "a.ndjson" {
				text = strings.NewReplacer("[\n", "", ",\n", "\n", "\n\t]", "\n").Replace(data)
			}
			writeFile(t, dir, name, []byte(text))
			rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": name}))
			checkHeader(t, rr, "户号", "金额", "指数", "文本", "嵌套", "是", "空")
			rows := connectortest.ReadAll(t, rr)
			want := [][]string{
				{"3407990010010001", "1234.50", "100000", "1.5", `{"a":1.5}`, "true", ""},
				{"3407990010010002", "800", "", "", "", "", ""},
				{"100001", "", "", "", "", "", ""},
				{"100002", "", "", "", "", "", ""},
				{"-0.0", "3407990010010001.0", "", "", "", "", ""},
			}
			for i, w := range want {
				if !slices.Equal(rows[i].Values, w) {
					t.Errorf("row %d: got %q, want %q", i+1, rows[i].Values, w)
				}
			}
			checkKinds(t, rows, []string{
				"text number number text text text text",
				"nil",
				"text text text text text text text",
				"number text text text text text text",
				"number number text text text text text",
			})
		})
	}
}

// A key first seen after the header's sample carries its value in the
// text past the header: text, whatever its value was.
func TestJSONKindsPastHeader(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range 1000 {
		fmt.Fprintf(&b, `{"id": %d},`, i+1)
	}
	b.WriteString(`{"id": 1001.5, "金额": 2.5}]`)
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(b.String()))
	rows := connectortest.ReadAll(t, connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.json"})))
	last := rows[len(rows)-1]
	if !slices.Equal(last.Values, []string{"1001.5", `{"金额":"2.5"}`}) || kindsText(last.Kinds) != "number text" {
		t.Errorf("last row: %q kinds %s", last.Values, kindsText(last.Kinds))
	}
}

// The odd shapes of JSON files departments send fail with the file and
// the path named, or read right.
func TestJSONOddFiles(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }
	tests := []struct {
		name, data, records string
		want                string // an error; "" to read the file
		rows                []connectors.Row
	}{
		{"top-level null", "null", "", "a.json: the file holds null, not an array of records", nil},
		{"records path to a string", `{"data": {"items": "none"}}`, "data.items", "a.json: records: data.items holds a string, not an array", nil},
		{"records path to a number", `{"data": 0}`, "data", "a.json: records: data holds a number, not an array", nil},
		{"records path through null", `{"data": null}`, "data.items", "a.json: records: data holds null, not an object", nil},
		{"records null", `{"data": null}`, "data", "", nil},
		{"a record nested too deep", `[{"a": 1}, {"a": ` + deep(20000) + `}]`, "",
			"a.json:1:10017: record 2: invalid character '[' exceeded max depth", nil},
		{"a value beside the records nested too deep", `{"meta": ` + deep(20000) + `, "data": [{"a": 1}]}`, "data",
			"a.json:1:10011: before the records: a value nested deeper than 10000 levels", nil},
		{"deep but within bounds", `{"meta": ` + deep(5000) + `, "data": [{"a": ` + deep(3) + `}]}`, "data", "",
			[]connectors.Row{row(1, "[[[]]]")}},
		{"CR-only lines: the error's line is right", "[\r{\"a\": 1},\r{\"a\": 2,,}]", "",
			"a.json:3:9: record 2: invalid character ',' looking for beginning of object key string", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.json", []byte(tt.data))
			opts := connectors.Options{"path": "a.json"}
			if tt.records != "" {
				opts["records"] = tt.records
			}
			c := newSource(t, dir, opts)
			if tt.want == "" {
				checkRows(t, connectortest.ReadAll(t, connectortest.OpenOnly(t, c)), tt.rows)
				return
			}
			rr, err := openReader(t, c)
			for err == nil {
				_, err = rr.Next()
			}
			if err.Error() != tt.want {
				t.Errorf("got  %q\nwant %q", err, tt.want)
			}
		})
	}
}

// Messages about the objects around the records never quote data: an
// export keyed by record (by ID number, claim number or name) has its
// keys counted, not listed, and no path is suggested through them; a
// record's own field names, and an API envelope's keys, are shown, and
// the arrays in an envelope are offered as records paths.
func TestJSONMessagesShowNoData(t *testing.T) {
	many := `{"a1": 1, "a2": 1, "a3": 1, "a4": 1, "a5": 1, "a6": 1, "a7": 1, "a8": 1, "a9": 1, "b1": 1, "b2": 1, "b3": 1}`
	tests := []struct {
		name, data, records, want string
	}{
		{"keyed by ID number", `{"340799196005010116": {"业务类型": "失业登记"}, "340799196203020227": {"业务类型": "就业登记"}}`, "",
			"a.json: the file holds an object, not an array of records, and no array in its first 3 levels (its keys: 2 not shown, " +
				"as they look like data such as ID numbers or names): export the records as an array of objects, or set the records option to the path of the array"},
		{"keyed by name, holding arrays", `{"张三": [{"业务类型": "失业登记"}], "李四": {"记录": [1]}}`, "",
			"a.json: the file holds an object, not an array of records, and no array in its first 3 levels (its keys: 2 not shown, " +
				"as they look like data such as ID numbers or names): export the records as an array of objects, or set the records option to the path of the array"},
		{"one record, not in an array", `{"身份证号": "340799196005010116", "姓名": "张三", "JS20260000001": "x"}`, "",
			"a.json: the file holds an object, not an array of records, and no array in its first 3 levels (its keys: 身份证号, 姓名 and 1 not shown, " +
				"as they look like data such as ID numbers or names): export the records as an array of objects, or set the records option to the path of the array"},
		{"an API's envelope", `{"code": 0, "data": {"total": 2, "list": [{"a": 1}], "page": {"rows": []}}, "meta": [1]}`, "",
			"a.json: the file holds an object, not an array of records: set the records option to the path of the array (arrays in it: data.list, data.page.rows, meta)"},
		{"many keys", many, "",
			"a.json: the file holds an object, not an array of records, and no array in its first 3 levels (its keys: a1, a2, a3, a4, a5, a6, a7, a8, a9, b1 and 2 more): " +
				"export the records as an array of objects, or set the records option to the path of the array"},
		{"records path through a keyed object", `{"data": {"340799196005010116": {"a": 1}, "total": 1}}`, "data.items",
			`a.json: records: data has no key "items" (its keys: total and 1 not shown, as they look like data such as ID numbers or names)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.json", []byte(tt.data))
			opts := connectors.Options{"path": "a.json"}
			if tt.records != "" {
				opts["records"] = tt.records
			}
			err := openErr(t, newSource(t, dir, opts))
			if err.Error() != tt.want {
				t.Errorf("got  %q\nwant %q", err, tt.want)
			}
			for _, data := range []string{"340799", "张三", "李四", "JS2026"} {
				if strings.Contains(err.Error(), data) {
					t.Errorf("the message shows %s", data)
				}
			}
		})
	}
}

// A file of JSON values none of which is an object (a table saved as an
// array of arrays, a list of ID numbers, NDJSON lines all cut short) is
// not a file of records: it fails saying what records must be, quoting
// none of them. Some objects among other values read as before (the
// others are quarantined with their text).
func TestJSONNoRecordIsAnObject(t *testing.T) {
	tests := []struct{ name, file, data, want string }{
		{"array of arrays", "a.json", `[["身份证号", "业务类型"], ["340799196005010116", "失业登记"]]`,
			`a.json: none of its 2 records is a JSON object (record 1 is an array): a file of records is an array of objects, ` +
				`[{"身份证号": "…", "姓名": "…"}, …]; export the records so, or as CSV`},
		{"array of strings", "a.json", `[null, "340799196005010116", "340799196203020227"]`,
			`a.json: none of its 3 records is a JSON object (record 2 is a string): a file of records is an array of objects, ` +
				`[{"身份证号": "…", "姓名": "…"}, …]; export the records so, or as CSV`},
		{"ndjson of arrays", "a.ndjson", "[\"身份证号\", \"业务类型\"]\n[\"340799196005010116\", \"失业登记\"]\n",
			`a.ndjson: none of its 2 lines is a JSON object (line 1 is an array): NDJSON has one object per line, ` +
				`{"身份证号": "…", "姓名": "…"}; export the records so, or as CSV`},
		{"ndjson all cut short", "a.ndjson", "\n{\"身份证号\": \"3407991960\n{\"身份证号\": \"3407991962\n",
			`a.ndjson: none of its 3 lines is a JSON object (line 2 is not valid JSON (cut short?)): NDJSON has one object per line, ` +
				`{"身份证号": "…", "姓名": "…"}; export the records so, or as CSV`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, tt.file, []byte(tt.data))
			if err := openErr(t, newSource(t, dir, connectors.Options{"path": tt.file})); err.Error() != tt.want {
				t.Errorf("got  %q\nwant %q", err, tt.want)
			}
		})
	}
}
