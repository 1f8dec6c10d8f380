package dataset

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
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
	// ExcelError: a spreadsheet error value (#N/A, #REF!, Err:502 ...) in a
	// mapped column, from an error cell or written as text.
	ExcelError = "excel_error"
	// FormulaNotComputed: a formula saved without its value, which the
	// reader could not calculate either.
	FormulaNotComputed = "formula_not_computed"
	// DamagedNumber: an identifier that went through a number and lost
	// digits (scientific notation, more than 15 digits, a fraction).
	DamagedNumber = "damaged_number"
	// ControlChar: a control character inside a value that cannot hold
	// one (an identifier, code, date, amount or value from a list).
	ControlChar = "control_char"
	// BadHeader: every row of a stream whose header cannot be mapped
	// safely, from a mapper made by NewPartialMapper (see HeaderErr).
	BadHeader = "bad_header"
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
	// Header is the source's header as read; nil when it looks like data.
	Header []string
	// Required lists the missing ones that feed required fields.
	Required []string
}

func (e *MissingColumnsError) Error() string {
	// The "header" may really be a data row (a wrong header_row): never
	// print it if any cell looks like personal data.
	if len(e.Header) == 0 {
		return "mapped columns not in the header: " + strings.Join(e.Missing, ", ")
	}
	for _, h := range e.Header {
		if LooksPersonal(h) || headerCellLooksLikeData(h) {
			return fmt.Sprintf("mapped columns not in the header: %s (the header row holds data such as ID numbers: check header_row)",
				strings.Join(e.Missing, ", "))
		}
	}
	return fmt.Sprintf("mapped columns not in the header: %s (header has: %s)",
		strings.Join(e.Missing, ", "), strings.Join(e.Header, ", "))
}

// LooksPersonal reports a cell that may be an ID number, a phone or account
// number: six or more digits in it.
func LooksPersonal(s string) bool {
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
			digits++
		}
	}
	return digits >= 6
}

// Mapper turns a source's raw rows into canonical records of one dataset.
// Build one per stream (header); it is not safe for concurrent use.
type Mapper struct {
	ds        *Dataset
	width     int // cells a row must have: up to the last named header column
	columns   int // len(header)
	fields    []fieldMap
	keyIdx    []int
	unmapped  []string
	headerErr *HeaderError
	key       strings.Builder
	// idIdx and nameIdx are the id_number and name fields of a linkable
	// dataset (-1 otherwise): a row whose only problem is its ID number
	// and which has a name is kept unresolved.
	idIdx, nameIdx int
	// unresolved is why the last row mapped was kept unresolved (its ID
	// number's problem); nil when it was not.
	unresolved *Problem
}

// Mapping is how one source's rows map onto its dataset, from the source's
// config.
type Mapping struct {
	// Columns maps a dataset field to the source's column header. Names
	// compare as headerKey says (blanks, line breaks, full-width forms and
	// required-field marks do not matter). When a header has several
	// columns of that name, "name#2" picks the second (#1 the first).
	Columns map[string]string
	// Values maps a field to extra aliases: source value -> canonical.
	Values map[string]map[string]string
	// Formats maps a field to how its values are written when that cannot
	// be told from the values themselves (see CheckFormat), e.g.
	// issued_date: epoch_ms.
	Formats map[string]string
	// Missing lists values that mean "no value" in this source, beyond the
	// built-in marks (NULL, \N, (null), NaN, undefined; in identifier and
	// code columns 无, -, only zeros ...): a source that writes 暂缺 or
	// "null" in its own way. Compared after trimming, ignoring case, in
	// every column. A missing required value is quarantined as such.
	Missing []string
}

