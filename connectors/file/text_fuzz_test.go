package file

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"

	"github.com/lipwatch/lipwatch/connectors"
)

// The fuzz targets read random bytes as a file of each text format and
// check what must hold for any input: no panic, no endless reading, every
// error naming the file, and every line of the text accounted for by the
// title lines, the header and the rows returned. Run them for minutes
// while changing the readers:
//
//	go test -run '^$' -fuzz FuzzCSV -fuzztime 2m -parallel 1 ./connectors/file/

// textSeeds are inputs of the kinds the readers meet, for every target.
func textSeeds() [][]byte {
	gbk := func(s string) []byte { b, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s)); return b }
	utf16 := func(s string) []byte {
		b, _ := unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewEncoder().Bytes([]byte(s))
		return b
	}
	return [][]byte{
		[]byte("身份证号,姓名,金额\n1,张三,10\n\n,,\n2,李四,20\n"),
		[]byte("身份证号,姓名\r1,张三\r\r2,李四\r"),
		[]byte("a,b\r\n1,2\r3,4\n\r\n"),
		[]byte("标题,,\n\"身份证\n号码\",姓名\n\"安徽省\r\n某县\",张三\n"),
		[]byte("a,b,c\n1\n\"never closed,3\n4,5\n"),
		[]byte("a,b\nx\"y,\"say \"hi\" now\"\n"),
		[]byte("\xEF\xBB\xBF身份证号,姓名\n1,张三\n\xEF\xBB\xBF身份证号,姓名\n"),
		[]byte("户号,收入\r\n3407990010010001\x00\x00\x00\x00,\"100,000.00\"\r\n"),
		gbk("身份证号,姓名\n1,张三\n2,李四\n"),
		gbk("户号,姓名\n3407990010010001\x00\x00,张三\n"),
		utf16("id,name\r\n1,张三\r\n"),
		append([]byte{0xFF, 0xFE}, utf16("姓名\n张三\n")...),
		[]byte("姓名\n张\xE4\xB8\n李四\n"),
		[]byte("[{\"a\": 1.5, \"b\": \"x\"}, null, 5, {\"c\": 1e3}]"),
		[]byte("{\"data\": {\"items\": [{\"a\": 1}, {\"a\": 2.50}]}}"),
		[]byte("{\"a\": 1}\n\n{\"a\": 2.5}\r{\"b\": \"x\"} {\"c\": 3}\r\nnull\n[1]\n"),
		[]byte("\xEF\xBB\xBF[{\"姓名\": \"张三\"}]"),
		[]byte(""),
		[]byte("\r"),
		[]byte("PK\x03\x04"),
	}
}

// decodedLines decodes data as the readers do and counts its lines the
// slow way: CRLF, a lone CR and LF each end one, and a last line without
// one counts. When decoding fails, the lines are unknown (math.MaxInt64):
// the text before the failure reads as rows, and then reading fails.
func decodedLines(data []byte, encoding string) (int64, error) {
	text, err := decodeReader(bytes.NewReader(data), encoding)
	if err != nil {
		return math.MaxInt64, err
	}
	b, err := io.ReadAll(text)
	if err != nil {
		return math.MaxInt64, err
	}
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	n := int64(strings.Count(s, "\n"))
	if s != "" && !strings.HasSuffix(s, "\n") {
		n++
	}
	return n, nil
}

