package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/lipwatch/lipwatch/engine/dataset"
)

// Load is one row of the load ledger: one stream of one source.
type Load struct {
	ID          int64
	Source      string
	Dataset     string
	Stream      string
	Hash        string
	Read        int64 // rows read from the stream (data rows, bad ones included)
	Loaded      int64 // rows new to the dataset table
	Duplicates  int64 // rows whose natural key was already loaded (or repeated in the stream)
	Quarantined int64 // rows sent to quarantine
	Started     time.Time
	Finished    time.Time
	Status      string // ok | failed
	Error       string
}

// Ledger statuses.
const (
	StatusOK     = "ok"
	StatusFailed = "failed"
)

// SourceLoad loads one source's streams in a single transaction: either
// every stream's rows, quarantine entries and ledger rows are committed, or
// none are. It holds one connection of the store until Commit or Rollback.
type SourceLoad struct {
	conn    *sql.Conn
	raw     driver.Conn
	source  string
	ds      *dataset.Dataset
	qstage  string
	started time.Time
	done    bool
}

// BeginLoad starts loading source into dataset ds.
func (s *Store) BeginLoad(ctx context.Context, source string, ds *dataset.Dataset) (*SourceLoad, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", source, err)
	}
	l := &SourceLoad{conn: conn, source: source, ds: ds, qstage: "stage_quarantine", started: time.Now().UTC()}
	if err := conn.Raw(func(dc any) error {
		var ok bool
		l.raw, ok = dc.(driver.Conn)
		if !ok {
			return errors.New("not a driver connection")
		}
		return nil
	}); err != nil {
		conn.Close()
		return nil, fmt.Errorf("load %s: %w", source, err)
	}
	for _, q := range []string{
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %s AS SELECT * FROM quarantine LIMIT 0`, l.qstage),
		`BEGIN TRANSACTION`,
	} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			l.release(ctx)
			return nil, fmt.Errorf("load %s: %w", source, err)
		}
	}
	return l, nil
}

// StreamLoad appends one stream's rows inside a SourceLoad.
type StreamLoad struct {
	l        *SourceLoad
	load     Load
	rows     *duckdb.Appender
	quar     *duckdb.Appender
	buf      []driver.Value
	loadedAt time.Time
	staged   int64
	before   int64 // rows in the dataset table when the stream started
}

// Stream starts one stream (e.g. a file) of the load, with its content hash.
func (l *SourceLoad) Stream(ctx context.Context, name, hash string) (*StreamLoad, error) {
	var id int64
	if err := l.conn.QueryRowContext(ctx, `SELECT nextval('load_id_seq')`).Scan(&id); err != nil {
		return nil, fmt.Errorf("load %s %s: %w", l.source, name, err)
	}
	now := time.Now().UTC()
	sl := &StreamLoad{l: l, loadedAt: now, load: Load{ID: id, Source: l.source, Dataset: l.ds.Name,
		Stream: name, Hash: hash, Started: now}}
	if err := l.conn.QueryRowContext(ctx, `SELECT count(*) FROM `+l.ds.Name).Scan(&sl.before); err != nil {
		return nil, fmt.Errorf("load %s %s: %w", l.source, name, err)
	}
	var err error
	if sl.rows, err = duckdb.NewAppender(l.raw, "", "main", l.ds.Name); err != nil {
		return nil, fmt.Errorf("load %s %s: appender: %w", l.source, name, err)
	}
	if sl.quar, err = duckdb.NewAppender(l.raw, "temp", "main", l.qstage); err != nil {
		sl.rows.Close()
		return nil, fmt.Errorf("load %s %s: appender: %w", l.source, name, err)
	}
	sl.buf = make([]driver.Value, len(l.ds.Fields)+6)
	return sl, nil
}

// ID is the stream's load id in the ledger.
func (sl *StreamLoad) ID() int64 { return sl.load.ID }

// Append adds one valid record (values in the dataset's field order, as
// the dataset Mapper produces them) with its natural key and position.
func (sl *StreamLoad) Append(values []any, key string, pos int64) error {
	n := len(values)
	for i, v := range values {
		sl.buf[i] = v
	}
	sl.buf[n] = key
	sl.buf[n+1] = sl.load.Source
	sl.buf[n+2] = sl.load.ID
	sl.buf[n+3] = sl.loadedAt
	sl.buf[n+4] = sl.load.Stream
	sl.buf[n+5] = pos
	if err := sl.rows.AppendRow(sl.buf...); err != nil {
		return fmt.Errorf("stage %s row %d: %w", sl.load.Stream, pos, err)
	}
	sl.staged++
	return nil
}

// Quarantine records a row that failed validation, with its raw content.
func (sl *StreamLoad) Quarantine(pos int64, raw string, p *dataset.Problem) error {
	err := sl.quar.AppendRow(sl.load.ID, sl.load.Source, sl.load.Dataset, sl.load.Stream, pos, raw,
		p.Code, nullable(p.Field), nullable(p.Column), p.Reason, sl.loadedAt)
	if err != nil {
		return fmt.Errorf("quarantine %s row %d: %w", sl.load.Stream, pos, err)
	}
	sl.load.Quarantined++
	return nil
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Finish completes the stream: the rows appended straight into the dataset
// table are checked against their natural keys, and those already loaded
// (or repeated within the stream, keeping the first) are taken out again
// and counted as duplicates; new quarantine entries are added and the ledger
// row is written. Appending first and removing the few duplicates after is
// much cheaper than staging every row and copying it. read is the number of
// data rows read from the stream.
func (sl *StreamLoad) Finish(ctx context.Context, read int64) (Load, error) {
	l := sl.l
	fail := func(what string, err error) (Load, error) {
		return sl.load, fmt.Errorf("load %s %s: %s: %w", l.source, sl.load.Stream, what, err)
	}
	if err := errors.Join(sl.rows.Close(), sl.quar.Close()); err != nil {
		return fail("flush", err)
	}
	var dups int64
	if sl.before > 0 {
		res, err := l.conn.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %[1]s WHERE _load_id = $1
			AND _key IN (SELECT _key FROM %[1]s WHERE _load_id <> $1)`, l.ds.Name), sl.load.ID)
		if err != nil {
			return fail("duplicates", err)
		}
		n, _ := res.RowsAffected()
		dups += n
	}
	var repeated int64
	if err := l.conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) - count(DISTINCT _key) FROM %s WHERE _load_id = $1`,
		l.ds.Name), sl.load.ID).Scan(&repeated); err != nil {
		return fail("duplicates", err)
	}
	if repeated > 0 {
		res, err := l.conn.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %[1]s WHERE rowid IN (
			SELECT rowid FROM %[1]s WHERE _load_id = $1
			QUALIFY row_number() OVER (PARTITION BY _key ORDER BY _position) > 1)`, l.ds.Name), sl.load.ID)
		if err != nil {
			return fail("duplicates", err)
		}
		n, _ := res.RowsAffected()
		dups += n
	}
	// A row quarantined before from the same stream at the same position is
	// not recorded twice when a changed file is read again.
	if _, err := l.conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO quarantine
		SELECT q.* FROM %[1]s q ANTI JOIN quarantine o
		ON q.source = o.source AND q.stream = o.stream AND q.position = o.position AND q.raw = o.raw`, l.qstage)); err != nil {
		return fail("quarantine", err)
	}
	if _, err := l.conn.ExecContext(ctx, "DELETE FROM "+l.qstage); err != nil {
		return fail("quarantine", err)
	}
	sl.load.Read = read
	sl.load.Loaded = sl.staged - dups
	sl.load.Duplicates = dups
	sl.load.Finished = time.Now().UTC()
	sl.load.Status = StatusOK
	if err := insertLoad(ctx, l.conn, sl.load); err != nil {
		return fail("ledger", err)
	}
	return sl.load, nil
}

// Abort discards a stream's appenders after an error; the caller then
// rolls the whole SourceLoad back.
func (sl *StreamLoad) Abort() {
	sl.rows.Close()
	sl.quar.Close()
}

type execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

func insertLoad(ctx context.Context, db execer, ld Load) error {
	var finished any
	if !ld.Finished.IsZero() {
		finished = ld.Finished
	}
	_, err := db.ExecContext(ctx, `INSERT INTO loads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ld.ID, ld.Source, ld.Dataset, ld.Stream, nullable(ld.Hash), ld.Read, ld.Loaded, ld.Duplicates,
		ld.Quarantined, ld.Started, finished, ld.Status, nullable(ld.Error))
	return err
}

