package sqlsrc

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// Kind is the connector kind this package registers: `kind: sql` in config.
const Kind = "sql"

// driverPostgres is the only driver so far; the option exists so that
// another database can be added without changing the config of this one.
const driverPostgres = "postgres"

// Defaults, also shown in the README's table.
const (
	defaultName    = "query"
	defaultTimeout = 30 * time.Minute
)

var spec = connectors.Spec{
	Kind: Kind,
	Doc: "Runs one SELECT per source against a department's database (PostgreSQL) and " +
		"streams its rows as text: one stream, read incrementally when the query takes " +
		"the saved watermark as $1. The connection string comes only from an " +
		"environment variable or a file, never from config.",
	Fields: []connectors.Field{
		{
			Name:    "driver",
			Type:    "string",
			Default: driverPostgres,
			Enum:    []string{driverPostgres},
			Doc:     "The database: postgres (PostgreSQL 10 or later, through pgx).",
			Example: driverPostgres,
		},
		{
			Name: "dsn_env",
			Type: "string",
			Doc: "The environment variable holding the connection string " +
				"(postgres://user:password@host:5432/db?sslmode=require, or key=value form). " +
				"Exactly one of dsn_env and dsn_file.",
			Example: "LIPWATCH_FISHERS_DSN",
		},
		{
			Name: "dsn_file",
			Type: "string",
			Doc: "A file holding the connection string (surrounding white space ignored), " +
				"relative to the config file's directory unless absolute; read at every connect.",
			Example: "/run/secrets/fishers_dsn",
		},
		{
			Name:     "query",
			Type:     "string",
			Required: true,
			Doc: "One SELECT (or WITH ... SELECT). With watermark_column, it takes the " +
				"watermark as $1, e.g. WHERE updated_at > $1 ORDER BY updated_at; the " +
				"server infers $1's type from where it is used.",
			Example: "SELECT * FROM fishers WHERE updated_at > $1 ORDER BY updated_at",
		},
		{
			Name: "full_query",
			Type: "string",
			Doc: "The query for full reads, when there is no saved watermark (first load, " +
				"sync --full, a reconciliation, a watermark reset): the same columns without " +
				"$1, so that rows whose watermark_column is NULL (which col > $1 never matches) " +
				"are read too. Only with watermark_column, and instead of watermark_initial. " +
				"Unset: a full read runs query with watermark_initial as $1.",
			Example: "SELECT * FROM fishers",
		},
		{
			Name: "watermark_column",
			Type: "string",
			Doc: "The result column whose largest value not after the read's start is saved " +
				"after a committed load and passed as $1 next time. Records dated later (a " +
				"typo such as 2099-12-31) are loaded and noted but never saved as the watermark; " +
				"records with no value (NULL) are noted when read, and a query col > $1 never " +
				"reads them (see full_query). " +
				"Unset: every sync reads the whole result.",
			Example: "updated_at",
		},
		{
			Name: "watermark_initial",
			Type: "string",
			Doc: "$1 when there is no saved watermark (first load, sync --full, a reconciliation). " +
				"Required with watermark_column, so that a first load cannot read nothing by " +
				"accident, unless full_query is set: full reads then run full_query, and " +
				"watermark_initial is refused as unused.",
			Example: "1970-01-01T00:00:00Z",
		},
		{
			Name: "lookback",
			Type: "lookback",
			Doc: "How far back from the saved watermark the next sync reads again, for rows " +
				"committed late: a duration (48h) for a date or time watermark_column, moved back " +
				"and sent in the form the column wrote it; a whole number (1000) for a numeric one, " +
				"$1 = saved - 1000, for ids handed out in one order and committed in another. " +
				"Rows read twice are deduplicated downstream by their natural key; a row that " +
				"arrives older than the window is never read (see reconcile).",
			Example: "48h",
		},
		{
			Name: "timezone",
			Type: "string",
			Doc: "The zone (an IANA name such as UTC) that the database's timestamp without " +
				"time zone values and date-time text are in. Default: the county's zone. When it " +
				"differs, timestamp values are written as instants with that zone's offset " +
				"(2026-03-04T20:00:00Z), so that they are dated right downstream; the watermark " +
				"keeps the value as the database wrote it.",
			Example: "UTC",
		},
		{
			Name:    "fetch_size",
			Type:    "int",
			Default: 0,
			Doc: "Rows per round trip through a server-side cursor. 0 streams the result " +
				"in one go, which is faster; memory stays bounded either way.",
			Example: "10000",
		},
		{
			Name:    "timeout",
			Type:    "duration",
			Default: "30m",
			Doc: "The server's statement_timeout for the query, including the time spent " +
				"sending its rows; 0 means none.",
			Example: "10m",
		},
		{
			Name:    "name",
			Type:    "string",
			Default: defaultName,
			Doc:     "The stream's name in the load ledger and in messages.",
			Example: "fishers",
		},
	},
	Validate: func(o connectors.Options) error {
		_, err := parseOptions(o)
		return err
	},
	New:         newConnector,
	Incremental: true,
}

func init() {
	connectors.Register(spec)
}

