package dispatch

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
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
	// Store is the id of the store that sent the list (32 hex digits):
	// a trial or rebuilt store of the same county makes the same batch
	// and case ids.
	Store string
	// Sig signs the three (32 hex digits, the store's HMAC): an edited
	// mark does not verify. The caller makes and checks it.
	Sig string
}

// IsZero reports a list without a mark.
func (m Mark) IsZero() bool { return m == Mark{} }

// Where the mark is kept.
const (
	markSheet        = "lipwatch"
	markPropBatch    = "lipwatch.batch"
	markPropTownship = "lipwatch.township"
	markPropStore    = "lipwatch.store"
	markPropSig      = "lipwatch.sig"
	markLabel        = "清单标识（请勿修改）"
	markCounty       = "county" // the county queue's township in a mark
)

var (
	batchPattern    = regexp.MustCompile(`^PD-\d{8}-\d{1,4}$`)
	townshipPattern = regexp.MustCompile(`^(\d{6,12}|county)$`)
	hexPattern      = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// errBadMark is returned for a mark that lipwatch did not write as it is:
// edited, truncated, or the two copies in an xlsx disagreeing.
var errBadMark = errors.New("清单标识被修改过，无法确认本表所属乡镇；请使用县民政局下发的原表填写（the list's lipwatch mark was altered）")

// values are the mark's values as written: batch, township, store, sig.
func (m Mark) values() []string {
	township := m.Township
	if township == "" {
		township = markCounty
	}
	return []string{m.Batch, township, m.Store, m.Sig}
}

// parseMark checks a mark's values as read (batch, township, store, sig).
func parseMark(v []string) (Mark, error) {
	for len(v) < 4 {
		v = append(v, "")
	}
	for i := range v {
		v[i] = strings.TrimSpace(v[i])
	}
	if !batchPattern.MatchString(v[0]) || !townshipPattern.MatchString(v[1]) || !hexPattern.MatchString(v[2]) || !hexPattern.MatchString(v[3]) {
		return Mark{}, errBadMark
	}
	m := Mark{Batch: v[0], Township: v[1], Store: v[2], Sig: v[3]}
	if m.Township == markCounty {
		m.Township = ""
	}
	return m, nil
}

// writeXLSXMark writes m into the workbook: a very hidden, protected
// sheet and two custom document properties.
func writeXLSXMark(w *sheetWriter, m Mark) {
	if m.IsZero() {
		return
	}
	v := m.values()
	x := w.x
	_, err := x.NewSheet(markSheet)
	w.do(err)
	for i, name := range []string{"batch", "township", "store", "sig"} {
		w.do(x.SetSheetRow(markSheet, fmt.Sprintf("A%d", i+1), &[]string{name, v[i]}))
	}
	w.do(x.SetSheetVisible(markSheet, false, true))
	w.do(x.ProtectSheet(markSheet, &excelize.SheetProtectionOptions{}))
	for i, name := range []string{markPropBatch, markPropTownship, markPropStore, markPropSig} {
		w.do(x.SetCustomProps(excelize.CustomProperty{Name: name, Value: v[i]}))
	}
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
		v := make([]string, 4)
		n := 0
		for _, p := range props {
			for i, name := range []string{markPropBatch, markPropTownship, markPropStore, markPropSig} {
				if p.Name == name {
					v[i], n = fmt.Sprint(p.Value), n+1
				}
			}
		}
		if n > 0 {
			m, err := parseMark(v)
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
		// Exactly the four rows lipwatch writes, each named: an extra or
		// renamed row is an edit.
		names := []string{"batch", "township", "store", "sig"}
		v := make([]string, 4)
		for r, row := range rows {
			switch {
			case len(row) == 0 || (len(row) == 1 && row[0] == ""):
				continue
			case r >= len(names) || len(row) > 2 || row[0] != names[r]:
				return Mark{}, errBadMark
			}
			if len(row) > 1 {
				v[r] = row[1]
			}
		}
		m, err := parseMark(v)
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
	return append([]string{markLabel}, m.values()...)
}

// parseCSVMark reads a row above a CSV list's header: ok when it is the
// mark row, with an error when its values were edited.
func parseCSVMark(cells []string) (m Mark, ok bool, err error) {
	if len(cells) == 0 || normKey(cells[0]) != normKey(markLabel) {
		return Mark{}, false, nil
	}
	for _, extra := range cells[min(len(cells), 5):] {
		if strings.TrimSpace(extra) != "" {
			return Mark{}, true, errBadMark // more than the mark's four values
		}
	}
	m, err = parseMark(slices.Clone(cells[1:min(len(cells), 5)]))
	return m, true, err
}
