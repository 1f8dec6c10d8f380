package gen

import (
	"bufio"
	"fmt"
	"io"
	"iter"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// write writes the file under dir in its format.
func (f *file) write(dir string, asOf time.Time) error {
	path := filepath.Join(dir, filepath.FromSlash(f.name))
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
	}
	var err error
	if f.format == "xlsx" {
		err = f.writeXLSX(path, asOf)
	} else {
		err = f.writeCSV(path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeCSV encodes the file; an unencodable character is an error rather
// than a silent substitution.
func (f *file) writeCSV(path string) error {
	return f.encodeCSV(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, true, f.all())
}

// appendCSV writes more data rows at the end of the file written before
// under dir (no BOM or header again: the encodings carry no state from one
// row to the next).
func (f *file) appendCSV(dir string, rows []row) error {
	path := filepath.Join(dir, filepath.FromSlash(f.name))
	if err := f.encodeCSV(path, os.O_APPEND|os.O_WRONLY, false, slices.Values(rows)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// encodeCSV writes rows to the file at path opened with flag, preceded by
// the BOM and header when head is set.
func (f *file) encodeCSV(path string, flag int, head bool, rows iter.Seq[row]) (err error) {
	out, err := os.OpenFile(path, flag, 0o644)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}()
	var sink io.Writer = out
	var tw *transform.Writer
	switch f.encoding {
	case "gbk":
		tw = transform.NewWriter(out, simplifiedchinese.GBK.NewEncoder())
	case "gb18030":
		tw = transform.NewWriter(out, simplifiedchinese.GB18030.NewEncoder())
	case "utf-8":
	default:
		return fmt.Errorf("unknown encoding %q", f.encoding)
	}
	if tw != nil {
		sink = tw
	}
	bw := bufio.NewWriterSize(sink, 64<<10)
	cw := &csvWriter{w: bw, crlf: f.crlf}
	if head {
		if f.bom {
			bw.WriteString("\uFEFF")
		}
		cw.write(f.headers())
	}
	vals := make([]string, len(f.cols))
	for rw := range rows {
		if rw.emptyLine {
			cw.endLine()
			continue
		}
		for i := range vals {
			vals[i] = ""
			if i < len(rw.cells) {
				vals[i] = rw.cells[i].text
			}
		}
		cw.write(vals)
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if tw != nil {
		return tw.Close()
	}
	return nil
}

// csvWriter writes RFC 4180 records: a field is quoted only when it holds
// a comma, a quote or a line break.
type csvWriter struct {
	w    *bufio.Writer
	crlf bool
}

func (c *csvWriter) write(fields []string) {
	for i, s := range fields {
		if i > 0 {
			c.w.WriteByte(',')
		}
		if strings.ContainsAny(s, ",\"\r\n") {
			c.w.WriteByte('"')
			c.w.WriteString(strings.ReplaceAll(s, `"`, `""`))
			c.w.WriteByte('"')
			continue
		}
		c.w.WriteString(s)
	}
	c.endLine()
}

func (c *csvWriter) endLine() {
	if c.crlf {
		c.w.WriteString("\r\n")
		return
	}
	c.w.WriteByte('\n')
}
