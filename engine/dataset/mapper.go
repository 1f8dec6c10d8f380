package dataset

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/idnum"
)

// Problem codes: why a row went to quarantine. They are stable identifiers
// for tests and reports; Reason carries the plain words.
const (
	BlankRow        = "blank_row"
	HeaderRepeat    = "header_repeat"
	MissingRequired = "missing_required"
	BadCheckDigit   = "bad_check_digit"
	BadID           = "bad_id"
	ImpossibleDate  = "impossible_date"
	BadDate         = "bad_date"
	BadNumber       = "bad_number"
	BadValue        = "bad_value"
	BadCode         = "bad_code"
	BadEncoding     = "bad_encoding"
	BadShape        = "bad_shape"
)

// Problem explains why a row cannot be loaded.
type Problem struct {
	Code   string // one of the codes above
	Field  string // the dataset field, "" for whole-row problems
	Column string // the source's column header, "" for whole-row problems
	// Reason is in plain words. It never contains a value from an ID
	// column; for other columns it may quote the offending value, so it is
	// stored with the row in quarantine and never logged.
	Reason string
}

func (p *Problem) Error() string { return p.Reason }

// MissingColumnsError reports mapped columns that the source's header lacks.
type MissingColumnsError struct {
	Missing []string // "column (field)"
	Header  []string
	// Required lists the missing ones that feed required fields.
	Required []string
}

func (e *MissingColumnsError) Error() string {
	// The "header" may really be a data row (a wrong header_row): never
	// print it if any cell looks like personal data.
	for _, h := range e.Header {
		if looksPersonal(h) {
			return fmt.Sprintf("mapped columns not in the header: %s (the header row holds data such as ID numbers: check header_row)",
				strings.Join(e.Missing, ", "))
		}
	}
	return fmt.Sprintf("mapped columns not in the header: %s (header has: %s)",
		strings.Join(e.Missing, ", "), strings.Join(e.Header, ", "))
}

// looksPersonal reports a cell that may be an ID number, a phone or account
// number: six or more digits in it.
func looksPersonal(s string) bool {
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			digits++
		}
	}
	return digits >= 6
}

type fieldMap struct {
	Field
	col     int // index in the source header, -1 if unmapped
	colName string
	extra   map[string]string // config aliases, normalised keys
}

// Mapper turns a source's raw rows into canonical records of one dataset.
// Build one per stream (header); it is not safe for concurrent use.
type Mapper struct {
	ds       *Dataset
	width    int // cells a row must have: up to the last named header column
	columns  int // len(header)
	fields   []fieldMap
	keyIdx   []int
	unmapped []string
	key      strings.Builder
}

// Mapping is how one source's rows map onto its dataset, from the source's
// config.
type Mapping struct {
	// Columns maps a dataset field to the source's column header.
	Columns map[string]string
	// Values maps a field to extra aliases: source value -> canonical.
	Values map[string]map[string]string
	// Formats maps a field to how its values are written when that cannot
	// be told from the values themselves (see CheckFormat), e.g.
	// issued_date: epoch_ms.
	Formats map[string]string
}

// NewMapper matches the source's header against the mapping's columns
// (dataset field -> source column name) and value aliases (field -> source
// value -> canonical value). Header names compare after trimming and
// full-width normalisation. A mapped column absent from the header is an
// error naming every such column.
func NewMapper(ds *Dataset, header []string, mp Mapping) (*Mapper, error) {
	m, missing := NewPartialMapper(ds, header, mp)
	if missing != nil {
		return nil, missing
	}
	return m, nil
}

