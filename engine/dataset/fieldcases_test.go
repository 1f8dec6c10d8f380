package dataset

import (
	"errors"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
)

// The field cases of issue 7 (../shared/cases/field-1) at this layer: each
// builds the rows its reader delivers for the case's file and checks the
// right reading. The mini county: households 3407990010010001 (王测一,
// 李测二, 赵测三 ...) and 3407990020010001 (孙测五, on 农村低保).

var registryHeader = []string{"公民身份号码", "姓名", "性别", "出生日期", "户号", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态", "状态变更日期"}

var registryMapping = Mapping{Columns: map[string]string{
	"id_number": "公民身份号码", "name": "姓名", "gender": "性别", "birth_date": "出生日期", "household_id": "户号",
	"relation": "与户主关系", "township_code": "乡镇街道代码", "village_code": "村社区代码", "address": "住址",
	"status": "人员状态", "status_date": "状态变更日期",
}}

func registryRow(id, name, birth, household, relation, township string) []string {
	return []string{id, name, "男", birth, household, relation, township, township + "001", "示例县测试路1号", "正常", ""}
}

func mustMapper(t *testing.T, dataset string, header []string, mp Mapping) *Mapper {
	t.Helper()
	ds, _ := Lookup(dataset)
	m, err := NewMapper(ds, header, mp)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func fieldValue(m *Mapper, out []any, name string) any {
	for i, f := range m.Dataset().Fields {
		if f.Name == name {
			return out[i]
		}
	}
	return "no such field"
}

// 02: 户号 merged down each household's rows. The xlsx reader gives the
// merged value to every cell of the range; here each member's row must
// then load into the same household (and a member's empty 户号, if a
// reader did not fill it, is never loaded as no household in silence).
func TestFieldCase02MergedHousehold(t *testing.T) {
	m := mustMapper(t, "registry", registryHeader, registryMapping)
	out := make([]any, len(m.Dataset().Fields))
	for _, r := range [][]string{
		registryRow("340799196005010116", "王测一", "1960-05-01", "3407990010010001", "户主", "340799001"),
		registryRow("340799196203020227", "李测二", "1962-03-02", "3407990010010001", "配偶", "340799001"),
	} {
		if _, p := m.Map(r, out); p != nil {
			t.Fatal(p)
		}
		if got := fieldValue(m, out, "household_id"); got != "3407990010010001" {
			t.Errorf("household_id = %v", got)
		}
	}
	_, p := m.Map(registryRow("340799198507150337", "赵测三", "1985-07-15", "", "子", "340799001"), out)
	if p == nil || p.Code != MissingRequired || p.Field != "household_id" {
		t.Errorf("a member without 户号: %v", p)
	}
}

// 04: 户号 filled by VLOOKUP, #N/A where it found nothing. The row with the
// error is quarantined, naming the column and the error; the others load.
func TestFieldCase04VlookupNA(t *testing.T) {
	m := mustMapper(t, "registry", registryHeader, registryMapping)
	out := make([]any, len(m.Dataset().Fields))
	good := registryRow("340799196005010116", "王测一", "1960-05-01", "3407990010010001", "户主", "340799001")
	kinds := make([]connectors.CellKind, len(good))
	kinds[4] = connectors.KindComputed // a formula whose cached value is text
	if _, p := m.MapRow(good, kinds, out); p != nil {
		t.Fatal(p)
	}
	na := registryRow("34079919700909055X", "孙测五", "1970-09-09", "#N/A", "户主", "340799002")
	for name, k := range map[string][]connectors.CellKind{"error cell": {4: connectors.KindError}, "CSV export": nil} {
		t.Run(name, func(t *testing.T) {
			var ks []connectors.CellKind
			if k != nil {
				ks = make([]connectors.CellKind, len(na))
				ks[4] = connectors.KindError
			}
			_, p := m.MapRow(na, ks, out)
			if p == nil || p.Code != ExcelError || p.Column != "户号" {
				t.Fatalf("got %v", p)
			}
			if want := "column 户号 (household_id): Excel error #N/A (a formula such as VLOOKUP found nothing): fix the formula in the workbook, then sync again"; p.Reason != want {
				t.Errorf("reason %q\nwant   %q", p.Reason, want)
			}
		})
	}
}

// 06: assistance end dates 长期 and 9999-12-31 read as no end.
func TestFieldCase06OpenEnd(t *testing.T) {
	header := []string{"身份证号", "户号", "救助类别", "开始日期", "结束日期", "月救助金额"}
	m := mustMapper(t, "assistance", header, Mapping{Columns: map[string]string{
		"id_number": "身份证号", "household_id": "户号", "category": "救助类别", "start_date": "开始日期", "end_date": "结束日期", "amount_monthly": "月救助金额"}})
	out := make([]any, len(m.Dataset().Fields))
	for _, r := range [][]string{
		{"34079919700909055X", "3407990020010001", "农村低保", "2024-01-01", "长期", "600"},
		{"340799195801200442", "3407990010010002", "城市低保", "2025-01-01", "9999-12-31", "700"},
	} {
		if _, p := m.Map(r, out); p != nil {
			t.Fatalf("%s: %v", r[4], p)
		}
		if got := fieldValue(m, out, "end_date"); got != nil {
			t.Errorf("%s: end_date = %v, want no end", r[4], got)
		}
	}
}

// 07: a two-level header with 身份证号 twice (户主's and the member's).
func TestFieldCase07DuplicateHeader(t *testing.T) {
	header := []string{"户号", "户主姓名", "身份证号", "姓名", "身份证号", "性别", "出生日期", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态", "状态变更日期"}
	cols := map[string]string{}
	for k, v := range registryMapping.Columns {
		cols[k] = v
	}
	cols["id_number"] = "身份证号"
	_, err := NewMapper(mustDataset(t, "registry"), header, Mapping{Columns: cols})
	var he *HeaderError
	if !errors.As(err, &he) || !strings.Contains(err.Error(), "身份证号 (id_number) appears at columns C (3) and E (5)") ||
		!strings.Contains(err.Error(), "身份证号#2 for column E") {
		t.Fatalf("got %v", err)
	}
	cols["id_number"] = "身份证号#2"
	cols["name"] = "姓名"
	m := mustMapper(t, "registry", header, Mapping{Columns: cols})
	out := make([]any, len(m.Dataset().Fields))
	row := []string{"3407990010010001", "王测一", "340799196005010116", "李测二", "340799196203020227", "女", "1962-03-02", "配偶", "340799001", "340799001001", "示例县测试路", "正常", ""}
	if _, p := m.Map(row, out); p != nil {
		t.Fatal(p)
	}
	if got := fieldValue(m, out, "id_number"); got != "340799196203020227" {
		t.Errorf("id_number = %v, want the member's", got)
	}
}

func mustDataset(t *testing.T, name string) *Dataset {
	t.Helper()
	ds, ok := Lookup(name)
	if !ok {
		t.Fatalf("no dataset %s", name)
	}
	return ds
}

// 12b: a CR-only CSV read as one line makes a "header" of data.
func TestFieldCase12bHeaderOfData(t *testing.T) {
	header := []string{"身份证号", "姓名", "户号", "渔船证号", "退捕日期", "安置去向", "是否参加养老保险", "备注\r340799197506060677", "周测六", "3407990020010002"}
	_, err := NewMapper(mustDataset(t, "fishers"), header, Mapping{Columns: map[string]string{
		"id_number": "身份证号", "household_id": "户号", "boat_cert": "渔船证号", "retired_date": "退捕日期", "resettlement": "安置去向", "pension_insured": "是否参加养老保险"}})
	if err == nil || !strings.Contains(err.Error(), "the header row looks like data") || strings.Contains(err.Error(), "340799197506060677") || strings.Contains(err.Error(), "周测六") {
		t.Fatalf("got %v", err)
	}
}

// 14b: a 16-digit 户号 typed into a number cell: Excel kept 15 digits
// (3407990010010001 became 3407990010010000). Never loaded as a household.
func TestFieldCase14bHouseholdAsNumber(t *testing.T) {
	header := []string{"户号", "家庭年收入", "家庭人口", "收入核定日期"}
	m := mustMapper(t, "households", header, Mapping{Columns: map[string]string{
		"household_id": "户号", "annual_income": "家庭年收入", "members": "家庭人口", "income_assessed_date": "收入核定日期"}})
	out := make([]any, len(m.Dataset().Fields))
	row := []string{"3407990010010000", "12000", "2", "2026-03-01"}
	kinds := []connectors.CellKind{connectors.KindNumber, connectors.KindNumber, connectors.KindNumber, connectors.KindDate}
	_, p := m.MapRow(row, kinds, out)
	if p == nil || p.Code != DamagedNumber || p.Column != "户号" || !strings.Contains(p.Reason, "设置单元格格式→文本") || strings.Contains(p.Reason, "340799001001") {
		t.Fatalf("got %v", p)
	}
	// The same household typed as a 6-digit number with a zero fraction
	// reads as the identifier and joins its text form.
	row[0], kinds[0] = "100001.0", connectors.KindNumber
	k1, p := m.MapRow(row, kinds, out)
	if p != nil {
		t.Fatal(p)
	}
	row[0], kinds[0] = "100001", connectors.KindText
	if k2, p := m.MapRow(row, kinds, out); p != nil || k1 != k2 {
		t.Errorf("keys %q and %q (%v)", k1, k2, p)
	}
}

// 19: an API's disability records: a Java instant with +0000 and epoch
// milliseconds (a JSON integer, so text to the reader).
func TestFieldCase19Instants(t *testing.T) {
	header := []string{"sfzh", "czbh", "cjlb", "cjdj", "fzrq", "zjzt"}
	cols := map[string]string{"id_number": "sfzh", "cert_number": "czbh", "category": "cjlb", "level": "cjdj", "issued_date": "fzrq", "status": "zjzt"}
	instant := []string{"340799197506060677", "34079919750606067741", "4", "1", "2026-08-29T16:00:00.000+0000", "有效"}
	millis := []string{"340799196005010116", "34079919600501011642", "4", "2", "1788969600000", "有效"}

	m := mustMapper(t, "disability", header, Mapping{Columns: cols})
	out := make([]any, len(m.Dataset().Fields))
	if _, p := m.Map(instant, out); p != nil || fieldValue(m, out, "issued_date") != day(2026, 8, 30) {
		t.Errorf("instant: %v, %v; want 2026-08-30 (16:00 UTC is midnight in China)", fieldValue(m, out, "issued_date"), p)
	}
	if fieldValue(m, out, "cert_number") != "34079919750606067741" {
		t.Errorf("cert_number = %v", fieldValue(m, out, "cert_number"))
	}
	_, p := m.Map(millis, out)
	if p == nil || p.Code != BadDate || !strings.Contains(p.Reason, "set formats: {issued_date: epoch_ms}") {
		t.Errorf("epoch ms without the format: %v", p)
	}
	m = mustMapper(t, "disability", header, Mapping{Columns: cols, Formats: map[string]string{"issued_date": FormatEpochMillis}})
	if _, p := m.Map(millis, out); p != nil || fieldValue(m, out, "issued_date") != day(2026, 9, 10) {
		t.Errorf("epoch ms with the format: %v, %v; want 2026-09-10", fieldValue(m, out, "issued_date"), p)
	}
	if _, p := m.Map(instant, out); p != nil || fieldValue(m, out, "issued_date") != day(2026, 8, 30) {
		t.Errorf("instant with the format: %v, %v", fieldValue(m, out, "issued_date"), p)
	}
}

// 22b: 户号 NUL-padded by a CHAR(20) column of a database export: it
// loads as the registry's 户号, so the two join.
func TestFieldCase22bNULPadding(t *testing.T) {
	header := []string{"户号", "家庭年收入", "家庭人口", "收入核定日期"}
	m := mustMapper(t, "households", header, Mapping{Columns: map[string]string{
		"household_id": "户号", "annual_income": "家庭年收入", "members": "家庭人口", "income_assessed_date": "收入核定日期"}})
	out := make([]any, len(m.Dataset().Fields))
	key, p := m.Map([]string{"3407990010010002\x00\x00\x00\x00", "12,000.00", "2", "2026-03-01"}, out)
	if p != nil {
		t.Fatal(p)
	}
	reg := mustMapper(t, "registry", registryHeader, registryMapping)
	regOut := make([]any, len(reg.Dataset().Fields))
	if _, p := reg.Map(registryRow("340799195801200442", "钱测四", "1958-01-20", "3407990010010002", "户主", "340799001"), regOut); p != nil {
		t.Fatal(p)
	}
	if got, want := fieldValue(m, out, "household_id"), fieldValue(reg, regOut, "household_id"); got != want {
		t.Errorf("households 户号 %q does not join the registry's %q", got, want)
	}
	if key != "3407990010010002\x1f2026-03-01" {
		t.Errorf("key %q keeps the padding", key)
	}
}
