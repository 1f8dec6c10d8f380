package xlsx

import (
	"fmt"
	"io"
	"strconv"
)

// maxFormats bounds the cell formats and number formats a styles part may
// define (Excel's own limit is 64,000 cell formats).
const maxFormats = 1 << 20

// xfInfo is what a cell format's number format says of a number cell.
type xfInfo struct {
	date bool // it shows a date
	// unit: it shows the number in a unit of its own text (0.00"万元"): the
	// stored 30 is what the clerk means as 300,000 yuan.
	unit bool
	// pad is the width of a format of zeros only ("0000000000"): a number
	// shown with leading zeros, as identifiers are; 0 for other formats.
	// prefix is the literal text such a format shows before the number
	// ("340799"0000000000).
	pad    int
	prefix string
}

// readStyles reads a styles part and reports, for each cell format (the
// index a cell's s= attribute names), what its number format shows: a
// date (a custom format code judged by isDateCode, or a built-in id judged
// by builtinDate), a unit, zero padding. A workbook may redefine a built-in
// id; its own code then wins, as in Excel.
func readStyles(r io.Reader) ([]xfInfo, error) {
	d := newTokens(r)
	custom := map[int]xfInfo{} // numFmtId -> what it shows
	var xfFmt []int            // numFmtId of each cell format
	var inNumFmts, inCellXfs bool
	for {
		kind, err := d.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch kind {
		case tokStart:
			switch string(d.local) {
			case "numFmts":
				inNumFmts = true
			case "cellXfs":
				inCellXfs = true
			case "numFmt":
				if !inNumFmts {
					continue // a conditional format's (dxf) number format
				}
				id, err := strconv.Atoi(string(d.attr("numFmtId")))
				if err != nil {
					continue
				}
				if len(custom) >= maxFormats {
					return nil, fmt.Errorf("more than %d number formats", maxFormats)
				}
				code := string(d.attr("formatCode"))
				prefix, pad := zeroPad(code)
				custom[id] = xfInfo{date: isDateCode(code), unit: hasUnit(code), pad: pad, prefix: prefix}
			case "xf":
				if !inCellXfs {
					continue // a cell style's format
				}
				if len(xfFmt) >= maxFormats {
					return nil, fmt.Errorf("more than %d cell formats", maxFormats)
				}
				id, err := strconv.Atoi(string(d.attr("numFmtId")))
				if err != nil {
					id = 0 // General
				}
				xfFmt = append(xfFmt, id)
			}
		case tokEnd:
			switch string(d.local) {
			case "numFmts":
				inNumFmts = false
			case "cellXfs":
				inCellXfs = false
			}
		}
	}
	xfs := make([]xfInfo, len(xfFmt))
	for i, id := range xfFmt {
		if info, ok := custom[id]; ok {
			xfs[i] = info
		} else {
			xfs[i] = xfInfo{date: builtinDate(id)}
		}
	}
	return xfs, nil
}
