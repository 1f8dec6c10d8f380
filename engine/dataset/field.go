package dataset

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/redact"
)

// fieldMap is one dataset field as a source feeds it.
type fieldMap struct {
	Field
	col       int    // index in the source header, -1 if unmapped
	colName   string // the column name as configured
	header    string // the header cell at col, as read
	headerKey string // its headerKey
	free      bool   // free text (names, addresses): String and not an Identifier
	format    string // Mapping.Formats, e.g. epoch_ms
	extra     map[string]string
	missing   map[string]bool // Mapping.Missing, lower-cased
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

// parse reads one cell of the field. It runs for every mapped cell of
// every row: clean values take the fast paths (no allocation for clean
// ASCII and Chinese text).
func (f *fieldMap) parse(raw string, kind connectors.CellKind) (any, *Problem) {
	if kind.Filled() && (f.Type == Money || f.Type == Int || f.Type == Decimal) && raw != "" {
		// One amount merged over several rows is not each row's amount:
		// filled in, a person's costs would count twice.
		return nil, f.problem(BadNumber, "the cell is part of a merged range over several rows, so its amount is not this row's own: unmerge the cells and give each row its own value, then send the file again")
	}
	if kind.Scaled() && (f.Type == Money || f.Type == Int || f.Type == Decimal) && raw != "" {
		return nil, f.problem(BadNumber, "the cell shows its number in a unit of its own (its number format, such as 0.00\"万元\"), so the stored number is not in yuan: give the amounts in yuan, or in a text column, and send the file again")
	}
	kind = kind.Base()
	switch kind {
	case connectors.KindError:
		name, meaning := kindErrorName(raw)
		return nil, f.problem(ExcelError, "Excel error %s (%s): fix the formula in the workbook, then sync again", name, meaning)
	case connectors.KindUncomputed:
		return nil, f.problem(FormulaNotComputed, "formula without a computed value: open and save the file in Excel/WPS, then sync again")
	}
	s, dmg, r := cleanValue(raw, f.free)
	switch dmg {
	case damageUTF8:
		// A file that mixes encodings: the bytes cannot be stored as text,
		// and guessing would corrupt names.
		return nil, f.problem(BadEncoding, "value is not valid text in the file's encoding: a character cut in half by the export, or a file that mixes encodings; export the file again")
	case damageReplace:
		return nil, f.problem(BadEncoding, "value holds U+FFFD (�), the mark a program leaves for bytes that were not text: a character was cut in half, or the file mixes encodings; export the file again")
	case damageControl:
		return nil, f.problem(ControlChar, "a control character (%U) inside the value: the export damaged it; correct the value or the export, then sync again", r)
	}
	s = unprotect(s, !f.free)
	if name, meaning, ok := excelError(s); ok {
		if strings.Trim(name, "#") == "" {
			return nil, f.problem(ExcelError, "%s in place of a value (%s), then save and send the file again", name, meaning)
		}
		return nil, f.problem(ExcelError, "Excel error %s (%s): fix the formula in the workbook, then sync again", name, meaning)
	}
	marker := s != "" && (isNull(s, f.free) || (f.missing != nil && f.missing[strings.ToLower(s)]) || (f.Type == Date && isZeroDate(s)) || ((f.Identifier || f.Type == Code) && isPlaceholder(s)))
	if s == "" || marker {
		switch {
		case !f.Required:
			return nil, nil
		case marker:
			return nil, f.problem(MissingRequired, "required value is missing: the cell holds a mark for none (such as NULL, 无, - or 0000-00-00)")
		}
		return nil, f.problem(MissingRequired, "required value is empty")
	}
	// A value that went through a number: a number cell. A formula that
	// lipwatch computed (KindComputed) is not counted: its result may be
	// text (a VLOOKUP of 户号 written as text) and the calculation does not
	// say which, so it is taken as written.
	number := kind == connectors.KindNumber || kind == connectors.KindNumber1904
	if number && strings.ContainsAny(s, "Ee") {
		if x, ok := expandExponent(s); ok {
			s = x
		}
	}
	if kind == connectors.KindDate && f.Type != Date && f.Type != Month && !f.free {
		code, what := BadValue, "text (设置单元格格式→文本)"
		if f.Type == Money || f.Type == Int || f.Type == Decimal {
			code, what = BadNumber, "numbers (设置单元格格式→数值)"
		}
		return nil, f.problem(code, "the cell is formatted as a date, so it does not hold the value written: format the column as %s and send the file again", what)
	}
	switch f.Type {
	case String:
		if f.Identifier {
			return f.identifier(s, number)
		}
		return s, nil
	case ID:
		d, p := f.digits(s, number)
		if p != nil {
			return nil, p
		}
		id, err := idnum.Parse(d)
		if err != nil {
			if errors.Is(err, idnum.ErrCheckDigit) {
				return nil, f.problem(BadCheckDigit, "%v", err)
			}
			return nil, f.problem(BadID, "%v", err)
		}
		return string(id), nil
	case Code:
		d, p := f.digits(s, number)
		if p != nil {
			return nil, p
		}
		d = joinDigitGroups(d)
		if len(d) == 12 && strings.HasSuffix(d, "000") && slices.Contains(f.Digits, 9) && !slices.Contains(f.Digits, 12) {
			// A township's code in the 12-digit form of the division
			// codes (GB/T 10114: its village part 000) is the township.
			d = d[:9]
		}
		if !allDigits(d) || (len(f.Digits) > 0 && !slices.Contains(f.Digits, len(d))) {
			return nil, f.problem(BadCode, "%s is not a %s-digit code", shown(s), orList(f.Digits))
		}
		return d, nil
	case Date:
		if kind == connectors.KindNumber1904 {
			s = serial1904(s)
		}
		return f.date(s)
	case Money:
		fen, err := ParseMoney(s)
		if err != nil {
			return nil, f.problem(BadNumber, "%s is not an amount of money", shown(s))
		}
		return fen, nil
	case Decimal:
		v := s
		for _, u := range f.Units {
			if t, ok := strings.CutSuffix(v, u); ok {
				v = trimSpace(t)
				break
			}
		}
		n, err := ParseMoney(v)
		if err != nil || strings.ContainsAny(v, "元￥") {
			return nil, f.problem(BadNumber, "%s is not a number%s", shown(s), unitsHint(f.Units))
		}
		return n, nil
	case Month:
		if kind == connectors.KindNumber1904 {
			s = serial1904(s)
		}
		m, err := ParseMonth(s)
		if err != nil {
			return nil, f.problem(BadDate, "%s %v", shown(s), err)
		}
		return m, nil
	case Int:
		n, err := ParseInt(s)
		if err != nil {
			return nil, f.problem(BadNumber, "%s is not a whole number", shown(s))
		}
		return n, nil
	case Enum:
		if v, ok := f.canonical(s); ok {
			return v, nil
		}
		return nil, f.problem(BadValue, "%s is not one of %s%s", shown(s), strings.Join(f.Values, ", "), aliasHint(s))
	case Bool:
		if v, ok := f.canonical(s); ok {
			return v == "true", nil
		}
		return nil, f.problem(BadValue, "%s is not yes/no (是/否)%s", shown(s), aliasHint(s))
	}
	return nil, f.problem(BadValue, "unsupported field type")
}

// identifier reads a code-like key (户号, claim number). Its value is never
// quoted: it identifies a household or a person.
func (f *fieldMap) identifier(s string, number bool) (any, *Problem) {
	d, p := f.digits(s, number)
	if p != nil {
		return nil, p
	}
	return joinDigitGroups(d), nil
}

// digits is an identifier's text read through a number cell (throughNumber),
// or DamagedNumber when its digits are lost.
func (f *fieldMap) digits(s string, number bool) (string, *Problem) {
	d, why := throughNumber(s, number)
	if why != "" {
		return "", f.problem(DamagedNumber, "%s", why)
	}
	return d, nil
}

// secondsAsMillis reports an epoch_ms value within 1e10 ms (116 days) of
// 1970-01-01: what Unix seconds of 1973 to 2286 look like as milliseconds.
func secondsAsMillis(s string) bool {
	w := strings.TrimPrefix(s, "-")
	if i := strings.IndexByte(w, '.'); i >= 0 {
		w = w[:i]
	}
	return len(strings.TrimLeft(w, "0")) <= 10
}

// joinDigitGroups removes the spaces of a number written in groups
// ("3407 9900 1001 0001"); anything else is returned as it is.
func joinDigitGroups(s string) string {
	if !strings.Contains(s, " ") {
		return s
	}
	if j := strings.ReplaceAll(s, " ", ""); allDigits(j) {
		return j
	}
	return s
}

// date reads a date field: open ends, Unix times where the source's
// format says so, and every written form ParseDate knows.
func (f *fieldMap) date(s string) (any, *Problem) {
	if f.OpenEnd && openEndWords[s] {
		return nil, nil
	}
	if f.format == FormatEpochSeconds || f.format == FormatEpochMillis {
		millis := f.format == FormatEpochMillis
		t, year, isNumber, err := epochDate(s, millis)
		switch {
		case !isNumber:
		case millis && f.Name != "birth_date" && secondsAsMillis(s):
			// Seconds read as milliseconds land in the first months of
			// 1970, when no department recorded anything (births are the
			// exception, and are not checked).
			return nil, f.problem(BadDate, "%s as %s (set in the source's formats) would be a date in 1970: it looks like seconds; if the source sends seconds, set formats: {%s: %s} for it", shown(s), f.format, f.Name, FormatEpochSeconds)
		case !millis && f.Name != "birth_date" && err == nil && year < epochPlausibleYear:
			// 20260501 or an Excel serial (46143) read as seconds lands in
			// 1970: a department's record of that year is not plausible.
			return nil, f.problem(BadDate, "%s as %s (set in the source's formats) would be a date in %d: it looks like a date written as digits (yyyymmdd) or an Excel serial, not Unix seconds", shown(s), f.format, year)
		case f.OpenEnd && year >= openEndYear:
			return nil, nil
		case err != nil:
			return nil, f.problem(ImpossibleDate, "%s as %s (set in the source's formats) is a date outside the years 1800 to 2100", shown(s), f.format)
		default:
			return t, nil
		}
	}
	p, err := scanDate(s)
	if err == nil {
		if f.OpenEnd && p.y >= openEndYear && p.realDay() {
			return nil, nil
		}
		t, err := p.date()
		if err == nil {
			return t, nil
		}
		return nil, f.problem(ImpossibleDate, "%s %v", shown(s), err)
	}
	switch err {
	case errDateNumber:
		return nil, f.problem(BadDate, "%s %v: format the column as dates (设置单元格格式→日期)", shown(s), err)
	case errDateEpochS, errDateEpochMS:
		format := FormatEpochSeconds
		if err == errDateEpochMS {
			format = FormatEpochMillis
		}
		return nil, f.problem(BadDate, "%s %v: if the source sends Unix times, set formats: {%s: %s} for it", shown(s), err, f.Name, format)
	}
	return nil, f.problem(BadDate, "%s %v", shown(s), err)
}

// canonical maps a source value onto a canonical one: config aliases first,
// then the canonical values themselves, then the built-in aliases. A whole
// number written with a zero fraction ("4.0", from a number cell or a
// float column) is that number.
func (f *fieldMap) canonical(s string) (string, bool) {
	if v, ok := f.lookup(s); ok {
		return v, true
	}
	if w, frac, grouped, ok := splitNumber(s); ok && !grouped && frac != "" && strings.Trim(frac, "0") == "" {
		return f.lookup(w)
	}
	return "", false
}

func (f *fieldMap) lookup(s string) (string, bool) {
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

// shown quotes a value for a reason when it cannot be personal data: no
// number long enough to be an ID, phone or account number (as
// engine/redact judges it), and no run of two or more Chinese characters
// (a name in a shifted column: 周测六 in 安置去向). Otherwise it says what the
// value is like without showing it; `lipwatch quarantine export` (an
// audited, owner-only file) shows the row as it was.
func shown(s string) string {
	if redact.Mask(s) != s || hanRun(s) >= 2 {
		return fmt.Sprintf("a text of %d characters (not shown: it may be personal data)", utf8.RuneCountInString(s))
	}
	return strconv.Quote(s)
}

// hanRun is the length of the longest run of Han characters in s.
func hanRun(s string) int {
	run, best := 0, 0
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

// aliasHint tells an analyst where to see a value the reason does not show
// and how to map it.
func aliasHint(s string) string {
	if shown(s) == strconv.Quote(s) {
		return ": if it means one of them, add it under the source's values:"
	}
	return "; lipwatch quarantine export shows it: if it means one of them, add it under the source's values:"
}

// unitsHint names the units a Decimal may carry, for its error.
func unitsHint(units []string) string {
	if len(units) == 0 {
		return ""
	}
	return " (a number, optionally followed by " + strings.Join(units, ", ") + ")"
}

// orList writes lengths as a reader says them: "9", "9 or 12", "6, 9 or 12".
func orList(ns []int) string {
	var b strings.Builder
	for i, n := range ns {
		switch {
		case i == 0:
		case i == len(ns)-1:
			b.WriteString(" or ")
		default:
			b.WriteString(", ")
		}
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}
