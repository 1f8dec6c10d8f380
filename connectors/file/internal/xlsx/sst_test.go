package xlsx

import (
	"strings"
	"testing"
)

func TestSharedStringsLimit(t *testing.T) {
	tests := []struct {
		name, xml string
		ok        bool
	}{
		{"under", strings.Repeat("<si><t>abcdefgh</t></si>", 30), true},
		{"many short strings", strings.Repeat("<si><t>abcdefgh</t></si>", 50), false},
		{"one long string of many runs", "<si>" + strings.Repeat("<r><t>abcdefghij</t></r>", 200) + "</si>", false},
		{"many empty strings", strings.Repeat("<si/>", 100), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readSharedStrings(strings.NewReader("<sst>"+tt.xml+"</sst>"), 1000)
			if (err == nil) != tt.ok {
				t.Errorf("err = %v, want ok=%v", err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), "more than") {
				t.Errorf("err = %v", err)
			}
		})
	}
}