// options are a source's settings, parsed and checked.
type options struct {
	driver           string
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

// parseOptions reads the options with their defaults and checks what the
// field types cannot say: options that go together, durations, and that
// the query's $1 agrees with watermark_column. Every problem is reported.
func parseOptions(o connectors.Options) (options, error) {
	opts := options{
		driver:           strings.ToLower(o.String("driver", driverPostgres)),
		dsnEnv:           strings.TrimSpace(o.String("dsn_env", "")),
		dsnFile:          strings.TrimSpace(o.String("dsn_file", "")),
		query:            strings.TrimSpace(o.String("query", "")),
		watermarkColumn:  strings.TrimSpace(o.String("watermark_column", "")),
		watermarkInitial: o.String("watermark_initial", ""),
		fetchSize:        o.Int("fetch_size", 0),
		name:             strings.TrimSpace(o.String("name", defaultName)),
	}
	var errs []error
	if opts.driver != driverPostgres {
		errs = append(errs, fmt.Errorf("options.driver: %q is not one of %s", opts.driver, driverPostgres))
	}
	switch {
	case opts.dsnEnv == "" && opts.dsnFile == "":
		errs = append(errs, errors.New("options.dsn_env: one of dsn_env and dsn_file is required (the connection string is never written in config)"))
	case opts.dsnEnv != "" && opts.dsnFile != "":
		errs = append(errs, errors.New("options.dsn_env: at most one of dsn_env and dsn_file"))
	}
	// A trailing semicolon is harmless to a person and fatal to a cursor.
	opts.query = strings.TrimSpace(strings.TrimRight(opts.query, "; \t\r\n"))
	usesParam := param1.MatchString(opts.query)
	switch {
	case opts.query == "":
		errs = append(errs, errors.New("options.query: required for kind sql"))
	case opts.watermarkColumn != "" && !usesParam:
		errs = append(errs, fmt.Errorf("options.query: has no $1 to take the watermark of %s", opts.watermarkColumn))
	case opts.watermarkColumn == "" && usesParam:
		errs = append(errs, errors.New("options.query: uses $1 but watermark_column is not set"))
	}
	if full := o.String("full_query", ""); full != "" {
		opts.fullQuery = strings.TrimSpace(strings.TrimRight(full, "; \t\r\n"))
		switch {
		case opts.fullQuery == "":
			errs = append(errs, errors.New("options.full_query: empty; remove it, or give the query for full reads"))
		case opts.watermarkColumn == "":
			errs = append(errs, errors.New("options.full_query: only applies with watermark_column (without one every read is a full read of query)"))
		case param1.MatchString(opts.fullQuery):
			errs = append(errs, errors.New("options.full_query: uses $1, but a full read has no watermark to pass: read every row, e.g. SELECT ... FROM t without WHERE col > $1"))
		}
	}
	switch {
	case opts.watermarkColumn != "" && opts.fullQuery == "" && opts.watermarkInitial == "":
		errs = append(errs, errors.New("options.watermark_initial: required with watermark_column, e.g. 1970-01-01 or 0 (or set full_query)"))
	case opts.watermarkColumn != "" && opts.fullQuery != "" && opts.watermarkInitial != "":
		errs = append(errs, errors.New("options.watermark_initial: not used with full_query (a full read runs full_query, which takes no $1): remove one of them"))
	}
	if opts.watermarkColumn == "" && opts.watermarkInitial != "" {
		errs = append(errs, errors.New("options.watermark_initial: only applies with watermark_column"))
	}
	var err error
	if opts.lookback, err = parseLookback(o); err != nil {
		errs = append(errs, err)
	} else if !opts.lookback.none() && opts.watermarkColumn == "" {
		errs = append(errs, errors.New("options.lookback: only applies with watermark_column"))
	} else if _, isTime := parseStamp(opts.watermarkInitial, time.UTC); opts.lookback.n > 0 && isTime {
		// A count is clearly for numbers; the column's type is known
		// only when the query runs, where the other mismatches are found.
		errs = append(errs, fmt.Errorf("options.lookback: %d is a count of ids for a numeric watermark, but watermark_initial %q is a date or time: give lookback a duration, such as 48h",
			opts.lookback.n, opts.watermarkInitial))
	}
	if name := strings.TrimSpace(o.String("timezone", "")); name != "" {
		if opts.zone, err = time.LoadLocation(name); err != nil || name == "Local" {
			errs = append(errs, fmt.Errorf("options.timezone: %q is not a time zone: want an IANA name such as UTC or Asia/Shanghai", name))
		}
	}
	if opts.timeout, err = duration(o, "timeout", defaultTimeout); err != nil {
		errs = append(errs, err)
	}
	if opts.fetchSize < 0 {
		errs = append(errs, fmt.Errorf("options.fetch_size: want 0 or more, got %d", opts.fetchSize))
	}
	if opts.name == "" {
		opts.name = defaultName
	}
	return opts, errors.Join(errs...)
}

// duration parses a Go duration option ("90s", "48h"); a bare 0 is allowed.
func duration(o connectors.Options, name string, def time.Duration) (time.Duration, error) {
	s := strings.TrimSpace(o.String(name, ""))
	if s == "" {
		return def, nil
	}
	if s == "0" {
		return 0, nil
	}
	d, err := connectors.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("options.%s: %w", name, err)
	}
	if d < 0 {
		return 0, fmt.Errorf("options.%s: want 0 or more, got %s", name, s)
	}
	return d, nil
}
