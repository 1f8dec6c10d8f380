package dataset

import (
	"errors"
	"strings"
	"testing"
)

func TestHeaderKey(t *testing.T) {
	cases := []struct{ in, want string }{
		{"身份证号", "身份证号"},
		{" 身份证号 ", "身份证号"},
		{"身份证\n号码", "身份证号码"},
		{"身份证\r\n号码", "身份证号码"},
		{"身份证 号码", "身份证号码"},
		{"身份证\u3000号码", "身份证号码"},
		{"身份证\u00a0号码", "身份证号码"},
		{"\ufeff身份证号", "身份证号"},
		{"身份\u200b证号", "身份证号"},
		{"ＩＤ", "ID"},
		{"ID", "ID"},
		{"id", "id"}, // case is kept: JSON keys differ by case
		{"身份证号（必填）", "身份证号"},
		{"身份证号(必填)", "身份证号"},
		{"身份证号 (必填)", "身份证号"},
		{"*身份证号", "身份证号"},
		{"身份证号*", "身份证号"},
		{"＊身份证号", "身份证号"},
		{"*身份证号（必填）", "身份证号"},
		{"备注（选填）", "备注"},
		{"备注(选填)(必填)", "备注"},
		{"备注（选填）（必填）", "备注"}, // as the half-width spelling
		{"*姓名*（必填）", "姓名"},
		{"金额(元)", "金额(元)"},
		{"金额（元）", "金额(元)"},
		{"", ""},
		{"\t", ""},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			if got := headerKey(c.in); got != c.want {
				t.Errorf("headerKey(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestColumnName(t *testing.T) {
	for i, want := range map[int]string{0: "A (1)", 2: "C (3)", 25: "Z (26)", 26: "AA (27)", 27: "AB (28)", 701: "ZZ (702)", 702: "AAA (703)"} {
		if got := ColumnName(i); got != want {
			t.Errorf("ColumnName(%d) = %q, want %q", i, got, want)
		}
	}
}

func TestHeaderCellLooksLikeData(t *testing.T) {
	for in, want := range map[string]bool{
		"身份证号": false, "身份证\n号码": false, "2023年收入": false, "340799001": false,
		"340799196005010116": true, "34079919700909055X": true, "34079919700909055x": true,
		"340799600501011": true, "3407990010010001": true, " 340799196005010116 ": true,
		"备注\r340799197506060677": true, "备注\n2021-01-01": true, "备注\r周测六": false,
		"１２３４５６７８９０１２３４５": true,
	} {
		if got := headerCellLooksLikeData(in); got != want {
			t.Errorf("headerCellLooksLikeData(%q) = %v, want %v", in, got, want)
		}
	}
}

var registryColumns = map[string]string{
	"id_number": "身份证号", "name": "姓名", "gender": "性别", "birth_date": "出生日期", "household_id": "户号",
	"relation": "与户主关系", "township_code": "乡镇街道代码", "village_code": "村社区代码", "address": "住址",
	"status": "人员状态",
}

func TestHeaderMatching(t *testing.T) {
	ds, _ := Lookup("registry")
	cases := []struct {
		name   string
		header []string
		cols   map[string]string // overrides of registryColumns
		// idCol is the column id_number reads; -1 for an error.
		idCol int
		// errHas are parts of the error message.
		errHas []string
	}{
		{
			name:   "names as typed in templates",
			header: []string{"户号", "*身份证\n号码（必填）", "姓　名", "性别", "出生日期", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态"},
			cols:   map[string]string{"id_number": "身份证号码"},
			idCol:  1,
		},
		{
			name:   "a mapped name twice",
			header: []string{"户号", "户主姓名", "身份证号", "姓名", "身份证号", "性别", "出生日期", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态"},
			idCol:  -1,
			errHas: []string{"身份证号 (id_number) appears at columns C (3) and E (5)", "身份证号#1 for column C, 身份证号#2 for column E"},
		},
		{
			name:   "twice after normalising",
			header: []string{"户号", "身份证号", "身份证 号", "姓名", "性别", "出生日期", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态"},
			idCol:  -1,
			errHas: []string{"身份证号 (id_number) appears at columns B (2) and C (3)"},
		},
		{
			name:   "three times",
			header: []string{"身份证号", "户号", "身份证号", "姓名", "身份证号", "性别", "出生日期", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态"},
			idCol:  -1,
			errHas: []string{"columns A (1), C (3) and E (5)", "身份证号#3 for column E"},
		},
		{
			name:   "the config picks the second",
			header: []string{"户号", "户主姓名", "身份证号", "姓名", "身份证号", "性别", "出生日期", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态"},
			cols:   map[string]string{"id_number": "身份证号#2"},
			idCol:  4,
		},
		{
			name:   "the config picks the first",
			header: []string{"户号", "户主姓名", "身份证号", "姓名", "身份证号", "性别", "出生日期", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态"},
			cols:   map[string]string{"id_number": "身份证号#1"},
			idCol:  2,
		},
		{
			name:   "a pick past the columns",
			header: []string{"户号", "身份证号", "姓名", "身份证号", "性别", "出生日期", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态"},
			cols:   map[string]string{"id_number": "身份证号#3"},
			idCol:  -1,
			errHas: []string{"身份证号#3 (id_number): the header has 2 column(s) named 身份证号 (B (2) and D (4)), not 3"},
		},
		{
			name:   "a header named with # is matched as it is",
			header: []string{"户号", "身份证号#2", "姓名", "性别", "出生日期", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态"},
			cols:   map[string]string{"id_number": "身份证号#2"},
			idCol:  1,
		},
		{
			name:   "unmapped duplicates are fine",
			header: []string{"户号", "身份证号", "姓名", "性别", "出生日期", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态", "备注", "备注"},
			idCol:  1,
		},
		{
			name:   "a duplicate and a missing column",
			header: []string{"身份证号", "身份证号", "姓名", "性别", "出生日期", "与户主关系", "乡镇街道代码", "村社区代码", "住址", "人员状态"},
			idCol:  -1,
			errHas: []string{"appears at columns A (1) and B (2)", "mapped columns not in the header: 户号 (household_id)"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cols := map[string]string{}
			for k, v := range registryColumns {
				cols[k] = v
			}
			for k, v := range c.cols {
				cols[k] = v
			}
			m, err := NewMapper(ds, c.header, Mapping{Columns: cols})
			if c.idCol < 0 {
				var he *HeaderError
				if err == nil || !errors.As(err, &he) {
					t.Fatalf("got %v, want a HeaderError", err)
				}
				for _, part := range c.errHas {
					if !strings.Contains(err.Error(), part) {
						t.Errorf("error %q lacks %q", err, part)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := m.fields[0].col; got != c.idCol {
				t.Errorf("id_number reads column %d, want %d", got, c.idCol)
			}
		})
	}
}

func TestHeaderRowHoldsData(t *testing.T) {
	ds, _ := Lookup("fishers")
	cols := map[string]string{"id_number": "身份证号", "retired_date": "退捕日期", "resettlement": "安置去向", "pension_insured": "是否参加养老保险"}
	cases := []struct {
		name   string
		header []string
		cols   string // the columns the message names
	}{
		{"header_row on a data row", []string{"340799197506060677", "周测六", "3407990020010002", "2021-01-01", "未安置", "否"}, "columns A (1) and C (3) hold"},
		{"CR-only line endings read as one line",
			[]string{"身份证号", "姓名", "户号", "渔船证号", "退捕日期", "安置去向", "是否参加养老保险", "备注\r340799197506060677", "周测六", "3407990020010002", "皖怀渔(2010)0001号", "2021-01-01", "未安置", "否", "\r340799196005010116"},
			"columns H (8), J (10) and O (15) hold"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewMapper(ds, c.header, Mapping{Columns: cols})
			var he *HeaderError
			if !errors.As(err, &he) {
				t.Fatalf("got %v, want a HeaderError", err)
			}
			msg := err.Error()
			for _, part := range []string{"the header row looks like data", "header_row", "line endings", c.cols} {
				if !strings.Contains(msg, part) {
					t.Errorf("message %q lacks %q", msg, part)
				}
			}
			for _, cell := range c.header {
				if LooksPersonal(cell) && strings.Contains(msg, strings.TrimSpace(cell)) || strings.Contains(msg, "周测六") {
					t.Errorf("message quotes the header's data: %q", msg)
				}
			}
			// A reader of growing headers gets a mapper that loads nothing
			// and names no column of the data.
			m, _ := NewPartialMapper(ds, c.header, Mapping{Columns: cols})
			if m.HeaderErr() == nil || len(m.Unmapped()) != 0 {
				t.Fatalf("partial mapper: HeaderErr %v, unmapped %q", m.HeaderErr(), m.Unmapped())
			}
			out := make([]any, len(ds.Fields))
			if _, p := m.Map([]string{"340799196005010116", "王测一", "", "", "2021-01-01", "就业", "是"}, out); p == nil || p.Code != BadHeader {
				t.Errorf("row under a bad header: %v", p)
			}
		})
	}
}

func TestRepeatedHeaderAsTyped(t *testing.T) {
	ds, _ := Lookup("employment")
	header := []string{"身份证\n号码", "业务类型", "业务日期"}
	m, err := NewMapper(ds, header, Mapping{Columns: map[string]string{"id_number": "身份证号码", "event": "业务类型", "event_date": "业务日期"}})
	if err != nil {
		t.Fatal(err)
	}
	out := make([]any, len(ds.Fields))
	for _, row := range [][]string{header, {"身份证号码", "业务类型", "业务日期"}, {"身份证 号码", "业务类型 ", "业务日期"}} {
		if _, p := m.Map(row, out); p == nil || p.Code != HeaderRepeat {
			t.Errorf("%q: %v, want a repeated header", row, p)
		}
	}
}
