package xlsx

import "strconv"

// Excel's own limits (Excel specifications and limits).
const (
	MaxRows      = 1_048_576
	MaxCols      = 16_384
	MaxCellChars = 32_767
)

// parseRef reads a cell reference such as "B12" or "$B$12" into its
// 1-based column and row. It reports false for anything else, or a column
// or row past Excel's limits.
func parseRef(s string) (col, row int, ok bool) {
	i := 0
	if i < len(s) && s[i] == '$' {
		i++
	}
	for ; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
		if col > MaxCols {
			return 0, 0, false
		}
	}
	if col == 0 {
		return 0, 0, false
	}
	if i < len(s) && s[i] == '$' {
		i++
	}
	if i == len(s) {
		return 0, 0, false
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, 0, false
		}
		row = row*10 + int(c-'0')
		if row > MaxRows {
			return 0, 0, false
		}
	}
	if row == 0 {
		return 0, 0, false
	}
	return col, row, true
}

// parseCol reads the column letters at the start of a cell reference,
// ignoring the row digits (which a cell's r= repeats from its row): 0 when
// there are none or the column is past XFD.
func parseCol[T string | []byte](s T) int {
	col := 0
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if c < 'a' || c > 'z' {
			break
		}
		col = col*26 + int(c-'a'+1)
		if col > MaxCols {
			return 0
		}
	}
	return col
}

// cellName writes a cell reference: column 2, row 12 is "B12".
func cellName(col, row int) string {
	var b [3]byte
	i := len(b)
	for col > 0 {
		col--
		i--
		b[i] = byte('A' + col%26)
		col /= 26
	}
	return string(b[i:]) + strconv.Itoa(row)
}

// ColumnLetters names a 1-based column as Excel does: 1 is "A", 27 "AA".
func ColumnLetters(col int) string {
	name := cellName(col, 1)
	return name[:len(name)-1]
}
