package dispatch

import "testing"

// A mark comes after the warnings on the list, unnumbered, with ※, and
// does not make a one-warning case numbered.
func TestHitLinesMarksLast(t *testing.T) {
	it := Item{HeadName: "张三", HeadID: "340799195001011234", Hits: []Hit{
		{RuleID: "RECUSAL-NOTE", RuleTitle: "回避：相关人员不得参与核查", Reason: "家庭成员为本村（社区）干部的子女：本村（社区）干部回避", Person: "张三", IDNumber: "340799195001011234", Mark: true},
		{RuleID: "MED-OOP-UNCOVERED", RuleTitle: "医疗自付较大", Reason: "近12个月自付 25,000.00 元", Person: "张三", IDNumber: "340799195001011234"},
	}}
	rules, reasons := hitLines(it, Options{})
	if want := "医疗自付较大（MED-OOP-UNCOVERED）\n※ 回避：相关人员不得参与核查（RECUSAL-NOTE）"; rules != want {
		t.Errorf("rules:\n%s\nwant:\n%s", rules, want)
	}
	if want := "近12个月自付 25,000.00 元\n※ 家庭成员为本村（社区）干部的子女：本村（社区）干部回避"; reasons != want {
		t.Errorf("reasons:\n%s\nwant:\n%s", reasons, want)
	}
	it.Hits = append(it.Hits, Hit{RuleID: "DIS", RuleTitle: "新办残疾证", Reason: "一级", Person: "张三", IDNumber: "340799195001011234"})
	rules, _ = hitLines(it, Options{})
	if want := "1. 医疗自付较大（MED-OOP-UNCOVERED）\n2. 新办残疾证（DIS）\n※ 回避：相关人员不得参与核查（RECUSAL-NOTE）"; rules != want {
		t.Errorf("two warnings and a mark:\n%s\nwant:\n%s", rules, want)
	}
}
