// Package store keeps lipwatch's data in one DuckDB file: the canonical
// dataset tables, the load ledger and the quarantine, under a schema that
// embedded migrations version. DuckDB allows one writing process per file;
// a second process gets an error that names the holder.
package store

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Options configure Open.
type Options struct {
	// Path of the DuckDB file; its directory is created if missing.
	Path string
	// Threads and MemoryLimit tune DuckDB; zero values keep its defaults.
	Threads     int
	MemoryLimit string
	// TempDirectory is where DuckDB spills beyond MemoryLimit; "" keeps
	// DuckDB's default (Path + ".tmp"). Created owner-only when missing.
	TempDirectory string
	// CheckpointThreshold is how much the write-ahead log may hold before
	// a commit checkpoints it into the store's file (DuckDB's
	// checkpoint_threshold, e.g. "64MB"); "" is DefaultCheckpointThreshold.
	CheckpointThreshold string
	// Holder describes this process for the error another process gets
	// while it holds the store, e.g. "lipwatch sync".
	Holder string
}

// DefaultCheckpointThreshold is the write-ahead log's size past which a
// commit checkpoints, unless Options say otherwise. DuckDB's own default,
// 16MB, made a night's monthly medical files (fourteen commits of about
// 70,000 rows at 1M people) checkpoint after every second file, each
// checkpoint 0.1–1.3 s whatever it wrote: 4.5–5.6 s of commits in that
// source's 12–13 s sync. At 64MB they take 2.8–3.0 s, and the process's
// peak RSS is no higher (docs/SCALE.md 3.4.9). The WAL is replayed on the
// next open after a crash, so nothing committed is lost either way.
const DefaultCheckpointThreshold = "64MB"

// Store is an open lipwatch store.
type Store struct {
	db        *sql.DB
	connector *duckdb.Connector
	path      string
	holder    string // sidecar file naming this process
}

// ErrLocked reports that another process holds the store.
var ErrLocked = errors.New("store is in use by another process")

// holderInfo is written beside the store while a process holds it.
type holderInfo struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Host    string    `json:"host"`
	Since   time.Time `json:"since"`
}

