package store

// Restoring a backup (see backup.go): verified in full first, built in a
// new file beside the store at the backup's schema version, read back and
// compared with the backup, and only then swapped in; the store it
// replaces is kept.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// RestoreOptions configure Restore.
type RestoreOptions struct {
	Dir   string // the backup
	Path  string // the store to restore into (the config's store.path)
	Force bool   // replace a store at Path, moving it aside
	Actor string // who restores, for the audit row
	// Verified is the backup's manifest when the caller has verified it
	// already (VerifyBackup); nil to verify here.
	Verified *Manifest
}

// RestoreResult is what Restore did.
type RestoreResult struct {
	Manifest *Manifest
	Aside    string // where the store that was at Path went; "" if none was there
}

// ErrStoreExists reports a store at the restore's path without Force.
var ErrStoreExists = errors.New("a store exists there")

// Restore replaces the store at o.Path with the backup in o.Dir, or
// creates it there. Nothing at o.Path is touched until the backup is
// verified and restored, in full, into a new file beside it whose tables
// read back the backup's contents; then the old store (and its WAL) is
// moved aside (never deleted) and the new one takes its name. It refuses
// (ErrServing) while a `lipwatch serve` runs for the store, and keeps any
// serve from starting until it is done; it refuses (ErrLocked) while
// another process holds the store, and (ErrStoreExists) a store at o.Path
// without o.Force.
func Restore(ctx context.Context, o RestoreOptions) (*RestoreResult, error) {
	m := o.Verified
	if m == nil {
		var err error
		if m, err = VerifyBackup(o.Dir); err != nil {
			return nil, err
		}
	}
	if m.SchemaVersion > SchemaVersion() {
		return nil, fmt.Errorf("%w: %s: schema version %d, newer than this lipwatch knows (%d): restore it with the lipwatch that made it (%s)",
			ErrBadBackup, filepath.Join(o.Dir, ManifestName), m.SchemaVersion, SchemaVersion(), m.Lipwatch)
	}
	release, err := lockServeAs(o.Path, "lipwatch restore")
	if err != nil {
		return nil, err
	}
	defer release()
	res := &RestoreResult{Manifest: m}
	fi, err := os.Lstat(o.Path)
	exists := err == nil
	switch {
	case err != nil && !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("restore: %w", err)
	case exists && !o.Force:
		return nil, fmt.Errorf("restore into %s: %w; restore --force moves it aside (kept, never deleted) and restores in its place", o.Path, ErrStoreExists)
	case exists && !fi.Mode().IsRegular():
		return nil, fmt.Errorf("restore into %s: not a file but a %s; it was left as it is", o.Path, fileKind(fi.Mode()))
	}
	if exists && notAStore(o.Path) == nil {
		// Hold the old store while it is replaced: no other process can
		// open it for writing meanwhile (a read-only open changes nothing).
		hold, err := holdReadOnly(o.Path)
		if err != nil {
			return nil, err
		}
		defer hold()
	}
	tmp := o.Path + ".restoring"
	for _, f := range []string{tmp, tmp + ".wal"} { // a restore that died here before
		if err := os.Remove(f); err != nil && !errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("restore: %w", err)
		}
	}
	ok := false
	defer func() {
		if !ok {
			os.Remove(tmp)
			os.Remove(tmp + ".wal")
			os.Remove(tmp + ".holder")
		}
	}()
	if err := buildFromBackup(ctx, tmp, o.Dir, m); err != nil {
		return nil, err
	}
	// The usual open: the migrations newer than the backup, runs the backup
	// caught running marked interrupted.
	st, err := Open(ctx, Options{Path: tmp, Holder: "lipwatch restore"})
	if err != nil {
		return nil, fmt.Errorf("restore: open the restored store: %w", err)
	}
	// Counted again as the store opens (the contents were compared as they
	// were loaded); a newer migration may have added rows of its own.
	if m.SchemaVersion == SchemaVersion() {
		if err := checkCounts(ctx, st.db, m); err != nil {
			st.Close()
			return nil, err
		}
	}
	if err := st.Audit(ctx, o.Actor, "restore", o.Dir, map[string]any{"store_id": m.StoreID, "backup_at": m.CreatedAt,
		"schema_version": m.SchemaVersion, "rows": m.Rows(), "replaced": exists}); err != nil {
		st.Close()
		return nil, fmt.Errorf("restore: %w", err)
	}
	if err := st.Close(); err != nil {
		return nil, fmt.Errorf("restore: close the restored store: %w", err)
	}
	if _, err := os.Stat(tmp + ".wal"); err == nil {
		return nil, fmt.Errorf("restore: %s.wal left after closing the restored store", tmp)
	}
	if exists {
		res.Aside = fmt.Sprintf("%s.before-restore-%s", o.Path, time.Now().UTC().Format("20060102T150405Z"))
		if err := moveAside(o.Path, res.Aside); err != nil {
			return nil, err
		}
		if err := os.Rename(tmp, o.Path); err != nil {
			return nil, fmt.Errorf("restore: %w (the old store is at %s)", err, res.Aside)
		}
	} else if err := os.Link(tmp, o.Path); err != nil { // fails if a store appeared meanwhile
		return nil, fmt.Errorf("restore: %w", err)
	} else {
		os.Remove(tmp)
	}
	ok = true
	syncDir(filepath.Dir(o.Path))
	return res, nil
}

