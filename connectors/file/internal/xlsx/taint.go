package xlsx

import (
	"encoding/xml"
	"io"
	"sort"
	"strconv"
	"strings"

	"github.com/xuri/efp"
)

// taint is where a workbook holds formulas lipwatch would not trust
// excelize with (see trusted) and that excelize would calculate itself —
// formulas without a saved value, or every formula in a workbook that asks
// to be recalculated: a trusted formula that reads such a cell (ROUND of a
// SUMPRODUCT) would get excelize's answer for it, wrongly perhaps.
type taint struct {
	cells map[string]map[int][]int // sheet -> column -> rows (sorted)
	whole map[string]bool          // sheets whose cells could not be placed: all of them count
}

// taintOf works the taint out once per workbook, when the first formula is
// calculated.
func (w *Workbook) taintOf() *taint {
	if w.taint != nil {
		return w.taint
	}
	t := &taint{cells: map[string]map[int][]int{}, whole: map[string]bool{}}
	w.taint = t
	for _, info := range w.sheets {
		if !info.Worksheet() || info.part == "" {
			continue
		}
		rc, g, _, err := w.openPart(info.part)
		if err != nil {
			t.whole[info.Name] = true
			continue
		}
		cols, whole := untrustedCells(g, w.fullCalc)
		rc.Close()
		if whole {
			t.whole[info.Name] = true
		}
		for c := range cols {
			sort.Ints(cols[c])
		}
		if len(cols) > 0 {
			t.cells[info.Name] = cols
		}
	}
	return t
}

// any reports whether the workbook holds a tainted cell at all.
func (t *taint) any() bool { return len(t.cells) > 0 || len(t.whole) > 0 }

// hits reports whether the rectangle [c1,c2]×[r1,r2] of sheet holds a
// tainted cell.
func (t *taint) hits(sheet string, c1, c2, r1, r2 int) bool {
	if t.whole[sheet] {
		return true
	}
	for c, rows := range t.cells[sheet] {
		if c < c1 || c > c2 {
			continue
		}
		i := sort.SearchInts(rows, r1)
		if i < len(rows) && rows[i] <= r2 {
			return true
		}
	}
	return false
}

// untrustedCells lists, by column, the rows of a sheet's cells holding a
// formula trusted rejects, without a saved value (any formula when all).
// A shared formula's cells take their master's text. whole is set when a
// cell cannot be placed (no r= reference) or the part does not parse: then
// every cell of the sheet counts.
func untrustedCells(r io.Reader, all bool) (cols map[int][]int, whole bool) {
	cols = map[int][]int{}
	d := xml.NewDecoder(r)
	masters := map[string]string{} // shared formula index -> text
	var inCell, hasF, hasV bool
	var ref, fText, si, in string
	var text strings.Builder
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return cols, whole
		}
		if err != nil {
			return cols, true
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "c":
				inCell, hasF, hasV, ref, fText, si = true, false, false, "", "", ""
				for _, a := range t.Attr {
					if a.Name.Local == "r" {
						ref = a.Value
					}
				}
			case "f":
				if inCell {
					hasF, in = true, "f"
					text.Reset()
					for _, a := range t.Attr {
						if a.Name.Local == "si" {
							si = a.Value
						}
					}
				}
			case "v":
				if inCell {
					in = "v"
					text.Reset()
				}
			}
		case xml.CharData:
			if in != "" {
				text.Write(t)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "f":
				fText, in = strings.TrimSpace(text.String()), ""
				if si != "" && fText != "" {
					masters[si] = fText
				}
			case "v":
				hasV, in = strings.TrimSpace(text.String()) != "", ""
			case "c":
				if inCell && hasF && (all || !hasV) {
					f := fText
					if f == "" {
						f = masters[si]
					}
					if !trusted(f) {
						if c, row, ok := parseRef(ref); ok {
							cols[c] = append(cols[c], row)
						} else {
							whole = true
						}
					}
				}
				inCell = false
			}
		}
	}
}

// readsTainted reports whether a formula of sheet reads a tainted cell:
// through a reference or range (数据!C1, A2:B2, '成员 收入'!A:A, 2:2) that
// meets one, or through a name it cannot place (a defined name) while the
// workbook has any.
func (t *taint) readsTainted(sheet, formula string) bool {
	if !t.any() {
		return false
	}
	ps := efp.ExcelParser()
	for _, tok := range ps.Parse(formula) {
		if tok.TType != efp.TokenTypeOperand || tok.TSubType != efp.TokenSubTypeRange {
			continue
		}
		name, ref := sheet, tok.TValue
		if i := strings.LastIndexByte(ref, '!'); i >= 0 {
			name = strings.ReplaceAll(strings.Trim(ref[:i], "'"), "''", "'")
			ref = ref[i+1:]
		}
		c1, c2, r1, r2, ok := area(ref)
		if !ok || t.hits(name, c1, c2, r1, r2) {
			return true
		}
	}
	return false
}

// area reads a reference or range into its columns and rows: A2, $A$2:B9,
// A:B (whole columns), 2:9 (whole rows). ok is false for what it cannot
// place (a defined name).
func area(ref string) (c1, c2, r1, r2 int, ok bool) {
	a, b, isRange := strings.Cut(ref, ":")
	if !isRange {
		b = a
	}
	c1, r1, ok1 := corner(a)
	c2, r2, ok2 := corner(b)
	if !ok1 || !ok2 {
		return 0, 0, 0, 0, false
	}
	if c1 == 0 && c2 == 0 { // whole rows
		c1, c2 = 1, MaxCols
	}
	if r1 == 0 && r2 == 0 { // whole columns
		r1, r2 = 1, MaxRows
	}
	return min(c1, c2), max(c1, c2), min(r1, r2), max(r1, r2), c1 > 0 && r1 > 0
}

// corner reads one end of a range: "A2", "$A$2", "A" (a column), "2" (a row).
func corner(s string) (col, row int, ok bool) {
	s = strings.ReplaceAll(s, "$", "")
	if c, r, ok := parseRef(s); ok {
		return c, r, true
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= MaxRows {
		return 0, n, true
	}
	if c := parseCol(s); c > 0 && len(s) <= 3 && strings.Trim(strings.ToUpper(s), "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == "" {
		return c, 0, true
	}
	return 0, 0, false
}
