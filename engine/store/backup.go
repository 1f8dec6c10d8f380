package store

// Backups. A backup is a logical copy of every table of the store, read in
// one transaction: DuckDB gives a transaction one snapshot of the whole
// database, so the copy is consistent even while `lipwatch serve` keeps
// writing (the portal writes audit rows and sessions without serve's job
// lock). A file copy after a CHECKPOINT would be consistent only if no
// write came between the checkpoint and the copy's end, which nothing in
// serve can promise; and DuckDB's EXPORT DATABASE writes files from SQL,
// which the store refuses for every connection (enable_external_access,
// see Open).
//
// A backup directory holds one gzip'd JSON-lines file per table (each row
// a JSON array of the columns' values as DuckDB's text, BLOBs in base64,
// NULL as null, rows in a fixed order), manifest.json (the store's id,
// schema version, when, the lipwatch and DuckDB versions, per table its
// columns, row count and the SHA-256 of its rows, the sequences' next
// values, per file its size and SHA-256) and SHA256SUMS over all of them,
// in the format `sha256sum -c` reads.

import (
	"bufio"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Names in a backup directory.
const (
	ManifestName = "manifest.json"
	SumsName     = "SHA256SUMS"
	backupFormat = "lipwatch-backup"
	backupV1     = 1
)

// Manifest describes a backup.
type Manifest struct {
	Format        string           `json:"format"`
	FormatVersion int              `json:"format_version"`
	StoreID       string           `json:"store_id"`
	SchemaVersion int              `json:"schema_version"`
	CreatedAt     time.Time        `json:"created_at"`
	Lipwatch      string           `json:"lipwatch_version,omitempty"`
	DuckDB        string           `json:"duckdb_version"`
	StorePath     string           `json:"store_path"`
	Tables        []BackupTable    `json:"tables"`
	Sequences     []BackupSequence `json:"sequences"`
	Files         []BackupFile     `json:"files"`
}

// BackupTable is one table of a backup.
type BackupTable struct {
	Name    string         `json:"name"`
	File    string         `json:"file"`
	Rows    int64          `json:"rows"`
	Columns []BackupColumn `json:"columns"`
	// ContentSHA256 is the SHA-256 of the table's rows as the file holds
	// them, uncompressed: a restore reads the restored table back the same
	// way and compares, so it proves the same contents, not just counts.
	ContentSHA256 string `json:"content_sha256"`
}

// BackupColumn is a column and its DuckDB type.
type BackupColumn struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

// BackupSequence is a sequence and the value its next nextval gives.
type BackupSequence struct {
	Name string `json:"name"`
	Next int64  `json:"next"`
}

// BackupFile is one file of a backup.
type BackupFile struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	SHA256 string `json:"sha256"`
}