// Open opens (creating if needed) the store at o.Path and migrates it to
// the schema this binary knows.
func Open(ctx context.Context, o Options) (*Store, error) {
	if o.Path == "" {
		return nil, errors.New("open store: no path")
	}
	if err := notAStore(o.Path); err != nil {
		return nil, err
	}
	if err := notOurs(ctx, o.Path); err != nil {
		return nil, err
	}
	// The directory holds the WAL and temp files beside the store, with
	// the same data in them: owner only when lipwatch creates it.
	if err := os.MkdirAll(filepath.Dir(o.Path), 0o700); err != nil {
		return nil, fmt.Errorf("open store %s: %w", o.Path, err)
	}
	if o.TempDirectory != "" {
		if err := os.MkdirAll(o.TempDirectory, 0o700); err != nil {
			return nil, fmt.Errorf("open store %s: temp_directory: %w", o.Path, err)
		}
	}
	initCtx := context.WithoutCancel(ctx) // runs again for every new connection
	c, err := duckdb.NewConnector(o.Path, func(execer driver.ExecerContext) error {
		var stmts []string
		if o.Threads > 0 {
			stmts = append(stmts, fmt.Sprintf("SET threads = %d", o.Threads))
		}
		if o.MemoryLimit != "" {
			stmts = append(stmts, fmt.Sprintf("SET memory_limit = '%s'", strings.ReplaceAll(o.MemoryLimit, "'", "")))
		}
		if o.TempDirectory != "" {
			stmts = append(stmts, fmt.Sprintf("SET temp_directory = '%s'", strings.ReplaceAll(o.TempDirectory, "'", "''")))
		}
		threshold := o.CheckpointThreshold
		if threshold == "" {
			threshold = DefaultCheckpointThreshold
		}
		stmts = append(stmts, fmt.Sprintf("SET checkpoint_threshold = '%s'", strings.ReplaceAll(threshold, "'", "")))
		// No SQL run on the store reads or writes files, attaches other
		// databases or loads extensions: lipwatch reads sources and writes
		// lists itself. Refused here, no fact query an analyst writes can
		// copy ID numbers out or read the machine's files. It cannot be
		// turned back on while the store is open.
		stmts = append(stmts, "SET enable_external_access = false")
		for _, q := range stmts {
			if _, err := execer.ExecContext(initCtx, q, nil); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, lockError(o.Path, err)
	}
	db := sql.OpenDB(c)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, lockError(o.Path, err)
	}
	// The store holds ID numbers, health and disability data: owner only.
	if err := os.Chmod(o.Path, 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", o.Path, err)
	}
	s := &Store{db: db, connector: c, path: o.Path, holder: o.Path + ".holder"}
	s.writeHolder(o.Holder)
	if err := s.migrate(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if err := s.markInterrupted(ctx); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// markInterrupted closes the runs a process left "running" when it died
// (kill -9, a power cut): only one process holds the store, so a run still
// running when it opens is no run at all. They become "interrupted", with
// the time they were found so.
func (s *Store) markInterrupted(ctx context.Context) error {
	_, err := s.db.ExecContext(ctx, `UPDATE runs SET status = 'interrupted', finished_at = now()::TIMESTAMP,
		error = 'the process ended before the run finished (killed, or the machine stopped); found when the store was next opened'
		WHERE status = 'running'`)
	if err != nil {
		return fmt.Errorf("open store %s: mark interrupted runs: %w", s.path, err)
	}
	return nil
}

// duckMagic is what a DuckDB database file holds at byte 8 (after its
// header's checksum).
var duckMagic = []byte("DUCK")

// notAStore refuses a store path that exists but is not a DuckDB file (a
// CSV named by mistake, a directory): opening it would fail or, worse,
// lipwatch would change the file's mode. A missing file is a new store.
func notAStore(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("open store %s: %w", path, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("open store %s: not a DuckDB file but a %s; store.path names the database file lipwatch keeps", path, fileKind(fi.Mode()))
	case fi.Size() == 0:
		return fmt.Errorf("open store %s: the file exists and is empty, which DuckDB cannot open; remove it and lipwatch creates the store there", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	defer f.Close()
	head := make([]byte, 12)
	if n, _ := io.ReadFull(f, head); n < len(head) || !bytes.Equal(head[8:12], duckMagic) {
		return fmt.Errorf("open store %s: the file exists and is not a DuckDB database (store.path names the database file lipwatch keeps, not a department file); it was left as it is", path)
	}
	return nil
}

// notOurs refuses an existing DuckDB database that is not a lipwatch store:
// one holding tables, views or sequences but no record of lipwatch's
// migrations (schema_migrations with the first migration's name). Opened
// for writing, it would be migrated in place — lipwatch's tables created
// beside the other application's — grown and chmod'ed. It is looked at
// through a read-only DuckDB open, which changes nothing of the file or
// of a write-ahead log beside it; the error names the path and leaves the
// file as it is. A DuckDB file with nothing in it is a new store. When
// the read-only open fails because another process holds the file, the
// check is left to the real open, which names the holder; and so it is
// when this process has the file open already (DuckDB shares one instance
// per file in a process, and refuses a second one of another
// configuration): it was checked when it was first opened.
func notOurs(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil
	}
	c, err := duckdb.NewConnector(path+"?access_mode=READ_ONLY", nil)
	if err != nil {
		if isLockConflict(err) || strings.Contains(err.Error(), "different configuration than existing connections") {
			return nil
		}
		return fmt.Errorf("open store %s: reading the database to see whether it is lipwatch's: %w; it was left as it is", path, err)
	}
	db := sql.OpenDB(c)
	defer db.Close()
	objects, err := userObjects(ctx, db)
	if err != nil {
		if isLockConflict(err) {
			return nil
		}
		return fmt.Errorf("open store %s: reading the database to see whether it is lipwatch's: %w; it was left as it is", path, err)
	}
	if len(objects) == 0 {
		return nil // an empty DuckDB database: lipwatch makes it a store
	}
	if len(objects) == 1 && strings.EqualFold(objects[0], "schema_migrations") {
		// A first open killed between creating the migrations' ledger and
		// committing the first migration leaves the ledger alone and
		// empty: lipwatch's own, still new. (Another tool's ledger has
		// rows, or tables beside it.)
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err == nil && n == 0 {
			return nil
		}
	}
	ours, err := migrationRecord(ctx, db)
	if err != nil {
		return fmt.Errorf("open store %s: reading the database to see whether it is lipwatch's: %w; it was left as it is", path, err)
	}
	if ours {
		return nil
	}
	shown := objects
	if len(shown) > 5 {
		shown = append(shown[:5:5], "…")
	}
	return fmt.Errorf("open store %s: the file is another application's DuckDB database (it holds %s, and no record of lipwatch's migrations): "+
		"store.path names the database file lipwatch keeps; it was left as it is", path, strings.Join(shown, ", "))
}

// userObjects lists the tables, views and sequences of the database (not
// DuckDB's own, nor temporary ones), sorted.
func userObjects(ctx context.Context, db *sql.DB) ([]string, error) {
	rows, err := db.QueryContext(ctx, `
		SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() AND NOT internal AND NOT temporary
		UNION ALL SELECT view_name FROM duckdb_views() WHERE database_name = current_database() AND NOT internal AND NOT temporary
		UNION ALL SELECT sequence_name FROM duckdb_sequences() WHERE database_name = current_database() AND NOT temporary
		ORDER BY 1`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out = append(out, name)
	}
	return out, rows.Err()
}

// migrationRecord reports whether the database records lipwatch's
// migrations: a schema_migrations table of lipwatch's shape (version,
// name, applied_at) whose first migration carries the name of this
// binary's first. Other tools keep a schema_migrations too (golang-migrate,
// Rails), of other shapes and names.
func migrationRecord(ctx context.Context, db *sql.DB) (bool, error) {
	var cols int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM duckdb_columns() WHERE database_name = current_database()
		AND schema_name = 'main' AND table_name = 'schema_migrations' AND column_name IN ('version', 'name', 'applied_at')`).Scan(&cols); err != nil {
		return false, err
	}
	if cols != 3 {
		return false, nil
	}
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return false, err
	}
	var n int
	if err := db.QueryRowContext(ctx, `SELECT count(*) FROM main.schema_migrations WHERE version = ? AND name = ?`,
		ms[0].version, ms[0].name).Scan(&n); err != nil {
		return false, err
	}
	return n > 0, nil
}

// isLockConflict reports DuckDB's error for a file another process holds.
func isLockConflict(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Could not set lock") || strings.Contains(msg, "Conflicting lock")
}

// fileKind names a file mode that is not a regular file.
func fileKind(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "directory"
	case m&os.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&os.ModeSocket != 0:
		return "socket"
	case m&os.ModeDevice != 0:
		return "device"
	}
	return "special file"
}

// lockError turns DuckDB's lock conflict into a message naming the holder.
func lockError(path string, err error) error {
	msg := err.Error()
	if !isLockConflict(err) {
		return fmt.Errorf("open store %s: %w", path, err)
	}
	who := "another process"
	if b, rerr := os.ReadFile(path + ".holder"); rerr == nil {
		var h holderInfo
		if json.Unmarshal(b, &h) == nil && h.PID > 0 {
			who = fmt.Sprintf("%q (pid %d on %s, since %s)", h.Command, h.PID, h.Host, h.Since.Format(time.RFC3339))
		}
	}
	if who == "another process" {
		// DuckDB names the PID itself: "Conflicting lock is held in /path/bin (PID 123)".
		if i := strings.Index(msg, "Conflicting lock is held in "); i >= 0 {
			who = strings.TrimSpace(strings.SplitN(msg[i+len("Conflicting lock is held in "):], ".", 2)[0])
		}
	}
	return fmt.Errorf("open store %s: %w: held by %s; wait for it to finish or stop it", path, ErrLocked, who)
}

func (s *Store) writeHolder(command string) {
	if command == "" {
		command = filepath.Base(os.Args[0])
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(holderInfo{PID: os.Getpid(), Command: command, Host: host, Since: time.Now().UTC().Truncate(time.Second)})
	// Advisory only (DuckDB's lock is what protects the file), and never
	// written through a link planted in the store's folder.
	f, err := os.OpenFile(s.holder, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|oNoFollow, 0o600)
	if err != nil {
		return
	}
	_, _ = f.Write(b)
	_ = f.Close()
}

// Close closes the store. It is safe to call twice.
func (s *Store) Close() error {
	if s == nil || s.db == nil {
		return nil
	}
	err := s.db.Close() // closes the connector too
	s.db = nil
	_ = os.Remove(s.holder)
	return err
}

// DB gives read access to the store for reporting packages.
func (s *Store) DB() *sql.DB { return s.db }

// Path is the store's file.
func (s *Store) Path() string { return s.path }
