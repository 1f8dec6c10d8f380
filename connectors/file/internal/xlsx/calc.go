package xlsx

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"
)

// Bounds on computing formulas with excelize. excelize holds the whole
// workbook in memory (some ten times its XML) to calculate, so it is only
// opened for a workbook whose parts inflate to less than MaxCalcSize; and a
// formula can be slow to calculate (a VLOOKUP over a whole column, in every
// row of a large sheet), so the time spent calculating one sheet is
// bounded too. Past either bound a formula is left uncomputed.
const (
	MaxCalcSize = 64 << 20
	MaxCalcTime = time.Minute
)

// calcTimeLimit is MaxCalcTime, a variable so that tests can lower it.
var calcTimeLimit = MaxCalcTime

// rawValues asks excelize for values as stored (a date as its serial), so
// that the reader converts them itself, in the workbook's date system.
var rawValues = excelize.Options{RawCellValue: true}

// calcOpen are the options excelize opens a workbook with to calculate:
// raw values, and no part inflated past MaxCalcSize in all (the reader
// checked the declared sizes already; excelize checks them again) nor
// written to a temporary file (excelize writes parts larger than
// UnzipXMLSizeLimit to the system's temporary directory, and a
// department's sheet holds personal data).
var calcOpen = excelize.Options{RawCellValue: true, UnzipSizeLimit: MaxCalcSize, UnzipXMLSizeLimit: MaxCalcSize}

// calculator computes the formulas of one sheet with excelize, opening the
// workbook on first use.
type calculator struct {
	wb        *Workbook
	sheet     string
	allowed   bool
	book      *excelize.File
	failed    bool          // the workbook could not be opened
	spent     time.Duration // time calculating so far
	overtime  bool          // MaxCalcTime was reached
	untrusted int64         // formulas not computed: a function or array arithmetic excelize may get wrong
	// tainted says where the workbook's formulas are that lipwatch does
	// not trust and that excelize would compute when a trusted formula
	// reads them.
	tainted func() *taint
}

// reliable reports whether lipwatch may take excelize's result for
// formula in this calculator's sheet: the formula is trusted, and no sheet
// it reads (its own included) holds an untrusted formula excelize would
// compute on the way.
func (c *calculator) reliable(formula string) bool {
	if !trusted(formula) {
		return false
	}
	return c.tainted == nil || !c.tainted().readsTainted(c.sheet, formula)
}

// compute calculates the cell and reports whether it could: a formula
// excelize cannot calculate (a function it lacks, an error result, which
// excelize does not always reach as Excel would) is not computed.
//
// Once the workbook's context is done (the sync's timeout, an interrupt),
// nothing more is calculated: the reading is about to fail with the
// context's error at its next read of the file.
func (c *calculator) compute(ref string) (string, bool) {
	if !c.allowed || c.failed || c.overtime || c.wb.ctx.Err() != nil {
		return "", false
	}
	if c.book == nil {
		book, err := openForCalc(c.wb)
		if err != nil {
			c.failed = true
			return "", false
		}
		c.book = book
	}
	if f, err := c.book.GetCellFormula(c.sheet, ref); err != nil || !c.reliable(f) {
		c.untrusted++
		return "", false
	}
	start := time.Now()
	v, err := calcCell(c.book, c.sheet, ref)
	c.spent += time.Since(start)
	if c.spent > calcTimeLimit {
		c.overtime = true
	}
	if err != nil || isErrorText(v) {
		return "", false
	}
	return v, true
}

// openForCalc opens the workbook with excelize, from the file already open
// (not again by its name, which could be something else by now) and
// through the workbook's context. A panic inside excelize (a damaged
// workbook it does not expect) is an error, not the end of the sync.
func openForCalc(w *Workbook) (book *excelize.File, err error) {
	defer func() {
		if p := recover(); p != nil {
			book, err = nil, fmt.Errorf("excelize: %v", p)
		}
	}()
	fi, err := w.file.Stat()
	if err != nil {
		return nil, err
	}
	return excelize.OpenReader(io.NewSectionReader(w.src, 0, fi.Size()), calcOpen)
}

// calcCell calculates one cell with excelize, a panic being an error.
func calcCell(book *excelize.File, sheet, ref string) (v string, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = "", fmt.Errorf("excelize: %v", p)
		}
	}()
	return book.CalcCellValue(sheet, ref, rawValues)
}

// close releases excelize's copy of the workbook.
func (c *calculator) close() error {
	if c.book == nil {
		return nil
	}
	err := c.book.Close()
	c.book = nil
	return err
}

// isErrorText reports an Excel error value (#N/A, #DIV/0! ...).
func isErrorText(v string) bool {
	switch strings.ToUpper(v) {
	case "#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NULL!", "#NUM!", "#GETTING_DATA", "#SPILL!", "#CALC!":
		return true
	}
	return false
}