// NewMapper matches the source's header against the mapping's columns
// (dataset field -> source column name) and value aliases (field -> source
// value -> canonical value). It fails with a *HeaderError when the header
// looks like data, when a mapped name appears more than once and the
// mapping does not say which ("name#2"), or when such a pick is past the
// columns of that name; and with a *MissingColumnsError naming every
// mapped column the header lacks (both, joined, when both apply).
func NewMapper(ds *Dataset, header []string, mp Mapping) (*Mapper, error) {
	m, missing := NewPartialMapper(ds, header, mp)
	switch {
	case m.headerErr != nil && len(m.headerErr.DataCells) > 0:
		return nil, m.headerErr
	case m.headerErr != nil && missing != nil:
		return nil, errors.Join(m.headerErr, missing)
	case m.headerErr != nil:
		return nil, m.headerErr
	case missing != nil:
		return nil, missing
	}
	return m, nil
}

// NewPartialMapper is NewMapper for a header that may still grow (records
// whose keys appear as they are first seen): mapped columns absent from the
// header are left unmapped for now — their fields read as empty — and
// reported in the second result (nil when none is missing). A header that
// cannot be mapped safely (see NewMapper) cannot be reported through that
// result: HeaderErr returns it, and until the header is fixed every row
// the mapper is given is a BadHeader problem, so nothing loads in silence.
func NewPartialMapper(ds *Dataset, header []string, mp Mapping) (*Mapper, *MissingColumnsError) {
	columns, values := mp.Columns, mp.Values
	keys := make([]string, len(header))
	byKey := make(map[string][]int, len(header))
	m := &Mapper{ds: ds, columns: len(header)}
	var herr HeaderError
	for i, h := range header {
		keys[i] = headerKey(h)
		if keys[i] != "" {
			byKey[keys[i]] = append(byKey[keys[i]], i)
			m.width = i + 1
		}
		if headerCellLooksLikeData(h) {
			herr.DataCells = append(herr.DataCells, i)
		}
	}
	used := map[int]bool{}
	missingValues := missingSet(mp.Missing)
	var missing, required []string
	for _, f := range ds.Fields {
		fm := fieldMap{Field: f, col: -1, free: f.Type == String && !f.Identifier, format: mp.Formats[f.Name], missing: missingValues}
		if name, ok := columns[f.Name]; ok {
			fm.colName = name
			pos, nth, base := byKey[headerKey(name)], 0, name
			if len(pos) == 0 {
				if b, n, ok := pickSuffix(name); ok {
					pos, nth, base = byKey[headerKey(b)], n, b
				}
			}
			switch {
			case len(pos) == 0:
				missing = append(missing, fmt.Sprintf("%s (%s)", name, f.Name))
				if f.Required {
					required = append(required, fmt.Sprintf("%s (%s)", name, f.Name))
				}
			case nth > len(pos):
				cols := make([]string, len(pos))
				for i, p := range pos {
					cols[i] = ColumnName(p)
				}
				herr.BadPicks = append(herr.BadPicks, fmt.Sprintf("%s (%s): the header has %d column(s) named %s (%s), not %d",
					name, f.Name, len(pos), base, joinAnd(cols), nth))
			case nth > 0:
				fm.col = pos[nth-1]
			case len(pos) > 1:
				herr.Duplicates = append(herr.Duplicates, DuplicateColumn{Field: f.Name, Name: name, Positions: pos})
			default:
				fm.col = pos[0]
			}
			if fm.col >= 0 {
				used[fm.col] = true
				fm.header, fm.headerKey = header[fm.col], keys[fm.col]
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
	if len(herr.DataCells) > 0 || len(herr.Duplicates) > 0 || len(herr.BadPicks) > 0 {
		m.headerErr = &herr
	}
	var missingErr *MissingColumnsError
	if len(missing) > 0 {
		missingErr = &MissingColumnsError{Missing: missing, Header: header, Required: required}
		if len(herr.DataCells) > 0 {
			missingErr.Header = nil // data, not names: never shown
		}
	}
	// The names of columns nothing uses are shown to people: never when
	// the header is really data.
	if len(herr.DataCells) == 0 {
		for i, h := range header {
			if !used[i] && keys[i] != "" {
				m.unmapped = append(m.unmapped, h)
			}
		}
	}
	for _, k := range ds.Key {
		for i, f := range ds.Fields {
			if f.Name == k {
				m.keyIdx = append(m.keyIdx, i)
			}
		}
	}
	m.idIdx, m.nameIdx = -1, -1
	if ds.Linkable() {
		for i, f := range ds.Fields {
			switch {
			case f.Name == "id_number" && f.Type == ID:
				m.idIdx = i
			case f.Name == "name" && f.Linkage:
				m.nameIdx = i
			}
		}
		if m.idIdx < 0 || m.nameIdx < 0 {
			m.idIdx, m.nameIdx = -1, -1
		}
	}
	return m, missingErr
}

// HeaderErr returns why the header cannot be mapped safely (a
// *HeaderError), or nil. NewMapper fails with it; a caller of
// NewPartialMapper should check it before reading rows.
func (m *Mapper) HeaderErr() error {
	if m.headerErr == nil {
		return nil
	}
	return m.headerErr
}

// Unmapped lists the source's columns that no field uses (none when the
// header looks like data: its cells would be personal data).
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
// (connectors.Row.Kinds; nil when every value is text as written). An
// Excel error value or a formula without a value in a mapped column
// quarantines the row (ExcelError, FormulaNotComputed); a number cell in
// an identifier column is read as the identifier it was, or quarantined
// as DamagedNumber when its digits are lost. Cells of unmapped columns do
// not matter.
//
// In a linkable dataset (Dataset.Linkable), a row whose only problem is
// its ID number — missing, a wrong check character, not an ID, digits lost
// through a number cell — and which has a name is not a problem: it maps
// with id_number UnresolvedPrefix + the ID text as best recovered, and
// the id part of its key is that text, 0x1e and the name (the same row
// sent again is a duplicate; two people's rows with the same bad ID text
// are two rows). Unresolved then returns the ID's problem. A row with an
// unusable ID and no name yields the first problem in field order, as in
// any dataset; one with a name and another problem yields that problem.
func (m *Mapper) MapRow(values []string, kinds []connectors.CellKind, out []any) (key string, p *Problem) {
	m.unresolved = nil
	if m.headerErr != nil {
		return "", &Problem{Code: BadHeader, Reason: "the stream's header cannot be mapped: " + m.headerErr.Error()}
	}
	if isBlank(values) {
		return "", &Problem{Code: BlankRow, Reason: "blank row"}
	}
	if m.isHeader(values) {
		return "", &Problem{Code: HeaderRepeat, Reason: "repeated header row"}
	}
	if p := m.shape(values); p != nil {
		return "", p
	}
	var idProb *Problem
	for i := range m.fields {
		raw, kind := m.cell(i, values, kinds)
		v, prob := m.fields[i].parse(raw, kind)
		if prob != nil {
			if i == m.idIdx && unusableID[prob.Code] && m.hasName(values, kinds) {
				// Kept unresolved unless another cell is bad too.
				idProb = prob
				out[i] = UnresolvedPrefix + m.fields[i].recoverID(raw, kind)
				continue
			}
			return "", prob
		}
		out[i] = v
	}
	if m.ds.Check != nil {
		if p := m.ds.Check(out); p != nil {
			return "", p
		}
	}
	m.key.Reset()
	for n, i := range m.keyIdx {
		if n > 0 {
			m.key.WriteByte(0x1f)
		}
		writeKeyPart(&m.key, out[i])
		if i == m.idIdx && idProb != nil {
			m.key.WriteByte(unresolvedKeySep)
			writeKeyPart(&m.key, out[m.nameIdx])
		}
	}
	m.unresolved = idProb
	return m.key.String(), nil
}

// Unresolved returns, after MapRow mapped a row without a problem, the
// problem of its ID number when the row was kept unresolved (its
// id_number begins with UnresolvedPrefix), and nil otherwise. The Problem
// names the column and says what was wrong, as a quarantine reason would;
// like every reason it never quotes the ID.
func (m *Mapper) Unresolved() *Problem { return m.unresolved }

// cell is field i's raw value and cell kind in a row.
func (m *Mapper) cell(i int, values []string, kinds []connectors.CellKind) (string, connectors.CellKind) {
	f := &m.fields[i]
	raw, kind := "", connectors.KindText
	if f.col >= 0 && f.col < len(values) {
		raw = values[f.col]
		if f.col < len(kinds) {
			kind = kinds[f.col]
		}
	}
	return raw, kind
}

// hasName reports whether a row of a linkable dataset carries a name it
// can be linked by (isPersonName): its name column is mapped, parses, and
// holds one.
func (m *Mapper) hasName(values []string, kinds []connectors.CellKind) bool {
	if m.nameIdx < 0 || m.fields[m.nameIdx].col < 0 {
		return false
	}
	raw, kind := m.cell(m.nameIdx, values, kinds)
	v, p := m.fields[m.nameIdx].parse(raw, kind)
	s, ok := v.(string)
	return p == nil && ok && isPersonName(s)
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
		return &Problem{Code: BadShape, Reason: fmt.Sprintf("row has %s; the header has %d columns (a line break or missing delimiter?)", cellCount(len(values)), m.width)}
	}
	for _, v := range values[min(len(values), m.columns):] {
		if t := trimSpace(v); t != "" {
			if t[0] == '{' || t[0] == '[' {
				// What the JSON and NDJSON readers put past the header: a
				// record that is not an object, or keys the header lacks.
				return &Problem{Code: BadShape, Reason: "the record is not a JSON object with the header's keys: a line cut short, two records on one line, or keys that the first records lack"}
			}
			return &Problem{Code: BadShape, Reason: fmt.Sprintf("row has %s; the header has %d columns (a stray delimiter?)", cellCount(len(values)), m.columns)}
		}
	}
	return nil
}

func cellCount(n int) string {
	if n == 1 {
		return "1 cell"
	}
	return fmt.Sprintf("%d cells", n)
}

// isBlank reports a row with nothing in it but padding (blanks, NUL).
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
		if f.col >= len(values) {
			return false
		}
		if v := values[f.col]; v != f.header && headerKey(v) != f.headerKey {
			return false
		}
		seen = true
	}
	return seen
}

