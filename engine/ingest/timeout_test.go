package ingest

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// hangGuard bounds how long a sync that must stop at its timeout may take:
// far above the timeouts the tests set, it fails a hang, not a slow host.
const hangGuard = 20 * time.Second

// A file that never ends as far as the sync can tell (50 GiB of zeros,
// sparse, so it takes no disk) stops at sync.source_timeout: the error
// names the source, the file, the timeout and the setting, the other
// sources sync, and the ledger holds the failure.
func TestTimeoutNamesTheFile(t *testing.T) {
	f := newFixture(t)
	huge := filepath.Join(f.dir, "zero.csv")
	if err := os.WriteFile(huge, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(huge, 50<<30); err != nil {
		t.Skipf("no sparse file of 50 GiB here: %v", err)
	}
	employmentCSV(t, filepath.Join(f.dir, "emp.csv"), 10)
	f.sy.Timeout = 300 * time.Millisecond

	start := time.Now()
	res := f.sy.Sync(context.Background(), []Source{f.source("zero", "employment", "zero.csv"), f.source("emp", "employment", "emp.csv")})
	if el := time.Since(start); el > hangGuard {
		t.Fatalf("the sync took %v", el)
	}
	err := res[0].Err
	want := "source zero: reading zero.csv: timed out after 300ms (sync.source_timeout) while computing its checksum, before any row was read"
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("%v is not a context.DeadlineExceeded", err)
	}
	if res[1].Err != nil || len(res[1].Loads) != 1 || res[1].Loads[0].Loaded != 10 {
		t.Errorf("the other source: %+v", res[1])
	}
	if got := f.count(`SELECT count(*) FROM loads WHERE source = 'zero' AND status = 'failed' AND error LIKE '%zero.csv: timed out after 300ms (sync.source_timeout)%'`); got != 1 {
		t.Errorf("%d failures in the ledger naming the file and the timeout, want 1", got)
	}
}

// A timeout while rows are read names the file and how far the reading got;
// the files after it are not loaded, and say why; the ones before stay
// loaded. The first progress report stalls past the timeout, as a slow
// store or disk would.
func TestTimeoutWhileReading(t *testing.T) {
	f := newFixture(t)
	employmentCSV(t, filepath.Join(f.dir, "emp_1.csv"), 10)
	employmentCSV(t, filepath.Join(f.dir, "emp_2.csv"), 36_000)
	employmentCSV(t, filepath.Join(f.dir, "emp_3.csv"), 10)
	f.sy.Timeout = 1500 * time.Millisecond // loaded machines commit emp_1 slowly: 300 ms failed under load
	stalled := false
	f.sy.Progress = func(p Progress) {
		if p.Stream == "emp_2.csv" && !stalled {
			stalled = true
			time.Sleep(2 * f.sy.Timeout)
		}
	}

	start := time.Now()
	res := f.sy.SyncSource(context.Background(), f.source("emp", "employment", "emp_*.csv"))
	if el := time.Since(start); el > hangGuard {
		t.Fatalf("the sync took %v", el)
	}
	if res.Err != nil || len(res.Loads) != 1 || res.Loads[0].Stream != "emp_1.csv" || len(res.Failed) != 2 {
		t.Fatalf("got %+v", res)
	}
	read := res.Failed[0].Err.Error()
	for _, w := range []string{"reading emp_2.csv: timed out after 1.5s (sync.source_timeout) with ", " rows read (", "% of it); nothing of the file was loaded"} {
		if !strings.Contains(read, w) {
			t.Errorf("%q lacks %q", read, w)
		}
	}
	if got, want := res.Failed[1].Err.Error(), "emp_3.csv: not loaded: timed out after 1.5s (sync.source_timeout)"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if res.Status() != StatusDegraded {
		t.Errorf("status %s", res.Status())
	}
	t.Log(read)
}
