package sqlsrc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgconn/ctxwatch"

	"github.com/lipwatch/lipwatch/connectors"
)

const (
	// connectTimeout bounds a connect when the connection string does not
	// set connect_timeout.
	connectTimeout = 30 * time.Second
	// cancelGrace is how long a cancelled query may take to stop on the
	// server before the connection is cut.
	cancelGrace = 5 * time.Second
	// cursorName names the server-side cursor used with fetch_size.
	cursorName = "lipwatch_rows"
)

// reader streams the rows of one run of the query.
type reader struct {
	s      *stream
	source string // the source's name, for messages
	dsn    dsn    // for redacting messages
	parent context.Context
	ctx    context.Context // parent, also cancelled by Close
	cancel context.CancelFunc
	conn   *pgconn.PgConn
	rr     *pgconn.ResultReader

	fetchSize int // 0: one streamed result; else rows per FETCH
	batchRows int // rows read from the current FETCH

	header  []string
	renders []render
	kinds   []connectors.CellKind // KindNumber for float columns; nil without one
	tracker *tracker              // nil without watermark_column
	reset   string                // the resumed watermark, when it lay after the start
	full    bool                  // running full_query
	advice  []connectors.Note     // the connector's, unless the column is NOT NULL

	buf    []byte   // the current row's values, rendered back to back
	ends   []int    // where each value ends in buf
	values []string // handed out; reused
	pos    int64

	done   bool  // io.EOF returned
	err    error // sticky error
	closed bool
}