// Identify reads, from a row that may be bad in other cells, the fields
// that say whom it is about — the ID number and the 户号 — cleaned as the
// loader cleans them (padding, Excel's protective marks, a number's ".0"),
// "" for one that does not parse or is not mapped. The pipeline uses it to
// hold back the warnings of people whose own rows are in quarantine.
func (m *Mapper) Identify(values []string, kinds []connectors.CellKind) (idNumber, householdID string) {
	for i := range m.fields {
		f := &m.fields[i]
		if f.col < 0 || f.col >= len(values) || (f.Name != "id_number" && f.Name != "household_id") {
			continue
		}
		kind := connectors.KindText
		if f.col < len(kinds) {
			kind = kinds[f.col]
		}
		v, prob := f.parse(values[f.col], kind)
		s, ok := v.(string)
		if prob != nil || !ok {
			continue
		}
		if f.Name == "id_number" {
			idNumber = s
		} else {
			householdID = s
		}
	}
	return idNumber, householdID
}

// missingSet is Mapping.Missing as a set of lower-cased, trimmed values;
// nil when there are none.
func missingSet(values []string) map[string]bool {
	if len(values) == 0 {
		return nil
	}
	m := make(map[string]bool, len(values))
	for _, v := range values {
		if v = strings.ToLower(strings.TrimSpace(v)); v != "" {
			m[v] = true
		}
	}
	return m
}
