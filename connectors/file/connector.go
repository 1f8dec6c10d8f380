// Package file is the connector kind for department files: CSV (in any of
// the encodings departments use: UTF-8, GBK/GB18030, UTF-16), Excel .xlsx
// workbooks, JSON arrays, NDJSON and Parquet, matched by a path or glob.
// Each matched file is one stream; rows come back as the department wrote
// them, with their line, sheet-row or record number, blank rows included.
//
// The package is pure Go: Parquet is read with arrow-go's parquet/file
// package, not through DuckDB, so that only the store links DuckDB.
//
// Importing the package registers the kind; connectors/all imports it.
package file

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/file/internal/xlsx"
)

// connector reads the files of one source. It holds nothing open between
// calls, so Close has nothing to release.
type connector struct {
	src     connectors.Source
	baseDir string // absolute
	opts    options
}

func newConnector(src connectors.Source, o Options) (connectors.Connector, error) {
	opts, err := parseOptions(o)
	if err != nil {
		return nil, err
	}
	base, err := filepath.Abs(cmp.Or(src.BaseDir, "."))
	if err != nil {
		return nil, fmt.Errorf("source %s: base directory: %w", src.Name, err)
	}
	return &connector{src: src, baseDir: base, opts: opts}, nil
}

// Defaults of the limits on reading a workbook (SetXLSXLimits).
const (
	DefaultXLSXMaxUnzipped      = xlsx.DefaultMaxUnzipped   // 1 GiB
	DefaultXLSXMaxSharedStrings = xlsx.DefaultMaxSharedText // 256 MiB
)

// SetXLSXLimits bounds what reading a workbook may cost, for every file
// the connector opens from now on; 0 (or less) keeps a default. The limits
// are the same for every source (config sync.xlsx_max_unzipped and
// sync.xlsx_max_shared_strings), so they are not options of a source: the
// sync sets them on each connector it builds.
//
// maxUnzipped is the most bytes the parts of a workbook that are read (the
// sheet, its shared strings, styles and workbook part) may inflate to,
// added up (DefaultXLSXMaxUnzipped); maxSharedStrings the most memory its
// shared strings table may take, held whole while the sheet is read
// (DefaultXLSXMaxSharedStrings). A workbook past either fails when it is
// opened, before the part is inflated or kept, with an error naming the
// file, the part, the limit and the config key.
func (c *connector) SetXLSXLimits(maxUnzipped, maxSharedStrings int64) {
	c.opts.xlsx = xlsx.Options{MaxUnzipped: max(maxUnzipped, 0), MaxSharedText: max(maxSharedStrings, 0)}
}

// notFoundError names the source and pattern that matched nothing and
// unwraps to connectors.ErrNotFound.
type notFoundError struct {
	source, pattern, dir string
}

// Error names the source, the pattern and the directory it was resolved in.
func (e *notFoundError) Error() string {
	return fmt.Sprintf("source %s: no file matches %q (in %s)", e.source, e.pattern, e.dir)
}

// Unwrap makes errors.Is(err, connectors.ErrNotFound) hold.
func (e *notFoundError) Unwrap() error { return connectors.ErrNotFound }

// Streams lists the files matched by the path option, sorted by path.
func (c *connector) Streams(ctx context.Context) ([]connectors.Stream, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	paths, err := c.match()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	streams := make([]connectors.Stream, 0, len(paths))
	plain := !hasMeta(filepath.ToSlash(c.opts.path))
	for _, p := range paths {
		streams = append(streams, &stream{name: c.streamName(p), path: p, opts: &c.opts, plain: plain})
	}
	return streams, nil
}

// Size is the bytes of the files the path option matches now (connectors.
// Sizer), 0 when none does or a file cannot be stat'ed: an estimate for
// ordering sources, never an error.
func (c *connector) Size(ctx context.Context) int64 {
	if ctx.Err() != nil {
		return 0
	}
	paths, err := c.match()
	if err != nil {
		return 0
	}
	var n int64
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			n += fi.Size()
		}
	}
	return n
}

