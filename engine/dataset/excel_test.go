package dataset

import (
	"testing"
)

func TestExcelError(t *testing.T) {
	cases := []struct {
		in, name string
		ok       bool
	}{
		{"#N/A", "#N/A", true},
		{"#n/a", "#N/A", true},
		{"#N/A N/A", "#N/A N/A", true},
		{"#REF!", "#REF!", true},
		{"#VALUE!", "#VALUE!", true},
		{"#DIV/0!", "#DIV/0!", true},
		{"#NAME?", "#NAME?", true},
		{"#NULL!", "#NULL!", true},
		{"#NUM!", "#NUM!", true},
		{"#GETTING_DATA", "#GETTING_DATA", true},
		{"#SPILL!", "#SPILL!", true},
		{"#CALC!", "#CALC!", true},
		{"#FIELD!", "#FIELD!", true},
		{"#BLOCKED!", "#BLOCKED!", true},
		{"#UNKNOWN!", "#UNKNOWN!", true},
		{"#CONNECT!", "#CONNECT!", true},
		{"#BUSY!", "#BUSY!", true},
		{"Err:502", "Err:502", true},
		{"err:504", "Err:504", true},
		{"########", "########", true},
		{"##", "##", true},
		{"# N/A", "#N/A", true},
		{"#", "", false},
		{"#3号楼", "", false},
		{"Err:", "", false},
		{"Err:abc", "", false},
		{"Error", "", false},
		{"N/A", "", false},
		{"", "", false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			name, meaning, ok := excelError(c.in)
			if ok != c.ok || name != c.name || (ok && meaning == "") {
				t.Errorf("excelError(%q) = %q, %q, %v; want %q, %v", c.in, name, meaning, ok, c.name, c.ok)
			}
		})
	}
}

func TestThroughNumber(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		number bool // from a number cell
		want   string
		why    string
	}{
		{"digits as text", "3407990010010001", false, "3407990010010001", ""},
		{"long digits as text are exact", "34079919600501011642", false, "34079919600501011642", ""},
		{"code-like text", "YB0101", false, "YB0101", ""},
		{"ID with X", "34079919700909055X", false, "34079919700909055X", ""},
		{"zero fraction in text", "100001.0", false, "100001", ""},
		{"zero fractions in text", "100001.00", false, "100001", ""},
		{"zero fraction from a number cell", "100001.0", true, "100001", ""},
		{"number cell", "100001", true, "100001", ""},
		{"15 digits in a number cell", "340799600501011", true, "340799600501011", ""},
		{"grouped", "100,001", false, "100001", ""},
		{"grouped with zero fraction", "1,000,001.00", false, "1000001", ""},
		{"16 digits in a number cell", "3407990010010000", true, "", whyTooLong},
		{"18 digits in a number cell", "340799196005010000", true, "", whyTooLong},
		{"16 digits with a zero fraction in text", "3407990010010001.0", false, "", whyTooLong},
		{"16 digits grouped", "3,407,990,010,010,001", false, "", whyTooLong},
		{"non-zero fraction", "100001.5", false, "", whyFraction},
		{"non-zero fraction from a number cell", "100001.25", true, "", whyFraction},
		{"scientific in text", "1.0E+5", false, "", whyScientific},
		{"Excel's scientific", "3.40799E+15", false, "", whyScientific},
		{"lower-case scientific", "3.40799e+15", false, "", whyScientific},
		{"scientific without a fraction", "1E+05", false, "", whyScientific},
		{"Java's scientific", "3.40799001001E15", false, "", whyScientific},
		{"negative exponent", "1.5E-3", false, "", whyScientific},
		{"code with an E is not scientific", "12E45", false, "12E45", ""},
		{"code with E and letters", "2026E001A", false, "2026E001A", ""},
		{"bad grouping is a code", "2026,01", false, "2026,01", ""},
		{"dotted code", "1.2.3", false, "1.2.3", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, why := throughNumber(c.in, c.number)
			if got != c.want || why != c.why {
				t.Errorf("throughNumber(%q, %v) = %q, %q; want %q, %q", c.in, c.number, got, why, c.want, c.why)
			}
		})
	}
}

func TestExpandExponent(t *testing.T) {
	cases := map[string]string{
		"1.0E+5": "100000", "1E5": "100000", "1.5E+3": "1500", "3.40799001001E+15": "3407990010010000",
		"1.5E-3": "0.0015", "-2.5E2": "-250", "1.23E+1": "12.3", "0.5E1": "5", "5E-1": "0.5", "1E0": "1",
	}
	for in, want := range cases {
		if got, ok := expandExponent(in); !ok || got != want {
			t.Errorf("expandExponent(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"E5", "1E", "1E+", "1.2.3E4", "1E5000", "abcE5", "1Ex"} {
		if got, ok := expandExponent(in); ok {
			t.Errorf("expandExponent(%q) = %q, accepted", in, got)
		}
	}
}

func TestIsNull(t *testing.T) {
	for _, c := range []struct {
		in   string
		free bool
		want bool
	}{
		{"NULL", false, true}, {"null", true, true}, {`\N`, false, true}, {"(null)", false, true},
		{"<NULL>", false, true}, {"NaN", false, true}, {"nan", true, true}, {"None", false, true},
		{"None", true, false}, {"Nancy", true, false}, {"N", false, false}, {"无", false, false},
	} {
		if got := isNull(c.in, c.free); got != c.want {
			t.Errorf("isNull(%q, %v) = %v, want %v", c.in, c.free, got, c.want)
		}
	}
}

func TestIsPlaceholder(t *testing.T) {
	for in, want := range map[string]bool{
		"无": true, "暂无": true, "N/A": true, "na": true, "-": true, "--": true, "—": true, "/": true, "*": true, "？": true,
		"0": true, "000000": true, "-0": true, "+0": true, "-0.0": true, "0.00": true, "0e0": true, "-0E-8": true, "0.0E+5": true, "0e": false, "0e+-1": false, "1e0": false, "-1": false, "0.1": false, ".": true, "100001": false, "YB0101": false, "皖怀渔(2010)0001号": false, "无锡001": false, "A": false,
	} {
		if got := isPlaceholder(in); got != want {
			t.Errorf("isPlaceholder(%q) = %v, want %v", in, got, want)
		}
	}
}
