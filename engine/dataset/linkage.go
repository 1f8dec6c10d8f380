package dataset

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/idnum"
)

// Identity resolution (issue 15) needs, from the departments' rows of
// people, the person fields their files carry beside the ID number, and
// the rows whose ID number cannot be used: such a row is kept, with the
// ID text it had, rather than quarantined, so that the linker can find
// its person in the registry by name, birth date and gender. Until a row
// is linked it joins no person: its id_number begins with "?", which no
// valid ID number does (身份证号无法使用，待身份识别).

// UnresolvedPrefix begins the id_number of an unresolved row: "?" alone
// when the ID number was missing, else "?" followed by the ID text as
// best recovered (the cleaned characters, e.g. "?34079919870727347X" for a
// wrong check character, "?340799198707273000" for a number whose last
// digits Excel lost). A valid ID number never begins with it.
const UnresolvedPrefix = "?"

// IsUnresolved reports whether an id_number value is an unresolved row's.
func IsUnresolved(id string) bool { return strings.HasPrefix(id, UnresolvedPrefix) }

// UnresolvedSQL is a SQL condition, true for the rows of an unresolved
// ID number in column col (a column name or alias.column, as written).
func UnresolvedSQL(col string) string { return "starts_with(" + col + ", '" + UnresolvedPrefix + "')" }

// ResolvedSQL is the condition's negation, true for the rows that carry a
// usable ID number (and for NULL, which no id_number column holds).
func ResolvedSQL(col string) string {
	return "NOT coalesce(starts_with(" + col + ", '" + UnresolvedPrefix + "'), false)"
}

// unresolvedKeySep separates an unresolved row's ID text from its name in
// the id part of its natural key: the same row sent again is a duplicate,
// two people's rows with the same damaged ID text are two rows.
const unresolvedKeySep = 0x1e

// unusableID are the problems of an id_number cell that make the row
// unresolved (when it has a name) rather than quarantined: no ID, a wrong
// check character, not an ID number, digits lost through a number cell.
var unusableID = map[string]bool{MissingRequired: true, BadCheckDigit: true, BadID: true, DamagedNumber: true}

// withLinkage gives a dataset of people the three linkage fields, after
// its own: name (nameDoc says whose name a department's file gives:
// 权利人, 机动车所有人 ...), gender and birth_date.
func withLinkage(d *Dataset, nameDoc string) *Dataset {
	d.Fields = append(d.Fields,
		Field{Name: "name", Type: String, Linkage: true, Doc: nameDoc},
		Field{Name: "gender", Type: Enum, Values: []string{"male", "female"}, Aliases: genderAliases, Linkage: true, Doc: "性别"},
		Field{Name: "birth_date", Type: Date, Linkage: true, Doc: "出生日期"},
	)
	return d
}

// maxRecoveredID bounds the ID text an unresolved row keeps: longer, the
// cell held something else (an address, a note), which is not kept.
const maxRecoveredID = 24

// recoverID is the text of an unusable ID cell as best it can be read:
// padding, Excel's protective marks, blanks and full-width forms taken
// off, x upper-cased, a number cell's exponent written out and its ".0"
// dropped. "" when the cell holds nothing (or a mark for none), or
// something too damaged or too long to be an ID number.
func (f *fieldMap) recoverID(raw string, kind connectors.CellKind) string {
	s, dmg, _ := cleanValue(raw, false)
	if dmg != damageNone {
		return ""
	}
	s = unprotect(s, true)
	if s == "" || isNull(s, false) || isPlaceholder(s) || (f.missing != nil && f.missing[strings.ToLower(s)]) {
		return ""
	}
	if strings.ContainsAny(s, "Ee") && (kind.Base() == connectors.KindNumber || kind.Base() == connectors.KindNumber1904 || isScientific(s)) {
		if x, ok := expandExponent(s); ok {
			s = x
		}
	}
	if whole, frac, _, ok := splitNumber(s); ok && strings.Trim(frac, "0") == "" {
		s = whole
	}
	s = idnum.Normalize(s)
	if utf8.RuneCountInString(s) > maxRecoveredID {
		return ""
	}
	return s
}

// totalWords are what a total or footer row puts where a name goes.
var totalWords = map[string]bool{"合计": true, "小计": true, "总计": true, "累计": true, "共计": true, "总合计": true}

// isPersonName reports a name an unresolved row can be linked by: some
// letter (a Han character is one), not a total row's word, and not a
// number long enough to be an ID or phone number (a shifted column).
func isPersonName(s string) bool {
	if s == "" || totalWords[strings.ReplaceAll(s, " ", "")] || LooksPersonal(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}