// match resolves the path option to absolute file paths, sorted.
//
// The directory part without glob characters is joined to the base
// directory and used as a root, and only the rest is matched as a pattern
// (with io/fs.Glob): a base directory whose name contains "[" or "*" is
// then taken literally, and patterns use forward slashes on every system.
func (c *connector) match() ([]string, error) {
	pattern := filepath.ToSlash(c.opts.path)
	elems := strings.Split(pattern, "/")
	static := 0
	for static < len(elems) && !hasMeta(elems[static]) {
		static++
	}
	root := filepath.FromSlash(strings.Join(elems[:static], "/"))
	if !filepath.IsAbs(root) {
		root = filepath.Join(c.baseDir, root)
	}
	root = filepath.Clean(root)
	notFound := &notFoundError{source: c.src.Name, pattern: c.opts.path, dir: c.baseDir}

	if static == len(elems) { // a plain path
		fi, err := os.Stat(root)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			return nil, notFound
		case err != nil:
			return nil, fmt.Errorf("source %s: %w", c.src.Name, err)
		case fi.IsDir():
			return nil, fmt.Errorf("source %s: path %q is a directory; match its files with a glob such as %q",
				c.src.Name, c.opts.path, path.Join(pattern, "*.csv"))
		case !fi.Mode().IsRegular():
			return nil, notRegular(c.src.Name, root, fi.Mode())
		}
		return []string{root}, nil
	}

	rest := strings.Join(elems[static:], "/")
	matches, err := fs.Glob(os.DirFS(root), rest)
	if err != nil {
		return nil, fmt.Errorf("source %s: path %q: %w", c.src.Name, c.opts.path, err)
	}
	// A match that is not a regular file (a named pipe, a device, a socket,
	// a symbolic link to one or to nothing) is kept: it becomes a stream
	// that fails alone when it is opened, naming it, and the source's other
	// files load (stream.Fingerprint, stream.Open).
	var paths []string
	for _, m := range matches {
		if strings.HasPrefix(path.Base(m), "~$") {
			continue // the lock file Excel keeps beside an open workbook
		}
		p := filepath.Join(root, filepath.FromSlash(m))
		if fi, err := os.Stat(p); err == nil && fi.IsDir() {
			continue
		}
		paths = append(paths, p)
	}
	if len(paths) == 0 {
		return nil, notFound
	}
	slices.SortFunc(paths, func(a, b string) int {
		return naturalCompare(filepath.ToSlash(a), filepath.ToSlash(b))
	})
	return paths, nil
}

// notRegular refuses a matched path that is not a regular file (after
// symbolic links): reading a named pipe blocks until something writes to
// it, a device such as /dev/zero never ends, and neither is a department's
// file.
func notRegular(source, p string, m fs.FileMode) error {
	return fmt.Errorf("source %s: %s is a %s, not a file: only regular files are read (a pipe would block the sync, a device never ends)", source, p, specialKind(m))
}

// naturalCompare orders paths as a person reads them: runs of digits by
// their value (full-width digits too), so that 户籍2026年9月.csv comes before
// 户籍2026年10月.csv and medical_2026-3.csv before medical_2026-10.csv; and a
// name before the same name with more to it (户籍2026年10月.csv before
// 户籍2026年10月-更正.csv and 户籍2026年10月 (2).csv), the extension aside.
// The order matters: for the registry and the assistance roster a later
// file's state supersedes an earlier one's. Equal values with other digits
// (09 and 9) and the rest compare as text.
func naturalCompare(a, b string) int {
	sa, ea := splitExt(halfWidthDigits(a))
	sb, eb := splitExt(halfWidthDigits(b))
	if c := naturalCore(sa, sb); c != 0 {
		return c
	}
	if c := strings.Compare(ea, eb); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// splitExt splits a path into its stem and its extension.
func splitExt(p string) (string, string) {
	ext := path.Ext(p)
	return p[:len(p)-len(ext)], ext
}

// halfWidthDigits writes full-width digits (２０２６) as ASCII ones.
func halfWidthDigits(s string) string {
	if !strings.ContainsAny(s, "０１２３４５６７８９") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r >= '０' && r <= '９' {
			return r - '０' + '0'
		}
		return r
	}, s)
}

func naturalCore(a, b string) int {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if isDigit(a[i]) && isDigit(b[j]) {
			si, sj := i, j
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
			x := strings.TrimLeft(a[si:i], "0")
			y := strings.TrimLeft(b[sj:j], "0")
			if len(x) != len(y) {
				return cmp.Compare(len(x), len(y))
			}
			if c := strings.Compare(x, y); c != 0 {
				return c
			}
			continue
		}
		if a[i] != b[j] {
			return cmp.Compare(a[i], b[j])
		}
		i++
		j++
	}
	return cmp.Compare(len(a)-i, len(b)-j)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// hasMeta reports whether a path element holds glob syntax.
