package xlsx

import (
	"bytes"
	"cmp"
	"fmt"
	"io"
	"slices"

	"github.com/lipwatch/lipwatch/connectors"
)

// Bounds on merged ranges. A county registry with each household's 户号,
// address and village merged down its members' rows has a few hundred
// thousand ranges; millions are not a department file but a crafted one,
// and filling them could multiply a small file into an endless read.
const (
	// MaxMerges is the most merged ranges a sheet may have (16 bytes each).
	MaxMerges = 2_000_000
	// MaxMergeFill is the most cells merged ranges may fill in one sheet.
	MaxMergeFill = 200_000_000
)

// Limits in force, variables so that tests can lower them.
var (
	mergeLimit = MaxMerges
	fillLimit  = int64(MaxMergeFill)
)

// span is one merged range, 1-based and inclusive.
type span struct{ r1, c1, r2, c2 int32 }

// scanMerges reads a sheet part for its merged ranges (<mergeCell
// ref="E2:E3"/>, which come after all the rows) without parsing the rest:
// the sheet's rows are streamed afterwards, and each needs the ranges that
// cover it. It returns them sorted by first row, then first column.
// Single-cell "ranges" are dropped; a reference that names no range fails.
func scanMerges(r io.Reader) ([]span, error) {
	tag := []byte("mergeCell")
	const before = 64 // bytes kept before a match, for its "<prefix:"
	buf := make([]byte, 0, 256<<10)
	off := 0 // where the search resumes
	eof := false
	var out []span
	for {
		keep := max(off, len(buf)-len(tag)-before)
		if i := bytes.Index(buf[off:], tag); i >= 0 {
			i += off
			if end := bytes.IndexByte(buf[i:], '>'); end >= 0 {
				off = i + end + 1
				if !isOpenTag(buf[max(0, i-before):i]) || !isNameEnd(buf[i+len(tag)]) {
					continue
				}
				sp, ok, err := mergeTag(buf[i+len(tag) : i+end])
				if err != nil {
					return nil, err
				}
				if ok {
					if len(out) >= mergeLimit {
						return nil, fmt.Errorf("more than %d merged ranges, more than a department file holds: the file is damaged or crafted", mergeLimit)
					}
					out = append(out, sp)
				}
				continue
			}
			keep = max(0, i-before) // the tag goes on in the next bytes
		}
		if eof {
			break
		}
		n := copy(buf, buf[keep:])
		buf, off = buf[:n], max(0, off-keep)
		if len(buf) == cap(buf) {
			return nil, fmt.Errorf("a mergeCell tag longer than %d KB", cap(buf)>>10)
		}
		m, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			eof = true
		default:
			return nil, err
		}
	}
	slices.SortFunc(out, func(a, b span) int {
		return cmp.Or(cmp.Compare(a.r1, b.r1), cmp.Compare(a.c1, b.c1))
	})
	return out, nil
}

// mergeTag reads the attributes of a <mergeCell> tag: its range, and
// whether it is one (a single cell is not).
func mergeTag(body []byte) (span, bool, error) {
	ref, ok := refAttr(body)
	if !ok {
		return span{}, false, fmt.Errorf("a merged range without a reference")
	}
	sp, single, ok := parseSpan(ref)
	if !ok {
		return span{}, false, fmt.Errorf("merged range %.40q is not a range of cells", ref)
	}
	return sp, !single, nil
}

// isOpenTag reports whether the text before a match ends a start tag's
// opening: "<" or "<prefix:".
func isOpenTag(before []byte) bool {
	j := len(before)
	if j > 0 && before[j-1] == ':' {
		j--
		for j > 0 && isNameByte(before[j-1]) {
			j--
		}
	}
	return j > 0 && before[j-1] == '<'
}

func isNameByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'z'
}

// isNameEnd reports whether c ends an element's name (so that
// "mergeCells" is not "mergeCell").
func isNameEnd(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '/' || c == '>'
}

// refAttr finds ref="..." (or ref='...') among a tag's attributes.
func refAttr(body []byte) (string, bool) {
	for i := 0; i+4 < len(body); i++ {
		if body[i] != 'r' || body[i+1] != 'e' || body[i+2] != 'f' || (i > 0 && !isXMLSpace(body[i-1])) {
			continue
		}
		j := i + 3
		for j < len(body) && isXMLSpace(body[j]) {
			j++
		}
		if j >= len(body) || body[j] != '=' {
			continue
		}
		j++
		for j < len(body) && isXMLSpace(body[j]) {
			j++
		}
		if j >= len(body) || (body[j] != '"' && body[j] != '\'') {
			return "", false
		}
		q := body[j]
		k := bytes.IndexByte(body[j+1:], q)
		if k < 0 {
			return "", false
		}
		return string(body[j+1 : j+1+k]), true
	}
	return "", false
}