// Rows is the number of rows of the backup, all tables.
func (m *Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// Table returns the manifest's entry for a table.
func (m *Manifest) Table(name string) (BackupTable, bool) {
	for _, t := range m.Tables {
		if t.Name == name {
			return t, true
		}
	}
	return BackupTable{}, false
}

// Backup writes a consistent copy of the store into dir, which must not
// exist or be empty; lipwatch is the version recorded in the manifest. On
// failure the files it wrote are removed (and dir, if it made it).
func (s *Store) Backup(ctx context.Context, dir, lipwatch string) (m *Manifest, err error) {
	made, err := backupDir(dir)
	if err != nil {
		return nil, err
	}
	var written []string
	defer func() {
		if err == nil {
			return
		}
		for _, f := range written {
			os.Remove(filepath.Join(dir, f))
		}
		if made {
			os.Remove(dir)
		}
	}()
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer conn.Close()
	// One transaction, one snapshot: every table as of the same moment.
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer tx.Rollback()
	m = &Manifest{Format: backupFormat, FormatVersion: backupV1, CreatedAt: time.Now().UTC().Truncate(time.Second),
		Lipwatch: lipwatch, StorePath: s.path}
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&m.SchemaVersion); err != nil {
		return nil, fmt.Errorf("backup: schema version: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT value FROM store_meta WHERE key = 'store_id'`).Scan(&m.StoreID); err != nil {
		return nil, fmt.Errorf("backup: store id: %w", err)
	}
	if err := tx.QueryRowContext(ctx, `SELECT library_version FROM pragma_version()`).Scan(&m.DuckDB); err != nil {
		return nil, fmt.Errorf("backup: duckdb version: %w", err)
	}
	tables, err := tableColumns(ctx, tx)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	for _, t := range tables {
		t.File = t.Name + ".jsonl.gz"
		written = append(written, t.File)
		f, err := writeTableFile(ctx, tx, dir, &t)
		if err != nil {
			return nil, fmt.Errorf("backup: table %s: %w", t.Name, err)
		}
		m.Tables = append(m.Tables, t)
		m.Files = append(m.Files, f)
	}
	if m.Sequences, err = sequences(ctx, tx); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	written = append(written, ManifestName)
	mf, err := writeFileSynced(filepath.Join(dir, ManifestName), append(b, '\n'))
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	// SHA256SUMS last: a backup without it was not finished.
	var sums strings.Builder
	for _, f := range append(slices.Clone(m.Files), mf) {
		fmt.Fprintf(&sums, "%s  %s\n", f.SHA256, f.Name)
	}
	written = append(written, SumsName)
	if _, err := writeFileSynced(filepath.Join(dir, SumsName), []byte(sums.String())); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	syncDir(dir)
	return m, nil
}

// backupDir makes dir (owner only) or checks that it is empty; made says
// whether it made it.
func backupDir(dir string) (made bool, err error) {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return false, fmt.Errorf("backup: %w", err)
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("backup: %w", err)
	case len(entries) > 0:
		return false, fmt.Errorf("backup: %s is not empty: give a new directory for each backup", dir)
	}
	return false, nil
}

// rowQuerier is what *sql.Tx and *sql.Conn offer for reading.
type rowQuerier interface {
	querier
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// tableColumns lists the store's tables (main schema; not DuckDB's own,
// nor temporary ones, nor link_people: the registry's blocking keys, made
// from the registry by the next link pass, 145 MB at a million people)
// with their columns in order, sorted by name.
func tableColumns(ctx context.Context, q rowQuerier) ([]BackupTable, error) {
	rows, err := q.QueryContext(ctx, `SELECT c.table_name, c.column_name, c.data_type
		FROM duckdb_columns() c JOIN duckdb_tables() t USING (database_name, schema_name, table_name)
		WHERE c.database_name = current_database() AND c.schema_name = 'main' AND NOT t.internal AND NOT t.temporary
		  AND c.table_name <> 'link_people'
		ORDER BY c.table_name, c.column_index`)
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []BackupTable
	for rows.Next() {
		var table string
		var c BackupColumn
		if err := rows.Scan(&table, &c.Name, &c.Type); err != nil {
			return nil, err
		}
		if len(out) == 0 || out[len(out)-1].Name != table {
			out = append(out, BackupTable{Name: table})
		}
		out[len(out)-1].Columns = append(out[len(out)-1].Columns, c)
	}
	return out, rows.Err()
}

// sequences lists the store's sequences with the value each gives next.
func sequences(ctx context.Context, q rowQuerier) ([]BackupSequence, error) {
	rows, err := q.QueryContext(ctx, `SELECT sequence_name, start_value, increment_by, last_value FROM duckdb_sequences()
		WHERE database_name = current_database() AND schema_name = 'main' AND NOT temporary ORDER BY sequence_name`)
	if err != nil {
		return nil, fmt.Errorf("list sequences: %w", err)
	}
	defer rows.Close()
	var out []BackupSequence
	for rows.Next() {
		var name string
		var start, inc int64
		var last sql.NullInt64
		if err := rows.Scan(&name, &start, &inc, &last); err != nil {
			return nil, err
		}
		if inc != 1 {
			return nil, fmt.Errorf("sequence %s: increment %d; a backup knows sequences that count by 1", name, inc)
		}
		next := start
		if last.Valid {
			next = last.Int64 + 1
		}
		out = append(out, BackupSequence{Name: name, Next: next})
	}
	return out, rows.Err()
}

func isBlob(typ string) bool { return typ == "BLOB" }

// selectRows is the query that reads a table as a backup holds it: each
// column as DuckDB's text (a BLOB in base64), in an order fixed by the
// values, so that the same contents read the same bytes.
func selectRows(t BackupTable) string {
	cols := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		if isBlob(c.Type) {
			cols[i] = "to_base64(" + quoteIdent(c.Name) + ")"
		} else {
			cols[i] = "CAST(" + quoteIdent(c.Name) + " AS VARCHAR)"
		}
	}
	return "SELECT " + strings.Join(cols, ", ") + " FROM main." + quoteIdent(t.Name) + " ORDER BY ALL"
}

