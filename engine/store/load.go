package store

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/lipwatch/lipwatch/engine/dataset"
)

// Load is one row of the load ledger: one stream of one source in one sync.
// Read = Loaded + Duplicates + Quarantined.
type Load struct {
	ID          int64
	SyncID      int64
	Source      string
	Dataset     string
	Stream      string
	Hash        string
	Read        int64 // data rows read from the stream, bad ones included
	Loaded      int64 // rows new to the dataset table
	Duplicates  int64 // rows already loaded, or bad rows already in quarantine
	Quarantined int64 // rows newly quarantined: bad rows and key conflicts
	// Bad counts the rows of this read that are bad (key conflicts
	// included, blank rows not), whether newly quarantined or already there
	// from an earlier version of the stream: what the stream is worth now.
	Bad int64
	// Blank counts the blank rows read (quarantined as blank_row): Excel's
	// formatted empty rows below a table are not missing data.
	Blank int64
	// Counted are the rows read that were only counted (Count), not
	// quarantined one by one: copies of a bad or blank row past the first
	// few. They are in Read, and in Bad or Blank.
	Counted int64
	// Replaced counts loaded rows that took the place of a row with the
	// same natural key and other values (on_conflict: replace); they are
	// also in Loaded.
	Replaced int64
	// Unresolved counts the rows of this read kept with an unusable ID
	// number for identity resolution (id_number "?…", 身份证号无法使用，待身份
	// 识别; see dataset.Unresolved), new or sent again: they are in Loaded
	// or Duplicates, and join no person until the linker links them.
	Unresolved int64
	// UnresolvedReasons break Unresolved down by the ID number's problem
	// and column (filled by the loader's caller, not stored).
	UnresolvedReasons []ReasonCount
	Reasons           []ReasonCount
	// Notes are what the reader noticed about the stream (hidden rows,
	// merged cells, computed formulas ...); never personal data.
	Notes    []Note
	Started  time.Time
	Finished time.Time
	// Status is ok, degraded (committed, but the rows were mostly
	// quarantined or there were none: Error says which), unchanged or
	// failed (nothing of the stream was kept: Error says why).
	Status string
	Error  string
	// Origin is "sync", or "retry" for a quarantine retry.
	Origin string
}

// Note is something a reader noticed about a stream (connectors.Note).
type Note struct {
	Code  string `json:"code"`
	Count int64  `json:"count"`
	Text  string `json:"text"`
}

// ReasonCount is how many rows were newly quarantined for one reason.
type ReasonCount struct {
	Code   string
	Column string
	Count  int64
}

// Ledger statuses.
const (
	StatusOK        = "ok"
	StatusDegraded  = "degraded"
	StatusUnchanged = "unchanged"
	StatusFailed    = "failed"
)

// Origins of ledger rows.
const (
	OriginSync  = "sync"
	OriginRetry = "retry"
	// OriginReconcile marks the ledger row of a failed reconciliation (a
	// full re-read after the night's incremental one): kept for sources
	// check, left out of the source's status and health, since the
	// night's own read stands.
	OriginReconcile = "reconcile"
	// OriginLink marks the ledger row of identity resolution applying or
	// undoing links (source LinkSource): the rows it changed take its id.
	OriginLink = "link"
)

// KeyConflict is the quarantine reason of a row whose natural key is
// already loaded with different values (a correction, or two records
// claiming the same identity): it is kept for an analyst, not applied.
const KeyConflict = "key_conflict"

