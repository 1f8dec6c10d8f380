package rule

import (
	"strings"
	"testing"
)

func TestParseEdge(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Edge
		err  string
	}{
		{in: "medical.settle_date", want: Edge{Dataset: "medical", Column: "settle_date", Kind: EdgePoint, Unit: "day"}},
		{in: "medical.settle_date + 12 months", want: Edge{Dataset: "medical", Column: "settle_date", Kind: EdgePoint, Unit: "month", Offset: 12}},
		{in: "assistance.end_date + 1 day", want: Edge{Dataset: "assistance", Column: "end_date", Kind: EdgePoint, Unit: "day", Offset: 1}},
		{in: "x.y - 2 years", want: Edge{Dataset: "x", Column: "y", Kind: EdgePoint, Unit: "year", Offset: -2}},
		{in: "medical.settle_date + param(medical_window_months) months", want: Edge{Dataset: "medical", Column: "settle_date", Kind: EdgePoint, Unit: "month", Param: "medical_window_months"}},
		{in: "medical.settle_date+param('w') months", want: Edge{Dataset: "medical", Column: "settle_date", Kind: EdgePoint, Unit: "month", Param: "w"}},
		{in: "registry.birth_date yearly", want: Edge{Dataset: "registry", Column: "birth_date", Kind: EdgeYearly, Unit: "day"}},
		{in: "students.enrolled_date + param(w) months yearly", want: Edge{Dataset: "students", Column: "enrolled_date", Kind: EdgeYearly, Unit: "month", Param: "w"}},
		{in: "students.enrolled_date yearly daily", err: "want DATASET.COLUMN"},
		{in: "  disability daily ", want: Edge{Dataset: "disability", Kind: EdgeDaily}},
		{in: "medical", err: `"medical": want DATASET.COLUMN`},
		{in: "medical.settle_date + 12", err: "want DATASET.COLUMN"},
		{in: "medical.settle_date + 12 weeks", err: "want DATASET.COLUMN"},
		{in: "medical.settle_date - param(w) months", err: "a param offset is added"},
		{in: "medical.settle_date + 5000 days", err: "the offset 5000 is too large"},
		{in: "Medical.settle_date", err: "want DATASET.COLUMN"},
	} {
		got, err := ParseEdge(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%q: %v", tc.in, err)
			continue
		}
		got.Text = ""
		if got != tc.want {
			t.Errorf("%q: %+v, want %+v", tc.in, got, tc.want)
		}
	}
}
