package file

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
)

// withRecordLimit lowers maxRecordBytes for one test.
func withRecordLimit(t *testing.T, limit int64) {
	old := maxRecordBytes
	maxRecordBytes = limit
	t.Cleanup(func() { maxRecordBytes = old })
}

// writeHuge writes head, n bytes of fill, and tail to a file in a new
// directory, without holding the whole in memory.
func writeHuge(t *testing.T, name, head string, fill byte, n int, tail string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString(head)
	chunk := []byte(strings.Repeat(string(fill), 64<<10))
	for n > 0 {
		k := min(n, len(chunk))
		w.Write(chunk[:k])
		n -= k
	}
	w.WriteString(tail)
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}

// readAllErr opens a file of the format and reads it to the end, returning
// the first error other than io.EOF (nil if none) and the bytes allocated
// meanwhile.
func readAllErr(t *testing.T, format, path string, opts connectors.Options) (err error, rows int, alloc uint64) {
	t.Helper()
	o, perr := optionsOf(opts)
	if perr != nil {
		t.Fatal(perr)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	defer func() {
		runtime.ReadMemStats(&after)
		alloc = after.TotalAlloc - before.TotalAlloc
	}()
	var rr connectors.RowReader
	name := filepath.Base(path)
	switch format {
	case formatCSV:
		rr, err = openCSV(context.Background(), name, path, &o)
	case formatJSON:
		rr, err = openJSON(context.Background(), name, path, &o)
	case formatNDJSON:
		rr, err = openNDJSON(context.Background(), name, path, &o)
	}
	if err != nil {
		return err, 0, 0
	}
	defer rr.Close()
	for {
		if _, err = rr.Next(); err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			return err, rows, 0
		}
		rows++
	}
}

// A record past maxRecordBytes fails its file with the place and a word on
// what the file likely is, having held about that much in memory, never
// the file: a CSV quote that never closes in a large file, an NDJSON file
// that is one long line, a JSON record or a value beside the records
// holding a large string. Records up to the limit read as before.
func TestRecordsBounded(t *testing.T) {
	const limit = 1 << 20
	const huge = 24 << 20
	withRecordLimit(t, limit)
	tests := []struct {
		name, format, file string
		head               string
		fill               byte
		tail               string
		opts               connectors.Options
		want               string
	}{
		{"csv unclosed quote", formatCSV, "a.csv", "身份证号,住址\n1,某村\n\n2,\"某镇", 'x', "\n3,某村\n", nil,
			"a.csv:3: record too large: a row starting on this line (or after the blank lines below it) runs past 1 MiB: " +
				"is there a quote that opens a field and never closes?"},
		{"csv long line", formatCSV, "a.csv", "a,b\n", 'x', "\n", nil,
			"a.csv:2: record too large: a row starting on this line (or after the blank lines below it) runs past 1 MiB: " +
				"is there a quote that opens a field and never closes?"},
		{"ndjson one long line", formatNDJSON, "a.ndjson", `{"a": 1}` + "\n" + `[{"a": "`, 'x', `"}]`, nil,
			"a.ndjson:2: record too large: the line runs past 1 MiB: not one record per line (a JSON array saved as NDJSON? then set format: json)"},
		{"json record", formatJSON, "a.json", `[{"a": 1}, {"照片": "`, 'x', `"}]`, nil,
			"a.json:1:12: record 2: record too large: the record runs past 1 MiB: a file or an image embedded in the JSON?"},
		{"json value beside the records", formatJSON, "a.json", `{"code": 0, "附件": "`, 'x', `", "data": [{"a": 1}]}`,
			connectors.Options{"records": "data"},
			"a.json:1:19: before the records: record too large: the value runs past 1 MiB: a file or an image embedded in the JSON?"},
		// Blanks count towards the record after them (json.Decoder holds
		// none of them, but 16 MiB of blanks is no JSON anyone meant).
		{"json blanks", formatJSON, "a.json", `[{"a": 1},`, ' ', `{"a": 2}]`, nil,
			"a.json:1:25165835: record 2: record too large: the record runs past 1 MiB: a file or an image embedded in the JSON?"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeHuge(t, tt.file, tt.head, tt.fill, huge, tt.tail)
			opts := connectors.Options{"path": tt.file}
			for k, v := range tt.opts {
				opts[k] = v
			}
			err, _, alloc := readAllErr(t, tt.format, path, opts)
			if fmt.Sprint(err) != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
			if !errors.Is(err, errRecordTooLarge) {
				t.Errorf("%v is not errRecordTooLarge", err)
			}
			if alloc > 12*limit {
				t.Errorf("allocated %d MiB reading a file of %d MiB with a limit of %d MiB", alloc>>20, huge>>20, limit>>20)
			}
		})
	}

	// Just under the limit reads, as does a large file of small records.
	for _, tt := range []struct{ format, file, head, tail string }{
		{formatCSV, "a.csv", "a\n\"", "\"\n"},
		{formatNDJSON, "a.ndjson", `{"a": "`, `"}`},
		{formatJSON, "a.json", `[{"a": "`, `"}]`},
	} {
		path := writeHuge(t, tt.file, tt.head, 'x', limit-128<<10, tt.tail)
		if err, rows, _ := readAllErr(t, tt.format, path, connectors.Options{"path": tt.file}); err != nil || rows != 1 {
			t.Errorf("%s under the limit: %d rows, %v", tt.format, rows, err)
		}
	}
	var b strings.Builder
	b.WriteString("a,b\n")
	for b.Len() < 3*limit {
		b.WriteString("340799200001010011,张三\n")
	}
	path := filepath.Join(t.TempDir(), "a.csv")
	os.WriteFile(path, []byte(b.String()), 0o644)
	if err, rows, _ := readAllErr(t, formatCSV, path, connectors.Options{"path": "a.csv"}); err != nil || rows == 0 {
		t.Errorf("a large CSV of small rows: %d rows, %v", rows, err)
	}
}