// parseSpan reads "E2:E3" (or "E2", a single cell) into a range with its
// corners in order.
func parseSpan(ref string) (sp span, single, ok bool) {
	a, b, two := bytes.Cut([]byte(ref), []byte(":"))
	c1, r1, ok1 := parseRef(string(a))
	c2, r2, ok2 := c1, r1, ok1
	if two {
		c2, r2, ok2 = parseRef(string(b))
	}
	if !ok1 || !ok2 {
		return span{}, false, false
	}
	if c2 < c1 {
		c1, c2 = c2, c1
	}
	if r2 < r1 {
		r1, r2 = r2, r1
	}
	return span{int32(r1), int32(c1), int32(r2), int32(c2)}, c1 == c2 && r1 == r2, true
}

// merges gives each cell of a merged range the value of its top-left cell
// while a sheet's rows stream by.
type merges struct {
	spans  []span // sorted by first row
	next   int    // the first span not yet started
	active []live
	colEnd []int32 // by column: the last row of the live range over it
	filled int64   // work done so far: cells filled, ranges visited
	cells  int64   // cells given a range's value
	used   int     // ranges that filled at least one cell
}

// live is a range whose rows are being read, with its top-left value.
type live struct {
	span
	val  string
	kind connectors.CellKind
	used bool
}

// apply starts the ranges whose first row is row, taking their top-left
// values from the row's cells, and, when fill is set, gives every live
// range's value to its cells in this row, up to column width (0: no
// limit) but never making the row longer than it is when it is already
// longer. It returns the row's cells, grown as filling needs.
func (m *merges) apply(row int, vals []string, kinds []connectors.CellKind, fill bool, width int) ([]string, []connectors.CellKind, error) {
	for m.next < len(m.spans) && int(m.spans[m.next].r1) <= row {
		sp := m.spans[m.next]
		m.next++
		if int(sp.r1) < row {
			continue // starts on a row that was never read (cannot happen in order)
		}
		if m.colEnd == nil {
			m.colEnd = make([]int32, MaxCols+1)
		}
		for c := sp.c1; c <= sp.c2; c++ {
			if m.colEnd[c] >= sp.r1 {
				return vals, kinds, fmt.Errorf("merged range %s overlaps another merged range (Excel repairs such a file when it opens it: open and save it in Excel/WPS)", spanName(sp))
			}
			m.colEnd[c] = sp.r2
		}
		m.filled += int64(sp.c2 - sp.c1 + 1)
		lv := live{span: sp}
		if c := int(sp.c1); c <= len(vals) {
			lv.val, lv.kind = vals[c-1], kinds[c-1]
		}
		m.active = append(m.active, lv)
	}
	limit := MaxCols
	if width > 0 {
		limit = max(width, len(vals))
	}
	keep := m.active[:0]
	for _, lv := range m.active {
		if int(lv.r2) < row {
			if lv.used {
				m.used++
			}
			continue
		}
		if fill {
			last := min(int(lv.c2), limit)
			for c := int(lv.c1); c <= last; c++ {
				if c == int(lv.c1) && row == int(lv.r1) {
					continue // the top-left cell itself
				}
				for len(vals) < c {
					vals = append(vals, "")
					kinds = append(kinds, connectors.KindText)
				}
				// Marked as filled: a value merged over several rows is
				// one value for all of them (a 户号), and an amount must
				// not count once per row.
				vals[c-1], kinds[c-1] = lv.val, lv.kind|connectors.KindFilled
				m.filled++
				m.cells++
				lv.used = true
			}
		}
		m.filled++
		if m.filled > fillLimit {
			return vals, kinds, fmt.Errorf("merged ranges fill more than %d cells, more than a department file holds: the file is damaged or crafted", fillLimit)
		}
		keep = append(keep, lv)
	}
	clear(m.active[len(keep):])
	m.active = keep
	return vals, kinds, nil
}

// finish counts the ranges still live at the end of the sheet.
func (m *merges) finish() {
	for i := range m.active {
		if m.active[i].used {
			m.used++
		}
	}
	m.active = nil
}

func spanName(sp span) string {
	return cellName(int(sp.c1), int(sp.r1)) + ":" + cellName(int(sp.c2), int(sp.r2))
}
