package gen

// A small reader and checker, independent of the generator's own code: it
// decodes the files as a loader would and judges every row against the
// dataset definitions of engine/dataset.

import (
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/idnum"
)

// layout is the contract of one file: its headers and their fields.
type layout struct {
	dataset   string
	encoding  string // gbk, gb18030, utf-8 or xlsx
	sheet     string
	headerRow int
	headers   []string
	fields    []string // "" = ignored by the loader
}

// layouts are the file contracts of the brief, written out independently
// of the generator's tables.
var layouts = map[string]layout{
	"registry.csv": {"registry", "gbk", "", 1,
		[]string{"公民身份号码", "姓名", "性别", "出生日期", "户号", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态", "状态变更日期"},
		[]string{"id_number", "name", "gender", "birth_date", "household_id", "relation", "township_code", "village_code", "address", "status", "status_date"}},
	"households.xlsx": {"households", "xlsx", "家庭收入核定", 2,
		[]string{"户号", "家庭年收入", "家庭人口", "收入核定日期"},
		[]string{"household_id", "annual_income", "members", "income_assessed_date"}},
	"assistance.xlsx": {"assistance", "xlsx", "救助对象名册", 1,
		[]string{"身份证号", "户号", "救助类别", "开始日期", "结束日期", "月救助金额"},
		[]string{"id_number", "household_id", "category", "start_date", "end_date", "amount_monthly"}},
	"medical": {"medical", "utf-8", "", 1,
		[]string{"结算单号", "身份证号", "姓名", "性别", "出生日期", "结算日期", "医疗机构", "医疗总费用", "统筹基金支付", "大病保险支付", "医疗救助支付", "个人自付"},
		[]string{"claim_id", "id_number", "name", "gender", "birth_date", "settle_date", "hospital", "total_cost", "fund_paid", "critical_illness_paid", "assistance_paid", "out_of_pocket"}},
	"disability.xlsx": {"disability", "xlsx", "持证残疾人", 1,
		[]string{"身份证号", "残疾人证号", "残疾类别", "残疾等级", "发证日期", "证件状态"},
		[]string{"id_number", "cert_number", "category", "level", "issued_date", "status"}},
	"employment.csv": {"employment", "gb18030", "", 1,
		[]string{"身份证号", "姓名", "业务类型", "业务日期", "经办机构"},
		[]string{"id_number", "name", "event", "event_date", ""}},
	"fishers.csv": {"fishers", "utf-8", "", 1,
		[]string{"身份证号", "姓名", "户号", "渔船证号", "退捕日期", "安置去向", "是否参加养老保险"},
		[]string{"id_number", "name", "household_id", "boat_cert", "retired_date", "resettlement", "pension_insured"}},
	"vehicles.xlsx": {"vehicles", "xlsx", "机动车登记信息", 1,
		[]string{"号牌号码", "所有人", "所有人身份证号", "车辆类型", "初次登记日期", "机动车状态", "注销日期"},
		[]string{"plate", "name", "id_number", "vehicle_type", "registered_date", "status", "cancelled_date"}},
	"property.csv": {"property", "gbk", "", 1,
		[]string{"不动产权证号", "权利人", "权利人证件号", "规划用途", "建筑面积", "登记日期", "登记状态", "注销日期"},
		[]string{"cert_number", "name", "id_number", "purpose", "area", "registered_date", "status", "cancelled_date"}},
	"business.csv": {"business", "utf-8", "", 1,
		[]string{"统一社会信用代码", "主体名称", "主体类型", "法定代表人（经营者）", "证件号码", "从业人数", "登记状态", "成立日期", "注销日期"},
		[]string{"credit_code", "", "entity_type", "name", "id_number", "employees", "status", "established_date", "cancelled_date"}},
	"contributions.csv": {"contributions", "gb18030", "", 1,
		[]string{"身份证号", "姓名", "险种", "单位名称", "费款所属期", "缴费基数"},
		[]string{"id_number", "name", "scheme", "employer", "month", "base_monthly"}},
	"public_employees.xlsx": {"public_employees", "xlsx", "财政供养人员", 1,
		[]string{"身份证号", "姓名", "工作单位", "入职日期", "离职日期"},
		[]string{"id_number", "name", "employer", "start_date", "end_date"}},
	"students.xlsx": {"students", "xlsx", "学生信息", 2,
		[]string{"学生姓名", "身份证件号", "学校名称", "学段", "年级", "入学日期", "离校日期", "学费和住宿费（元/学年）"},
		[]string{"name", "id_number", "school", "level", "", "enrolled_date", "left_date", "fees_yearly"}},
	"rehabilitation.csv": {"rehabilitation", "gbk", "", 1,
		[]string{"身份证号", "姓名", "残疾人证号", "康复机构", "康复项目", "服务日期", "费用合计", "救助金额", "个人负担"},
		[]string{"id_number", "name", "", "", "item", "service_date", "total_cost", "", "self_paid"}},
	"staff_relatives.xlsx": {"staff_relatives", "xlsx", "近亲属备案", 2,
		[]string{"序号", "工作人员姓名", "工作人员身份证号", "人员类别", "工作单位", "单位区划代码", "近亲属姓名", "近亲属身份证号", "与本人关系", "备案日期", "终止日期"},
		[]string{"", "", "staff_id_number", "staff_role", "", "staff_unit_code", "", "id_number", "relation", "registered_date", "ended_date"}},
}

func layoutOf(name string) (layout, bool) {
	if strings.HasPrefix(name, "medical/medical_") && strings.HasSuffix(name, ".csv") {
		return layouts["medical"], true
	}
	l, ok := layouts[wholeName(name)]
	return l, ok
}

// wholeName is the name of the file a part belongs to (PartName):
// households.xlsx for households-2.xlsx.
func wholeName(name string) string {
	if whole, ok := connectors.PartOf(name); ok {
		return whole
	}
	return name
}

// readRow is one data row as read, with its position.
type readRow struct {
	pos   int
	cells []string // padded to the header's width
	// formatted holds an xlsx row's cells as Excel shows them.
	formatted []string
}

// readFile is a decoded file.
type readFile struct {
	header []string
	rows   []readRow
	bom    bool
}

// readAny reads a CSV or xlsx file of the county.
func readAny(t *testing.T, dir, name string, l layout) readFile {
	t.Helper()
	if l.encoding == "xlsx" {
		return readXLSX(t, filepath.Join(dir, name), l)
	}
	return readCSV(t, filepath.Join(dir, filepath.FromSlash(name)), l)
}

func readCSV(t *testing.T, path string, l layout) readFile {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out readFile
	switch l.encoding {
	case "gbk":
		b, err = simplifiedchinese.GBK.NewDecoder().Bytes(b)
	case "gb18030":
		b, err = simplifiedchinese.GB18030.NewDecoder().Bytes(b)
	default:
		out.bom = strings.HasPrefix(string(b), "\uFEFF")
		b = []byte(strings.TrimPrefix(string(b), "\uFEFF"))
	}
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	lines := strings.Split(string(b), "\n")
	if lines[len(lines)-1] != "" {
		t.Fatalf("%s: no newline at end", path)
	}
	lines = lines[:len(lines)-1]
	parse := func(line string) []string {
		rd := csv.NewReader(strings.NewReader(line))
		rd.FieldsPerRecord = -1
		rec, err := rd.Read()
		if err != nil {
			t.Fatalf("%s: parse %q: %v", path, line, err)
		}
		return rec
	}
	out.header = parse(strings.TrimSuffix(lines[0], "\r"))
	for i, line := range lines[1:] {
		line = strings.TrimSuffix(line, "\r")
		rr := readRow{pos: i + 2, cells: make([]string, len(out.header))}
		if line != "" {
			copy(rr.cells, parse(line))
		}
		out.rows = append(out.rows, rr)
	}
	return out
}

func readXLSX(t *testing.T, path string, l layout) readFile {
	t.Helper()
	x, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	if got := x.GetSheetList(); !slices.Equal(got, []string{l.sheet}) {
		t.Fatalf("%s: sheets %v, want [%s]", path, got, l.sheet)
	}
	raw, err := x.GetRows(l.sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	shown, err := x.GetRows(l.sheet)
	if err != nil {
		t.Fatal(err)
	}
	var out readFile
	out.header = raw[l.headerRow-1]
	for i := l.headerRow; i < len(raw); i++ {
		rr := readRow{pos: i + 1, cells: make([]string, len(out.header)), formatted: make([]string, len(out.header))}
		copy(rr.cells, raw[i])
		copy(rr.formatted, shown[i])
		out.rows = append(out.rows, rr)
	}
	return out
}

// defect is one problem found in a row.
type defect struct{ reason, column string }

var boolWords = []string{"是", "否", "已参保", "未参保", "参保", "有", "无", "y", "n", "yes", "no", "true", "false", "1", "0", "t", "f"}

// checkRow lists a data row's defects; a good row has none.
func checkRow(t *testing.T, l layout, rr readRow) []defect {
	t.Helper()
	blank := true
	for _, c := range rr.cells {
		if strings.TrimSpace(c) != "" {
			blank = false
		}
	}
	if blank {
		return []defect{{ReasonBlankRow, ""}}
	}
	if slices.Equal(rr.cells, l.headers) {
		return []defect{{ReasonHeaderRepeat, ""}}
	}
	ds, ok := dataset.Lookup(l.dataset)
	if !ok {
		t.Fatalf("no dataset %s", l.dataset)
	}
	var out []defect
	for i, name := range l.fields {
		if name == "" {
			continue
		}
		fd, ok := ds.Field(name)
		if !ok {
			t.Fatalf("dataset %s has no field %s", l.dataset, name)
		}
		v := strings.TrimSpace(rr.cells[i])
		col := l.headers[i]
		if v == "" {
			if fd.Required {
				out = append(out, defect{ReasonMissingRequired, col})
			}
			continue
		}
		switch fd.Type {
		case dataset.ID:
			if _, err := idnum.Parse(v); errors.Is(err, idnum.ErrCheckDigit) {
				out = append(out, defect{ReasonBadCheckDigit, col})
			} else if err != nil {
				out = append(out, defect{"bad_id:" + err.Error(), col})
			}
		case dataset.Date:
			if fd.OpenEnd && openEndWord(v) {
				continue
			}
			if _, ok := parseDate(v); !ok {
				out = append(out, defect{ReasonImpossibleDate, col})
			} else if rr.formatted != nil && isSerial(v) {
				// A date cell must show as a date in Excel.
				if _, err := time.Parse(time.DateOnly, rr.formatted[i]); err != nil {
					out = append(out, defect{"date_cell_without_date_format", col})
				}
			}
		case dataset.Money:
			if _, ok := parseMoney(v); !ok {
				out = append(out, defect{"bad_money", col})
			}
		case dataset.Int:
			if _, err := strconv.Atoi(strings.TrimSuffix(v, "人")); err != nil {
				out = append(out, defect{"bad_int", col})
			}
		case dataset.Decimal:
			if _, ok := parseArea(v); !ok {
				out = append(out, defect{"bad_decimal", col})
			}
		case dataset.Month:
			if _, ok := parseMonth(v); !ok {
				out = append(out, defect{"bad_month", col})
			}
		case dataset.Code:
			if !allDigits(v) || !slices.Contains(fd.Digits, len(v)) {
				out = append(out, defect{"bad_code", col})
			}
		case dataset.Enum:
			k := strings.ToLower(v)
			if _, ok := fd.Aliases[k]; !ok && !slices.Contains(fd.Values, k) {
				out = append(out, defect{"bad_enum:" + v, col})
			}
		case dataset.Bool:
			if !slices.Contains(boolWords, strings.ToLower(v)) {
				out = append(out, defect{"bad_bool:" + v, col})
			}
		}
	}
	return out
}

// openEndWord: what departments write in an end-date column for "no end"
// (those the generator uses).
func openEndWord(s string) bool { return s == "至今" || s == "长期" }

var excelDay0 = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// parseDate reads the four text formats and Excel serial numbers.
func parseDate(s string) (time.Time, bool) {
	for _, layout := range []string{"2006年1月2日", "2006/1/2", "20060102", "2006-01-02"} {
		if d, err := time.Parse(layout, s); err == nil {
			return d, true
		}
	}
	if isSerial(s) {
		n, _ := strconv.Atoi(s)
		return excelDay0.AddDate(0, 0, n), true
	}
	return time.Time{}, false
}

// parseMonth reads a 费款所属期: "202611", "2026-11" or "2026年11月".
func parseMonth(s string) (time.Time, bool) {
	for _, layout := range []string{"200601", "2006-01", "2006年1月"} {
		if d, err := time.Parse(layout, s); err == nil {
			return d, true
		}
	}
	return time.Time{}, false
}

// parseArea reads a building area, "89.56", "89.56㎡" or "120平方米", into
// hundredths of m².
func parseArea(s string) (int64, bool) {
	for _, unit := range []string{"平方米", "平米", "㎡"} {
		if v, ok := strings.CutSuffix(s, unit); ok {
			s = v
			break
		}
	}
	if strings.ContainsAny(s, "元￥,") {
		return 0, false
	}
	return parseMoney(s)
}

func isSerial(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n > 0 && n < 100000
}

// parseMoney reads "1,234.50元", "￥856.00", "1234.5" into fen.
func parseMoney(s string) (int64, bool) {
	s = strings.NewReplacer(",", "", "元", "", "￥", "", "¥", "").Replace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || !allDigits(whole) || len(frac) > 2 || (frac != "" && !allDigits(frac)) {
		return 0, false
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil {
		return 0, false
	}
	f, _ := strconv.Atoi((frac + "00")[:2])
	return w*100 + int64(f), true
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
