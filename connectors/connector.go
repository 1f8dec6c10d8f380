// Package connectors defines how lipwatch reads department records: a
// Connector lists the streams a source offers (files, API endpoints, queries),
// and each Stream yields raw rows of strings under a header. Mapping onto a
// dataset, validation and quarantine happen downstream, identically for every
// connector kind, so a connector only has to read faithfully.
package connectors

import (
	"context"
	"errors"
)

// Connector reads one configured source.
type Connector interface {
	// Streams lists what the source currently offers, in a stable order.
	// A file connector returns one stream per file matched by its glob.
	Streams(ctx context.Context) ([]Stream, error)
	// Close releases what the connector holds. It is safe to call twice.
	Close(ctx context.Context) error
}

// Stream is one readable unit of a source: a file, an endpoint, a query.
type Stream interface {
	// Name identifies the stream in the load ledger and in messages,
	// e.g. the file's path.
	Name() string
	// Fingerprint is a content hash when the connector can compute one
	// cheaply ("sha256:..."), or "" when it cannot. A stream whose
	// fingerprint matches the last committed load is not read again.
	Fingerprint(ctx context.Context) (string, error)
	// Open starts reading. The caller closes the returned reader.
	Open(ctx context.Context) (RowReader, error)
}

// RowReader yields the rows of one stream.
type RowReader interface {
	// Header is the source's column names, as the department wrote them
	// (trimmed), in order.
	Header() []string
	// Next returns the next row, or io.EOF after the last one. Blank rows
	// are returned too (with all values empty): nothing is skipped here.
	Next() (Row, error)
	Close() error
}

// Row is one row as read, before any mapping or validation.
type Row struct {
	// Pos is the row's position as a person finds it in the source:
	// the line number in a CSV file, the row number in a sheet, the
	// record index (1-based) in an API response.
	Pos int64
	// End is the last line the row occupies when it spans several (a
	// quoted field with newlines, or an unclosed quote that swallowed the
	// lines after it); 0 means the row is on one line.
	End int64
	// Values are aligned with Header. Readers of formats that omit
	// trailing empty cells (xlsx) pad the row to the header's length, so a
	// row of another length is a real shape problem (a stray delimiter or
	// line break). A blank row may have no values at all. The slice is
	// valid only until the next call to Next (readers reuse it); the
	// strings themselves may be kept.
	Values []string
}

// GrowingHeader is implemented by readers of self-describing records (JSON
// APIs) whose header is the keys seen so far: a key an API leaves out while
// it is null appears with the first record that has it. Header() may then
// grow while reading, and a mapped column missing at first is not yet an
// error.
type GrowingHeader interface {
	HeaderGrows() bool
}

// Progresser is implemented by readers that know how far through their
// stream they are (bytes of a file read so far, and its size), so that a
// long sync can show an ETA.
type Progresser interface {
	Progress() (done, total int64)
}

// Incremental is implemented by streams that can read only what changed
// since a saved position — a watermark: a timestamp, an id, a cursor. The
// sync saves the watermark in the store in the same transaction as the
// rows, so a failed load reads the same range again next time.
type Incremental interface {
	Stream
	// Resume sets where reading starts: the watermark saved by the last
	// committed load, or "" to read everything (first load, sync --full).
	// Connectors apply their own lookback window for late-arriving rows;
	// rows read twice are skipped by their natural key.
	Resume(watermark string)
	// Watermark is the position to save once everything read has been
	// committed. It is valid after the stream's reader returned io.EOF,
	// and equals the resumed watermark when nothing new was read.
	Watermark() string
}

// ErrNotFound reports that a source's location matched nothing, e.g. a
// glob that matched no file. It is a source failure, not an empty load.
var ErrNotFound = errors.New("source not found")
