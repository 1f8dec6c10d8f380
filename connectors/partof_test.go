package connectors

import "testing"

// TestPartOf: the numbered parts of a split export, and the names that
// only look alike.
func TestPartOf(t *testing.T) {
	for name, want := range map[string]string{
		"county/households-2.xlsx":    "county/households.xlsx",
		"households_13.xlsx":          "households.xlsx",
		"households_3.XLSX":           "households.XLSX",
		"medical/medical_2026-01.csv": "medical/medical_2026.csv", // a whole only if such a file is there too
		"households.xlsx":             "",
		"households_old.xlsx":         "",
		"households-.xlsx":            "",
		"households (1).xlsx":         "",
		"a-1/households.xlsx":         "",
		"-2.xlsx":                     "",
		"dir/-2.xlsx":                 "",
	} {
		got, ok := PartOf(name)
		if ok != (want != "") || got != want {
			t.Errorf("PartOf(%q) = %q, %v; want %q", name, got, ok, want)
		}
	}
}
