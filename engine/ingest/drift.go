package ingest

import (
	"fmt"
	"sort"
	"strings"

	"github.com/lipwatch/lipwatch/engine/dataset"
)

// IsTypeProblem reports a problem of a value that does not parse as its
// column's type: when most of a column has them, the department changed
// its format, and loading would quarantine the whole file row by row.
func IsTypeProblem(code string) bool { return typeProblem[code] }

var typeProblem = map[string]bool{
	dataset.BadDate: true, dataset.ImpossibleDate: true, dataset.BadNumber: true, dataset.BadValue: true,
	dataset.BadID: true, dataset.BadCheckDigit: true, dataset.BadCode: true,
	// A column that went through a number cell by cell (the department
	// changed the column's format from text to number) is a format change.
	dataset.DamagedNumber: true, dataset.ControlChar: true,
}

// driftMinRows is how many rows a stream needs before a column failing in
// most of them counts as a changed format rather than a few bad rows.
const driftMinRows = 20

// SchemaDrift fails a stream in which a column's values mostly no longer
// parse, naming the columns (never the values: they may be personal data).
// drift counts rows per (problem code, column) for type problems.
func SchemaDrift(stream string, read int64, drift map[[2]string]int64) error {
	if read < driftMinRows {
		return nil
	}
	var cols []string
	for k, n := range drift {
		if n*2 >= read {
			cols = append(cols, fmt.Sprintf("%s (%d of %d rows: %s)", k[1], n, read, k[0]))
		}
	}
	if len(cols) == 0 {
		return nil
	}
	sort.Strings(cols)
	return fmt.Errorf("%s: schema drift: most values of %s no longer parse; has the department changed the column's format? Nothing of the file was loaded",
		stream, strings.Join(cols, ", "))
}