// openReader connects with the source's connection string and starts the
// query. With a watermark column the query is described first, so that $1
// (the resumed watermark less the lookback) is worked out in the column's
// type; start is the read's start, after which no watermark is saved. A
// full read (nothing resumed, or a resumed watermark after the start) runs
// full_query instead when it is set, with no parameter.
func openReader(ctx context.Context, s *stream, d dsn, start time.Time) (_ *reader, err error) {
	c := s.c
	r := &reader{s: s, source: c.src.Name, dsn: d, parent: ctx, fetchSize: c.opts.fetchSize, advice: c.advice}
	r.ctx, r.cancel = context.WithCancel(ctx)
	if err := c.track(r, r.cancel); err != nil {
		r.cancel()
		return nil, err
	}
	defer func() {
		if err != nil {
			r.Close()
		}
	}()

	cfg, err := pgconn.ParseConfig(d.value)
	if err != nil {
		return nil, &safeError{fmt.Sprintf("source %s: the connection string in %s is not valid: %s",
			r.source, d.where, d.redact(err.Error()))}
	}
	r.configure(cfg, c.opts.timeout, c.src.Zone())
	connCtx := r.ctx
	if cfg.ConnectTimeout == 0 {
		var cancel context.CancelFunc
		connCtx, cancel = context.WithTimeout(r.ctx, connectTimeout)
		defer cancel()
	}
	r.conn, err = pgconn.ConnectConfig(connCtx, cfg)
	if err != nil {
		// The host and the user are not secrets, and an operator needs them.
		return nil, r.wrap(fmt.Sprintf("connect to %s as %s", net.JoinHostPort(cfg.Host, strconv.Itoa(int(cfg.Port))), cfg.User), err)
	}

	query := c.opts.query
	var params [][]byte
	switch {
	case c.opts.watermarkColumn == "":
	case c.opts.fullQuery != "" && s.resumedWatermark() == "":
		query, r.full = c.opts.fullQuery, true
	default:
		// Described first (the unnamed statement), to learn the watermark
		// column's type before $1 is worked out.
		sd, err := r.conn.Prepare(r.ctx, "", query, nil)
		if err != nil {
			return nil, r.wrap("run query", err)
		}
		if len(sd.Fields) == 0 {
			return nil, r.wrap("run query", errors.New("the query returned no result columns"))
		}
		if err := r.describe(sd.Fields, start); err != nil {
			return nil, err
		}
		if len(r.advice) > 0 && r.notNull(sd.Fields[r.tracker.col]) {
			r.advice = nil
		}
		p, err := r.param()
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", r.source, err)
		}
		if r.reset != "" && c.opts.fullQuery != "" {
			// A reset is a full read: full_query's result is described
			// when it runs.
			query, r.full, r.header, r.tracker = c.opts.fullQuery, true, nil, nil
			break
		}
		params = [][]byte{[]byte(p)}
	}
	// Parameter type 0 lets the server infer $1's type from where the query
	// uses it, so the watermark can be a time, a number or text as written.
	oids := make([]uint32, len(params))
	if r.fetchSize > 0 {
		if err := r.exec("BEGIN READ ONLY", nil, nil); err != nil {
			return nil, err
		}
		if err := r.exec("DECLARE "+cursorName+" NO SCROLL CURSOR FOR "+query, params, oids); err != nil {
			return nil, err
		}
		query, params, oids = "FETCH FORWARD "+strconv.Itoa(r.fetchSize)+" FROM "+cursorName, nil, nil
	}
	// nil formats: parameters and results in text. The server then does the
	// formatting, as for COPY, and render only touches a few types. The
	// query is parsed again rather than run from the described statement:
	// behind a pooler in transaction mode (PgBouncer) the next message may
	// reach another server connection, where that statement does not exist.
	r.rr = r.conn.ExecParams(r.ctx, query, params, oids, nil, nil)
	fields := r.rr.FieldDescriptions()
	if fields == nil {
		_, err := r.rr.Close()
		if err == nil {
			err = errors.New("the query returned no result columns")
		}
		return nil, r.wrap("run query", err)
	}
	if r.header == nil {
		if err := r.describe(fields, start); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// param is the query's $1: watermark_initial when nothing was resumed,
// else the resumed watermark less the lookback, in the column's form. A
// resumed watermark after the read's start (saved by an older version from
// a future-dated record) would skip every record until it: the read starts
// from watermark_initial instead, as sync --full does, and says so.
func (r *reader) param() (string, error) {
	o := &r.s.c.opts
	resumed := r.s.resumedWatermark()
	t := r.tracker
	switch {
	case resumed == "":
		return o.watermarkInitial, nil
	case t.afterStart(resumed):
		r.reset = resumed
		return o.watermarkInitial, nil
	}
	p, err := minusLookback(resumed, t.class, o.lookback, t.column)
	if err != nil {
		return "", err
	}
	t.seed(resumed)
	return p, nil
}

// configure sets the session up for faithful text: ISO dates, hex bytea,
// shortest exact floats, read-only, the statement timeout, and a query
// cancelled on the server (not only abandoned) when ctx is done.
func (r *reader) configure(cfg *pgconn.Config, timeout time.Duration, county *time.Location) {
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	if name := sessionZone(county); name != "" && !setsTimeZone(cfg.RuntimeParams) {
		cfg.RuntimeParams["TimeZone"] = name
	}
	cfg.RuntimeParams["datestyle"] = "ISO, YMD"
	cfg.RuntimeParams["bytea_output"] = "hex"
	cfg.RuntimeParams["extra_float_digits"] = "1"
	cfg.RuntimeParams["default_transaction_read_only"] = "on"
	cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(timeout.Milliseconds(), 10)
	if cfg.RuntimeParams["application_name"] == "" {
		cfg.RuntimeParams["application_name"] = "lipwatch"
	}
	cfg.BuildContextWatcherHandler = func(pc *pgconn.PgConn) ctxwatch.Handler {
		return &pgconn.CancelRequestContextWatcherHandler{Conn: pc, DeadlineDelay: cancelGrace}
	}
}

// sessionZone is the county's zone as the session's TimeZone: its IANA
// name, or "" for a zone PostgreSQL may not know by its name (Local, a
// fixed offset such as the default UTC+8).
func sessionZone(loc *time.Location) string {
	name := loc.String()
	if name == "" || name == "Local" {
		return ""
	}
	if _, err := time.LoadLocation(name); err != nil {
		return ""
	}
	return name
}

// setsTimeZone reports whether the connection string sets the session's
// time zone itself: timezone=..., or -c timezone=... in options.
func setsTimeZone(params map[string]string) bool {
	for k, v := range params {
		if strings.EqualFold(k, "timezone") ||
			(strings.EqualFold(k, "options") && strings.Contains(strings.ToLower(v), "timezone")) {
			return true
		}
	}
	return false
}

// notNull reports whether f, the watermark column of the result, is a
// table's column declared NOT NULL: then no row has NULL there, and the
// null_watermark_unread advice does not apply. Any doubt (an expression,
// a view's column, a failed look-up) is false.
func (r *reader) notNull(f pgconn.FieldDescription) bool {
	if f.TableOID == 0 || f.TableAttributeNumber == 0 {
		return false
	}
	res := r.conn.ExecParams(r.ctx, "SELECT attnotnull FROM pg_catalog.pg_attribute WHERE attrelid = $1 AND attnum = $2",
		[][]byte{[]byte(strconv.FormatUint(uint64(f.TableOID), 10)), []byte(strconv.Itoa(int(f.TableAttributeNumber)))},
		[]uint32{0, 0}, nil, nil).Read()
	return res.Err == nil && len(res.Rows) == 1 && string(res.Rows[0][0]) == "t"
}

// exec runs a statement whose result is not read.
func (r *reader) exec(sql string, params [][]byte, oids []uint32) error {
	_, err := r.conn.ExecParams(r.ctx, sql, params, oids, nil, nil).Close()
	if err != nil {
		return r.wrap("run query", err)
	}
	return nil
}

// describe takes the header and per-column rendering from the result's
// fields, and finds the watermark column.
func (r *reader) describe(fields []pgconn.FieldDescription, start time.Time) error {
	c := r.s.c
	r.header = make([]string, len(fields))
	r.renders = make([]render, len(fields))
	zone := c.naiveZone()
	for i, f := range fields {
		r.header[i] = strings.TrimSpace(f.Name)
		r.renders[i] = renderFor(f.DataTypeOID)
		switch f.DataTypeOID {
		case oidTimestamp:
			if c.instants() {
				r.renders[i] = renderTimestampIn(zone)
			}
		case oidFloat4, oidFloat8:
			// An identifier in a float column may have lost digits: the
			// dataset layer judges values that went through a number.
			if r.kinds == nil {
				r.kinds = make([]connectors.CellKind, len(fields))
			}
			r.kinds[i] = connectors.KindNumber
		}
	}
	r.ends = make([]int, len(fields))
	r.values = make([]string, len(fields))
	col := c.opts.watermarkColumn
	if col == "" {
		return nil
	}
	idx := -1
	for i, h := range r.header {
		if h == col {
			idx = i
			break
		}
	}
	if idx < 0 { // an unquoted name in the query comes back lowercased
		for i, h := range r.header {
			if strings.EqualFold(h, col) {
				idx = i
				break
			}
		}
	}
	if idx < 0 {
		which := "the query's"
		if r.full {
			which = "full_query's"
		}
		return fmt.Errorf("source %s: watermark_column %q is not a column of %s result (columns: %s)",
			r.source, col, which, strings.Join(r.header, ", "))
	}
	r.tracker = newTracker(idx, r.header[idx], classOf(fields[idx].DataTypeOID), zone, start)
	r.tracker.full = r.full
	return nil
}

// Header is the result's column names, in order.
func (r *reader) Header() []string { return r.header }

// Next returns the next row: its values as text, NULL as "", and its
// 1-based index in the result as Pos.
func (r *reader) Next() (connectors.Row, error) {
	switch {
	case r.closed:
		return connectors.Row{}, fmt.Errorf("source %s: read after close", r.source)
	case r.err != nil:
		return connectors.Row{}, r.err
	case r.done:
		return connectors.Row{}, io.EOF
	}
	for !r.rr.NextRow() {
		_, err := r.rr.Close()
		if err != nil {
			r.err = r.wrap("read rows", err)
			return connectors.Row{}, r.err
		}
		if r.fetchSize == 0 || r.batchRows < r.fetchSize {
			r.done = true
			r.s.finish(r.tracker, r.reset != "")
			return connectors.Row{}, io.EOF
		}
		r.batchRows = 0
		r.rr = r.conn.ExecParams(r.ctx, "FETCH FORWARD "+strconv.Itoa(r.fetchSize)+" FROM "+cursorName, nil, nil, nil, nil)
	}
	r.batchRows++
	r.pos++
	raw := r.rr.Values()
	if len(raw) != len(r.values) {
		r.err = fmt.Errorf("source %s: row %d has %d values for %d columns", r.source, r.pos, len(raw), len(r.values))
		return connectors.Row{}, r.err
	}
	// One string per row instead of one per value: the values are slices
	// of it, so a kept value keeps its row's text alive, no more.
	r.buf = r.buf[:0]
	for i, v := range raw {
		if v != nil {
			r.buf = r.renders[i](r.buf, v)
		}
		r.ends[i] = len(r.buf)
	}
	line := string(r.buf)
	start := 0
	for i, end := range r.ends {
		r.values[i] = line[start:end]
		start = end
	}
	if t := r.tracker; t != nil {
		switch {
		case raw[t.col] == nil:
			t.observe("")
		case t.class == classTimestamp:
			// The value as the database wrote it, whatever render made
			// of it: $1 goes back as the source wrote it.
			t.observe(string(raw[t.col]))
		default:
			t.observe(r.values[t.col])
		}
	}
	return connectors.Row{Pos: r.pos, Values: r.values, Kinds: r.kinds}, nil
}

// Notes says what the read could not use of the watermark column: records
// with none, records dated after the read's start, values that are not a
// position, and a resumed watermark from the future that was not used;
// and, at every read, a query that never reads rows whose watermark is
// NULL (see Advice). It is complete once Next has returned io.EOF.
func (r *reader) Notes() []connectors.Note {
	out := append([]connectors.Note(nil), r.advice...)
	if r.reset != "" {
		out = append(out, connectors.Note{Code: connectors.NoteWatermarkReset, Count: 1,
			Text: fmt.Sprintf("the saved watermark %s lay after this read's start (saved from a future-dated record): read from watermark_initial, as sync --full reads", r.reset)})
	}
	if r.tracker != nil {
		out = append(out, r.tracker.notes()...)
	}
	return out
}

var _ connectors.Noter = (*reader)(nil)

// Close stops the query if it is still running (the server is asked to
// cancel it) and closes the connection. It is safe to call twice.
func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.s.c.untrack(r)
	if !r.done {
		r.cancel()
	}
	if r.rr != nil {
		r.rr.Close() // after cancel, only what is in flight is drained
	}
	if r.conn != nil {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.parent), cancelGrace)
		defer cancel()
		r.conn.Close(ctx)
	}
	r.cancel()
	return nil
}

