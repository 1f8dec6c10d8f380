package dispatch

import (
	"testing"
	"time"
)

func TestParseCaseID(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"YJ-20261128-0001", "YJ-20261128-0001", true},
		{" yj-20261128-0001\n", "YJ-20261128-0001", true},
		{"ＹＪ－２０２６１１２８－０００１", "YJ-20261128-0001", true},
		{"YJ-20261128-12345", "YJ-20261128-12345", true},
		{"YJ-20261128-001", "", false},  // sequence too short
		{"YJ-20261328-0001", "", false}, // month 13
		{"YJ20261128-0001", "", false},
		{"20261128-0001", "", false},
		{"YJ-20261128-0001-1", "", false},
	} {
		got, ok := parseCaseID(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseCaseID(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestSafeValue(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"已核实", "已核实"},
		{"340799195803071234", "340799********1234"},
		{"户主340799195803071234已走访", "户主340799********1234已走访"},
		{"13812345678", "13********8"},
		{"2026-12-01", "2026-12-01"},
		{"YJ-20261128-0001", "YJ-20261128-0001"},
		{"1234567890", "1234567890"},
		{"这是一段很长很长很长很长很长很长很长很长很长很长的说明文字超过三十个字", "这是一段很长很长很长很长很长很长很长很长很长很长的说明文字超…"},
	} {
		if got := safeValue(tc.in); got != tc.want {
			t.Errorf("safeValue(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNormKey(t *testing.T) {
	for in, want := range map[string]string{
		"村（社区）":        "村(社区)",
		" 核实\n结果 ":     "核实结果",
		"*核实结果":        "核实结果",
		"Not_Eligible": "not_eligible",
		"ｄｉｂａｏ":        "dibao",
	} {
		if got := normKey(in); got != want {
			t.Errorf("normKey(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFeedbackDate(t *testing.T) {
	rd := &feedbackReader{}
	rd1904 := &feedbackReader{date1904: true}
	want := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		rd *feedbackReader
		in string
		ok bool
	}{
		{rd, "46357", true},
		{rd, "46357.5", true},
		{rd1904, "44895", true},
		{rd, "2026-12-01", true},
		{rd, "2026/12/1", true},
		{rd, "2026.12.1", true},
		{rd, "2026年12月1日", true},
		{rd, "20261201", true},
		{rd, "2026-12-01T00:00:00Z", true}, // an ISO date cell (t="d")
		{rd, "2026-12-32", false},
		{rd, "12/1", false},
		{rd, "2026", false},
		{rd, "上周", false},
	} {
		got, err := tc.rd.date(tc.in)
		if tc.ok && (err != nil || !got.Equal(want)) {
			t.Errorf("date(%q) = %v, %v; want %v", tc.in, got, err, want)
		}
		if !tc.ok && err == nil {
			t.Errorf("date(%q) = %v, want an error", tc.in, got)
		}
	}
}
