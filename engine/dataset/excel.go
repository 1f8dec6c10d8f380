package dataset

import (
	"strconv"
	"strings"
	"unicode"
)

// What spreadsheets leave in values: error values of formulas (cached in
// the workbook, or written as text into a CSV export), and identifiers
// that went through a number on their way.

// excelErrors explains each error value Excel, WPS and LibreOffice write in
// place of a formula's result. Keys are upper case.
var excelErrors = map[string]string{
	"#N/A":          "a formula such as VLOOKUP found nothing",
	"#N/A N/A":      "a data add-in found nothing",
	"#REF!":         "a formula refers to cells that were deleted or moved",
	"#VALUE!":       "a formula got a value of the wrong type",
	"#DIV/0!":       "a formula divided by zero or by an empty cell",
	"#NAME?":        "a formula uses a name or function the program does not know",
	"#NULL!":        "a formula's ranges do not intersect",
	"#NUM!":         "a formula's result is not a valid number",
	"#GETTING_DATA": "the workbook was saved while it was still calculating",
	"#SPILL!":       "a formula's result could not spill into the cells beside it",
	"#CALC!":        "a formula could not be calculated",
	"#FIELD!":       "a linked data type has no such field",
	"#BLOCKED!":     "access to a linked data source was blocked",
	"#UNKNOWN!":     "the cell holds a data type this program does not know",
	"#CONNECT!":     "a linked data source could not be reached",
	"#BUSY!":        "a linked data source was still busy",
	"#EXTERNAL!":    "a link to another workbook failed",
	"#PYTHON!":      "a Python formula failed",
	"#TIMEOUT!":     "a formula took too long",
}

// excelError reports whether s (trimmed, full-width mapped) is an error
// value of a spreadsheet, returning its name and what it means. Besides
// Excel's own, it knows LibreOffice's and WPS's "Err:502" codes and the
// "####" a program writes in place of a value too wide for its column
// when a sheet is saved as displayed.
func excelError(s string) (name, meaning string, ok bool) {
	if len(s) < 2 {
		return "", "", false
	}
	switch s[0] {
	case '#':
		if strings.Trim(s, "#") == "" {
			return s, "the column was too narrow when the file was saved, so the value was written as ###: widen the column before saving", true
		}
		u := strings.ToUpper(s)
		if m, ok := excelErrors[u]; ok {
			return u, m, true
		}
		// #N/A written with a full-width slash or spaces inside.
		if u2 := strings.ReplaceAll(strings.ReplaceAll(u, " ", ""), "／", "/"); u2 == "#N/A" {
			return "#N/A", excelErrors["#N/A"], true
		}
	case 'E', 'e':
		if len(s) >= 5 && strings.EqualFold(s[:4], "err:") && allDigits(s[4:]) && len(s) <= 8 {
			return "Err:" + s[4:], "a formula failed (LibreOffice/WPS error code " + s[4:] + ")", true
		}
	}
	return "", "", false
}

// kindErrorName names the error value of a cell the reader typed as an
// error; anything that is not an error code's shape is not quoted.
func kindErrorName(raw string) (string, string) {
	s := normalizeText(raw)
	if name, meaning, ok := excelError(s); ok {
		return name, meaning
	}
	// An error code of another program (#BLOCKED!, #UNKNOWN!) is quoted; a
	// text with digits in it never is (an error cell's text may be anything
	// a crafted or damaged file holds, an ID number among them).
	if len(s) > 1 && len(s) <= 10 && s[0] == '#' && !strings.ContainsAny(s, "0123456789") && printableASCII(s) {
		return s, "a formula failed"
	}
	return "an error value", "a formula failed"
}

// printableASCII reports a string of visible ASCII characters only.
func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

// nullMarkers are what database exports and scripts write for a missing
// value: SQL NULL, MySQL's \N, pandas' NaN. They mean empty, never text;
// a 户号 "NULL" would otherwise pool unrelated people into one household.
var nullMarkers = map[string]bool{
	"null": true, `\n`: true, "(null)": true, "<null>": true, "nan": true,
	"undefined": true, // JavaScript's, from an API that serialised a missing property as text
}

// isNull reports a null marker (case-insensitive). "None" (Python's) is a
// null marker too except in free text, where it may be a word.
func isNull(s string, free bool) bool {
	if len(s) < 2 || len(s) > 9 {
		return false
	}
	switch s[0] {
	case 'N', 'n', '\\', '(', '<', 'U', 'u':
	default:
		return false
	}
	l := strings.ToLower(s)
	return nullMarkers[l] || (!free && l == "none")
}