// wrap names the source and the step, and keeps only what is safe to show:
// the server's message for SQL errors (with its detail and hint), the
// context's error for a cancellation, and otherwise the message with the
// connection string and its passwords removed.
func (r *reader) wrap(op string, err error) error {
	if cerr := r.parent.Err(); cerr != nil {
		return fmt.Errorf("source %s: %s: %w", r.source, op, cerr)
	}
	if r.ctx.Err() != nil && !r.closed {
		// Connector.Close cancelled the query.
		return fmt.Errorf("source %s: %s: %w", r.source, op, errClosed)
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return &queryError{source: r.source, op: op, msg: r.dsn.redact(pgMessage(pe)), pg: pe}
	}
	return &safeError{fmt.Sprintf("source %s: %s: %s", r.source, op, r.dsn.redact(err.Error()))}
}

// pgMessage is the server's message with its detail and hint.
func pgMessage(pe *pgconn.PgError) string {
	msg := pe.Message
	if pe.Detail != "" {
		msg += " (" + pe.Detail + ")"
	}
	if pe.Hint != "" {
		msg += "; hint: " + pe.Hint
	}
	return msg + " [SQLSTATE " + pe.Code + "]"
}

// queryError is an error reported by the server. It unwraps to the
// *pgconn.PgError, whose fields hold the server's words only.
type queryError struct {
	source, op, msg string
	pg              *pgconn.PgError
}

// Error names the source and the step, then gives the server's words.
func (e *queryError) Error() string {
	return fmt.Sprintf("source %s: %s: %s", e.source, e.op, e.msg)
}

// Unwrap lets callers read the SQLSTATE with errors.As.
func (e *queryError) Unwrap() error { return e.pg }
