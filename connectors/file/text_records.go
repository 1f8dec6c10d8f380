package file

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/internal/jsonscan"
)

// keySample is how many records the JSON and NDJSON readers read ahead to
// learn the header: the union of their top-level keys, in the order first
// seen. Reading ahead a bounded number keeps memory flat however large
// the file; a key that first appears later is not lost (see
// recordRows.row) but makes its record a shape problem.
const keySample = 1000

// jsonField is one top-level key of a JSON record, its value as text, and
// what the value was: KindNumber for a number literal with a fraction or
// an exponent (1234.50, 1.0E+5), which an identifier may have gone through
// a floating-point number to become; KindText for everything else.
type jsonField struct {
	key, val string
	kind     connectors.CellKind
}

// jsonRecord is one JSON record as read from a file.
type jsonRecord struct {
	pos    int64
	fields []jsonField // the object's keys in the order written
	// numbers is set when a field's kind is not KindText.
	numbers bool
	// raw is the record's text when it is not an object: a value other
	// than an object in a JSON array, or an NDJSON line that does not
	// parse. Such a record becomes a row that cannot be loaded, so that
	// the dataset layer quarantines it with its text.
	raw string
	// blank is a row without values: an empty NDJSON line, or a null.
	blank bool
}

// recordStream yields a file's records in order, and io.EOF after the
// last one; errors name the file and the position.
type recordStream interface {
	// next reads the next record into rec, reusing rec.fields.
	next(rec *jsonRecord) error
	// notes is what reading the text noticed (see connectors.Noter).
	notes() []connectors.Note
	// notRecords is the error of a file none of whose first records (n
	// read, all if fewer than keySample) is an object; rec is the first
	// that is something else.
	notRecords(rec *jsonRecord, n int) error
	close() error
}

// recordRows turns the records of a JSON or NDJSON file into rows under a
// header of their keys.
type recordRows struct {
	name   string
	src    recordStream
	header []string
	index  map[string]int // key as written -> column
	ahead  []jsonRecord   // records read to learn the header, not yet returned
	srcEOF bool           // src returned io.EOF while reading ahead
	rec    jsonRecord     // the record being returned, reused
	vals   []string       // Values, reused
	kinds  []connectors.CellKind
	extra  []jsonField
	err    error
	closed bool
}

// newRecordRows reads ahead up to keySample records to learn the header.
// A file whose records read so are none of them objects, though some are
// something (an array of arrays, a table's rows as lists), is not a file
// of records: it fails, rather than yield rows without a header. The
// caller closes src when it fails.
func newRecordRows(name string, src recordStream) (*recordRows, error) {
	r := &recordRows{name: name, src: src, index: map[string]int{}}
	var keys []string
	for len(r.ahead) < keySample {
		var rec jsonRecord
		err := src.next(&rec)
		if err == io.EOF {
			r.srcEOF = true
			break
		}
		if err != nil {
			return nil, err
		}
		for _, f := range rec.fields {
			if _, ok := r.index[f.key]; !ok {
				r.index[f.key] = len(keys)
				keys = append(keys, f.key)
			}
		}
		r.ahead = append(r.ahead, rec)
	}
	if len(keys) == 0 {
		for i := range r.ahead {
			if r.ahead[i].raw != "" {
				return nil, src.notRecords(&r.ahead[i], len(r.ahead))
			}
		}
	}
	r.header = cleanHeader(keys)
	return r, nil
}

// rawKind names what a record that is not an object is, for a message,
// without quoting it (it may be personal data).
func rawKind(raw string) string {
	t := strings.TrimSpace(raw)
	if !json.Valid([]byte(t)) {
		return "not valid JSON (cut short?)"
	}
	return jsonscan.KindOf(t[0])
}

// sampleWords says which records were looked at: all of a short file, or
// the first keySample.
func sampleWords(n int, unit string) string {
	if n < keySample {
		return fmt.Sprintf("none of its %d %ss", n, unit)
	}
	return fmt.Sprintf("none of its first %d %ss", n, unit)
}

// Header returns the keys of the first records, trimmed, in the order
// first seen. The slice must not be changed.
func (r *recordRows) Header() []string { return r.header }

// Next returns the next record as a row aligned with the header; a key the
// record lacks, and a null, are "". Kinds is nil unless the record has a
// number with a fraction or an exponent. Values and Kinds are reused by
// the following call.
func (r *recordRows) Next() (connectors.Row, error) {
	if r.err != nil {
		return connectors.Row{}, r.err
	}
	if r.closed {
		return connectors.Row{}, fmt.Errorf("%s: read after close", r.name)
	}
	rec := &r.rec
	switch {
	case len(r.ahead) > 0:
		rec = &r.ahead[0]
		defer func() { r.ahead[0] = jsonRecord{}; r.ahead = r.ahead[1:] }()
	case r.srcEOF:
		r.err = io.EOF
		return connectors.Row{}, io.EOF
	default:
		*rec = jsonRecord{fields: rec.fields[:0]}
		if err := r.src.next(rec); err != nil {
			r.err = err
			return connectors.Row{}, err
		}
	}
	return r.row(rec), nil
}

// row aligns a record with the header.
//
// A record that is not an object keeps its text in one value past the
// header's columns, and so does a record with keys the header lacks (they
// first appeared after the records read ahead), as an object of those
// keys. A value past the header makes the dataset layer quarantine the row
// as a shape problem, with the value kept: nothing is dropped without a
// word, and the rest of the file still loads. Values in the header's
// columns are never overwritten by such text, so a broken line cannot be
// loaded as if its text were, say, a name.
func (r *recordRows) row(rec *jsonRecord) connectors.Row {
	row := connectors.Row{Pos: rec.pos}
	if rec.blank {
		return row
	}
	r.vals = r.vals[:0]
	for range r.header {
		r.vals = append(r.vals, "")
	}
	if rec.raw != "" {
		row.Values = append(r.vals, rec.raw)
		return row
	}
	if rec.numbers {
		r.kinds = r.kinds[:0]
		for range r.header {
			r.kinds = append(r.kinds, connectors.KindText)
		}
	}
	r.extra = r.extra[:0]
	for _, f := range rec.fields {
		if i, ok := r.index[f.key]; ok {
			// A repeated key: the last one wins, as in JavaScript.
			r.vals[i] = f.val
			if rec.numbers {
				r.kinds[i] = f.kind
			}
		} else if f.val != "" {
			// A null or "" is what a missing key reads as anyway.
			r.extra = append(r.extra, f)
		}
	}
	if len(r.extra) > 0 {
		r.vals = append(r.vals, extraKeysText(r.extra))
		if rec.numbers {
			r.kinds = append(r.kinds, connectors.KindText)
		}
	}
	row.Values = r.vals
	if rec.numbers {
		row.Kinds = r.kinds
	}
	return row
}

// extraKeysText renders keys outside the header as a JSON object of
// strings.
func extraKeysText(fields []jsonField) string {
	b := []byte{'{'}
	for i, f := range fields {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, f.key)
		b = append(b, ':')
		b = appendJSONString(b, f.val)
	}
	return string(append(b, '}'))
}

// Notes reports what reading the file's text noticed: lone CR line
// endings, byte order marks inside it, its encoding when not plain.
// Complete after io.EOF.
func (r *recordRows) Notes() []connectors.Note { return r.src.notes() }

// Close closes the file. It is safe to call twice.
func (r *recordRows) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.ahead = nil
	return r.src.close()
}