// moveAside keeps the store at path (and its WAL) under aside: the store
// by a hard link, so that path never stops naming a store until the new
// one replaces it (a rename where links are not to be had).
func moveAside(path, aside string) error {
	if err := os.Link(path, aside); err != nil {
		if err := os.Rename(path, aside); err != nil {
			return fmt.Errorf("restore: move the old store aside: %w", err)
		}
	}
	// The WAL belongs to the old store: left at path.wal, the new store
	// would replay it.
	if err := os.Rename(path+".wal", aside+".wal"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("restore: move the old store's WAL aside: %w", err)
	}
	return nil
}

// holdReadOnly opens the DuckDB file at path read-only, so that no other
// process opens it for writing until the returned func closes it; a
// process holding it is ErrLocked, named.
func holdReadOnly(path string) (func(), error) {
	c, err := duckdb.NewConnector(path+"?access_mode=READ_ONLY", nil)
	if err != nil {
		return nil, lockError(path, err)
	}
	db := sql.OpenDB(c)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, lockError(path, err)
	}
	return func() { db.Close() }, nil
}

// lockServeAs takes the serve lock of the store at path (see LockServe)
// for a command other than serve, naming it in the lock file; a serve
// that runs is ErrServing.
func lockServeAs(path, command string) (func(), error) {
	release, err := LockServe(path)
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(holderInfo{PID: os.Getpid(), Command: command, Host: host, Since: time.Now().UTC().Truncate(time.Second)})
	if f, err := os.OpenFile(path+".serve", os.O_WRONLY|oNoFollow, 0o600); err == nil {
		f.Truncate(0)
		f.WriteAt(b, 0)
		f.Close()
	}
	return func() {
		os.Truncate(path+".serve", 0) // no pid of a serve that never was
		release()
	}, nil
}