// NewPartialMapper is NewMapper for a header that may still grow (records
// whose keys appear as they are first seen): mapped columns absent from the
// header are left unmapped for now — their fields read as empty — and
// reported in the second result (nil when none is missing).
func NewPartialMapper(ds *Dataset, header []string, mp Mapping) (*Mapper, *MissingColumnsError) {
	columns, values := mp.Columns, mp.Values
	idx := make(map[string]int, len(header))
	for i, h := range header {
		h = normalizeText(h)
		if _, dup := idx[h]; !dup {
			idx[h] = i
		}
	}
	m := &Mapper{ds: ds, columns: len(header)}
	for i, h := range header {
		if normalizeText(h) != "" {
			m.width = i + 1
		}
	}
	used := map[int]bool{}
	var missing, required []string
	for _, f := range ds.Fields {
		fm := fieldMap{Field: f, col: -1}
		if name, ok := columns[f.Name]; ok {
			fm.colName = name
			if i, ok := idx[normalizeText(name)]; ok {
				fm.col = i
				used[i] = true
			} else {
				missing = append(missing, fmt.Sprintf("%s (%s)", name, f.Name))
				if f.Required {
					required = append(required, fmt.Sprintf("%s (%s)", name, f.Name))
				}
			}
		}
		if vals := values[f.Name]; len(vals) > 0 {
			fm.extra = make(map[string]string, len(vals))
			for k, v := range vals {
				fm.extra[strings.ToLower(normalizeText(k))] = v
			}
		}
		m.fields = append(m.fields, fm)
	}
	var missingErr *MissingColumnsError
	if len(missing) > 0 {
		missingErr = &MissingColumnsError{Missing: missing, Header: header, Required: required}
	}
	for i, h := range header {
		if !used[i] && strings.TrimSpace(h) != "" {
			m.unmapped = append(m.unmapped, h)
		}
	}
	for _, k := range ds.Key {
		for i, f := range ds.Fields {
			if f.Name == k {
				m.keyIdx = append(m.keyIdx, i)
			}
		}
	}
	return m, missingErr
}

// Unmapped lists the source's columns that no field uses.
func (m *Mapper) Unmapped() []string { return m.unmapped }

// Dataset returns the mapper's dataset.
func (m *Mapper) Dataset() *Dataset { return m.ds }

// Map converts one raw row into out (len(out) == len(Fields); values are
// string, time.Time (dates, UTC midnight), int64 (whole numbers, and money
// in fen: the scaled value of a DECIMAL(14,2) column), bool or nil) and
// returns the row's natural key. A row that cannot be loaded yields a
// Problem and leaves out unspecified.
func (m *Mapper) Map(values []string, out []any) (key string, p *Problem) {
	return m.MapRow(values, nil, out)
}

// MapRow is Map for a row whose cells come with their kinds
// (connectors.Row.Kinds; nil when every value is text as written).
func (m *Mapper) MapRow(values []string, kinds []connectors.CellKind, out []any) (key string, p *Problem) {
	_ = kinds // TODO(issue 7): errors, uncomputed formulas, numbers in identifiers
	if isBlank(values) {
		return "", &Problem{Code: BlankRow, Reason: "blank row"}
	}
	if m.isHeader(values) {
		return "", &Problem{Code: HeaderRepeat, Reason: "repeated header row"}
	}
	if p := m.shape(values); p != nil {
		return "", p
	}
	for i := range m.fields {
		f := &m.fields[i]
		raw := ""
		if f.col >= 0 && f.col < len(values) {
			raw = values[f.col]
		}
		v, prob := f.parse(raw)
		if prob != nil {
			return "", prob
		}
		out[i] = v
	}
	m.key.Reset()
	for n, i := range m.keyIdx {
		if n > 0 {
			m.key.WriteByte(0x1f)
		}
		writeKeyPart(&m.key, out[i])
	}
	return m.key.String(), nil
}

func writeKeyPart(b *strings.Builder, v any) {
	switch x := v.(type) {
	case nil:
	case string:
		b.WriteString(x)
	case time.Time:
		b.WriteString(x.Format(time.DateOnly))
	default:
		fmt.Fprint(b, x)
	}
}

