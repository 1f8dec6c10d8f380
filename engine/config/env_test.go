package config

import (
	"strings"
	"testing"
)

// An unknown LIPWATCH_ variable far from every setting is warned about in
// one short line naming the two nearest settings, never the ~200 there
// are; one close to a setting names that one.
func TestUnknownEnvWarningIsOneLine(t *testing.T) {
	t.Setenv("LIPWATCH_FOO", "1")
	t.Setenv("LIPWATCH_STORE_PAHT", "x.duckdb")
	cfg, err := Load("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.EnvWarnings) != 2 {
		t.Fatalf("warnings: %q", cfg.EnvWarnings)
	}
	foo, store := cfg.EnvWarnings[0], cfg.EnvWarnings[1]
	if !strings.HasPrefix(foo, "LIPWATCH_FOO is set but is no setting lipwatch knows: it is ignored (the nearest settings: LIPWATCH_") ||
		strings.Count(foo, "LIPWATCH_") != 3 || len(foo) > 200 || strings.Contains(foo, "\n") {
		t.Errorf("LIPWATCH_FOO: %d bytes: %q", len(foo), foo)
	}
	if !strings.HasSuffix(store, "(did you mean LIPWATCH_STORE_PATH?)") {
		t.Errorf("LIPWATCH_STORE_PAHT: %q", store)
	}
}