// encodeRows reads table t through q, in the backup's form, into w (one
// JSON array a line), returning the row count and the SHA-256 of what it
// wrote.
func encodeRows(ctx context.Context, q querier, t BackupTable, w io.Writer) (int64, string, error) {
	rows, err := q.QueryContext(ctx, selectRows(t))
	if err != nil {
		return 0, "", err
	}
	defer rows.Close()
	h := sha256.New()
	bw := bufio.NewWriterSize(io.MultiWriter(w, h), 1<<16)
	vals := make([]sql.NullString, len(t.Columns))
	ptrs := make([]any, len(vals))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	row := make([]any, len(vals))
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, "", err
		}
		for i, v := range vals {
			row[i] = nil
			if v.Valid {
				row[i] = v.String
			}
		}
		b, err := json.Marshal(row)
		if err != nil {
			return 0, "", err
		}
		bw.Write(b)
		bw.WriteByte('\n')
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, "", err
	}
	if err := bw.Flush(); err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// writeTableFile writes table t's rows into dir/t.File, gzip'd, filling in
// t's count and content hash.
func writeTableFile(ctx context.Context, q querier, dir string, t *BackupTable) (BackupFile, error) {
	path := filepath.Join(dir, t.File)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if err != nil {
		return BackupFile{}, err
	}
	defer f.Close()
	fh := sha256.New()
	cw := &countWriter{w: io.MultiWriter(f, fh)}
	zw, _ := gzip.NewWriterLevel(cw, gzip.BestSpeed)
	if t.Rows, t.ContentSHA256, err = encodeRows(ctx, q, *t, zw); err != nil {
		return BackupFile{}, err
	}
	if err := zw.Close(); err != nil {
		return BackupFile{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return BackupFile{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return BackupFile{}, fmt.Errorf("write %s: %w", path, err)
	}
	return BackupFile{Name: t.File, Bytes: cw.n, SHA256: hex.EncodeToString(fh.Sum(nil))}, nil
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

func writeFileSynced(path string, b []byte) (BackupFile, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL|oNoFollow, 0o600)
	if err != nil {
		return BackupFile{}, err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return BackupFile{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return BackupFile{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return BackupFile{}, fmt.Errorf("write %s: %w", path, err)
	}
	sum := sha256.Sum256(b)
	return BackupFile{Name: filepath.Base(path), Bytes: int64(len(b)), SHA256: hex.EncodeToString(sum[:])}, nil
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// ErrBadBackup reports a backup that is damaged, incomplete or not a
// lipwatch backup; the message names the file.
var ErrBadBackup = errors.New("not a usable backup")

func badBackup(dir, file, format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrBadBackup, filepath.Join(dir, file), fmt.Sprintf(format, a...))
}

// VerifyBackup checks the backup in dir without touching any store: every
// file SHA256SUMS names is there with its checksum (the manifest too), the
// manifest is a lipwatch backup's, and each table's file reads as rows of
// its columns, as many as the manifest says, with the content hash it
// records. An error names the file at fault.
func VerifyBackup(dir string) (*Manifest, error) {
	sums, err := os.ReadFile(filepath.Join(dir, SumsName))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, badBackup(dir, SumsName, "missing: not a lipwatch backup, or one that did not finish")
		}
		return nil, badBackup(dir, SumsName, "%v", err)
	}
	want := map[string]string{}
	for i, line := range strings.Split(strings.TrimRight(string(sums), "\n"), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok || len(sum) != 64 || name == "" || strings.ContainsAny(name, `/\`) || name == ".." {
			return nil, badBackup(dir, SumsName, "line %d is not \"<sha256>  <file>\"", i+1)
		}
		want[name] = sum
	}
	if _, ok := want[ManifestName]; !ok {
		return nil, badBackup(dir, SumsName, "does not list %s", ManifestName)
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range want {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		got, err := fileSHA256(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return nil, badBackup(dir, name, "missing (listed in %s)", SumsName)
		}
		if err != nil {
			return nil, badBackup(dir, name, "%v", err)
		}
		if got != want[name] {
			return nil, badBackup(dir, name, "damaged: its SHA-256 is %s, %s says %s", got, SumsName, want[name])
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, ManifestName))
	if err != nil {
		return nil, badBackup(dir, ManifestName, "%v", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, badBackup(dir, ManifestName, "%v", err)
	}
	if m.Format != backupFormat {
		return nil, badBackup(dir, ManifestName, "format %q, not %q", m.Format, backupFormat)
	}
	if m.FormatVersion != backupV1 {
		return nil, badBackup(dir, ManifestName, "format version %d; this lipwatch reads %d", m.FormatVersion, backupV1)
	}
	files := map[string]BackupFile{}
	for _, f := range m.Files {
		files[f.Name] = f
		if want[f.Name] != f.SHA256 {
			return nil, badBackup(dir, f.Name, "the manifest and %s disagree on its SHA-256", SumsName)
		}
	}
	for _, t := range m.Tables {
		if _, ok := files[t.File]; !ok || strings.ContainsAny(t.File, `/\`) {
			return nil, badBackup(dir, ManifestName, "table %s: its file %q is not among the backup's files", t.Name, t.File)
		}
		if err := verifyTableFile(dir, t); err != nil {
			return nil, err
		}
	}
	return &m, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// verifyTableFile reads a table's file through: rows of the table's
// width, the manifest's count and content hash.
func verifyTableFile(dir string, t BackupTable) error {
	var n int64
	h := sha256.New()
	err := readTableFile(dir, t, h, func([]*string) error { n++; return nil })
	if err != nil {
		return err
	}
	if n != t.Rows {
		return badBackup(dir, t.File, "%d rows; the manifest says %d", n, t.Rows)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != t.ContentSHA256 {
		return badBackup(dir, t.File, "its rows' SHA-256 is %s; the manifest says %s", got, t.ContentSHA256)
	}
	return nil
}

// readTableFile hands each row of a table's file to fn, and its
// uncompressed bytes to h.
func readTableFile(dir string, t BackupTable, h hash.Hash, fn func([]*string) error) error {
	f, err := os.Open(filepath.Join(dir, t.File))
	if err != nil {
		return badBackup(dir, t.File, "%v", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(bufio.NewReaderSize(f, 1<<16))
	if err != nil {
		return badBackup(dir, t.File, "%v", err)
	}
	br := bufio.NewReaderSize(zr, 1<<16)
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			h.Write(b)
			var row []*string
			if jerr := json.Unmarshal(b, &row); jerr != nil {
				return badBackup(dir, t.File, "row %d: %v", line, jerr)
			}
			if len(row) != len(t.Columns) {
				return badBackup(dir, t.File, "row %d has %d values; table %s has %d columns", line, len(row), t.Name, len(t.Columns))
			}
			if ferr := fn(row); ferr != nil {
				return ferr
			}
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return badBackup(dir, t.File, "%v", err)
		}
	}
}
