package xlsx

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
)

// maxFormats bounds the cell formats and number formats a styles part may
// define (Excel's own limit is 64,000 cell formats).
const maxFormats = 1 << 20

// readStyles reads a styles part and reports, for each cell format (the
// index a cell's s= attribute names), whether its number format shows a
// date: a custom format code (numFmts) judged by isDateCode, or a built-in
// id judged by builtinDate. A workbook may redefine a built-in id; its own
// code then wins, as in Excel.
func readStyles(r io.Reader) ([]bool, error) {
	d := newTokens(r)
	custom := map[int]bool{} // numFmtId -> shows a date
	var xfFmt []int          // numFmtId of each cell format
	var inNumFmts, inCellXfs bool
	for {
		tok, err := d.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			switch t.Name.Local {
			case "numFmts":
				inNumFmts = true
			case "cellXfs":
				inCellXfs = true
			case "numFmt":
				if !inNumFmts {
					continue // a conditional format's (dxf) number format
				}
				id, err := strconv.Atoi(attr(&t, "numFmtId"))
				if err != nil {
					continue
				}
				if len(custom) >= maxFormats {
					return nil, fmt.Errorf("more than %d number formats", maxFormats)
				}
				custom[id] = isDateCode(attr(&t, "formatCode"))
			case "xf":
				if !inCellXfs {
					continue // a cell style's format
				}
				if len(xfFmt) >= maxFormats {
					return nil, fmt.Errorf("more than %d cell formats", maxFormats)
				}
				id, err := strconv.Atoi(attr(&t, "numFmtId"))
				if err != nil {
					id = 0 // General
				}
				xfFmt = append(xfFmt, id)
			}
		case xml.EndElement:
			switch t.Name.Local {
			case "numFmts":
				inNumFmts = false
			case "cellXfs":
				inCellXfs = false
			}
		}
	}
	dateXf := make([]bool, len(xfFmt))
	for i, id := range xfFmt {
		if date, ok := custom[id]; ok {
			dateXf[i] = date
		} else {
			dateXf[i] = builtinDate(id)
		}
	}
	return dateXf, nil
}
