package redact

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/lipwatch/lipwatch/engine/idnum"
)

// withCheck completes 17 digits into an ID number with its GB 11643 check
// character.
func withCheck(d17 string) string {
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(d17[i]-'0') * w
	}
	return d17 + string("10X98765432"[sum%11])
}

// fullWidth writes ASCII digits and X as full-width characters.
func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune('０' + (r - '0'))
		case r == 'X':
			b.WriteRune('Ｘ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func TestMask(t *testing.T) {
	idX := withCheck("34079919540925450") // ends in X
	if !strings.HasSuffix(idX, "X") {
		t.Fatalf("test ID %s should end in X", idX)
	}
	tests := []struct{ name, in, want string }{
		{"no digits", "source fishers failed: 身份证号 missing", "source fishers failed: 身份证号 missing"},
		{"18-digit ID", "id 340799198707273470 here", "id 340799********3470 here"},
		{"ID ending in X", "身份证号" + idX + "，", "身份证号340799********450X，"},
		{"lower-case x", "340799195409254" + "50x", "340799********450x"},
		{"full-width ID", fullWidth("340799194708113868"), fullWidth("340799") + "********" + fullWidth("3868")},
		{"full-width X", fullWidth(idX), fullWidth("340799") + "********" + fullWidth("450X")},
		{"mixed widths", "３４０７９９198707273470", "３４０７９９********3470"},
		{"15-digit legacy ID", "340799680905884,谢兰丽", "340799*****5884,谢兰丽"},
		{"17 digits, check character cut off", "34079919870727347 ", "340799*******7347 "},
		{"16-digit 户号 or bank card", "3407990010010001", "340799******0001"},
		{"19-digit bank card", "6222021234567890123", "622202*********0123"},
		{"disability certificate: ID and two digits", "34079919870727347041", "340799**********7041"},
		{"certificate of an ID ending in X", idX + "42", "340799********450X42"},
		{"claim number keeps its letters", "YB3407992025100100001", "YB340799*********0001"},
		{"mobile", "电话13812345678。", "电话138****5678。"},
		{"mobile, full-width", fullWidth("13912345678"), fullWidth("139") + "****" + fullWidth("5678")},
		{"11 digits, not a mobile", "12012345678", "12012345678"},
		{"12-digit village code", "340799001001", "340799001001"},
		{"9-digit township code", "340799001 城关镇", "340799001 城关镇"},
		{"epoch milliseconds", "1764288000000", "1764288000000"},
		{"14 digits", "20261128153000", "20261128153000"},
		{"dates and amounts", "2026-11-28 1,234.50元 20261128", "2026-11-28 1,234.50元 20261128"},
		{"several in a line", "a 340799198707273470,340799198504308266 b 13812345678", "a 340799********3470,340799********8266 b 138****5678"},
		{"in JSON", `{"身份证号":"340799198707273470","姓名":"x"}`, `{"身份证号":"340799********3470","姓名":"x"}`},
		{"an X after 18 digits is not part of it", "340799198707273470X", "340799********3470X"},
		{"ID with stray spaces", "340799 198004075830", "340799 ********5830"},
		{"ID in two groups", "34079919820303 3000", "340799********3000"[:14] + " " + "3000"},
		{"ID in three groups, X", "340799 19540925 450X", "340799 ******** 450X"},
		{"bank card in fours", "卡号 6222 0212 3456 7890。", "卡号 6222 02** **** 7890。"},
		{"mobile with hyphens", "138-1234-5678", "138-****-5678"},
		{"mobile with spaces", "tel 139 1234 5678", "tel 139 **** 5678"},
		{"date is not joined", "2026-11-28 340799001 12", "2026-11-28 340799001 12"},
		{"table columns are not joined", "1111   1105    0           6", "1111   1105    0           6"},
		{"short group ends the number", "12 340799198707273470", "12 340799********3470"},
		{"codes side by side are not one number", "340799001 340799001001 1764288000000", "340799001 340799001001 1764288000000"},
		{"a code, then an ID in groups", "340799001 340799 198004075830", "340799001 340799 ********5830"},
		{"an ID, then a number", "340799198707273470 123", "340799********3470 123"},
		{"double space ends the number", "340799  198004075830", "340799  198004075830"},
		{"invalid UTF-8 kept", "\xff340799198707273470\xfe", "\xff340799********3470\xfe"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Mask(tt.in)
			if got != tt.want {
				t.Errorf("Mask(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if again := Mask(got); again != got {
				t.Errorf("not idempotent: %q -> %q", got, again)
			}
		})
	}
}

