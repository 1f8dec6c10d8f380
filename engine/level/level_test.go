package level

import (
	"slices"
	"testing"
)

// One order everywhere: red before orange before yellow before anything
// unknown.
func TestOrder(t *testing.T) {
	got := []string{"yellow", "purple", "red", "orange", ""}
	slices.SortStableFunc(got, MoreSevere)
	if want := []string{"red", "orange", "yellow", "purple", ""}; !slices.Equal(got, want) {
		t.Errorf("sorted %q, want %q", got, want)
	}
	if Rank(Red) <= Rank(Orange) || Rank(Orange) <= Rank(Yellow) || Rank(Yellow) <= Rank("purple") {
		t.Error("ranks out of order")
	}
	if Label(Orange) != "橙色" || Label("purple") != "purple" {
		t.Error("labels")
	}
}
