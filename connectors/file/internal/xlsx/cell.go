package xlsx

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/internal/jsonscan"
)

// cell is what one <c> element holds.
type cell struct {
	col     int
	typ     string
	style   int
	hasV    bool
	formula bool
	inline  bool
}

// value types a cell's content.
func (s *Sheet) value(c *cell, row int) (string, connectors.CellKind, error) {
	if c.formula && (s.uncached(c) || s.wb.fullCalc) {
		return s.compute(c, row)
	}
	v := s.v
	switch c.typ {
	case "s":
		v = bytesTrim(v)
		if len(v) == 0 {
			return "", connectors.KindText, nil
		}
		i, err := strconv.Atoi(string(v))
		if err != nil || i < 0 || i >= len(s.wb.sst) {
			return "", 0, fmt.Errorf("the cell names shared string %.20q, which the workbook does not have (it has %d): the file is damaged", v, len(s.wb.sst))
		}
		if n, ok := s.wb.long[i]; ok {
			return "", 0, fmt.Errorf("the cell's shared string holds more than Excel's limit of %d characters for a cell (%d bytes of text): the file is damaged or crafted", MaxCellChars, n)
		}
		return s.wb.sst[i], connectors.KindText, nil
	case "inlineStr":
		if c.inline {
			return decodeEscapes(string(s.is)), connectors.KindText, nil
		}
		return decodeEscapes(string(v)), connectors.KindText, nil
	case "str":
		return decodeEscapes(string(v)), connectors.KindText, nil
	case "b":
		switch string(bytesTrim(v)) {
		case "1", "true":
			return "TRUE", connectors.KindText, nil
		case "0", "false":
			return "FALSE", connectors.KindText, nil
		case "":
			return "", connectors.KindText, nil
		}
		return "", 0, errors.New("a boolean cell that holds neither TRUE nor FALSE: the file is damaged")
	case "e":
		return string(bytesTrim(v)), connectors.KindError, nil
	case "d":
		v = bytesTrim(v)
		if len(v) == 0 {
			return "", connectors.KindText, nil
		}
		if out, ok := isoDate(s.fmt[:0], string(v)); ok {
			s.fmt = out
			return string(out), connectors.KindDate, nil
		}
		return string(v), connectors.KindText, nil
	case "n", "":
		v = bytesTrim(v)
		if len(v) == 0 {
			return "", connectors.KindText, nil
		}
		return s.number(string(v), c.style)
	}
	return "", 0, fmt.Errorf("unknown cell type %.10q: the file is damaged", c.typ)
}

// uncached reports a formula saved without a value: no <v> at all, or an
// empty one where only a text result can be empty (openpyxl writes
// <f>SUM(B3:C3)</f><v></v>; Excel writes a formula whose result is ""
// with t="str" and an empty <v>).
func (s *Sheet) uncached(c *cell) bool {
	if !c.hasV {
		return true
	}
	return len(bytesTrim(s.v)) == 0 && c.typ != "str" && c.typ != "inlineStr"
}

// number types a number cell: a date when its format shows one, else the
// number in plain decimal digits.
func (s *Sheet) number(v string, style int) (string, connectors.CellKind, error) {
	if !isNumber(v) {
		return "", 0, errors.New("a number cell whose value is not a number: the file is damaged (open and save it in Excel/WPS)")
	}
	if s.dateStyle(style) {
		f, err := strconv.ParseFloat(v, 64)
		if err == nil {
			if out, ok := serialDate(s.fmt[:0], f, s.wb.date1904); ok {
				s.fmt = out
				return string(out), connectors.KindDate, nil
			}
		}
	}
	kind := connectors.KindNumber
	if s.wb.date1904 {
		kind = connectors.KindNumber1904
	}
	plain := jsonscan.PlainNumber(v)
	xf := s.xf(style)
	if xf.unit {
		kind |= connectors.KindScaled
	}
	if xf.pad > 0 && allDigitsStr(plain) {
		// A format of zeros shows the number with leading zeros, as an
		// identifier keeps them (0010010002), after any literal prefix it
		// has ("340799"0000000000): the value is what it shows.
		if xf.pad > len(plain) {
			plain = strings.Repeat("0", xf.pad-len(plain)) + plain
		}
		plain = xf.prefix + plain
	}
	return plain, kind, nil
}

// xf is what the cell format at index style shows; the zero xfInfo (a
// plain number) for an index the styles do not define.
func (s *Sheet) xf(style int) xfInfo {
	if style >= 0 && style < len(s.wb.xfs) {
		return s.wb.xfs[style]
	}
	return xfInfo{}
}

// dateStyle reports whether the cell format at index style shows a date.
func (s *Sheet) dateStyle(style int) bool {
	return s.xf(style).date
}

// compute calculates a formula saved without a value (or whose saved
// value the workbook says is stale).
func (s *Sheet) compute(c *cell, row int) (string, connectors.CellKind, error) {
	if !s.calc.allowed {
		s.stats.CalcTooLarge = true
	}
	v, ok := s.calc.compute(cellName(c.col, row))
	if s.calc.overtime {
		s.stats.CalcOvertime = true
	}
	if ok && isNumber(v) {
		switch {
		case !s.dateStyle(c.style):
			v = jsonscan.PlainNumber(v)
		case s.wb.date1904:
			// excelize counts dates in the 1900 system whatever the
			// workbook's, so a 1904 workbook's computed date is unknown.
			ok = false
		default:
			f, err := strconv.ParseFloat(v, 64)
			if out, isDate := serialDate(s.fmt[:0], f, false); err == nil && isDate {
				s.fmt = out
				v = string(out)
			} else {
				v = jsonscan.PlainNumber(v)
			}
		}
	}
	if !ok {
		s.stats.Uncomputed++
		return "", connectors.KindUncomputed, nil
	}
	s.stats.Computed++
	kind := connectors.KindComputed
	if s.xf(c.style).unit && isNumber(v) {
		kind |= connectors.KindScaled // a computed amount shown in 万元 is in 万元 too
	}
	return v, kind, nil
}

// isNumber reports whether v is a number as a workbook stores one:
// -?digits[.digits][E[+-]digits], with at least one digit before the
// exponent.
func isNumber(v string) bool {
	i := 0
	if i < len(v) && v[i] == '-' {
		i++
	}
	d := 0
	for i < len(v) && v[i] >= '0' && v[i] <= '9' {
		i, d = i+1, d+1
	}
	if i < len(v) && v[i] == '.' {
		i++
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i, d = i+1, d+1
		}
	}
	if d == 0 {
		return false
	}
	if i < len(v) && (v[i] == 'e' || v[i] == 'E') {
		i++
		if i < len(v) && (v[i] == '+' || v[i] == '-') {
			i++
		}
		e := 0
		for i < len(v) && v[i] >= '0' && v[i] <= '9' {
			i, e = i+1, e+1
		}
		if e == 0 {
			return false
		}
	}
	return i == len(v)
}

// bytesTrim trims XML white space.
func bytesTrim(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isXMLSpace(b[i]) {
		i++
	}
	for j > i && isXMLSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// allDigitsStr reports a non-empty string of ASCII digits.
func allDigitsStr(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