// fuzzFile writes data to a file of the given name in dir (the fuzz
// target's: inputs run one at a time in each worker process).
func fuzzFile(t *testing.T, dir, name string, data []byte) string {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// fuzzEncodings are the encoding options a fuzz input picks from.
var fuzzEncodings = []string{encUTF8, encAuto, encGBK, encGB18030, encUTF16}

// checkFuzzError fails unless err names the file.
func checkFuzzError(t *testing.T, name string, err error) {
	if !strings.HasPrefix(err.Error(), name+":") {
		t.Fatalf("error does not name the file: %v", err)
	}
}

// checkRowShape fails on a row whose kinds do not align with its values.
func checkRowShape(t *testing.T, r connectors.Row) {
	if r.Kinds != nil && len(r.Kinds) != len(r.Values) {
		t.Fatalf("row %d: %d kinds for %d values", r.Pos, len(r.Kinds), len(r.Values))
	}
}

func FuzzCSV(f *testing.F) {
	dir := f.TempDir()
	for i, s := range textSeeds() {
		f.Add(s, uint8(i%3), uint8(0), uint8(i))
	}
	delims := []string{",", ";", "|", "tab"}
	f.Fuzz(func(t *testing.T, data []byte, headerRow, delim, enc uint8) {
		encoding := fuzzEncodings[int(enc)%len(fuzzEncodings)]
		opts, err := optionsOf(connectors.Options{"path": "a.csv", "encoding": encoding,
			"header_row": 1 + int(headerRow%4), "delimiter": delims[delim%4]})
		if err != nil {
			t.Fatal(err)
		}
		lines, decErr := decodedLines(data, encoding)
		r, err := openCSV(context.Background(), "a.csv", fuzzFile(t, dir, "a.csv", data), &opts)
		if err != nil {
			checkFuzzError(t, "a.csv", err)
			return
		}
		defer r.Close()
		headerEnd := r.next - 1
		if headerEnd < int64(opts.headerRow) {
			t.Fatalf("header ends on line %d, before header_row %d", headerEnd, opts.headerRow)
		}
		next := headerEnd + 1 // the line the next row must start on
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				checkFuzzError(t, "a.csv", err)
				if decErr == nil && !errors.Is(err, errRecordTooLarge) {
					t.Fatalf("reading failed where decoding did not: %v", err)
				}
				return
			}
			checkRowShape(t, row)
			if row.Pos != next || row.End != 0 && row.End <= row.Pos {
				t.Fatalf("row at line %d (to %d), want line %d", row.Pos, row.End, next)
			}
			next = max(row.Pos, row.End) + 1
			if next-1 > lines {
				t.Fatalf("row at line %d past the text's %d lines", row.Pos, lines)
			}
		}
		if decErr != nil {
			t.Fatalf("read to the end what does not decode: %v", decErr)
		}
		if next-1 != lines {
			t.Fatalf("rows end on line %d, the text has %d lines", next-1, lines)
		}
		r.Notes()
	})
}

func FuzzJSON(f *testing.F) {
	dir := f.TempDir()
	for i, s := range textSeeds() {
		f.Add(s, uint8(i%3), uint8(i))
	}
	paths := []string{"", "data", "data.items"}
	f.Fuzz(func(t *testing.T, data []byte, records, enc uint8) {
		encoding := fuzzEncodings[int(enc)%len(fuzzEncodings)]
		opts, err := optionsOf(connectors.Options{"path": "a.json", "encoding": encoding, "records": paths[records%3]})
		if err != nil {
			t.Fatal(err)
		}
		r, err := openJSON(context.Background(), "a.json", fuzzFile(t, dir, "a.json", data), &opts)
		if err != nil {
			checkFuzzError(t, "a.json", err)
			return
		}
		defer r.Close()
		for n := int64(1); ; n++ {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				checkFuzzError(t, "a.json", err)
				return
			}
			checkRowShape(t, row)
			if row.Pos != n {
				t.Fatalf("record %d has position %d", n, row.Pos)
			}
			if row.Values != nil && len(row.Values) != len(r.Header()) && len(row.Values) != len(r.Header())+1 {
				t.Fatalf("record %d: %d values under %d columns", n, len(row.Values), len(r.Header()))
			}
			if n > int64(len(data)) {
				t.Fatalf("more records than bytes")
			}
		}
		r.Notes()
	})
}

func FuzzNDJSON(f *testing.F) {
	dir := f.TempDir()
	for i, s := range textSeeds() {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, data []byte, enc uint8) {
		encoding := fuzzEncodings[int(enc)%len(fuzzEncodings)]
		opts, err := optionsOf(connectors.Options{"path": "a.ndjson", "encoding": encoding})
		if err != nil {
			t.Fatal(err)
		}
		lines, decErr := decodedLines(data, encoding)
		r, err := openNDJSON(context.Background(), "a.ndjson", fuzzFile(t, dir, "a.ndjson", data), &opts)
		if err != nil {
			checkFuzzError(t, "a.ndjson", err)
			return
		}
		defer r.Close()
		var n int64
		for {
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				checkFuzzError(t, "a.ndjson", err)
				if decErr == nil {
					t.Fatalf("reading failed where decoding did not: %v", err)
				}
				return
			}
			n++
			checkRowShape(t, row)
			if row.Pos != n {
				t.Fatalf("line %d read as position %d", n, row.Pos)
			}
			if row.Values != nil && len(row.Values) != len(r.Header()) && len(row.Values) != len(r.Header())+1 {
				t.Fatalf("line %d: %d values under %d columns", n, len(row.Values), len(r.Header()))
			}
		}
		if decErr != nil {
			t.Fatalf("read to the end what does not decode: %v", decErr)
		}
		if n != lines {
			t.Fatalf("%d rows for %d lines", n, lines)
		}
		r.Notes()
	})
}
