package idnum

import "testing"

func TestNormalize(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"clean", sampleA, sampleA},
		{"lowercase x", "11010519491231002x", sampleA},
		{"x anywhere", "x1x", "X1X"},
		{"trim", "  " + sampleA + "\t\n", sampleA},
		{"inner ASCII spaces", "110105 1949 1231 002X", sampleA},
		{"ideographic space", "\u3000110105\u300019491231002X", sampleA},
		{"no-break and narrow spaces", "110105\u00A019491231\u202F002X", sampleA},
		{"zero-width characters", "\uFEFF110105\u200B\u200C\u200D\u206019491231002X", sampleA},
		{"full-width digits", "０１２３４５６７８９", "0123456789"},
		{"full-width X and x", "ＸｘX", "XXX"},
		{"multiplication sign for X", "11010519491231002×", sampleA},
		{"other characters kept", "身份证：110105-1", "身份证：110105-1"},
		{"other letters not uppercased", "abc", "abc"},
		{"invalid UTF-8 replaced", "1\xff2", "1\uFFFD2"},
		// Removing the space must not glue the stray bytes into U+3000.
		{"stray bytes around a space", "\xe3 \x80\x80", "\uFFFD\uFFFD\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Normalize(tt.in)
			if got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := Normalize(got); again != got {
				t.Errorf("Normalize is not idempotent: %q -> %q", got, again)
			}
		})
	}
}

// Parse runs on every ID cell of millions of rows: a clean number must
// cost no allocation. (Counting allocations is deterministic, unlike time.)
func TestCleanInputDoesNotAllocate(t *testing.T) {
	cases := map[string]func(){
		"Normalize": func() { _ = Normalize(sampleA) },
		"Parse":     func() { _, _ = Parse(sampleA) },
		"Valid":     func() { _ = Valid(sampleB) },
		"Gender":    func() { _ = ID(sampleA).Gender() },
		"BirthDate": func() { _ = ID(sampleA).BirthDate() },
	}
	for name, f := range cases {
		if n := testing.AllocsPerRun(100, f); n != 0 {
			t.Errorf("%s: %v allocations per run, want 0", name, n)
		}
	}
}