// buildFromBackup makes a store at path of the backup's schema version and
// fills it with the backup's rows and sequences, then reads every table
// back and compares it with the backup.
func buildFromBackup(ctx context.Context, path, dir string, m *Manifest) error {
	c, err := duckdb.NewConnector(path, func(execer driver.ExecerContext) error {
		_, err := execer.ExecContext(context.WithoutCancel(ctx), "SET enable_external_access = false", nil)
		return err
	})
	if err != nil {
		return fmt.Errorf("restore: create %s: %w", path, err)
	}
	s := &Store{db: sql.OpenDB(c), connector: c, path: path}
	defer s.db.Close()
	// The schema as the backup's store had it: its migrations, no more.
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE schema_migrations (
		version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)`); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, mg := range ms {
		if mg.version > m.SchemaVersion {
			break
		}
		if err := s.apply(ctx, mg); err != nil {
			return fmt.Errorf("restore: migrate to %s: %w", mg.name, err)
		}
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	defer conn.Close()
	have, err := tableColumns(ctx, conn)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if err := sameTables(have, m, dir); err != nil {
		return err
	}
	for _, t := range m.Tables {
		if err := loadTable(ctx, conn, dir, t); err != nil {
			return err
		}
	}
	if err := setSequences(ctx, conn, m, dir); err != nil {
		return err
	}
	// The restored tables, read back as the backup holds them.
	for _, t := range m.Tables {
		n, sum, err := encodeRows(ctx, conn, t, io.Discard)
		if err != nil {
			return fmt.Errorf("restore: read back %s: %w", t.Name, err)
		}
		if n != t.Rows || sum != t.ContentSHA256 {
			return fmt.Errorf("restore: table %s reads back %d rows (SHA-256 %s), the backup has %d (%s): nothing was replaced",
				t.Name, n, sum, t.Rows, t.ContentSHA256)
		}
	}
	if _, err := conn.ExecContext(ctx, `CHECKPOINT`); err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	return nil
}

// sameTables checks that the schema made for the backup has its tables
// and columns.
func sameTables(have []BackupTable, m *Manifest, dir string) error {
	var problems []string
	got := map[string]BackupTable{}
	for _, t := range have {
		got[t.Name] = t
	}
	for _, t := range m.Tables {
		h, ok := got[t.Name]
		switch {
		case !ok:
			problems = append(problems, fmt.Sprintf("table %s is not in schema version %d", t.Name, m.SchemaVersion))
		case !slices.Equal(h.Columns, t.Columns):
			problems = append(problems, fmt.Sprintf("table %s has columns %v in the backup, %v in schema version %d", t.Name, t.Columns, h.Columns, m.SchemaVersion))
		}
		delete(got, t.Name)
	}
	for name := range got {
		problems = append(problems, fmt.Sprintf("table %s of schema version %d is not in the backup", name, m.SchemaVersion))
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return badBackup(dir, ManifestName, "%s", strings.Join(problems, "; "))
	}
	return nil
}

const restoreStage = "restore_stage"

// loadTable replaces table t's rows with the backup's: the text values go
// through the Appender into a staging table of text columns, then into the
// table, each cast to its column's type.
func loadTable(ctx context.Context, conn *sql.Conn, dir string, t BackupTable) error {
	cols := make([]string, len(t.Columns))
	casts := make([]string, len(t.Columns))
	names := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		cols[i] = fmt.Sprintf("c%d VARCHAR", i)
		names[i] = quoteIdent(c.Name)
		if isBlob(c.Type) {
			casts[i] = fmt.Sprintf("from_base64(c%d)", i)
		} else {
			casts[i] = fmt.Sprintf("CAST(c%d AS %s)", i, c.Type)
		}
	}
	for _, q := range []string{
		`CREATE OR REPLACE TEMP TABLE ` + restoreStage + ` (` + strings.Join(cols, ", ") + `)`,
		`DELETE FROM main.` + quoteIdent(t.Name), // what the migrations put there (store_meta, schema_migrations)
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("restore: table %s: %w", t.Name, err)
		}
	}
	err := conn.Raw(func(dc any) error {
		app, err := duckdb.NewAppender(dc.(driver.Conn), "temp", "main", restoreStage)
		if err != nil {
			return err
		}
		vals := make([]driver.Value, len(t.Columns))
		err = readTableFile(dir, t, sha256.New(), func(row []*string) error {
			for i, v := range row {
				vals[i] = nil
				if v != nil {
					vals[i] = *v
				}
			}
			return app.AppendRow(vals...)
		})
		if cerr := app.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("restore: table %s: %w", t.Name, err)
	}
	if _, err := conn.ExecContext(ctx, `INSERT INTO main.`+quoteIdent(t.Name)+` (`+strings.Join(names, ", ")+`) SELECT `+
		strings.Join(casts, ", ")+` FROM `+restoreStage); err != nil {
		return fmt.Errorf("restore: table %s: %w", t.Name, err)
	}
	_, err = conn.ExecContext(ctx, `DROP TABLE `+restoreStage)
	return err
}

// setSequences makes each sequence give next what it would have in the
// backed-up store (DuckDB has no setval: the new sequence is advanced).
func setSequences(ctx context.Context, conn *sql.Conn, m *Manifest, dir string) error {
	have, err := sequences(ctx, conn)
	if err != nil {
		return fmt.Errorf("restore: %w", err)
	}
	if len(have) != len(m.Sequences) {
		return badBackup(dir, ManifestName, "%d sequences; schema version %d has %d", len(m.Sequences), m.SchemaVersion, len(have))
	}
	for _, sq := range m.Sequences {
		i := slices.IndexFunc(have, func(h BackupSequence) bool { return h.Name == sq.Name })
		if i < 0 {
			return badBackup(dir, ManifestName, "sequence %s is not in schema version %d", sq.Name, m.SchemaVersion)
		}
		if sq.Next <= have[i].Next {
			continue
		}
		var last int64
		lit := "'" + strings.ReplaceAll(sq.Name, "'", "''") + "'"
		if err := conn.QueryRowContext(ctx, `SELECT max(nextval(`+lit+`)) FROM range(?)`, sq.Next-have[i].Next).Scan(&last); err != nil {
			return fmt.Errorf("restore: sequence %s: %w", sq.Name, err)
		}
		if last != sq.Next-1 {
			return fmt.Errorf("restore: sequence %s is at %d, want %d", sq.Name, last, sq.Next-1)
		}
	}
	return nil
}

// checkCounts compares the restored store's row counts with the backup's.
func checkCounts(ctx context.Context, db *sql.DB, m *Manifest) error {
	for _, t := range m.Tables {
		var n int64
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM main.`+quoteIdent(t.Name)).Scan(&n); err != nil {
			return fmt.Errorf("restore: count %s: %w", t.Name, err)
		}
		if n != t.Rows {
			return fmt.Errorf("restore: table %s has %d rows after the restore, the backup %d: nothing was replaced", t.Name, n, t.Rows)
		}
	}
	return nil
}
