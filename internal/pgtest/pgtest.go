// Package pgtest gives tests the throwaway PostgreSQL that .ci/postgres.sh
// starts (and .ci/run always does): its connection string, or a skip
// outside CI when there is none. Tests only.
package pgtest

import (
	"os"
	"testing"
)

// EnvURL is where .ci/postgres.sh leaves the test server's address.
const EnvURL = "LIPWATCH_TEST_PG_URL"

// URL returns the test server's connection string. Without one the test
// is skipped, except under CI (CI=true), which must run these tests.
func URL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(EnvURL)
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not set: CI must run the PostgreSQL tests (.ci/run starts the server with .ci/postgres.sh)", EnvURL)
		}
		t.Skipf("PostgreSQL not available: run .ci/postgres.sh (eval \"$(bash .ci/postgres.sh | tail -1)\") to set %s", EnvURL)
	}
	return u
}
