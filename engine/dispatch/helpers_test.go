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
