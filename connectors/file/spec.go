package file

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx"
)

// Kind is the connector kind this package registers: `kind: file` in config.
const Kind = "file"

// Option values. They are compared after lowercasing, as Spec.Check does.
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

var spec = connectors.Spec{
	Kind: Kind,
	Doc: "Reads CSV, Excel (.xlsx), JSON, NDJSON and Parquet files that departments drop in a folder: " +
		"one stream per file matched by path, sorted by path. Values are returned " +
		"exactly as written (no trimming); the dataset layer normalises them.",
	Fields: []connectors.Field{
		{
			Name:     "path",
			Type:     "string",
			Required: true,
			Doc: "A file or a glob (*, ?, [...] within one path element) relative to the " +
				"config file's directory unless absolute. Excel lock files (~$*.xlsx) and " +
				"directories are ignored; matching nothing is a source failure.",
			Example: "medical/medical_*.csv",
		},
		{
			Name:    "format",
			Type:    "string",
			Default: formatAuto,
			Enum:    []string{formatAuto, formatCSV, formatXLSX, formatJSON, formatNDJSON, formatParquet},
			Doc: "auto picks by extension: .csv and .txt are CSV, .xlsx and .xlsm are Excel, " +
				".json is JSON, .ndjson and .jsonl are NDJSON (one object per line), .parquet is Parquet.",
			Example: formatCSV,
		},
		{
			Name:    "encoding",
			Type:    "string",
			Default: encAuto,
			Enum:    []string{encAuto, encUTF8, encGBK, encGB18030, encUTF16},
			Doc: "CSV, JSON and NDJSON. auto reads a byte order mark, else recognises UTF-16 by its NUL bytes, " +
				"else decides between UTF-8 and GB18030 (which covers GBK) at the first non-ASCII byte by how many " +
				"sequences are valid in each; text that is neither fails. A named encoding is checked against the " +
				"text the same way. utf-16 honours a byte order mark and defaults to little-endian.",
			Example: encGBK,
		},
		{
			Name:    "delimiter",
			Type:    "string",
			Default: ",",
			Enum:    []string{",", ";", "|", "\t", "tab"},
			Doc:     `CSV only. A tab is "\t" in double quotes in YAML, or the word tab.`,
			Example: "tab",
		},
		{
			Name:    "sheet",
			Type:    "string",
			Doc:     "Excel only: the sheet to read, by name (read even when hidden); the first visible sheet when unset.",
			Example: "Sheet1",
		},
		{
			Name:    "header_row",
			Type:    "int",
			Default: 1,
			Doc: "The line (CSV) or row (Excel) holding the column names, 1-based. " +
				"Rows above it are titles and are not read.",
			Example: "2",
		},
		{
			Name: "records",
			Type: "string",
			Doc: "JSON only: the dotted path to the array of records when the file is an " +
				"object rather than an array, e.g. data.items for {\"data\": {\"items\": [...]}}.",
			Example: "data.items",
		},
	},
	Validate: func(o connectors.Options) error {
		_, err := parseOptions(o)
		return err
	},
	New: newConnector,
}

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

// parseOptions reads the options with their defaults. Spec.Check has
// already rejected wrong types and values outside the enumerations when the
// connector is built through connectors.New; the checks here cover what a
// type cannot say (a positive header_row) and direct calls.
func parseOptions(o connectors.Options) (options, error) {
	var errs []error
	opts := options{
		path:      o.String("path", ""),
		format:    strings.ToLower(o.String("format", formatAuto)),
		encoding:  strings.ToLower(o.String("encoding", encAuto)),
		sheet:     o.String("sheet", ""),
		headerRow: o.Int("header_row", 1),
	}
	if rec := o.String("records", ""); rec != "" {
		opts.records = strings.Split(rec, ".")
		if slices.Contains(opts.records, "") {
			errs = append(errs, fmt.Errorf("options.records: %q has an empty key; write keys separated by single dots, e.g. data.items", rec))
		}
	}
	if strings.TrimSpace(opts.path) == "" {
		errs = append(errs, errors.New("options.path: required for kind file"))
	}
	switch opts.format {
	case formatAuto, formatCSV, formatXLSX, formatJSON, formatNDJSON, formatParquet:
	default:
		errs = append(errs, fmt.Errorf("options.format: %q is not one of auto, csv, xlsx, json, ndjson, parquet", opts.format))
	}
	switch opts.encoding {
	case encAuto, encUTF8, encGBK, encGB18030, encUTF16:
	default:
		errs = append(errs, fmt.Errorf("options.encoding: %q is not one of auto, utf-8, gbk, gb18030, utf-16", opts.encoding))
	}
	switch d := strings.ToLower(o.String("delimiter", ",")); d {
	case ",", ";", "|", "\t":
		opts.delimiter = rune(d[0])
	case "tab":
		opts.delimiter = '\t'
	default:
		errs = append(errs, fmt.Errorf("options.delimiter: %q is not one of \",\", \";\", \"|\", tab", d))
	}
	if opts.records != nil && opts.format != formatAuto && opts.format != formatJSON {
		errs = append(errs, fmt.Errorf("options.records: applies to format json only, not %s", opts.format))
	}
	if opts.headerRow < 1 {
		errs = append(errs, fmt.Errorf("options.header_row: want 1 or more, got %d", opts.headerRow))
	}
	return opts, errors.Join(errs...)
}
