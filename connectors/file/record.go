package file

import (
	"fmt"
	"io"

	"github.com/lipwatch/lipwatch/connectors"
)

// headerSample is how many records the JSON and NDJSON readers read ahead
// to learn the header: the union of their top-level keys, in the order
// first seen. Reading ahead a bounded number keeps memory flat however
// large the file; a key that first appears later is not lost (see
// keyedReader.row) but makes its record a shape problem.
const headerSample = 1000

// field is one top-level key of a JSON record and its value as text.
type field struct {
	key, val string
}

// record is one JSON record as read from a file.
type record struct {
	pos    int64
	fields []field // the object's keys in the order written
	// raw is the record's text when it is not an object: a value other
	// than an object in a JSON array, or an NDJSON line that does not
	// parse. Such a record becomes a row that cannot be loaded, so that
	// the dataset layer quarantines it with its text.
	raw string
	// blank is a row without values: an empty NDJSON line, or a null.
	blank bool
}

// recordSource yields a file's records in order, and io.EOF after the
// last one; errors name the file and the position.
type recordSource interface {
	// next reads the next record into rec, reusing rec.fields.
	next(rec *record) error
	close() error
}

// keyedReader turns the records of a JSON or NDJSON file into rows under
// a header of their keys.
type keyedReader struct {
	name   string
	src    recordSource
	header []string
	index  map[string]int // key as written -> column
	ahead  []record       // records read to learn the header, not yet returned
	srcEOF bool           // src returned io.EOF while reading ahead
	rec    record         // the record being returned, reused
	vals   []string       // Values, reused
	extra  []field
	err    error
	closed bool
}

// newKeyedReader reads ahead up to headerSample records to learn the
// header. The caller closes src when it fails.
func newKeyedReader(name string, src recordSource) (*keyedReader, error) {
	r := &keyedReader{name: name, src: src, index: map[string]int{}}
	var keys []string
	for len(r.ahead) < headerSample {
		var rec record
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
	r.header = cleanHeader(keys)
	return r, nil
}

// Header returns the keys of the first records, trimmed, in the order
// first seen. The slice must not be changed.
func (r *keyedReader) Header() []string { return r.header }

// Next returns the next record as a row aligned with the header; a key the
// record lacks, and a null, are "". Values is reused by the following call.
func (r *keyedReader) Next() (connectors.Row, error) {
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
		defer func() { r.ahead[0] = record{}; r.ahead = r.ahead[1:] }()
	case r.srcEOF:
		r.err = io.EOF
		return connectors.Row{}, io.EOF
	default:
		*rec = record{fields: rec.fields[:0]}
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
func (r *keyedReader) row(rec *record) connectors.Row {
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
	r.extra = r.extra[:0]
	for _, f := range rec.fields {
		if i, ok := r.index[f.key]; ok {
			r.vals[i] = f.val // a repeated key: the last one wins, as in JavaScript
		} else if f.val != "" {
			// A null or "" is what a missing key reads as anyway.
			r.extra = append(r.extra, f)
		}
	}
	if len(r.extra) > 0 {
		r.vals = append(r.vals, extraText(r.extra))
	}
	row.Values = r.vals
	return row
}

// extraText renders keys outside the header as a JSON object of strings.
func extraText(fields []field) string {
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

// Close closes the file. It is safe to call twice.
func (r *keyedReader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	r.ahead = nil
	return r.src.close()
}
