package idnum

import "testing"

func TestMasked(t *testing.T) {
	tests := []struct {
		id   ID
		want string
	}{
		{sampleA, "110105********002X"},
		{sampleB, "440524********0014"},
		{"340799198506151231", "340799********1231"},
		// Not canonical: masked as Mask would, never shown whole.
		{"11010519491231002x", "110105********002X"},
		{"110105194912310021", "110*************21"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.id), func(t *testing.T) {
			if got := tt.id.Masked(); got != tt.want {
				t.Errorf("Masked = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"only spaces", " \u3000 ", ""},
		{"valid", sampleA, "110105********002X"},
		{"valid, lowercase with spaces", " 110105 19491231 002x ", "110105********002X"},
		{"legacy shows its upgrade", "340799850615123", "340799********1231"},
		{"wrong check digit", "110105194912310021", "110*************21"},
		{"17 digits", "11010519491231002", "110************02"},
		{"19 characters", "11010519491231002X1", "110**************X1"},
		{"15 with X", "11010549123100X", "110**********0X"},
		{"ID inside a note", "身份证11010519491231002X", "身份证****************2X"},
		{"full-width invalid", "１１０１０５１９４９１２３１００２１", "110*************21"},
		{"9 characters", "123456789", "12******9"},
		{"14 characters", "12345678901234", "12***********4"},
		{"3 characters", "abc", "a**"},
		{"two Chinese characters", "张三", "**"},
		{"one character", "7", "*"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Mask(tt.in); got != tt.want {
				t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestMaskKeepsAtMostAThird(t *testing.T) {
	for n := range 40 {
		head, tail := maskKeep(n)
		if head > 3 || tail > 2 || 3*(head+tail) > n {
			t.Errorf("maskKeep(%d) = %d, %d", n, head, tail)
		}
	}
}
