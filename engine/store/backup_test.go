package store

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// TestBackupRoundTrip: values no text form keeps by accident (bytes in a
// BLOB, doubles, NULLs, newlines, quotes and Chinese in text, microseconds)
// come back the same; sequences go on past the restored ids; writes that
// go on while the backup reads (as the portal's do) leave it consistent.
func TestBackupRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := Open(ctx, Options{Path: filepath.Join(dir, "a.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	at := time.Date(2026, 11, 28, 2, 0, 3, 123456000, time.UTC)
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO sessions VALUES (?, ?, ?)`, []any{"t1", []byte{0, 1, '\\', 'x', 0xff, '\n', '"', 0x80}, at}},
		{`INSERT INTO case_hits VALUES ('YJ-1', 'R', '110105194912310029', 1, 'sha256:x', 'red', ?, '{}', '[]', ?, '2026-11-28', '2026-11-28', true, true, 'county', 'f1')`,
			[]any{"第一行\n\"第二行\"\t\\", 0.1}},
		{`INSERT INTO case_hits VALUES ('YJ-2', 'R', '110105194912310029', 1, 'sha256:x', 'red', '', '{}', '[]', ?, '2026-11-28', '2026-11-28', false, false, '', NULL)`,
			[]any{1.0 / 3}},
		{`INSERT INTO audit VALUES (?, 'a@b', 'test', NULL, NULL)`, []any{at}},
	} {
		if _, err := st.DB().ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		id, err := st.BeginRun(ctx, "evaluate", at)
		if err != nil {
			t.Fatal(err)
		}
		st.FinishRun(ctx, id, `{"hits":{}}`, errors.New("line one\nline two"))
	}

	// The registry's blocking keys (link_people) are made again from the
	// registry, not backed up.
	linkCounty(t, st)
	if _, err := st.RefreshLinkPeople(ctx); err != nil {
		t.Fatal(err)
	}

	// Audit rows written all the while the backup reads.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
				st.Audit(ctx, "portal:x", "login", "", nil)
			}
		}
	})
	bk := filepath.Join(dir, "bk")
	m, err := st.Backup(ctx, bk, "test")
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Backup(ctx, bk, "test"); err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Errorf("a backup into a used directory: %v", err)
	}
	if _, err := VerifyBackup(bk); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "b", "b.duckdb")
	res, err := Restore(ctx, RestoreOptions{Dir: bk, Path: target, Actor: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Aside != "" {
		t.Errorf("aside %q with no store there", res.Aside)
	}
	rs, err := Open(ctx, Options{Path: target})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	var blob []byte
	var when time.Time
	if err := rs.DB().QueryRow(`SELECT data, expiry FROM sessions`).Scan(&blob, &when); err != nil {
		t.Fatal(err)
	}
	if string(blob) != "\x00\x01\\x\xff\n\"\x80" || !when.Equal(at) {
		t.Errorf("session: %q %v", blob, when)
	}
	var reason string
	var sev float64
	if err := rs.DB().QueryRow(`SELECT reason, severity FROM case_hits WHERE case_id = 'YJ-1'`).Scan(&reason, &sev); err != nil || reason != "第一行\n\"第二行\"\t\\" || sev != 0.1 {
		t.Errorf("hit: %q %v %v", reason, sev, err)
	}
	if err := rs.DB().QueryRow(`SELECT severity FROM case_hits WHERE case_id = 'YJ-2'`).Scan(&sev); err != nil || sev != 1.0/3 {
		t.Errorf("a third: %v %v", sev, err)
	}
	var nulls int
	rs.DB().QueryRow(`SELECT count(*) FROM audit WHERE action = 'test' AND subject IS NULL AND detail IS NULL`).Scan(&nulls)
	if nulls != 1 {
		t.Errorf("NULLs not kept: %d", nulls)
	}
	// The logins the backup saw, no more, no fewer; and the restore's own row.
	var logins, restores int
	rs.DB().QueryRow(`SELECT count(*) FILTER (action = 'login'), count(*) FILTER (action = 'restore') FROM audit`).Scan(&logins, &restores)
	if audit, _ := m.Table("audit"); int64(logins) != audit.Rows-1 || restores != 1 {
		t.Errorf("audit: %d logins and %d restores, the backup has %d rows", logins, restores, audit.Rows)
	}
	id, err := rs.BeginRun(ctx, "evaluate", at)
	if err != nil || id <= 3 {
		t.Errorf("the next run id after a restore of runs 1-3: %d %v", id, err)
	}
	if _, ok := m.Table("link_people"); ok {
		t.Error("the backup holds link_people")
	}
	if r, err := rs.RefreshLinkPeople(ctx); err != nil || !r.Rebuilt || r.Added != 24 {
		t.Errorf("link_people after a restore: %+v %v, want rebuilt with 24 people", r, err)
	}
	origID, _ := st.ID(ctx)
	if got, _ := rs.ID(ctx); got != origID {
		t.Errorf("store id %s, the backup's %s: lists sent before would not import", got, origID)
	}
	if fi, err := os.Stat(target); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored store: %v %v", fi, err)
	}
}

// TestRestoreRefusals: a store there needs Force; a running serve is
// ErrServing; the target is untouched either way.
func TestRestoreRefusals(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "lw.duckdb")
	st, err := Open(ctx, Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	bk := filepath.Join(dir, "bk")
	if _, err := st.Backup(ctx, bk, ""); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if _, err := Restore(ctx, RestoreOptions{Dir: bk, Path: path}); !errors.Is(err, ErrStoreExists) {
		t.Errorf("without Force: %v", err)
	}
	release, err := LockServe(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(ctx, RestoreOptions{Dir: bk, Path: path, Force: true}); !errors.Is(err, ErrServing) {
		t.Errorf("while serve runs: %v", err)
	}
	release()
	if matches, _ := filepath.Glob(path + ".*restor*"); len(matches) > 0 {
		t.Errorf("refused restores left %v", matches)
	}
}

// TestRestoreOlderBackup: a backup of a store one migration behind this
// lipwatch is restored at its own schema, then migrated.
func TestRestoreOlderBackup(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ms, err := migrations()
	if err != nil || len(ms) < 2 {
		t.Fatal(err)
	}
	old := ms[len(ms)-2].version
	c, err := duckdb.NewConnector(filepath.Join(dir, "old.duckdb"), nil)
	if err != nil {
		t.Fatal(err)
	}
	st := &Store{db: sql.OpenDB(c), connector: c, path: filepath.Join(dir, "old.duckdb")}
	defer st.db.Close()
	if _, err := st.db.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for _, m := range ms[:len(ms)-1] {
		if err := st.apply(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := st.BeginRun(ctx, "run", time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)); err != nil {
		t.Fatal(err)
	}
	m, err := st.Backup(ctx, filepath.Join(dir, "bk"), "old")
	if err != nil {
		t.Fatal(err)
	}
	if m.SchemaVersion != old {
		t.Fatalf("backup at schema %d, want %d", m.SchemaVersion, old)
	}
	target := filepath.Join(dir, "new.duckdb")
	if _, err := Restore(ctx, RestoreOptions{Dir: filepath.Join(dir, "bk"), Path: target, Actor: "test"}); err != nil {
		t.Fatal(err)
	}
	rs, err := Open(ctx, Options{Path: target})
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	applied, _ := rs.AppliedMigrations(ctx)
	var status string
	rs.DB().QueryRow(`SELECT status FROM runs`).Scan(&status)
	if len(applied) != len(ms) || applied[len(applied)-1] != SchemaVersion() || status != "interrupted" {
		t.Errorf("restored store: migrations %v (want up to %d), the run the backup caught running is %q, want interrupted", applied, SchemaVersion(), status)
	}
}
