package file_test

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lipwatch/lipwatch/connectors"
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
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "employment.json"}))
	checkHeader(t, rr, employmentHeader...)
	checkRows(t, readAll(t, rr), employmentRows)
}

func TestJSONRecordsPath(t *testing.T) {
	dir := t.TempDir()
	// As the data-sharing platform wraps its answers: the records under
	// data.items, with values of every size around them.
	wrapped := `{"code": 0, "msg": "成功", "meta": {"items": "not these", "list": [[1], {"a": [2]}]},
	  "data": {"total": 3, "items": ` + employmentJSON + `, "page": {"no": 1}}, "trailer": null}`
	writeFile(t, dir, "employment.json", []byte(wrapped))
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "employment.json", "records": "data.items"}))
	checkHeader(t, rr, employmentHeader...)
	checkRows(t, readAll(t, rr), employmentRows)
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
		rr := openOnly(t, newSource(t, dir, opts))
		checkHeader(t, rr)
		checkRows(t, readAll(t, rr), nil)
	}
}

// An element that is not an object keeps its text past the header, where
// the dataset layer quarantines it; null is a blank row.
func TestJSONElementsNotObjects(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.json", []byte(`[{"a": 1, "b": "x"}, 5, "文本", null, [1, 2], {"b": "y"}]`))
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "a.json"}))
	checkHeader(t, rr, "a", "b")
	checkRows(t, readAll(t, rr), []connectors.Row{
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
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "a.json"}))
	checkHeader(t, rr, "id")
	rows := readAll(t, rr)
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
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "a.json"}))
	checkHeader(t, rr, "姓名", "姓名2")
	checkRows(t, readAll(t, rr), []connectors.Row{row(1, "　张三 ", "李\n四")})
}

// JSON from Windows tools: a byte order mark, or GBK text.
func TestJSONEncodings(t *testing.T) {
	data := `[{"姓名": "张三", "金额": 1.5}]`
	for name, b := range map[string][]byte{
		"utf-8 with BOM": append([]byte("\xEF\xBB\xBF"), data...),
		"gbk":            encode(t, simplifiedchinese.GBK, data),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.json", b)
			rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "a.json"}))
			checkHeader(t, rr, "姓名", "金额")
			checkRows(t, readAll(t, rr), []connectors.Row{row(1, "张三", "1.5")})
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
	rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "a.json"}))
	checkRows(t, readAll(t, rr), want)
}

func TestJSONOpenErrors(t *testing.T) {
	tests := []struct {
		name, data, records, want string
	}{
		{"empty", "", "", "a.json: empty file: no JSON"},
		{"spaces", " \n ", "", "a.json: empty file: no JSON"},
		{"object without records", `{"code": 0, "data": {"items": []}}`, "",
			"a.json: the file holds an object, not an array of records: set the records option to the path of the array (the object's keys: code, data)"},
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
			rr := openOnly(t, newSource(t, dir, connectors.Options{"path": "a.json", "records": "data"}))
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
