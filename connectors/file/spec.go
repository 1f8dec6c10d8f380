package file

import (
	"errors"
	"slices"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx"
)

// Kind is the connector kind this package registers: `kind: file` in config.
const Kind = "file"

// Option values, as the enumerations in Options spell them (decoding
// matches them ignoring case and stores this spelling).
const (
	formatAuto    = "auto"
	formatCSV     = "csv"
	formatXLSX    = "xlsx"
	formatJSON    = "json"
	formatNDJSON  = "ndjson"
	formatParquet = "parquet"

	encAuto    = "auto"
	encUTF8    = "utf-8"
	encGBK     = "gbk"
	encGB18030 = "gb18030"
	encUTF16   = "utf-16"
)

// Options are a file source's options, as config gives them (see
// connectors.KindSpec for the tags): the one place their names, types,
// defaults and allowed values are written.
type Options struct {
	Path      string `option:"path,required" example:"medical/medical_*.csv" doc:"A file or a glob (*, ?, [...] within one path element) relative to the config file's directory unless absolute. Excel lock files (~$*.xlsx) and directories are ignored; matching nothing is a source failure."`
	Format    string `option:"format" default:"auto" enum:"auto csv xlsx json ndjson parquet" example:"csv" doc:"auto picks by extension: .csv and .txt are CSV, .xlsx and .xlsm are Excel, .json is JSON, .ndjson and .jsonl are NDJSON (one object per line), .parquet is Parquet."`
	Encoding  string `option:"encoding" default:"auto" enum:"auto utf-8 gbk gb18030 utf-16" example:"gbk" doc:"CSV, JSON and NDJSON. auto reads a byte order mark, else recognises UTF-16 by its NUL bytes, else decides between UTF-8 and GB18030 (which covers GBK) at the first non-ASCII byte by how many sequences are valid in each; text that is neither fails. A named encoding is checked against the text the same way. utf-16 honours a byte order mark and defaults to little-endian."`
	Delimiter string `option:"delimiter" default:"," enum:", ; | \t tab" example:"tab" doc:"CSV only. A tab is \"\\t\" in double quotes in YAML, or the word tab."`
	Sheet     string `option:"sheet" example:"Sheet1" doc:"Excel only: the sheet to read, by name (read even when hidden); the first visible sheet when unset."`
	HeaderRow int    `option:"header_row" default:"1" min:"1" example:"2" doc:"The line (CSV) or row (Excel) holding the column names, 1-based. Rows above it are titles and are not read."`
	Records   string `option:"records" example:"data.items" doc:"JSON only: the dotted path to the array of records when the file is an object rather than an array, e.g. data.items for {\"data\": {\"items\": [...]}}."`
}

var spec = connectors.KindSpec[Options]{
	Kind: Kind,
	Doc: "Reads CSV, Excel (.xlsx), JSON, NDJSON and Parquet files that departments drop in a folder: " +
		"one stream per file matched by path, sorted by path. Values are returned " +
		"exactly as written (no trimming); the dataset layer normalises them.",
	Check: func(o Options) error {
		_, err := parseOptions(o)
		return err
	},
	New: newConnector,
}.Spec()

func init() {
	connectors.Register(spec)
}

// options are a source's settings, parsed and checked.
type options struct {
	path      string
	format    string
	encoding  string
	delimiter rune
	sheet     string
	headerRow int
	records   []string     // the records option split at dots; nil for a top-level array
	xlsx      xlsx.Options // set by the sync (SetXLSXLimits), not by the source's options
}

// parseOptions checks what the tags cannot say (records only for JSON, a
// path that is not blank) and derives what the
// readers use. Every problem is reported.
func parseOptions(o Options) (options, error) {
	var errs []error
	opts := options{
		path:      o.Path,
		format:    o.Format,
		encoding:  o.Encoding,
		sheet:     o.Sheet,
		headerRow: o.HeaderRow,
	}
	if o.Records != "" {
		opts.records = strings.Split(o.Records, ".")
		if slices.Contains(opts.records, "") {
			errs = append(errs, connectors.OptionErrorf("records", "%q has an empty key; write keys separated by single dots, e.g. data.items", o.Records))
		}
	}
	if strings.TrimSpace(opts.path) == "" {
		errs = append(errs, connectors.OptionErrorf("path", "required for kind file"))
	}
	switch o.Delimiter {
	case "tab":
		opts.delimiter = '\t'
	default: // one of the enum's single characters
		opts.delimiter = rune(o.Delimiter[0])
	}
	if opts.records != nil && opts.format != formatAuto && opts.format != formatJSON {
		errs = append(errs, connectors.OptionErrorf("records", "applies to format json only, not %s", opts.format))
	}
	return opts, errors.Join(errs...)
}