// Commit makes the whole source load visible at once.
func (l *SourceLoad) Commit(ctx context.Context) error {
	if l.done {
		return errors.New("load already finished")
	}
	_, err := l.conn.ExecContext(ctx, `COMMIT`)
	if err != nil {
		l.conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	}
	l.release(ctx)
	if err != nil {
		return fmt.Errorf("commit %s: %w", l.source, err)
	}
	return nil
}

// Rollback discards everything the load staged. It is safe after Commit.
func (l *SourceLoad) Rollback(ctx context.Context) error {
	if l.done {
		return nil
	}
	_, err := l.conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
	l.release(ctx)
	return err
}

func (l *SourceLoad) release(ctx context.Context) {
	ctx = context.WithoutCancel(ctx)
	l.conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+l.qstage)
	l.conn.Close()
	l.done = true
}

// RecordFailure writes a failed ledger row for a stream (or, with stream
// "", the source as a whole) after its load was rolled back, so the failure
// shows in `lipwatch sources` and the run summary.
func (s *Store) RecordFailure(ctx context.Context, source, ds, stream, hash string, started time.Time, cause error) error {
	var id int64
	if err := s.db.QueryRowContext(ctx, `SELECT nextval('load_id_seq')`).Scan(&id); err != nil {
		return err
	}
	return insertLoad(ctx, s.db, Load{ID: id, Source: source, Dataset: ds, Stream: stream, Hash: hash,
		Started: started, Finished: time.Now().UTC(), Status: StatusFailed, Error: cause.Error()})
}
