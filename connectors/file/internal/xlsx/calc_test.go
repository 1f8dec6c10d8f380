package xlsx

import (
	"io"
	"path/filepath"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx/xlsxtest"
)

// Past the time allowed for calculating, the remaining formulas are left
// uncomputed and the sheet says why.
func TestCalcTimeLimit(t *testing.T) {
	defer func(d time.Duration) { calcTimeLimit = d }(calcTimeLimit)
	calcTimeLimit = 0
	path := filepath.Join(t.TempDir(), "a.xlsx")
	xlsxtest.Book{Sheets: []xlsxtest.Sheet{{Name: "S", Rows: `<row r="1"><c r="A1"><f>1+1</f></c><c r="B1"><f>2+2</f></c></row>`}}}.Write(t, path)
	sh, row := firstRow(t, path)
	// The first formula is calculated; the time is then spent.
	if row.Values[0] != "2" || row.Kinds[0] != connectors.KindComputed || row.Kinds[1] != connectors.KindUncomputed {
		t.Errorf("got %q %v", row.Values, row.Kinds)
	}
	if _, err := sh.Next(); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
	if st := sh.Stats(); !st.CalcOvertime || st.Computed != 1 || st.Uncomputed != 1 {
		t.Errorf("stats %+v", st)
	}
}
