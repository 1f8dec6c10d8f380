package dispatch

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

func fmtSlice[T any](s []T) string {
	var b strings.Builder
	for _, v := range s {
		fmt.Fprintf(&b, "  %+v\n", v)
	}
	return b.String()
}

func writeBytes(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

// readBack reads a returned list as the tests of rows need it.
func readBack(path string, o Options) ([]Feedback, []RowError, error) {
	r, err := ReadFeedback(path, o)
	if err != nil {
		return nil, nil, err
	}
	return r.Feedback, r.Rejected, nil
}
