package file_test

import (
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// A blank line and a broken line are rows of their own, at their line
// numbers: the blank one without values, the broken one with its text in
// a value past the header (where the dataset layer quarantines it, since
// nothing of it can be trusted to be in a column); the lines after them
// are read as usual.
func TestNDJSON(t *testing.T) {
	data := "{\"身份证号\": \"11010519491231002X\", \"姓名\": \"张三\", \"金额\": 1.5e2}\r\n" +
		"\r\n" +
		"{\"姓名\": \"李四\", \"住址\": {\"村\": \"东村\"}, \"标签\": [1, 2.50]}\n" +
		"{\"姓名\": \"王五\", \"金额\": }\n" +
		"   \t\n" +
		"null\n" +
		"[1, 2]\n" +
		"{\"姓名\": \"赵六\"} {\"姓名\": \"钱七\"}\n" +
		"{\"身份证号\": \"440524188001010014\", \"金额\": 12345678901234567890}"
	dir := t.TempDir()
	writeFile(t, dir, "people.ndjson", []byte(data))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "people.ndjson"}))
	checkHeader(t, rr, "身份证号", "姓名", "金额", "住址", "标签")
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{
		row(1, "11010519491231002X", "张三", "150", "", ""),
		row(2),
		row(3, "", "李四", "", `{"村":"东村"}`, "[1,2.50]"),
		row(4, "", "", "", "", "", `{"姓名": "王五", "金额": }`),
		row(5),
		row(6),
		row(7, "", "", "", "", "", "[1, 2]"),
		row(8, "", "", "", "", "", `{"姓名": "赵六"} {"姓名": "钱七"}`),
		row(9, "440524188001010014", "", "12345678901234567890", "", ""),
	})
}

// A line longer than the read buffer is read whole.
func TestNDJSONLongLine(t *testing.T) {
	long := strings.Repeat("长", 100_000)
	data := `{"a": "` + long + `"}` + "\n" + `{"a": "x", "b": "` + long + "\n" + `{"a": "y"}` + "\n"
	dir := t.TempDir()
	writeFile(t, dir, "a.jsonl", []byte(data))
	rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.jsonl"}))
	checkHeader(t, rr, "a")
	checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{
		row(1, long),
		row(2, "", `{"a": "x", "b": "`+long),
		row(3, "y"),
	})
}

// A file of blank lines has no header and only blank rows; an empty file
// has neither.
func TestNDJSONBlank(t *testing.T) {
	for data, want := range map[string][]connectors.Row{
		"":       nil,
		"\n":     {row(1)},
		"\n\n  ": {row(1), row(2), row(3)},
	} {
		dir := t.TempDir()
		writeFile(t, dir, "a.ndjson", []byte(data))
		rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.ndjson"}))
		checkHeader(t, rr)
		checkRows(t, connectortest.ReadAll(t, rr), want)
	}
}

// NDJSON lines end at LF, CRLF or a lone CR; files joined together keep a
// byte order mark at the start of each part, which is dropped; a line
// nested past encoding/json's depth is a broken line like any other. Line
// numbers stay right throughout, and notes say what was met.
func TestNDJSONLinesAsTheyArrive(t *testing.T) {
	deep := `{"a": ` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
	data := "\uFEFF{\"姓名\": \"张三\", \"金额\": 1.5}\r" + // 1
		"\r" + // 2
		"\uFEFF{\"姓名\": \"李四\"}\r\n" + // 3
		deep + "\n" + // 4
		"\uFEFF{\"姓名\": \"王五\", \"金额\": 2}\r" // 5
	for name, b := range map[string][]byte{
		"utf-8":                []byte(data),
		"gbk":                  encode(t, simplifiedchinese.GBK, strings.ReplaceAll(data, "\uFEFF", "")),
		"utf-16le without BOM": encode(t, utf16LE, strings.TrimPrefix(data, "\uFEFF")),
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "a.ndjson", b)
			rr := connectortest.OpenOnly(t, newSource(t, dir, connectors.Options{"path": "a.ndjson"}))
			checkHeader(t, rr, "姓名", "金额")
			checkRows(t, connectortest.ReadAll(t, rr), []connectors.Row{
				row(1, "张三", "1.5"),
				row(2),
				row(3, "李四", ""),
				row(4, "", "", deep),
				row(5, "王五", "2"),
			})
			n := notes(t, rr)
			if n["cr_line_endings"].Count != 3 {
				t.Errorf("cr_line_endings note: %+v, want a count of 3", n["cr_line_endings"])
			}
			if name == "utf-8" && n["bom_inside"].Count != 2 {
				t.Errorf("bom_inside note: %+v, want a count of 2", n["bom_inside"])
			}
		})
	}
}