// placeholderWords are what people write in an identifier column for
// "none" (none, empty, not yet, unknown, no household number). Taken as
// identifiers, they would pool unrelated people into one household.
var placeholderWords = map[string]bool{
	"无": true, "空": true, "暂无": true, "不详": true, "未知": true, "没有": true, "无户号": true,
}

// isPlaceholder reports an identifier's value that stands for none: a
// word for none, only punctuation and symbols ("-", "/", "—", "*"), or
// only zeros, or a zero written as a number ("-0", "0.0", "0e0"). No
// household, claim or certificate is numbered so.
func isPlaceholder(s string) bool {
	if zeroNumber(s) {
		return true
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c >= '1' && c <= '9') || (c|0x20 >= 'a' && c|0x20 <= 'z') {
			// A letter or a digit other than 0: most identifiers stop here.
			return strings.EqualFold(s, "n/a") || strings.EqualFold(s, "na")
		}
	}
	if placeholderWords[s] || strings.Trim(s, "0") == "" {
		return true
	}
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return false
		}
	}
	return true
}

// zeroNumber reports a zero written as a number with a sign, a fraction
// or an exponent ("-0", "+0", "0.0", "-0.00", "0e0", "-0E-8"): what a
// serializer writes for a missing number, never an identifier.
func zeroNumber(s string) bool {
	if s != "" && (s[0] == '-' || s[0] == '+') {
		s = s[1:]
	}
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		exp := strings.TrimLeft(s[i+1:], "+-")
		if len(s[i+1:])-len(exp) > 1 || !allDigits(exp) {
			return false
		}
		s = s[:i]
	}
	return s != "" && strings.Trim(s, "0.") == "" && strings.Count(s, ".") <= 1 && strings.Trim(s, ".") != ""
}

// maxExactDigits is how many significant digits survive a number: Excel
// keeps 15, and 15 is a double's decimal precision (DBL_DIG). An
// identifier longer than that which went through a number has lost its
// last digits.
const maxExactDigits = 15

// Reasons for an identifier that went through a number.
const (
	whyScientific = "the identifier went through a number and lost digits (scientific notation): " + sendAsText
	whyTooLong    = "the identifier went through a number, which keeps only 15 significant digits, and it has more: its last digits are lost; " + sendAsText
	whyFraction   = "the identifier has a fraction, so it went through a number and is not the identifier written: " + sendAsText
	// sendAsText says where a number comes from and what to ask for: the
	// same advice fits a spreadsheet, an API and a database export.
	sendAsText = "have the department send it as text (in a spreadsheet: format the column as text, 设置单元格格式→文本, and enter or export the values again; " +
		"from an API or a database: a string, not a JSON number or a float column), then sync again"
)

// throughNumber reads an identifier (an ID number, 户号, claim or
// certificate number, division code) that may have gone through a number
// on its way: an Excel number cell (number is true) or a float column of
// an export. "100001.0" and "100,001" are the identifier 100001; a value
// whose digits are lost returns a reason instead: scientific notation in
// text ("3.40799E+15"), a fraction that is not zero, or more than 15
// digits from a number cell or with a fraction or grouping (text
// identifiers of any length are kept as written). Values that are not
// number-shaped ("YB0101", "34079919700909055X") are returned unchanged.
func throughNumber(s string, number bool) (string, string) {
	if !number && allDigits(s) {
		return s, "" // the common case: digits written as text
	}
	if isScientific(s) {
		return "", whyScientific
	}
	whole, frac, grouped, ok := splitNumber(s)
	if !ok {
		return s, ""
	}
	if strings.Trim(frac, "0") != "" {
		return "", whyFraction
	}
	if len(strings.TrimLeft(whole, "0")) > maxExactDigits && (number || frac != "" || grouped) {
		return "", whyTooLong
	}
	return whole, ""
}

// splitNumber splits an unsigned decimal number, optionally grouped by
// thousands ("1,234,567.00"), into its whole digits (commas removed) and
// its fraction's digits.
func splitNumber(s string) (whole, frac string, grouped, ok bool) {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && c != ',' && c != '.' {
			return "", "", false, false // not a number: most identifiers
		}
	}
	w := s
	if i := strings.IndexByte(s, '.'); i >= 0 {
		w, frac = s[:i], s[i+1:]
		if frac == "" || !allDigits(frac) {
			return "", "", false, false
		}
	}
	if allDigits(w) {
		return w, frac, false, true
	}
	groups := strings.Split(w, ",")
	if len(groups) < 2 || len(groups[0]) == 0 || len(groups[0]) > 3 || !allDigits(groups[0]) {
		return "", "", false, false
	}
	for _, g := range groups[1:] {
		if len(g) != 3 || !allDigits(g) {
			return "", "", false, false
		}
	}
	return strings.Join(groups, ""), frac, true, true
}

