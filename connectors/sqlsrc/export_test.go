package sqlsrc

import (
	"testing"
	"time"
)

// SetNow makes every read start at at, for the test's duration.
func SetNow(t testing.TB, at time.Time) {
	t.Helper()
	old := now
	now = func() time.Time { return at }
	t.Cleanup(func() { now = old })
}
