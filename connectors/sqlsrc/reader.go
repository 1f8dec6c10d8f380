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
	tracker *tracker // nil without watermark_column

	buf    []byte   // the current row's values, rendered back to back
	ends   []int    // where each value ends in buf
	values []string // handed out; reused
	pos    int64

	done   bool  // io.EOF returned
	err    error // sticky error
	closed bool
}

// openReader connects with the source's connection string and starts the
// query, with p as $1 when hasParam.
func openReader(ctx context.Context, s *stream, d dsn, p string, hasParam bool) (_ *reader, err error) {
	c := s.c
	r := &reader{s: s, source: c.src.Name, dsn: d, parent: ctx, fetchSize: c.opts.fetchSize}
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
	r.configure(cfg, c.opts.timeout)
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

	var params [][]byte
	if hasParam {
		params = [][]byte{[]byte(p)}
	}
	// Parameter type 0 lets the server infer $1's type from where the query
	// uses it, so the watermark can be a time, a number or text as written.
	oids := make([]uint32, len(params))
	query := c.opts.query
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
	// formatting, as for COPY, and render only touches a few types.
	r.rr = r.conn.ExecParams(r.ctx, query, params, oids, nil, nil)
	fields := r.rr.FieldDescriptions()
	if fields == nil {
		_, err := r.rr.Close()
		if err == nil {
			err = errors.New("the query returned no result columns")
		}
		return nil, r.wrap("run query", err)
	}
	if err := r.describe(fields); err != nil {
		return nil, err
	}
	return r, nil
}

// configure sets the session up for faithful text: ISO dates, hex bytea,
// shortest exact floats, read-only, the statement timeout, and a query
// cancelled on the server (not only abandoned) when ctx is done.
func (r *reader) configure(cfg *pgconn.Config, timeout time.Duration) {
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
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
func (r *reader) describe(fields []pgconn.FieldDescription) error {
	r.header = make([]string, len(fields))
	r.renders = make([]render, len(fields))
	for i, f := range fields {
		r.header[i] = strings.TrimSpace(f.Name)
		r.renders[i] = renderFor(f.DataTypeOID)
	}
	r.ends = make([]int, len(fields))
	r.values = make([]string, len(fields))
	col := r.s.c.opts.watermarkColumn
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
		return fmt.Errorf("source %s: watermark_column %q is not a column of the query's result (columns: %s)",
			r.source, col, strings.Join(r.header, ", "))
	}
	r.s.mu.Lock()
	resumed := r.s.resumed
	r.s.mu.Unlock()
	r.tracker = newTracker(idx, fields[idx].DataTypeOID, resumed)
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
			r.s.finish(r.tracker)
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
	if t := r.tracker; t != nil && raw[t.col] != nil {
		t.observe(r.values[t.col])
	}
	return connectors.Row{Pos: r.pos, Values: r.values}, nil
}

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
