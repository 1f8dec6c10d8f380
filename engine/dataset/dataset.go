// Package dataset defines lipwatch's canonical datasets: their fields, types,
// enumerations and natural keys, and turns a source's raw row of strings into
// a validated canonical record or a plain-words reason for quarantine.
// It is pure Go: no store, no I/O.
package dataset

import (
	"fmt"
	"sort"
)

// Type is a field's canonical type.
type Type int

// Field types. Each maps to one DuckDB column type (see SQLType).
const (
	String  Type = iota // free text, trimmed
	ID                  // resident ID number, normalised to 18 characters
	Code                // a digit string of fixed lengths (division codes)
	Date                // a calendar date in any of the dirty formats departments use
	Money               // yuan with two decimals; "1,234.50元" accepted; held as int64 fen
	Int                 // a whole number
	Enum                // one of a fixed set of canonical values, with aliases
	Bool                // yes/no in Chinese or English
	Decimal             // a quantity with two decimals (building area in m²), its Units accepted after it; held as int64 hundredths
	Month               // a calendar month (202611, 2026-11, 2026年11月, or a date): its first day
)

// Field is one column of a dataset.
type Field struct {
	Name     string
	Type     Type
	Required bool
	// Digits are the accepted lengths of a Code.
	Digits []int
	// Values are the canonical values of an Enum, in order.
	Values []string
	// Aliases map what departments write onto canonical Enum or Bool
	// values. Keys are compared after trimming and lower-casing.
	Aliases map[string]string
	// Identifier marks a String field that is a code-like key rather than
	// free text: 户号, claim and certificate numbers. Its value is never
	// quoted in a reason (it identifies a household or a person), a control
	// character inside it is damage rather than something to tidy, the
	// text-protection marks of spreadsheets ('…, ="…") are removed, and a
	// value that went through a number is read back as the identifier it
	// was ("100001.0" is 100001) or quarantined when its digits are lost
	// (scientific notation, more than 15 digits in a number cell). ID and
	// Code fields get the same treatment.
	Identifier bool
	// Units are the unit marks a Decimal may carry after its number
	// ("㎡", "平方米"), compared as written.
	Units []string
	// OpenEnd marks an end date where departments write "no end" as a date
	// far in the future (9999-12-31, 2099-12-31) or a word (长期, 永久,
	// 无固定期限): those read as no date (nil) instead of a bad date.
	OpenEnd bool
	// Linkage marks the person fields that identity resolution compares
	// a row with the registry on (name, gender, birth_date; see
	// Dataset.LinkageFields): optional, NULL when a source lacks the
	// column, never part of the Key, and not compared when a row sent
	// again is judged a duplicate.
	Linkage bool
	// Doc is a short Chinese/English description for docs and messages.
	Doc string
}

// Dataset is one canonical table.
type Dataset struct {
	Name   string
	Doc    string
	Fields []Field
	// Key lists the fields whose values identify a row: a row whose key is
	// already loaded is skipped as a duplicate. For datasets that describe a
	// state (registry, assistance), the key includes the changing fields, so
	// that a new state is loaded as a new row and the newest one wins.
	Key []string
	// Check, when set, judges a row whose every field parsed: what no
	// single cell shows (个人自付 larger than the whole bill). values are in
	// Fields order, as Mapper.Map fills them.
	Check func(values []any) *Problem
}

// Field returns the named field.
func (d *Dataset) Field(name string) (Field, bool) {
	for _, f := range d.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// LinkageFields returns the dataset's linkage fields (Field.Linkage), in
// table order: name, gender and birth_date for the department datasets of
// people, none for the registry (the base rows are linked to), households
// and staff_relatives. The linker reads these columns.
func (d *Dataset) LinkageFields() []Field {
	var out []Field
	for _, f := range d.Fields {
		if f.Linkage {
			out = append(out, f)
		}
	}
	return out
}

// Linkable reports whether the dataset has linkage fields: its rows whose
// ID number is unusable but which carry a name are kept as unresolved rows
// (see Unresolved) instead of being quarantined.
func (d *Dataset) Linkable() bool {
	for _, f := range d.Fields {
		if f.Linkage {
			return true
		}
	}
	return false
}

// FieldNames lists the dataset's field names in table order.
func (d *Dataset) FieldNames() []string {
	out := make([]string, len(d.Fields))
	for i, f := range d.Fields {
		out[i] = f.Name
	}
	return out
}

// Lookup returns the dataset with that name.
func Lookup(name string) (*Dataset, bool) {
	d, ok := all[name]
	return d, ok
}

// Names lists all datasets, sorted.
func Names() []string {
	out := make([]string, 0, len(all))
	for n := range all {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// All returns every dataset, sorted by name.
func All() []*Dataset {
	out := make([]*Dataset, 0, len(all))
	for _, n := range Names() {
		out = append(out, all[n])
	}
	return out
}

var all = map[string]*Dataset{}

func register(d *Dataset) {
	for _, k := range d.Key {
		if _, ok := d.Field(k); !ok {
			panic(fmt.Sprintf("dataset %s: key field %s not defined", d.Name, k))
		}
	}
	all[d.Name] = d
}
