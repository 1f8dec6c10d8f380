package gen

import (
	"math/rand/v2"
	"testing"
)

// TestCreditCode checks the GB 32100-2015 check character on codes
// published by their holders and the standard's own example, and that
// drawn codes are valid.
func TestCreditCode(t *testing.T) {
	for _, c := range []string{
		"91350100M000100Y43", // GB 32100-2015's example
		"9144030071526726XG",
		"91330100799655058B",
		"914403001922038216",
	} {
		if !validCreditCode(c) {
			t.Errorf("%s: check character %c, want %c", c, creditCheck(c), c[17])
		}
		if got := orgCheck(c[8:16]); got != c[16] {
			t.Errorf("%s: organisation code check %c, want %c", c, got, c[16])
		}
	}
	for _, c := range []string{"91350100M000100Y44", "91350100M000100Y4", "91350100M000100I43", ""} {
		if validCreditCode(c) {
			t.Errorf("%q valid", c)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 1000 {
		c := creditCode(r, '9', '2', countyCode)
		if !validCreditCode(c) || c[:8] != "92"+countyCode || c[8:10] != "MA" || orgCheck(c[8:16]) != c[16] {
			t.Fatalf("drawn code %s", c)
		}
	}
}