// isScientific reports a number in scientific notation as programs write
// it: a mantissa, E or e, and an exponent that is signed (Excel, C, Go,
// Python: "3.40799E+15", "1e+05") or follows a mantissa with a point
// (Java: "3.40799E15"). "12E45" is not taken for one: a code may look so.
func isScientific(s string) bool {
	if s == "" || s[0] < '0' || s[0] > '9' {
		return false
	}
	i := 1
	for i < len(s) && s[i] != 'E' && s[i] != 'e' {
		i++
	}
	if i == len(s) || i == len(s)-1 {
		return false
	}
	mant, exp := s[:i], s[i+1:]
	signed := exp[0] == '+' || exp[0] == '-'
	if signed {
		exp = exp[1:]
	}
	if !allDigits(exp) {
		return false
	}
	dot := strings.IndexByte(mant, '.')
	if dot >= 0 {
		if !allDigits(mant[:dot]) || (dot+1 < len(mant) && !allDigits(mant[dot+1:])) {
			return false
		}
		return true
	}
	return signed && allDigits(mant)
}

// expandExponent writes a number in scientific notation ("1.5E+3", as a
// number cell may arrive) in plain decimals ("1500"), so that one set of
// rules reads every number cell. It reports false for anything else, or
// an exponent too large to be a real value.
func expandExponent(s string) (string, bool) {
	i := strings.IndexAny(s, "Ee")
	if i <= 0 || i == len(s)-1 {
		return s, false
	}
	mant, expText := s[:i], s[i+1:]
	sign := ""
	if mant[0] == '-' || mant[0] == '+' {
		if mant[0] == '-' {
			sign = "-"
		}
		mant = mant[1:]
	}
	exp, neg := 0, false
	switch expText[0] {
	case '-':
		neg = true
		expText = expText[1:]
	case '+':
		expText = expText[1:]
	}
	if !allDigits(expText) || len(expText) > 3 {
		return s, false
	}
	for _, c := range expText {
		exp = exp*10 + int(c-'0')
	}
	if neg {
		exp = -exp
	}
	intPart, fracPart := mant, ""
	if d := strings.IndexByte(mant, '.'); d >= 0 {
		intPart, fracPart = mant[:d], mant[d+1:]
	}
	if (intPart == "" && fracPart == "") || (intPart != "" && !allDigits(intPart)) || (fracPart != "" && !allDigits(fracPart)) {
		return s, false
	}
	digits := intPart + fracPart
	point := len(intPart) + exp
	var out string
	switch {
	case point >= len(digits):
		out = digits + strings.Repeat("0", point-len(digits))
	case point <= 0:
		out = "0." + strings.Repeat("0", -point) + digits
	default:
		out = digits[:point] + "." + digits[point:]
	}
	if strings.Contains(out, ".") {
		out = strings.TrimRight(strings.TrimRight(out, "0"), ".")
	}
	if w := strings.TrimLeft(out, "0"); w == "" || w[0] == '.' {
		out = "0" + w
	} else {
		out = w
	}
	return sign + out, true
}

// excel1904Offset is the number of days from the 1900 date system's day 0
// to the 1904 system's (1899-12-30 to 1904-01-01).
const excel1904Offset = 1462

// serial1904 turns a serial day of a 1904 workbook (a plain number cell read
// in a date field) into the same day's 1900-system serial, which the date
// parser knows. Only a number that becomes a serial the parser takes (five
// whole digits, 1927 to 2173), with or without a fraction, is turned: any
// other — 0, -0, 0.5, a year such as 2026 — is returned as it is, so that
// the date field refuses it as the number the cell holds, as it refuses
// the same number from a 1900 workbook.
func serial1904(s string) string {
	whole, frac, _ := strings.Cut(s, ".")
	if !allDigits(whole) || (frac != "" && !allDigits(frac)) || len(whole) > 6 {
		return s
	}
	n, err := strconv.Atoi(whole)
	if err != nil || n+excel1904Offset < 10000 || n+excel1904Offset > 99999 {
		return s
	}
	out := strconv.Itoa(n + excel1904Offset)
	if frac != "" {
		out += "." + frac
	}
	return out
}
