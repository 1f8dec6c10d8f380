package dispatch

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestLinkNote(t *testing.T) {
	for _, tc := range []struct {
		name   string
		linked []Linked
		want   string
	}{
		{"none", nil, ""},
		{"one automatic", []Linked{{Dataset: "医保结算", Rows: 1, Agreements: []string{"姓名相同", "身份证号相差一位"}, MinProbability: 0.99991, MaxProbability: 0.99991}},
			"含概率匹配记录：医保结算1条（姓名相同、身份证号相差一位，匹配概率99.9%），请核实身份"},
		{"a range, never 100%", []Linked{{Dataset: "医保结算", Rows: 3, Agreements: []string{"姓名相同"}, MinProbability: 0.456, MaxProbability: 0.999999}},
			"含概率匹配记录：医保结算3条（姓名相同，匹配概率45.6%–99.9%），请核实身份"},
		{"confirmed, and a person the linker had not proposed", []Linked{
			{Dataset: "就业失业登记", Rows: 1, Agreements: []string{"姓名相同"}, MinProbability: 0.72, MaxProbability: 0.72, Confirmed: true},
			{Dataset: "残疾人证", Rows: 2, Confirmed: true}},
			"含概率匹配记录：就业失业登记1条（姓名相同，匹配概率72.0%，县民政局已人工确认）；残疾人证2条（县民政局已人工确认），请核实身份"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := LinkNote(Item{Linked: tc.linked}); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// The list notes, for a case resting on a record matched by identity
// resolution, which record and why, as the last ※ line of 预警规则 and
// 预警原因, in xlsx and CSV alike; the other cases' rows say nothing new.
func TestListCarriesLinkNote(t *testing.T) {
	fx := newFixture(t)
	linked := "YJ-20261128-0003"
	want := "含概率匹配记录：就业失业登记1条（姓名相同、身份证号相差一位，匹配概率99.9%），请核实身份"
	for i := range fx.items {
		if fx.items[i].CaseID == linked {
			fx.items[i].Linked = []Linked{{Dataset: "就业失业登记", Rows: 1, Agreements: []string{"姓名相同", "身份证号相差一位"},
				MinProbability: 0.9995, MaxProbability: 0.9995}}
		}
	}
	dir := t.TempDir()
	xlsxPath, csvPath := filepath.Join(dir, "城关镇.xlsx"), filepath.Join(dir, "城关镇.csv")
	if err := WriteTownshipXLSX(xlsxPath, fx.items, testOptions()); err != nil {
		t.Fatal(err)
	}
	if err := WriteTownshipCSV(csvPath, fx.items, testOptions()); err != nil {
		t.Fatal(err)
	}
	x := openXLSX(t, xlsxPath)
	xrows, err := x.GetRows(SheetName)
	if err != nil {
		t.Fatal(err)
	}
	for format, rows := range map[string][][]string{"xlsx": xrows, "csv": readCSVFile(t, csvPath)} {
		seen := 0
		for _, r := range rows[3:] { // title, note, header
			if len(r) <= colReasons || !strings.HasPrefix(r[colCaseID], "YJ-") {
				continue
			}
			seen++
			rules, reasons := r[colRules], r[colReasons]
			if r[colCaseID] != linked {
				if strings.Contains(reasons, "概率匹配") || strings.Contains(rules, linkNoteTitle) {
					t.Errorf("%s: case %s rests on no link, yet notes one: %q / %q", format, r[colCaseID], rules, reasons)
				}
				continue
			}
			if want := "登记失业超过6个月（EMP-UNEMPLOYED）\n※ 身份匹配提示"; rules != want {
				t.Errorf("%s: rules %q, want %q", format, rules, want)
			}
			if want := "2026-03-02 登记失业\n※ " + want; reasons != want {
				t.Errorf("%s: reasons %q, want %q", format, reasons, want)
			}
		}
		if seen != len(fx.items) {
			t.Errorf("%s: %d case rows, want %d", format, seen, len(fx.items))
		}
	}
}
