// Package connectors defines how lipwatch reads department records: a
// Connector lists the streams a source offers (files, API endpoints, queries),
// and each Stream yields raw rows of strings under a header. Mapping onto a
// dataset, validation and quarantine happen downstream, identically for every
// connector kind, so a connector only has to read faithfully.
package connectors

import (
	"context"
	"errors"
	"path"
	"strings"
	"time"
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
	// Kinds, when not nil, is aligned with Values and says what each cell
	// was in a typed format (an Excel cell's type and number format), so
	// that validation can tell a date cell from a number and an identifier
	// typed as text from one that went through a number. nil means every
	// value is text as written (CSV). Like Values, it is reused by Next.
	Kinds []CellKind
}

// CellKind is what a typed format (xlsx) held in a cell, beyond its text.
type CellKind uint8

// Cell kinds. The zero value is plain text.
const (
	// KindText is text as written (or a value whose type says nothing
	// more: a boolean, a string cell).
	KindText CellKind = iota
	// KindNumber is a number cell that is not date-formatted, in plain
	// decimal digits with any exponent expanded exactly
	// ("3.4079900100100002E+15" is "3407990010010000.2"). Past 15
	// significant digits it is not exact: Excel keeps 15, as a double's
	// decimal precision (DBL_DIG) does.
	KindNumber
	// KindDate is a date-formatted number cell, already converted by the
	// reader in the workbook's date system (1900 or 1904) to
	// "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS".
	KindDate
	// KindError is a cell holding an Excel error value; Values holds its
	// text (#N/A, #REF!, #VALUE!, #DIV/0!, #NAME?, #NULL!, #NUM!,
	// #GETTING_DATA, #SPILL!, #CALC!). It is never data.
	KindError
	// KindComputed is a formula cell saved without a computed value whose
	// value the reader calculated itself.
	KindComputed
	// KindUncomputed is a formula cell saved without a computed value that
	// could not be calculated: its value is unknown (Values holds "").
	KindUncomputed
	// KindNumber1904 is KindNumber in a workbook that counts dates in the
	// 1904 date system (Excel for Mac): as a number it is the same, but a
	// date field that reads it as a serial day counts from 1904-01-01, 1462
	// days after the 1900 system's day 0.
	KindNumber1904
)

// KindFilled is a flag on a kind: the cell is covered by a merged range
// and took the value (and the base kind) of the range's top-left cell. A
// 户号 merged down a household's rows belongs to every row; an amount
// merged over two claims' rows is one amount, not one per row.
const KindFilled CellKind = 0x80

// KindScaled is a flag on a number's kind: the cell's number format shows
// it in a unit of its own (0.00"万元"), so the stored number is in that
// unit, not in yuan: 30 shown as 30.00万元 is 300,000 yuan.
const KindScaled CellKind = 0x40

// Base is the kind without the KindFilled and KindScaled flags.
func (k CellKind) Base() CellKind { return k &^ (KindFilled | KindScaled) }

// Scaled reports whether the number is shown in a unit of its own.
func (k CellKind) Scaled() bool { return k&KindScaled != 0 }

// Filled reports whether the cell took its value from a merged range.
func (k CellKind) Filled() bool { return k&KindFilled != 0 }

// String names the kind for messages and the quarantine's raw rows; a
// filled cell's kind ends in "+filled".
func (k CellKind) String() string {
	if k.Filled() {
		return (k &^ KindFilled).String() + "+filled"
	}
	if k.Scaled() {
		return (k &^ KindScaled).String() + "+scaled"
	}
	switch k {
	case KindText:
		return "text"
	case KindNumber:
		return "number"
	case KindDate:
		return "date"
	case KindError:
		return "error"
	case KindComputed:
		return "computed"
	case KindUncomputed:
		return "uncomputed"
	case KindNumber1904:
		return "number1904"
	}
	return "unknown"
}

// ParseCellKind is String's inverse; an unknown name is KindText.
func ParseCellKind(s string) CellKind {
	if base, ok := strings.CutSuffix(s, "+filled"); ok {
		return ParseCellKind(base) | KindFilled
	}
	if base, ok := strings.CutSuffix(s, "+scaled"); ok {
		return ParseCellKind(base) | KindScaled
	}
	for k := KindText; k <= KindNumber1904; k++ {
		if k.String() == s {
			return k
		}
	}
	return KindText
}