// TestMaskLikeLists: a valid ID number is masked as the lists mask it.
func TestMaskLikeLists(t *testing.T) {
	for _, d17 := range []string{"34079919870727347", "34079919540925450", "11010519491231002", "44052418800101001"} {
		id := withCheck(d17)
		if got, want := Mask(id), idnum.Mask(id); got != want {
			t.Errorf("Mask(%s) = %s, lists show %s", id, got, want)
		}
	}
}

func TestMaskDoesNotAllocateWithoutNumbers(t *testing.T) {
	for _, s := range []string{
		`time=2026-11-30T06:36:31.805Z level=INFO msg="source synced" source=assistance read=1111 loaded=1105 elapsed=61ms`,
		"employment ignored columns: 姓名, 经办机构",
		"340799001 340799001001 1764288000000",
	} {
		if n := testing.AllocsPerRun(100, func() { _ = Mask(s) }); n != 0 {
			t.Errorf("Mask(%q) allocates %v times", s, n)
		}
	}
}

// longestDigitRun is the longest run of ASCII or full-width digits in s.
func longestDigitRun(s string) int {
	best, run := 0, 0
	for _, r := range s {
		if isDigit(r) {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

func FuzzMask(f *testing.F) {
	for _, s := range []string{
		"", "340799198707273470", "34079919540925450X42", fullWidth("34079919540925450X"), "13812345678",
		"a1b2c3", "340799680905884", "YB3407992025100100001", "\xef\xbc", "１２３４５６７８９０１２３４５６７８", "x" + strings.Repeat("9", 40),
		"340799 19540925 450X", "6222-0212-3456-7890", "138 1234 5678", "1 2 3 4 5 6 7 8 9 0 1 2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Mask(s)
		if again := Mask(got); again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
		if n := longestDigitRun(got); n >= minLong {
			t.Fatalf("Mask(%q) = %q leaves a run of %d digits", s, got, n)
		}
		if utf8.ValidString(s) && utf8.RuneCountInString(got) != utf8.RuneCountInString(s) {
			t.Fatalf("Mask(%q) = %q changes the length", s, got)
		}
		if !mayHold(s) && got != s {
			t.Fatalf("Mask(%q) = %q changed text without a long number", s, got)
		}
	})
}

func BenchmarkMask(b *testing.B) {
	for _, bm := range []struct{ name, s string }{
		{"log line, no long number", `time=2026-11-30T06:36:31.805Z level=INFO msg="source synced" source=assistance dataset=assistance streams=1 unchanged=0 read=1111 loaded=1105 duplicates=0 quarantined=6 elapsed=61ms`},
		{"quarantine line with an ID", "fishers  testdata/county/fishers.csv:12  bad_check_digit  身份证号 340799198707273471: the check character should be 0"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.SetBytes(int64(len(bm.s)))
			for b.Loop() {
				_ = Mask(bm.s)
			}
		})
	}
}

// An ID whose check character was typed as × (the multiplication sign,
// which idnum reads as X) is masked as a whole: no birth-date digit shows.
func TestMaskTimesSign(t *testing.T) {
	if got, want := Mask("34079919700909055×"), "340799********055×"; got != want {
		t.Errorf("Mask = %s, want %s", got, want)
	}
}
