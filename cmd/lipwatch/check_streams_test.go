package main

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sources check, like a sync, fails a stream alone: a device among a
// glob's matches is reported, the real file is still sampled, and the
// check exits 3 (finished, something needs attention), not 1.
func TestSourcesCheckStreamFailsAlone(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	if err := os.Mkdir(in, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(in, "a.csv"), []byte("身份证号,业务类型,业务日期\n11010519491231002X,失业登记,2026-03-05\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(in, "b.csv")); err != nil {
		t.Fatal(err)
	}
	config := countyConfig(t, dir, `  employment:
    kind: file
    dataset: employment
    options:
      path: `+filepath.Join(in, "*.csv")+`
    columns:
      id_number: 身份证号
      event: 业务类型
      event_date: 业务日期
`)
	out, err := runWith(t, config, "sources", "check")
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != 3 {
		t.Fatalf("exit: %v\n%s", err, out)
	}
	if !strings.Contains(out, "b.csv: FAILED") || !strings.Contains(out, "sample: 1 rows read, 1 would load") || !strings.Contains(out, "employment: DEGRADED: 1 of 2 streams sampled failed") {
		t.Errorf("output:\n%s", out)
	}
}