// Note is something a reader noticed about a stream that is not a row's
// problem but that a person loading it should know: hidden rows loaded,
// hidden sheets not read, merged cells filled, formulas computed, old Mac
// line endings. Notes never hold personal data.
type Note struct {
	Code  string // stable identifier, e.g. "hidden_rows"
	Count int64  // how many (rows, sheets, cells) it concerns
	Text  string // plain words, e.g. "3 hidden rows (loaded like the others)"
}

// Note codes that incremental connectors report about their watermark
// column, so that the ledger (and sources check) can say what an
// incremental read could not use. Count is the number of records.
const (
	// NoteFutureWatermark: records whose watermark value lies after the
	// read's start in the source's time (a typo such as 2099-12-31). They
	// are loaded like the others but never move the saved watermark.
	NoteFutureWatermark = "future_watermark"
	// NoteNullWatermark: records read with no watermark value (NULL or
	// empty). An incremental query "col > $1" never reads such rows again.
	NoteNullWatermark = "null_watermark"
	// NoteBadWatermark: records whose watermark value is not a time or
	// number the connector can order; they do not move the watermark.
	NoteBadWatermark = "bad_watermark"
	// NoteReread: the source was read again within one sync because a
	// pass came up short of the total it reported, or a verification pass
	// found records an earlier pass had skipped (records moved between
	// pages). Count is the passes read again.
	NoteReread = "reread"
	// NoteWatermarkReset: the saved watermark lay after the read's start
	// (saved by an older version from a future-dated record), so the
	// source was read from the start, as sync --full reads it. Count is 1.
	NoteWatermarkReset = "watermark_reset"
	// NoteTotalBelowRead: more distinct records were read than the total
	// the source reported, so its total (total_path) may not be the total
	// and cannot catch records skipped while reading. Count is the records
	// read.
	NoteTotalBelowRead = "total_below_read"
)

// Noter is implemented by readers that report Notes. Notes is complete
// once Next has returned io.EOF.
type Noter interface {
	Notes() []Note
}

// StreamNoter is implemented by streams that have something to say of
// themselves, whatever their rows: a file's numbered parts lying beside it
// unread (NotePartsNotRead). The sync keeps the notes with the load.
type StreamNoter interface {
	StreamNotes() []Note
}

// NotePartsNotRead: files named as parts of the stream's file
// (households-2.xlsx beside households.xlsx) that the source's path does
// not read. Count is the number of such files.
const NotePartsNotRead = "parts_not_read"

// PartOf is the file a numbered part of a split export belongs to:
// households.xlsx for households-2.xlsx or households_3.xlsx, in the same
// directory (names with forward slashes); ok is false for a name without
// such a number (households.xlsx, households_old.xlsx, "households (1).xlsx").
// lipwatch gen writes its parts so (households-2.xlsx ...).
func PartOf(name string) (whole string, ok bool) {
	ext := path.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	i := strings.LastIndexAny(stem, "-_")
	if i <= 0 || i == len(stem)-1 || strings.Trim(stem[i+1:], "0123456789") != "" || strings.HasSuffix(stem[:i], "/") {
		return "", false
	}
	return stem[:i] + ext, true
}

// FileStater is implemented by streams that are files: FileStat is what
// the file system says of the file, without reading it — its size, its
// modification and change times (ns), its inode and device, as one string
// — and the later of its two times. A file whose FileStat is the one
// recorded when its content was last hashed has that content still: a
// write changes the change time (ctime), which no program can set back.
// The sync then takes the recorded hash instead of reading the whole file
// again (4.9 GB a night at ten million people). "" when the file cannot
// be stat'ed or is no regular file: it is hashed.
type FileStater interface {
	FileStat() (sig string, changed time.Time)
}

// Sizer is implemented by connectors that can tell, cheaply and before
// any stream is opened, about how many bytes their streams hold now (a
// file connector: the sizes of the files its path matches, from a stat of
// each). A sync that loads several sources at once starts the largest
// first, so that no large one is left to load alone at the end while the
// other cores wait. 0 means unknown (an API, a database query, a path
// that matches nothing yet).
type Sizer interface {
	Size(ctx context.Context) int64
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

// Adviser is implemented by connectors that can tell from their options
// alone what is wrong short of an error: a query that never reads rows
// whose watermark is NULL, say. `lipwatch sources check` shows it before
// any read. Each piece of advice is plain words; nil means none.
type Adviser interface {
	Advice() []string
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