// NewSyncID allocates the id that groups the ledger rows of one sync of
// one source.
func (s *Store) NewSyncID(ctx context.Context) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT nextval('load_id_seq')`).Scan(&id)
	return id, err
}

// SourceLoad loads one source's streams in a single transaction: either
// every stream's rows, quarantine entries and ledger rows are committed, or
// none are. It holds its own DuckDB connection, outside database/sql's
// pool, until Commit or Rollback.
type SourceLoad struct {
	dc      driver.Conn
	replace bool // on_conflict: replace
	origin  string
	touch   bool // TouchRepeats
	judge   func(Load) string
	source  string
	syncID  int64
	ds      *dataset.Dataset
	started time.Time
	done    bool
}

const qstage = "stage_quarantine"

// rstage is the temporary table of a stream's held rows (StreamLoad.Append).
const rstage = "stage_rows"

// BeginLoad starts loading source into dataset ds as part of sync syncID.
func (s *Store) BeginLoad(ctx context.Context, source string, syncID int64, ds *dataset.Dataset) (*SourceLoad, error) {
	dc, err := s.connector.Connect(ctx)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", source, err)
	}
	l := &SourceLoad{dc: dc, source: source, syncID: syncID, ds: ds, started: time.Now().UTC(), origin: OriginSync}
	for _, q := range []string{
		`CREATE OR REPLACE TEMP TABLE ` + qstage + ` AS SELECT * FROM quarantine LIMIT 0`,
		`BEGIN TRANSACTION`,
	} {
		if _, err := l.exec(ctx, q); err != nil {
			l.release(ctx)
			return nil, fmt.Errorf("load %s: %w", source, err)
		}
	}
	return l, nil
}

func named(args []any) []driver.NamedValue {
	nv := make([]driver.NamedValue, len(args))
	for i, a := range args {
		nv[i] = driver.NamedValue{Ordinal: i + 1, Value: a}
	}
	return nv
}

// Judge sets a function that looks at each finished stream's counts and
// returns why the stream is degraded (most of its rows quarantined, no data
// rows), or "" when it is fine. A degraded stream is committed like any
// other; its ledger row says degraded, with the reason as its error.
func (l *SourceLoad) Judge(fn func(Load) string) { l.judge = fn }

// TouchRepeats makes the rows a stream repeats, unchanged, from an earlier
// load take the stream's load id and place, as if read now: for datasets in
// which the newest load's state wins (the registry, the assistance roster),
// a re-sent older file must win over a wrong version loaded in between.
func (l *SourceLoad) TouchRepeats() { l.touch = true }

// MarkRetry records the load's ledger rows as a quarantine retry rather
// than a sync.
func (l *SourceLoad) MarkRetry() { l.origin = OriginRetry }

// ReplaceConflicts makes the load take a row whose natural key is already
// loaded with other values in place of the old one (a source that sends
// corrections), instead of quarantining it as a key conflict. Within one
// stream the last of several such rows wins.
func (l *SourceLoad) ReplaceConflicts() { l.replace = true }

// exec runs a statement on the load's connection and returns rows affected.
func (l *SourceLoad) exec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := l.dc.(driver.ExecerContext).ExecContext(ctx, q, named(args))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// query runs a query on the load's connection and hands each row to fn.
func (l *SourceLoad) query(ctx context.Context, q string, fn func([]driver.Value) error, args ...any) error {
	rows, err := l.dc.(driver.QueryerContext).QueryContext(ctx, q, named(args))
	if err != nil {
		return err
	}
	defer rows.Close()
	dest := make([]driver.Value, len(rows.Columns()))
	for {
		if err := rows.Next(dest); errors.Is(err, io.EOF) {
			return nil
		} else if err != nil {
			return err
		}
		if err := fn(dest); err != nil {
			return err
		}
	}
}

func (l *SourceLoad) queryInt(ctx context.Context, q string, args ...any) (int64, error) {
	var n int64
	err := l.query(ctx, q, func(v []driver.Value) error {
		n = toInt(v[0])
		return nil
	}, args...)
	return n, err
}

func toInt(v driver.Value) int64 {
	switch x := v.(type) {
	case int64:
		return x
	case int32:
		return int64(x)
	case uint64:
		return int64(x)
	case float64:
		return int64(x)
	}
	return 0
}

// StreamLoad appends one stream's rows inside a SourceLoad.
type StreamLoad struct {
	l    *SourceLoad
	load Load
	rows *duckdb.Appender // into the dataset table
	held *duckdb.Appender // into rstage: rows whose key may be loaded already
	quar *duckdb.Appender
	// seen holds the keys appended to the table, when it held no rows
	// as the stream started; nil otherwise, when every row is held.
	seen     *keyFilter
	buf      []driver.Value
	loadedAt time.Time
	appended int64 // valid rows appended
	bad      int64 // bad rows staged for quarantine, blank ones aside
	blank    int64 // blank rows staged for quarantine
	cbad     int64 // bad rows only counted
	cblank   int64 // blank rows only counted
	before   int64 // rows in the dataset table when the stream started
	mark     *string
	fullRead string     // why an incremental stream was read in full; "" when not (MarkFullRead)
	resolved []resolved // quarantined rows a retry took care of
	reorder  []reorder  // load ids retried rows keep (KeepOrder)
	// order maps the table's columns to buf's values (columnOrder); row
	// is buf in the table's order.
	order []int
	row   []driver.Value
	// idIdx is the id_number field of a linkable dataset, -1 otherwise;
	// unresolved counts the rows appended whose ID is unresolved.
	idIdx      int
	unresolved int64
}

// SetNotes records what the reader noticed about the stream.
func (sl *StreamLoad) SetNotes(notes []Note) { sl.load.Notes = notes }

// NoteFullRead is the note on the load of an incremental stream read in
// full: on its first load, by sync --full, or by the source's periodic
// reconciliation (config reconcile: 7d). Its Count is the rows the read
// loaded that were not loaded before: for a reconciliation, which runs
// right after the night's incremental read, the rows the incremental
// reads had missed.
const NoteFullRead = "full_read"

// MarkFullRead says the stream is an incremental one read in full, and
// why ("reconciliation every 7d", "sync --full", "first load"); Finish
// adds a NoteFullRead note counting the rows it loaded.
func (sl *StreamLoad) MarkFullRead(why string) { sl.fullRead = why }

// Expect tells the load how many rows the stream may hold (an estimate
// that errs high: memory is 10 bits a row), before its first row, so that
// its keyFilter is sized once: a filter grown from a small size costs
// twice as much a row (BenchmarkKeyFilter).
func (sl *StreamLoad) Expect(rows int64) {
	if sl.seen != nil {
		sl.seen.expect(rows)
	}
}

// SetWatermark records where an incremental stream stopped; Finish saves
// it with the rows, so it is kept only if the load commits.
func (sl *StreamLoad) SetWatermark(w string) { sl.mark = &w }

// Stream starts one stream (e.g. a file) of the load, with its content hash.
func (l *SourceLoad) Stream(ctx context.Context, name, hash string) (*StreamLoad, error) {
	id, err := l.queryInt(ctx, `SELECT nextval('load_id_seq')`)
	if err != nil {
		return nil, fmt.Errorf("load %s %s: %w", l.source, name, err)
	}
	now := time.Now().UTC()
	sl := &StreamLoad{l: l, loadedAt: now, load: Load{ID: id, SyncID: l.syncID, Source: l.source,
		Dataset: l.ds.Name, Stream: name, Hash: hash, Started: now, Origin: l.origin}}
	if sl.before, err = l.queryInt(ctx, `SELECT count(*) FROM `+l.ds.Name); err != nil {
		return nil, fmt.Errorf("load %s %s: %w", l.source, name, err)
	}
	if sl.order, err = l.columnOrder(ctx); err != nil {
		return nil, fmt.Errorf("load %s %s: %w", l.source, name, err)
	}
	// Created in the transaction, so that Finish's DROP discards it
	// whole: a temporary table is committed like any other, its deleted
	// rows taking the same slow path as the dataset table's (keyFilter).
	if _, err := l.exec(ctx, `CREATE OR REPLACE TEMP TABLE `+rstage+` AS SELECT * FROM `+l.ds.Name+` LIMIT 0`); err != nil {
		return nil, fmt.Errorf("load %s %s: %w", l.source, name, err)
	}
	if sl.before == 0 {
		sl.seen = &keyFilter{}
	}
	if sl.rows, err = duckdb.NewAppender(l.dc, "", "main", l.ds.Name); err != nil {
		return nil, fmt.Errorf("load %s %s: appender: %w", l.source, name, err)
	}
	if sl.held, err = duckdb.NewAppender(l.dc, "temp", "main", rstage); err != nil {
		sl.rows.Close()
		return nil, fmt.Errorf("load %s %s: appender: %w", l.source, name, err)
	}
	if sl.quar, err = duckdb.NewAppender(l.dc, "temp", "main", qstage); err != nil {
		sl.rows.Close()
		sl.held.Close()
		return nil, fmt.Errorf("load %s %s: appender: %w", l.source, name, err)
	}
	sl.buf = make([]driver.Value, len(l.ds.Fields)+len(lineageColumns))
	sl.row = make([]driver.Value, len(sl.order))
	sl.idIdx = -1
	if l.ds.Linkable() {
		for i, f := range l.ds.Fields {
			if f.Name == "id_number" {
				sl.idIdx = i
			}
		}
	}
	return sl, nil
}

// lineageColumns end every canonical table (migration 0001): the row's
// natural key, its source, load, load time, stream and position.
var lineageColumns = []string{"_key", "_source", "_load_id", "_loaded_at", "_stream", "_position"}

// columnOrder maps the dataset table's columns, in the table's own order,
// to the index of the value Append gives each (the dataset's fields, then
// the lineage columns), -1 for a column it does not fill (NULL): the
// Appender writes by position, so the loader follows the table as it is
// rather than assuming the order the migrations give it. A field or
// lineage column the table lacks is an error naming it.
func (l *SourceLoad) columnOrder(ctx context.Context) ([]int, error) {
	want := map[string]int{}
	for i, f := range l.ds.Fields {
		want[f.Name] = i
	}
	for i, c := range lineageColumns {
		want[c] = len(l.ds.Fields) + i
	}
	var order []int
	err := l.query(ctx, `SELECT column_name FROM duckdb_columns()
		WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $1
		ORDER BY column_index`, func(v []driver.Value) error {
		i, ok := want[v[0].(string)]
		if !ok {
			i = -1
		}
		delete(want, v[0].(string))
		order = append(order, i)
		return nil
	}, l.ds.Name)
	if err != nil {
		return nil, fmt.Errorf("columns of %s: %w", l.ds.Name, err)
	}
	if len(want) > 0 {
		missing := make([]string, 0, len(want))
		for c := range want {
			missing = append(missing, c)
		}
		sort.Strings(missing)
		return nil, fmt.Errorf("table %s lacks the columns %s: the store's schema is not this lipwatch's", l.ds.Name, strings.Join(missing, ", "))
	}
	return order, nil
}

// ID is the stream's load id in the ledger.
func (sl *StreamLoad) ID() int64 { return sl.load.ID }

// Append adds one valid record (values in the dataset's field order, as
// the dataset Mapper produces them) with its natural key and position.
// Money arrives as int64 fen: the DuckDB Appender writes an integer into a
// DECIMAL column as its scaled value, unchanged (a float would be
// truncated into it, not scaled), so fen in a DECIMAL(14,2) is yuan.
//
// values may stop short of the dataset's last fields (NULL then), as a
// caller written before a dataset gained its linkage fields does.
//
// A row goes into the dataset table only when its key cannot be loaded
// already: the table held no rows when the stream started and the
// stream's keyFilter has not seen the key. Every other row is held aside
// in rstage for Finish, so that no row appended is ever deleted again.
func (sl *StreamLoad) Append(values []any, key string, pos int64) error {
	n := len(sl.l.ds.Fields)
	if len(values) > n {
		return fmt.Errorf("%s:%d: append: %d values for the %d fields of %s", sl.load.Stream, pos, len(values), n, sl.l.ds.Name)
	}
	for i, v := range values {
		sl.buf[i] = v
	}
	clear(sl.buf[len(values):n])
	sl.buf[n] = key
	sl.buf[n+1] = sl.load.Source
	sl.buf[n+2] = sl.load.ID
	sl.buf[n+3] = sl.loadedAt
	sl.buf[n+4] = sl.load.Stream
	sl.buf[n+5] = pos
	for c, i := range sl.order {
		if i >= 0 {
			sl.row[c] = sl.buf[i]
		} else {
			sl.row[c] = nil
		}
	}
	dst := sl.rows
	if sl.seen == nil || sl.seen.seen(key) {
		dst = sl.held
	}
	if err := dst.AppendRow(sl.row...); err != nil {
		return fmt.Errorf("%s:%d: append: %w", sl.load.Stream, pos, err)
	}
	sl.appended++
	if sl.idIdx >= 0 {
		if id, ok := sl.buf[sl.idIdx].(string); ok && dataset.IsUnresolved(id) {
			sl.unresolved++
		}
	}
	return nil
}

// Quarantine records a row that failed validation, with its raw content.
func (sl *StreamLoad) Quarantine(pos int64, raw string, p *dataset.Problem) error {
	err := sl.quar.AppendRow(sl.load.ID, sl.load.Source, sl.load.Dataset, sl.load.Stream, pos, raw,
		p.Code, nullable(p.Field), nullable(p.Column), p.Reason, sl.loadedAt)
	if err != nil {
		return fmt.Errorf("%s:%d: quarantine: %w", sl.load.Stream, pos, err)
	}
	if p.Code == dataset.BlankRow {
		sl.blank++
	} else {
		sl.bad++
	}
	return nil
}

// Count records n more rows with problem p that are not quarantined one
// by one (copies of a row already in quarantine): they count as read and
// as bad or blank, so that a file's health is what it holds.
func (sl *StreamLoad) Count(p *dataset.Problem, n int64) {
	if p.Code == dataset.BlankRow {
		sl.cblank += n
	} else {
		sl.cbad += n
	}
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// Finish completes the stream. Into a table that held no rows, most rows
// went straight in as they were read; into one that did, every row was
// held aside (Append), to be copied in once here (0.04–0.07 s for a
// 70,000-row medical file). The held rows are now checked exactly:
// those whose natural key was already loaded, or repeats within the
// stream, are counted as duplicates when identical and quarantined as key
// conflicts when their values differ; the rest join the table. Bad rows
// already in quarantine from this stream are not recorded twice. Then the
// ledger row is written. read is the number of data rows read from the
// stream.
func (sl *StreamLoad) Finish(ctx context.Context, read int64) (Load, error) {
	l := sl.l
	fail := func(what string, err error) (Load, error) {
		return sl.load, fmt.Errorf("load %s: %s: %w", sl.load.Stream, what, err)
	}
	if err := errors.Join(sl.rows.Close(), sl.held.Close(), sl.quar.Close()); err != nil {
		return fail("flush", err)
	}
	ds, id := l.ds.Name, sl.load.ID
	differ := differs(l.ds, "n", "o")
	// olds is the rows of earlier loads that share a key with a held row:
	// the few the held rows are compared with. Cut to the held keys before
	// any join: a join of the stream's rows with the whole table, links
	// looked up for every row, cost 0.2–0.9 s per monthly file and grew
	// with the table (6.1 s of a million claims' 14.4 s sync), the cut one
	// 0.03–0.06 s (issue 14). When the table held no rows as the stream
	// started, there are none.
	olds := `(SELECT * FROM ` + ds + ` WHERE _load_id <> $1 AND _key IN (SELECT _key FROM ` + rstage + `))`
	conflictRow := fmt.Sprintf(`SELECT n._load_id, n._source, '%s', n._stream, n._position,
		to_json(struct_pack(%s))::VARCHAR, '%s', NULL, NULL,
		'same natural key (%s) as the row loaded from ' || o._stream || ':' || o._position || ', with different values: kept the loaded row',
		now()::TIMESTAMP`, ds, fieldList(l.ds, "n"), KeyConflict, strings.Join(l.ds.Key, ", "))
	// run executes statements in order, giving $1 (the load id) to those
	// that use it; n receives each one's count of rows.
	run := func(n []*int64, stmts ...string) error {
		for i, q := range stmts {
			var args []any
			if strings.Contains(q, "$1") {
				args = []any{id}
			}
			c, err := l.exec(ctx, q, args...)
			if err != nil {
				return err
			}
			if i < len(n) && n[i] != nil {
				*n[i] += c
			}
		}
		return nil
	}
	var conflicts, removed, replaced int64
	if sl.before > 0 {
		// Each held row that shares its key with a row of an earlier load,
		// and whether their values differ: one join, which every step
		// below reads. A join each (conflicts, unchanged repeats, copies)
		// took 20 s of the 37.5 s of a re-sent 1M-row registry.
		if err := run(nil, `CREATE OR REPLACE TEMP TABLE stage_match AS
			SELECT n.rowid AS _rid, n._key, n._stream, n._position, o._stream AS o_stream,
				o._position AS o_position, o._loaded_at AS o_loaded_at, (`+differ+`) AS _differs
			FROM `+rstage+` n JOIN `+olds+` o ON n._key = o._key`); err != nil {
			return fail("duplicates", err)
		}
	}
	if sl.before > 0 && l.replace { // corrections take the place of the loaded rows
		// A correction is known since the row it corrects was: rules
		// backtest then finds the record at past dates (with the
		// corrected values; the old ones are not kept). Deleting rows
		// committed before keeps the commit's fast path: only deleting
		// rows appended in the transaction leaves it.
		err := run([]*int64{nil, &replaced},
			`UPDATE `+rstage+` SET _loaded_at = m.first FROM (
				SELECT _key, min(o_loaded_at) AS first FROM stage_match GROUP BY _key) m
			WHERE `+rstage+`._key = m._key AND m.first < `+rstage+`._loaded_at`,
			`DELETE FROM `+ds+` WHERE _load_id <> $1 AND _key IN (SELECT _key FROM stage_match WHERE _differs)`)
		if err != nil {
			return fail("replace", err)
		}
	}
	if sl.before > 0 && !l.replace { // keys loaded by earlier streams or syncs
		if err := run([]*int64{&conflicts}, `INSERT INTO `+qstage+` `+conflictRow+`
			FROM `+rstage+` n JOIN (SELECT _rid, o_stream AS _stream, o_position AS _position
				FROM stage_match WHERE _differs) o ON n.rowid = o._rid`); err != nil {
			return fail("key conflicts", err)
		}
	}
	touch := sl.before > 0 && l.touch && l.origin != OriginRetry
	if touch {
		// Rows this file repeats, unchanged, from an earlier load: noted
		// before the copies go, so that the kept rows can take this load's
		// place below.
		if err := run(nil, `CREATE OR REPLACE TEMP TABLE stage_touch AS
			SELECT _key, _stream, _position FROM stage_match WHERE NOT _differs
			QUALIFY row_number() OVER (PARTITION BY _key ORDER BY _position) = 1`); err != nil {
			return fail("duplicates", err)
		}
	}
	if q := fillLinkage(l.ds); sl.before > 0 && q != "" {
		if err := run(nil, q); err != nil {
			return fail("duplicates", err)
		}
	}
	if sl.before > 0 {
		// The held rows of keys loaded before go: all of them, or with
		// replace those of the keys where no row differs (a differing one
		// replaced the loaded row above).
		gone := `SELECT _key FROM stage_match`
		if l.replace {
			gone = `SELECT _key FROM stage_match GROUP BY _key HAVING NOT bool_or(_differs)`
		}
		if err := run([]*int64{&removed}, `DELETE FROM `+rstage+` WHERE _key IN (`+gone+`)`,
			`DROP TABLE stage_match`); err != nil {
			return fail("duplicates", err)
		}
	}
	if touch {
		// In a dataset where the newest load's state wins, a file that
		// states again what an older one said (a registry re-sent after a
		// wrong version) must win over what came between: the rows it
		// repeats become this load's, read from this file.
		// _loaded_at stays: it is when the row was first known (rules
		// backtest reads the data as known at past dates). _source moves
		// with the load: two sources may feed one dataset, and a row's
		// lineage names one source and that source's file.
		if err := run(nil,
			`UPDATE `+ds+` SET _load_id = $1, _source = '`+strings.ReplaceAll(l.source, "'", "''")+`', _stream = t._stream, _position = t._position
				FROM stage_touch t WHERE `+ds+`._key = t._key AND `+ds+`._load_id <> $1`,
			`DROP TABLE stage_touch`); err != nil {
			return fail("duplicates", err)
		}
	}
	// Keys repeated within the stream: among the held rows, and between a
	// held row and one appended (only a key the filter had seen is held,
	// so the few appended rows read here are those of the held keys).
	// They are found on their 64-bit hashes first (2.28M contributions
	// rows: 0.6 s against 0.9–3.1 s for the strings, issue 14): a
	// collision can only add a hash, and the exact work below then finds
	// no repeat among its rows. That work reads only the rows of the
	// hashes repeated: a window partitioned by the key over a whole stream
	// took most of a minute for 22.9M contributions rows (10m county).
	news := `(SELECT rowid AS _rid, false AS _held, * FROM ` + ds + ` WHERE _load_id = $1
			AND _key IN (SELECT _key FROM ` + rstage + `)
		UNION ALL SELECT rowid, true, * FROM ` + rstage + `)`
	if err := run(nil, `CREATE OR REPLACE TEMP TABLE stage_rhash AS
		SELECT hash(_key) AS h FROM `+news+` GROUP BY 1 HAVING count(*) > 1`); err != nil {
		return fail("duplicates", err)
	}
	repeated, err := l.queryInt(ctx, `SELECT count(*) FROM stage_rhash`)
	if err != nil {
		return fail("duplicates", err)
	}
	if repeated > 0 { // keys repeated within this stream: the first one stays
		order := "_position" // the first stays; with replace, the last
		conflictInsert := `INSERT INTO ` + qstage + ` ` + conflictRow + `
			FROM stage_repeats n JOIN stage_repeats o ON n._key = o._key AND o._rn = 1
			WHERE n._rn > 1 AND (` + differ + `)`
		if l.replace {
			order = "_position DESC"
			conflictInsert = `SELECT 1 WHERE false` // nothing to quarantine: the last one wins
		}
		// An appended row loses only with replace (or a retry's rows
		// out of order): rare, as its delete costs the slow commit.
		if err := run([]*int64{nil, &conflicts, &removed, &removed},
			`CREATE OR REPLACE TEMP TABLE stage_repeats AS SELECT *,
				row_number() OVER (PARTITION BY _key ORDER BY `+order+`) AS _rn
			FROM `+news+` WHERE hash(_key) IN (SELECT h FROM stage_rhash)
			QUALIFY count(*) OVER (PARTITION BY _key) > 1`,
			conflictInsert,
			`DELETE FROM `+rstage+` WHERE rowid IN (SELECT _rid FROM stage_repeats WHERE _rn > 1 AND _held)`,
			`DELETE FROM `+ds+` WHERE rowid IN (SELECT _rid FROM stage_repeats WHERE _rn > 1 AND NOT _held)`,
			`DROP TABLE stage_repeats`); err != nil {
			return fail("duplicates", err)
		}
	}
	// The held rows left are new: they join the table, and the stage goes
	// with its transaction-local rows (never committed).
	if err := run(nil, `DROP TABLE stage_rhash`,
		`INSERT INTO `+ds+` SELECT * FROM `+rstage, `DROP TABLE `+rstage); err != nil {
		return fail("held rows", err)
	}
	// A retry's rows leave quarantine first, so that those still bad are
	// recorded again with their current reason.
	if _, err := sl.deleteResolved(ctx); err != nil {
		return fail("quarantine", err)
	}
	// Quarantine: the k-th copy of a bad row in this stream is new only if
	// quarantine holds fewer than k copies of it from the same stream, so
	// re-reading a grown file adds only its new bad rows.
	inserted, err := l.exec(ctx, `INSERT INTO quarantine
		SELECT q.load_id, q.source, q.dataset, q.stream, q.position, q.raw, q.reason_code, q.field,
		       q.column_name, q.reason, q.quarantined_at
		FROM (SELECT *, row_number() OVER (PARTITION BY raw ORDER BY position) AS seq FROM `+qstage+`) q
		LEFT JOIN (SELECT raw, count(*) AS n FROM quarantine WHERE source = $1 AND stream = $2 GROUP BY raw) o
		  ON q.raw = o.raw
		WHERE q.seq > coalesce(o.n, 0)`, sl.load.Source, sl.load.Stream)
	if err != nil {
		return fail("quarantine", err)
	}
	err = l.query(ctx, `SELECT reason_code, coalesce(column_name, ''), count(*) FROM quarantine
		WHERE load_id = $1 GROUP BY ALL ORDER BY 3 DESC, 1, 2`, func(v []driver.Value) error {
		sl.load.Reasons = append(sl.load.Reasons, ReasonCount{Code: v[0].(string), Column: v[1].(string), Count: toInt(v[2])})
		return nil
	}, id)
	if err != nil {
		return fail("quarantine", err)
	}
	if l.origin != OriginRetry {
		// A bad row read again in a changed file is still bad in this
		// version: its entry takes this load's id, so that it counts as
		// part of the newest file (a person whose row is still broken
		// stays held back; a retry gives the row this file's place).
		if _, err := l.exec(ctx, `UPDATE quarantine SET load_id = $1
			WHERE source = $2 AND stream = $3 AND load_id <> $1 AND raw IN (SELECT raw FROM `+qstage+`)`,
			id, sl.load.Source, sl.load.Stream); err != nil {
			return fail("quarantine", err)
		}
	}
	if _, err := l.exec(ctx, `DELETE FROM `+qstage); err != nil {
		return fail("quarantine", err)
	}
	sl.load.Read = read
	sl.load.Replaced = replaced
	sl.load.Loaded = sl.appended - removed
	sl.load.Quarantined = inserted
	sl.load.Bad = sl.bad + conflicts + sl.cbad
	sl.load.Blank = sl.blank + sl.cblank
	sl.load.Counted = sl.cbad + sl.cblank
	sl.load.Duplicates = read - sl.load.Loaded - inserted - sl.load.Counted
	sl.load.Unresolved = sl.unresolved
	if sl.fullRead != "" {
		sl.load.Notes = append(sl.load.Notes, Note{Code: NoteFullRead, Count: sl.load.Loaded,
			Text: fmt.Sprintf("read in full (%s): %d rows not loaded before", sl.fullRead, sl.load.Loaded)})
	}
	sl.load.Finished = time.Now().UTC()
	sl.load.Status = StatusOK
	if l.judge != nil {
		if why := l.judge(sl.load); why != "" {
			sl.load.Status, sl.load.Error = StatusDegraded, why
		}
	}
	if err := insertLoad(ctx, l.exec, sl.load); err != nil {
		return fail("ledger", err)
	}
	if err := sl.applyOrder(ctx); err != nil {
		return fail("load order", err)
	}
	if sl.mark != nil {
		if _, err := l.exec(ctx, `INSERT OR REPLACE INTO source_state VALUES ($1, $2, $3, $4, $5)`,
			sl.load.Source, sl.load.Stream, *sl.mark, sl.load.ID, sl.load.Finished); err != nil {
			return fail("watermark", err)
		}
	}
	return sl.load, nil
}

// differs is a SQL condition: rows a and b differ in some dataset field.
// The linkage fields (name, gender, birth_date) are not compared: they
// describe the person rather than the record, a store loaded before they
// existed holds NULL in them, and a row sent again with them is the same
// record (Finish fills them in on the loaded row: fillLinkage).
// b is the row already in the table: when identity resolution linked it
// (links), its id_number is compared as the department sent it, so that
// the same row sent again is a duplicate, not a conflict.
func differs(ds *dataset.Dataset, a, b string) string {
	var parts []string
	for _, f := range ds.Fields {
		if f.Linkage {
			continue
		}
		bv := fmt.Sprintf("%s.%s", b, f.Name)
		if f.Name == "id_number" && ds.Name != "registry" {
			bv = fmt.Sprintf(`coalesce((SELECT lk.raw_id FROM links lk WHERE lk.dataset = '%s' AND lk.row_key = %s._key
				AND lk.status IN ('linked', 'confirmed')), %s)`, ds.Name, b, bv)
		}
		parts = append(parts, fmt.Sprintf("%[1]s.%[2]s IS DISTINCT FROM %[3]s", a, f.Name, bv))
	}
	return strings.Join(parts, " OR ")
}

// fillLinkage is the statement that gives the rows loaded before stream
// load $1 the linkage values they lack (NULL) from the same record (same
// natural key) read again by it (held in rstage: Finish): a store loaded before migration 0022,
// or a source that added its 姓名 column, gains the names the linker
// compares. It changes no value a row has. "" for a dataset without
// linkage fields.
func fillLinkage(ds *dataset.Dataset) string {
	var sets, lacks []string
	for _, f := range ds.LinkageFields() {
		sets = append(sets, fmt.Sprintf("%[1]s = coalesce(%[2]s.%[1]s, n.%[1]s)", f.Name, ds.Name))
		lacks = append(lacks, fmt.Sprintf("(%[2]s.%[1]s IS NULL AND n.%[1]s IS NOT NULL)", f.Name, ds.Name))
	}
	if len(sets) == 0 {
		return ""
	}
	return `UPDATE ` + ds.Name + ` SET ` + strings.Join(sets, ", ") + ` FROM (
		SELECT * FROM ` + rstage + ` QUALIFY row_number() OVER (PARTITION BY _key ORDER BY _position) = 1) n
		WHERE ` + ds.Name + `._key = n._key AND ` + ds.Name + `._load_id <> $1 AND (` + strings.Join(lacks, " OR ") + `)`
}

// fieldList is struct_pack's argument list for the dataset's fields.
func fieldList(ds *dataset.Dataset, alias string) string {
	parts := make([]string, len(ds.Fields))
	for i, f := range ds.Fields {
		parts[i] = fmt.Sprintf("%[2]s := %[1]s.%[2]s", alias, f.Name)
	}
	return strings.Join(parts, ", ")
}

// Abort discards a stream's appenders after an error; the caller then
// rolls the whole SourceLoad back.
func (sl *StreamLoad) Abort() {
	sl.rows.Close()
	sl.held.Close()
	sl.quar.Close()
}

type execFunc func(ctx context.Context, q string, args ...any) (int64, error)

func insertLoad(ctx context.Context, exec execFunc, ld Load) error {
	var finished any
	if !ld.Finished.IsZero() {
		finished = ld.Finished
	}
	var notes any
	if len(ld.Notes) > 0 {
		b, err := json.Marshal(ld.Notes)
		if err != nil {
			return err
		}
		notes = string(b)
	}
	origin := ld.Origin
	if origin == "" {
		origin = OriginSync
	}
	_, err := exec(ctx, `INSERT INTO loads (load_id, sync_id, source, dataset, stream, content_hash, rows_read,
		rows_loaded, rows_duplicate, rows_quarantined, started_at, finished_at, status, error, rows_replaced, notes, origin,
		rows_bad, rows_blank, rows_counted, rows_unresolved)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)`,
		ld.ID, ld.SyncID, ld.Source, ld.Dataset, ld.Stream, nullable(ld.Hash), ld.Read, ld.Loaded, ld.Duplicates,
		ld.Quarantined, ld.Started, finished, ld.Status, nullable(ld.Error), ld.Replaced, notes, origin, ld.Bad, ld.Blank, ld.Counted,
		ld.Unresolved)
	return err
}

// Commit makes the whole source load visible at once.
func (l *SourceLoad) Commit(ctx context.Context) error {
	if l.done {
		return errors.New("load already finished")
	}
	// Once begun, COMMIT runs to its end whatever the context says: DuckDB
	// may make the transaction durable and then be interrupted in the
	// checkpoint that follows, reporting a failure for rows that stay —
	// the ledger and the summary would then disagree with the store.
	_, err := l.exec(context.WithoutCancel(ctx), `COMMIT`)
	if err != nil {
		l.exec(context.WithoutCancel(ctx), `ROLLBACK`)
	}
	l.release(ctx)
	if err != nil {
		return fmt.Errorf("commit %s: %w", l.source, err)
	}
	return nil
}

// Rollback discards everything the load wrote. It is safe after Commit.
func (l *SourceLoad) Rollback(ctx context.Context) error {
	if l.done {
		return nil
	}
	_, err := l.exec(context.WithoutCancel(ctx), `ROLLBACK`)
	l.release(ctx)
	return err
}

func (l *SourceLoad) release(ctx context.Context) {
	l.exec(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS "+qstage)
	l.dc.Close()
	l.done = true
}

// dbExec adapts the store's pool to insertLoad.
func (s *Store) dbExec(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// RecordUnchanged writes a ledger row for a stream skipped because its
// content is the same as at its last successful load, so `lipwatch sources`
// shows that the source was checked.
func (s *Store) RecordUnchanged(ctx context.Context, syncID int64, source, ds, stream, hash string) error {
	id, err := s.NewSyncID(ctx)
	if err != nil {
		return err
	}
	now := time.Now().UTC()
	return insertLoad(ctx, s.dbExec, Load{ID: id, SyncID: syncID, Source: source, Dataset: ds, Stream: stream,
		Hash: hash, Started: now, Finished: now, Status: StatusUnchanged})
}

// RecordFailure writes a failed ledger row for a stream (or, with stream
// "", the source as a whole) after its load was rolled back, so the failure
// shows in `lipwatch sources` and the run summary.
func (s *Store) RecordFailure(ctx context.Context, syncID int64, source, ds, stream string, started time.Time, cause error) error {
	return s.recordFailure(ctx, syncID, source, ds, stream, started, cause, OriginSync)
}

// RecordReconcileFailure records a failed reconciliation of stream: shown
// by IncrementalStates, not counted in the source's status or health.
func (s *Store) RecordReconcileFailure(ctx context.Context, syncID int64, source, ds, stream string, started time.Time, cause error) error {
	return s.recordFailure(ctx, syncID, source, ds, stream, started, cause, OriginReconcile)
}

func (s *Store) recordFailure(ctx context.Context, syncID int64, source, ds, stream string, started time.Time, cause error, origin string) error {
	id, err := s.NewSyncID(ctx)
	if err != nil {
		return err
	}
	if syncID == 0 {
		syncID = id
	}
	return insertLoad(ctx, s.dbExec, Load{ID: id, SyncID: syncID, Source: source, Dataset: ds, Stream: stream,
		Started: started, Finished: time.Now().UTC(), Status: StatusFailed, Error: cause.Error(), Origin: origin})
}
