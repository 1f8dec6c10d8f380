package dispatch

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/xuri/excelize/v2"
)

// Mark binds a list to the township it was sent to and the dispatch batch
// it went out in. lipwatch writes it into every list; a returned list is
// read as the township's answer only for that township, whatever rows it
// carries. In an xlsx it is a very hidden, protected sheet and two custom
// document properties (both survive Excel, WPS and LibreOffice saving the
// file; a sheet copied into another workbook leaves them behind); in a
// CSV, a row above the header.
type Mark struct {
	Batch    string // dispatch batch id, e.g. PD-20261128-1
	Township string // township code; "" for the county's own queue
}

// IsZero reports a list without a mark.
func (m Mark) IsZero() bool { return m == Mark{} }

// Where the mark is kept.
const (
	markSheet        = "lipwatch"
	markPropBatch    = "lipwatch.batch"
	markPropTownship = "lipwatch.township"
	markLabel        = "清单标识（请勿修改）"
	markCounty       = "county" // the county queue's township in a mark
)

var (
	batchPattern    = regexp.MustCompile(`^PD-\d{8}-\d{1,4}$`)
	townshipPattern = regexp.MustCompile(`^(\d{6,12}|county)$`)
)

// errBadMark is returned for a mark that lipwatch did not write as it is:
// edited, truncated, or the two copies in an xlsx disagreeing.
var errBadMark = errors.New("清单标识被修改过，无法确认本表所属乡镇；请使用县民政局下发的原表填写（the list's lipwatch mark was altered）")

// markValues are the mark's two values as written.
func (m Mark) values() (batch, township string) {
	township = m.Township
	if township == "" {
		township = markCounty
	}
	return m.Batch, township
}

// parseMark checks a mark's two values as read.
func parseMark(batch, township string) (Mark, error) {
	batch, township = strings.TrimSpace(batch), strings.TrimSpace(township)
	if !batchPattern.MatchString(batch) || !townshipPattern.MatchString(township) {
		return Mark{}, errBadMark
	}
	if township == markCounty {
		township = ""
	}
	return Mark{Batch: batch, Township: township}, nil
}

// writeXLSXMark writes m into the workbook: a very hidden, protected
// sheet and two custom document properties.
func writeXLSXMark(w *sheetWriter, m Mark) {
	if m.IsZero() {
		return
	}
	batch, town := m.values()
	x := w.x
	_, err := x.NewSheet(markSheet)
	w.do(err)
	w.do(x.SetSheetRow(markSheet, "A1", &[]string{"batch", batch}))
	w.do(x.SetSheetRow(markSheet, "A2", &[]string{"township", town}))
	w.do(x.SetSheetVisible(markSheet, false, true))
	w.do(x.ProtectSheet(markSheet, &excelize.SheetProtectionOptions{}))
	w.do(x.SetCustomProps(excelize.CustomProperty{Name: markPropBatch, Value: batch}))
	w.do(x.SetCustomProps(excelize.CustomProperty{Name: markPropTownship, Value: town}))
	// The list sheet stays the one that opens.
	if i, err := x.GetSheetIndex(w.name); err == nil {
		x.SetActiveSheet(i)
	}
}

// readXLSXMark reads the mark of a workbook: zero when it has none, an
// error when its copies disagree or were edited.
func readXLSXMark(x *excelize.File) (Mark, error) {
	var fromProps, fromSheet *Mark
	if props, err := x.GetCustomProps(); err == nil {
		var batch, town string
		n := 0
		for _, p := range props {
			switch p.Name {
			case markPropBatch:
				batch, n = fmt.Sprint(p.Value), n+1
			case markPropTownship:
				town, n = fmt.Sprint(p.Value), n+1
			}
		}
		if n > 0 {
			m, err := parseMark(batch, town)
			if err != nil {
				return Mark{}, err
			}
			fromProps = &m
		}
	}
	if idx, err := x.GetSheetIndex(markSheet); err == nil && idx >= 0 {
		rows, err := x.GetRows(markSheet)
		if err != nil {
			return Mark{}, err
		}
		get := func(r int) string {
			if r < len(rows) && len(rows[r]) > 1 {
				return rows[r][1]
			}
			return ""
		}
		m, err := parseMark(get(0), get(1))
		if err != nil {
			return Mark{}, err
		}
		fromSheet = &m
	}
	switch {
	case fromProps != nil && fromSheet != nil && *fromProps != *fromSheet:
		return Mark{}, errBadMark
	case fromSheet != nil:
		return *fromSheet, nil
	case fromProps != nil:
		return *fromProps, nil
	}
	return Mark{}, nil
}

// csvMarkRow is the row a CSV list carries its mark in, above the header.
func csvMarkRow(m Mark) []string {
	batch, town := m.values()
	return []string{markLabel, batch, town}
}

// parseCSVMark reads a row above a CSV list's header: ok when it is the
// mark row, with an error when its values were edited.
func parseCSVMark(cells []string) (m Mark, ok bool, err error) {
	if len(cells) == 0 || normKey(cells[0]) != normKey(markLabel) {
		return Mark{}, false, nil
	}
	get := func(i int) string {
		if i < len(cells) {
			return cells[i]
		}
		return ""
	}
	m, err = parseMark(get(1), get(2))
	return m, true, err
}
