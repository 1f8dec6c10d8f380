package file_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx/xlsxtest"
)

// Every format's reader stops at its next read of the file once its context
// is done (the sync's timeout, an interrupt), with an error that names the
// file and wraps the context's: cancelled after the first row of a file of
// 50,000 rows, none reads on to the end.
func TestReadingStopsWithItsContext(t *testing.T) {
	const n = 50_000
	header := []string{"身份证号", "姓名"}
	rows := make([][]string, n)
	for i := range rows {
		rows[i] = []string{fmt.Sprintf("3407990010%08d", i), "王测一"}
	}
	for _, tc := range []struct {
		file  string
		write func(t *testing.T, path string, header []string, rows [][]string)
	}{
		{"data.csv", writeConformanceCSV(nil)},
		{"data.xlsx", writeConformanceXLSX},
		{"data.json", writeConformanceJSON(false)},
		{"data.ndjson", writeConformanceJSON(true)},
		{"data.parquet", writeConformanceParquet},
	} {
		t.Run(tc.file, func(t *testing.T) {
			dir := t.TempDir()
			tc.write(t, filepath.Join(dir, tc.file), header, rows)
			streams, err := newSource(t, dir, connectors.Options{"path": tc.file}).Streams(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			rr, err := streams[0].Open(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer rr.Close()
			if _, err := rr.Next(); err != nil {
				t.Fatal(err)
			}
			cancel()
			read := 1
			for {
				if _, err = rr.Next(); err != nil {
					break
				}
				read++
			}
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("after %d rows: %v, want an error wrapping context.Canceled", read, err)
			}
			if !strings.Contains(err.Error(), tc.file) {
				t.Errorf("%q does not name the file", err)
			}
			if read >= n {
				t.Errorf("read %d rows after the cancel, all of them", read)
			}
			t.Logf("%d of %d rows, then %v", read, n, err)
		})
	}
}

// A file matched as a regular file and replaced by a named pipe before it
// is read is refused when it is opened, naming it, instead of blocking the
// sync until something writes to the pipe; its fingerprint is taken
// without reading it, so that the file fails alone.
func TestFileReplacedByAPipe(t *testing.T) {
	dir := t.TempDir()
	path := writeFile(t, dir, "medical_1.csv", []byte("结算单号\nC1\n"))
	streams, err := newSource(t, dir, connectors.Options{"path": "medical_*.csv"}).Streams(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Fatal(err)
	}
	s := streams[0]
	for name, call := range map[string]func() error{
		"fingerprint": func() error {
			fp, err := s.Fingerprint(t.Context())
			if err == nil && strings.HasPrefix(fp, "sha256:") {
				return fmt.Errorf("fingerprint %s: the pipe was read", fp)
			}
			return err
		},
		"open": func() error {
			rr, err := s.Open(t.Context())
			if err == nil {
				rr.Close()
				return errors.New("opened")
			}
			if !strings.Contains(err.Error(), "medical_1.csv") || !strings.Contains(err.Error(), "named pipe (FIFO)") {
				return err
			}
			return nil
		},
	} {
		done := make(chan error, 1)
		go func() { done <- call() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
		case <-time.After(10 * time.Second): // a hang guard, not a timing
			t.Fatalf("%s: blocked on the pipe", name)
		}
	}
}

// xlsxLimited builds a file source over dir whose workbooks are read with
// the given limits, as the sync sets them from config.
func xlsxLimited(t *testing.T, dir string, maxUnzipped, maxSharedStrings int64) connectors.Connector {
	t.Helper()
	c := newSource(t, dir, connectors.Options{"path": "*.xlsx"})
	l, ok := c.(interface{ SetXLSXLimits(int64, int64) })
	if !ok {
		t.Fatal("the file connector has no SetXLSXLimits")
	}
	l.SetXLSXLimits(maxUnzipped, maxSharedStrings)
	return c
}

// readErr opens the source's single stream and returns the error of
// opening it, or of reading it to the end.
func readErr(t *testing.T, c connectors.Connector) error {
	t.Helper()
	streams, err := c.Streams(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rr, err := streams[0].Open(t.Context())
	if err != nil {
		return err
	}
	defer rr.Close()
	for {
		if _, err := rr.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
}

// A workbook whose parts inflate past sync.xlsx_max_unzipped, or whose
// shared strings take more memory than sync.xlsx_max_shared_strings, fails
// when it is opened, naming the file, the part, the limit and the key.
func TestWorkbookLimits(t *testing.T) {
	dir := t.TempDir()
	var sst strings.Builder
	for i := range 100_000 { // 100,000 distinct strings: 2.7 MiB of XML, 2.5 MiB in memory
		fmt.Fprintf(&sst, "<si><t>第%06d户</t></si>", i)
	}
	xlsxtest.Book{
		Sheets:     []xlsxtest.Sheet{{Name: "S", Rows: `<row r="1"><c r="A1" t="s"><v>0</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c></row>`}},
		StringsXML: sst.String(),
	}.Write(t, filepath.Join(dir, "户籍.xlsx"))

	if err := readErr(t, xlsxLimited(t, dir, 0, 0)); err != nil {
		t.Fatalf("under the default limits: %v", err)
	}
	for _, tc := range []struct {
		name                          string
		maxUnzipped, maxSharedStrings int64
		want                          []string
	}{
		{"unzipped", 1 << 20, 0, []string{"户籍.xlsx: the workbook's parts inflate past 1 MiB: xl/sharedStrings.xml alone is 2.7 MiB unzipped, more than", "sync.xlsx_max_unzipped"}},
		{"shared strings", 0, 1 << 20, []string{"户籍.xlsx: the shared strings (xl/sharedStrings.xml) take more than 1 MiB of memory", "sync.xlsx_max_shared_strings"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := readErr(t, xlsxLimited(t, dir, tc.maxUnzipped, tc.maxSharedStrings))
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("got %v, want %q", err, w)
				}
			}
		})
	}
}

// A shared string longer than Excel's 32,767 characters for a cell, written
// in runs of rich text so that no stretch of the XML is long, is not kept:
// a cell naming it fails, naming the cell; a workbook that holds one that
// no cell names reads.
func TestSharedStringPastTheCellLimit(t *testing.T) {
	long := "<si>" + strings.Repeat("<r><t>"+strings.Repeat("A", 1000)+"</t></r>", 40) + "</si>"
	for _, tc := range []struct {
		name, cell, want string
	}{
		{"named by a cell", `<c r="B2" t="s"><v>1</v></c>`, "户籍.xlsx:2: sheet S: cell B2: the cell's shared string holds more than Excel's limit of 32767 characters for a cell (40000 bytes of text): the file is damaged or crafted"},
		{"named by no cell", `<c r="B2" t="s"><v>0</v></c>`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			xlsxtest.Book{
				Sheets: []xlsxtest.Sheet{{Name: "S", Rows: `<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>0</v></c></row>` +
					`<row r="2"><c r="A2" t="s"><v>0</v></c>` + tc.cell + `</row>`}},
				StringsXML: "<si><t>身份证号</t></si>" + long,
			}.Write(t, filepath.Join(dir, "户籍.xlsx"))
			err := readErr(t, xlsxLimited(t, dir, 0, 0))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("got %v", err)
			case tc.want != "" && (err == nil || err.Error() != tc.want):
				t.Errorf("got %v\nwant %s", err, tc.want)
			}
		})
	}
}
