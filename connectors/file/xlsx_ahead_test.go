package file_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx/xlsxtest"
)

// A sheet is read ahead, in batches, by a goroutine of its own: the rows
// come in order across batches with what the sheet says of them (hidden
// rows, merged ranges, blank rows, a damaged row after good ones), the
// notes and the progress are complete at the end, and a reader closed
// half-way stops the goroutine.
func TestXLSXReadAhead(t *testing.T) {
	const n = 3000 // several batches
	var rows strings.Builder
	rows.WriteString(xlsxtest.Row(1, xlsxtest.Str("A1", "户号"), xlsxtest.Str("B1", "人口")))
	var want []connectors.Row
	for r := 2; r <= n; r++ {
		switch {
		case r%700 == 0: // left out of the file: a blank row
			want = append(want, cells(int64(r)))
			continue
		case r%1000 == 1:
			fmt.Fprintf(&rows, `<row r="%d" hidden="1">%s%s</row>`, r, xlsxtest.Str(fmt.Sprintf("A%d", r), fmt.Sprint("户", r)), xlsxtest.Num(fmt.Sprintf("B%d", r), "3", 0))
		default:
			rows.WriteString(xlsxtest.Row(r, xlsxtest.Str(fmt.Sprintf("A%d", r), fmt.Sprint("户", r)), xlsxtest.Num(fmt.Sprintf("B%d", r), "3", 0)))
		}
		c := txt(fmt.Sprint("户", r))
		if r >= 2600 && r <= 2602 {
			c = filled(txt("户2600"))
			if r == 2600 {
				c = txt("户2600")
			}
		}
		want = append(want, cells(int64(r), c, num("3")))
	}
	book := xlsxtest.Book{Sheets: []xlsxtest.Sheet{{Name: "S", Rows: rows.String(),
		After: `<mergeCells><mergeCell ref="A2600:A2602"/></mergeCells>`}}}

	t.Run("every row, in order", func(t *testing.T) {
		rr, got := readBook(t, book, nil)
		checkCells(t, got, want)
		ns := notes(t, rr)
		if ns["hidden_rows"].Count != 2 || ns["merged_cells"].Count != 1 {
			t.Errorf("notes: %v", ns)
		}
		if done, total := rr.(connectors.Progresser).Progress(); done != total || total == 0 {
			t.Errorf("progress at the end: %d of %d", done, total)
		}
	})
	t.Run("a damaged row after good ones", func(t *testing.T) {
		b := book
		b.Sheets = []xlsxtest.Sheet{{Name: "S", Rows: rows.String() + fmt.Sprintf(`<row r="%d"><c r="A%d"><v>1</c></row>`, n+1, n+1)}}
		dir := t.TempDir()
		b.Write(t, filepath.Join(dir, "book.xlsx"))
		streams, err := newSource(t, dir, connectors.Options{"path": "book.xlsx"}).Streams(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		rr, err := streams[0].Open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer rr.Close()
		read := 0
		for {
			_, err := rr.Next()
			if err != nil {
				if errors.Is(err, io.EOF) || !strings.Contains(err.Error(), fmt.Sprintf("book.xlsx:%d: sheet S: the sheet's XML is damaged", n+1)) {
					t.Fatalf("after %d rows: %v", read, err)
				}
				break
			}
			read++
		}
		if read != n-1 {
			t.Errorf("%d rows before the error, want %d", read, n-1)
		}
		if _, err2 := rr.Next(); err2 == nil {
			t.Error("a row after the error")
		}
	})
	t.Run("closed half-way", func(t *testing.T) {
		dir := t.TempDir()
		book.Write(t, filepath.Join(dir, "book.xlsx"))
		c := newSource(t, dir, connectors.Options{"path": "book.xlsx"})
		before := runtime.NumGoroutine()
		for range 20 {
			streams, err := c.Streams(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			rr, err := streams[0].Open(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			for range 10 {
				if _, err := rr.Next(); err != nil {
					t.Fatal(err)
				}
			}
			if err := rr.Close(); err != nil {
				t.Fatal(err)
			}
			if _, err := rr.Next(); err == nil {
				t.Fatal("a row after Close")
			}
		}
		deadline := time.Now().Add(5 * time.Second) // a hang guard, not a timing
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if g := runtime.NumGoroutine(); g > before {
			t.Errorf("%d goroutines after closing, %d before: the reading ahead did not stop", g, before)
		}
	})
}