func hasMeta(elem string) bool {
	return strings.ContainsAny(elem, `*?[\`)
}

// streamName is the file's path relative to the base directory when it
// lies inside it, else its absolute path; with forward slashes either way,
// so that the load ledger matches across machines and systems.
func (c *connector) streamName(p string) string {
	if rel, err := filepath.Rel(c.baseDir, p); err == nil && filepath.IsLocal(rel) {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(p)
}

// Close releases nothing: files are opened by streams and closed by their
// readers. It is safe to call any number of times.
func (c *connector) Close(context.Context) error { return nil }

// stream is one matched file.
type stream struct {
	name  string // as shown in the ledger and messages
	path  string // absolute
	opts  *options
	plain bool // the source's path names this file alone (no glob)
}

// StreamNotes names the files beside a file the source's path names alone
// that look like its numbered parts (households-2.xlsx, households_3.xlsx
// beside households.xlsx: an export split past Excel's 1,048,576 rows):
// they are not read, and a part left out is data missing in silence.
func (s *stream) StreamNotes() []connectors.Note {
	if !s.plain {
		return nil
	}
	dir, base := filepath.Split(s.path)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var parts []string
	for _, e := range entries {
		if whole, ok := connectors.PartOf(e.Name()); ok && !e.IsDir() && strings.EqualFold(whole, base) {
			parts = append(parts, e.Name())
		}
	}
	if len(parts) == 0 {
		return nil
	}
	return []connectors.Note{{Code: connectors.NotePartsNotRead, Count: int64(len(parts)), Text: fmt.Sprintf(
		"%s beside it %s not read: the source's path names this file alone; if %s part of the same export, read them all with a glob such as %s",
		strings.Join(parts, ", "), map[bool]string{true: "is", false: "are"}[len(parts) == 1],
		map[bool]string{true: "it is a", false: "they are"}[len(parts) == 1],
		strings.TrimSuffix(base, filepath.Ext(base))+"*"+filepath.Ext(base))}}
}

// Name is the file's path relative to the source's base directory.
func (s *stream) Name() string { return s.name }

// Fingerprint hashes the file's bytes, reading it in chunks and stopping
// when ctx is done (with ctx's error).
//
// A path that is no regular file (a named pipe, a device, a socket, a
// dangling link) has no bytes to hash and is not read: its fingerprint
// says so ("unreadable:..."), no load ever has it, and Open fails with
// the reason. The sync then records that file's failure alone and loads
// the source's other files, as it does for any broken file.
func (s *stream) Fingerprint(ctx context.Context) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if s.unreadable() != nil {
		return "unreadable:" + s.name, nil
	}
	f, err := openRegular(s.path)
	if err != nil {
		var nr *notRegularError
		if errors.As(err, &nr) {
			return "unreadable:" + s.name, nil // replaced by one since the check above
		}
		return "", fileError(s.name, err)
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 256<<10)
	if _, err := io.CopyBuffer(h, &ctxReader{ctx: ctx, r: f}, buf); err != nil {
		if ctx.Err() != nil {
			return "", err
		}
		return "", fileError(s.name, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// Open starts reading the file in its format. The reader keeps ctx: every
// read of the file checks it, so that a timeout or an interrupt stops a
// reading wherever it is (Next then returns an error wrapping ctx's).
func (s *stream) Open(ctx context.Context) (connectors.RowReader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if why := s.unreadable(); why != nil {
		return nil, why
	}
	format, err := s.format()
	if err != nil {
		return nil, err
	}
	var rr connectors.RowReader
	switch format {
	case formatXLSX:
		rr, err = openXLSX(ctx, s.name, s.path, s.opts)
	case formatJSON:
		rr, err = openJSON(ctx, s.name, s.path, s.opts)
	case formatNDJSON:
		rr, err = openNDJSON(ctx, s.name, s.path, s.opts)
	case formatParquet:
		rr, err = openParquet(ctx, s.name, s.path)
	default:
		rr, err = openCSV(ctx, s.name, s.path, s.opts)
	}
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		rr.Close()
		return nil, err
	}
	return rr, nil
}

// unreadable says why the stream's path is not a file that can be read,
// nil when it is a regular file (after symbolic links). The file opened
// is checked again (openRegular): what counts is what is there then.
func (s *stream) unreadable() error {
	fi, err := os.Stat(s.path)
	switch {
	case err != nil:
		return fileError(s.name, err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("%s is a %s, not a file: only regular files are read (a pipe would block the sync, a device never ends)", s.name, specialKind(fi.Mode()))
	}
	return nil
}

// format is the configured format, or the one the extension names.
func (s *stream) format() (string, error) {
	if s.opts.format != formatAuto {
		return s.opts.format, nil
	}
	switch ext := strings.ToLower(filepath.Ext(s.path)); ext {
	case ".csv", ".txt":
		return formatCSV, nil
	case ".xlsx", ".xlsm":
		return formatXLSX, nil
	case ".json":
		return formatJSON, nil
	case ".ndjson", ".jsonl":
		return formatNDJSON, nil
	case ".parquet":
		return formatParquet, nil
	case ".xls", ".et":
		return "", fmt.Errorf("%s: legacy %s workbooks cannot be read; save the file as .xlsx (or CSV)", s.name, ext)
	default:
		return "", fmt.Errorf("%s: cannot tell the format from the extension %q; set format to one of csv, xlsx, json, ndjson, parquet", s.name, ext)
	}
}

// fileError names the file as the ledger does, dropping the absolute path
// an *fs.PathError would repeat; errors.Is still sees the cause.
func fileError(name string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %s: %w", name, pe.Op, pe.Err)
	}
	return fmt.Errorf("%s: %w", name, err)
}
