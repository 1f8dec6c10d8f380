package sqlsrc

import (
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// Kind is the connector kind this package registers: `kind: sql` in config.
const Kind = "sql"

// Options are a sql source's options, as config gives them (see
// connectors.KindSpec for the tags): the one place their names, types,
// defaults and allowed values are written.
type Options struct {
	// Driver has one value so far; the option exists so that another
	// database can be added without changing the config of this one.
	Driver           string        `option:"driver" default:"postgres" enum:"postgres" example:"postgres" doc:"The database: postgres (PostgreSQL 10 or later, through pgx)."`
	DSNEnv           string        `option:"dsn_env" example:"LIPWATCH_FISHERS_DSN" doc:"The environment variable holding the connection string (postgres://user:password@host:5432/db?sslmode=require, or key=value form). Exactly one of dsn_env and dsn_file."`
	DSNFile          string        `option:"dsn_file" example:"/run/secrets/fishers_dsn" doc:"A file holding the connection string (surrounding white space ignored), relative to the config file's directory unless absolute; read at every connect."`
	Query            string        `option:"query,required" example:"SELECT * FROM fishers WHERE updated_at > $1 ORDER BY updated_at" doc:"One SELECT (or WITH ... SELECT). With watermark_column, it takes the watermark as $1, e.g. WHERE updated_at > $1 ORDER BY updated_at; the server infers $1's type from where it is used."`
	FullQuery        string        `option:"full_query" example:"SELECT * FROM fishers" doc:"The query for full reads, when there is no saved watermark (first load, sync --full, a reconciliation, a watermark reset): the same columns without $1, so that rows whose watermark_column is NULL (which col > $1 never matches) are read too. Only with watermark_column, and instead of watermark_initial. Unset: a full read runs query with watermark_initial as $1."`
	WatermarkColumn  string        `option:"watermark_column" example:"updated_at" doc:"The result column whose largest value not after the read's start is saved after a committed load and passed as $1 next time. Records dated later (a typo such as 2099-12-31) are loaded and noted but never saved as the watermark; records with no value (NULL) are noted when read, and a query col > $1 never reads them (see full_query). Unset: every sync reads the whole result."`
	WatermarkInitial string        `option:"watermark_initial" example:"1970-01-01T00:00:00Z" doc:"$1 when there is no saved watermark (first load, sync --full, a reconciliation). Required with watermark_column, so that a first load cannot read nothing by accident, unless full_query is set: full reads then run full_query, and watermark_initial is refused as unused."`
	Lookback         lookback      `option:"lookback" example:"48h" doc:"How far back from the saved watermark the next sync reads again, for rows committed late: a duration (48h) for a date or time watermark_column, moved back and sent in the form the column wrote it; a whole number (1000) for a numeric one, $1 = saved - 1000, for ids handed out in one order and committed in another. Rows read twice are deduplicated downstream by their natural key; a row that arrives older than the window is never read (see reconcile)."`
	Timezone         string        `option:"timezone" example:"UTC" doc:"The zone (an IANA name such as UTC) that the database's timestamp without time zone values and date-time text are in. Default: the county's zone. When it differs, timestamp values are written as instants with that zone's offset (2026-03-04T20:00:00Z), so that they are dated right downstream; the watermark keeps the value as the database wrote it."`
	FetchSize        int           `option:"fetch_size" default:"0" min:"0" example:"10000" doc:"Rows per round trip through a server-side cursor. 0 streams the result in one go, which is faster; memory stays bounded either way."`
	Timeout          time.Duration `option:"timeout" default:"30m" example:"10m" doc:"The server's statement_timeout for the query, including the time spent sending its rows; 0 means none."`
	Name             string        `option:"name" default:"query" example:"fishers" doc:"The stream's name in the load ledger and in messages."`
}

var spec = connectors.KindSpec[Options]{
	Kind: Kind,
	Doc: "Runs one SELECT per source against a department's database (PostgreSQL) and " +
		"streams its rows as text: one stream, read incrementally when the query takes " +
		"the saved watermark as $1. The connection string comes only from an " +
		"environment variable or a file, never from config.",
	Check: func(o Options) error {
		_, err := parseOptions(o)
		return err
	},
	New:         newConnector,
	Incremental: true,
}.Spec()

func init() {
	connectors.Register(spec)
}

// options are a source's settings, parsed and checked.
type options struct {
	dsnEnv           string
	dsnFile          string
	query            string
	fullQuery        string // for full reads; "" runs query with watermarkInitial
	watermarkColumn  string
	watermarkInitial string
	lookback         lookback
	zone             *time.Location // the timezone option; nil: the county's
	fetchSize        int
	timeout          time.Duration
	name             string
}

// param1 finds the placeholder $1 (and not $10).
var param1 = regexp.MustCompile(`\$1([^0-9]|$)`)

// parseOptions checks what the tags cannot say: options that go
// together, the time zone, and that the query's $1 agrees with
// watermark_column; and derives what the reader uses. Every problem is
// reported.
func parseOptions(o Options) (options, error) {
	opts := options{
		dsnEnv:           strings.TrimSpace(o.DSNEnv),
		dsnFile:          strings.TrimSpace(o.DSNFile),
		query:            strings.TrimSpace(o.Query),
		watermarkColumn:  strings.TrimSpace(o.WatermarkColumn),
		watermarkInitial: o.WatermarkInitial,
		lookback:         o.Lookback,
		fetchSize:        o.FetchSize,
		timeout:          o.Timeout,
		name:             strings.TrimSpace(o.Name),
	}
	var errs []error
	add := func(option, format string, args ...any) {
		errs = append(errs, connectors.OptionErrorf(option, format, args...))
	}
	switch {
	case opts.dsnEnv == "" && opts.dsnFile == "":
		add("dsn_env", "one of dsn_env and dsn_file is required (the connection string is never written in config)")
	case opts.dsnEnv != "" && opts.dsnFile != "":
		add("dsn_env", "at most one of dsn_env and dsn_file")
	}
	// A trailing semicolon is harmless to a person and fatal to a cursor.
	opts.query = strings.TrimSpace(strings.TrimRight(opts.query, "; \t\r\n"))
	usesParam := param1.MatchString(opts.query)
	switch {
	case opts.query == "":
		add("query", "required for kind sql")
	case opts.watermarkColumn != "" && !usesParam:
		add("query", "has no $1 to take the watermark of %s", opts.watermarkColumn)
	case opts.watermarkColumn == "" && usesParam:
		add("query", "uses $1 but watermark_column is not set")
	}
	if o.FullQuery != "" {
		opts.fullQuery = strings.TrimSpace(strings.TrimRight(o.FullQuery, "; \t\r\n"))
		switch {
		case opts.fullQuery == "":
			add("full_query", "empty; remove it, or give the query for full reads")
		case opts.watermarkColumn == "":
			add("full_query", "only applies with watermark_column (without one every read is a full read of query)")
		case param1.MatchString(opts.fullQuery):
			add("full_query", "uses $1, but a full read has no watermark to pass: read every row, e.g. SELECT ... FROM t without WHERE col > $1")
		}
	}
	switch {
	case opts.watermarkColumn != "" && opts.fullQuery == "" && opts.watermarkInitial == "":
		add("watermark_initial", "required with watermark_column, e.g. 1970-01-01 or 0 (or set full_query)")
	case opts.watermarkColumn != "" && opts.fullQuery != "" && opts.watermarkInitial != "":
		add("watermark_initial", "not used with full_query (a full read runs full_query, which takes no $1): remove one of them")
	}
	if opts.watermarkColumn == "" && opts.watermarkInitial != "" {
		add("watermark_initial", "only applies with watermark_column")
	}
	if !opts.lookback.none() && opts.watermarkColumn == "" {
		add("lookback", "only applies with watermark_column")
	} else if _, isTime := parseStamp(opts.watermarkInitial, time.UTC); opts.lookback.n > 0 && isTime {
		// A count is clearly for numbers; the column's type is known
		// only when the query runs, where the other mismatches are found.
		add("lookback", "%d is a count of ids for a numeric watermark, but watermark_initial %q is a date or time: give lookback a duration, such as 48h",
			opts.lookback.n, opts.watermarkInitial)
	}
	if name := strings.TrimSpace(o.Timezone); name != "" {
		var err error
		if opts.zone, err = time.LoadLocation(name); err != nil || name == "Local" {
			add("timezone", "%q is not a time zone: want an IANA name such as UTC or Asia/Shanghai", name)
		}
	}
	if opts.name == "" {
		add("name", "empty: name the stream, or remove the option")
	}
	return opts, errors.Join(errs...)
}