// shape reports a row with fewer cells than the named header columns, or
// with non-empty cells past the header: a stray delimiter or line break
// has shifted its values, so no cell can be trusted to be what its column
// says.
func (m *Mapper) shape(values []string) *Problem {
	if len(values) < m.width {
		return &Problem{Code: BadShape, Reason: fmt.Sprintf("row has %d cells; the header has %d columns (a line break or missing delimiter?)", len(values), m.width)}
	}
	for _, v := range values[min(len(values), m.columns):] {
		if trimSpace(v) != "" {
			return &Problem{Code: BadShape, Reason: fmt.Sprintf("row has %d cells; the header has %d columns (a stray delimiter?)", len(values), m.columns)}
		}
	}
	return nil
}

func isBlank(values []string) bool {
	for _, v := range values {
		if trimSpace(v) != "" {
			return false
		}
	}
	return true
}

// isHeader reports whether every mapped cell holds its own column's name.
func (m *Mapper) isHeader(values []string) bool {
	seen := false
	for i := range m.fields {
		f := &m.fields[i]
		if f.col < 0 {
			continue
		}
		if f.col >= len(values) || normalizeText(values[f.col]) != normalizeText(f.colName) {
			return false
		}
		seen = true
	}
	return seen
}

func (f *fieldMap) label() string {
	if f.colName != "" {
		return fmt.Sprintf("%s (%s)", f.colName, f.Name)
	}
	return f.Name
}

func (f *fieldMap) problem(code, format string, args ...any) *Problem {
	return &Problem{Code: code, Field: f.Name, Column: f.colName,
		Reason: "column " + f.label() + ": " + fmt.Sprintf(format, args...)}
}

func (f *fieldMap) parse(raw string) (any, *Problem) {
	if !utf8.ValidString(raw) {
		// A file that mixes encodings: the bytes cannot be stored as text,
		// and guessing would corrupt names.
		return nil, f.problem(BadEncoding, "value is not valid text in the file's encoding (mixed encodings?)")
	}
	s := normalizeText(raw)
	if s == "" {
		if f.Required {
			return nil, f.problem(MissingRequired, "required value is empty")
		}
		return nil, nil
	}
	switch f.Type {
	case String:
		return s, nil
	case ID:
		id, err := idnum.Parse(s)
		if err != nil {
			if errors.Is(err, idnum.ErrCheckDigit) {
				return nil, f.problem(BadCheckDigit, "%v", err)
			}
			return nil, f.problem(BadID, "%v", err)
		}
		return string(id), nil
	case Code:
		if !allDigits(s) || (len(f.Digits) > 0 && !slices.Contains(f.Digits, len(s))) {
			return nil, f.problem(BadCode, "%q is not a %v-digit code", raw, f.Digits)
		}
		return s, nil
	case Date:
		t, err := ParseDate(s)
		if err != nil {
			code := BadDate
			if errors.Is(err, errDateImpossible) {
				code = ImpossibleDate
			}
			return nil, f.problem(code, "%q %v", raw, err)
		}
		return t, nil
	case Money:
		fen, err := ParseMoney(s)
		if err != nil {
			return nil, f.problem(BadNumber, "%q is not an amount of money", raw)
		}
		return fen, nil
	case Int:
		n, err := ParseInt(s)
		if err != nil {
			return nil, f.problem(BadNumber, "%q is not a whole number", raw)
		}
		return n, nil
	case Enum:
		if v, ok := f.canonical(s); ok {
			return v, nil
		}
		return nil, f.problem(BadValue, "%q is not one of %s", raw, strings.Join(f.Values, ", "))
	case Bool:
		if v, ok := f.canonical(s); ok {
			return v == "true", nil
		}
		return nil, f.problem(BadValue, "%q is not yes/no (是/否)", raw)
	}
	return nil, f.problem(BadValue, "unsupported field type")
}

// canonical maps a source value onto a canonical one: config aliases first,
// then the canonical values themselves, then the built-in aliases.
func (f *fieldMap) canonical(s string) (string, bool) {
	k := strings.ToLower(s)
	if v, ok := f.extra[k]; ok {
		return v, true
	}
	if f.Type == Bool {
		v, ok := boolAliases[k]
		return v, ok
	}
	if slices.Contains(f.Values, k) {
		return k, true
	}
	v, ok := f.Aliases[k]
	return v, ok
}
