package xlsx

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// ErrNotWorkbook reports a file that is not an .xlsx workbook at all (a
// legacy .xls file, a password-protected workbook, a zip of something else).
var ErrNotWorkbook = errors.New("not an .xlsx workbook")

// maxSheets bounds the sheets a workbook may list; Excel's own limit is
// the memory of the machine, but no department file has thousands.
const maxSheets = 10_000

// Sheet states, as workbook.xml writes them.
const (
	StateVisible    = "visible"
	StateHidden     = "hidden"
	StateVeryHidden = "veryHidden" // hidden so that only VBA can show it
)

// SheetInfo describes one sheet of a workbook, in the workbook's order.
type SheetInfo struct {
	Name  string
	State string // StateVisible, StateHidden or StateVeryHidden
	// Type is the last element of the sheet's relationship type:
	// "worksheet" for a sheet of cells; "chartsheet", "dialogsheet" or
	// "xlMacrosheet" for sheets that hold no rows.
	Type string
	part string // the zip entry of the sheet, "" when the workbook lacks it
}

// Hidden reports whether Excel hides the sheet (hidden or very hidden).
func (s SheetInfo) Hidden() bool { return s.State != StateVisible }

// Worksheet reports whether the sheet holds cells.
func (s SheetInfo) Worksheet() bool { return s.Type == "worksheet" }

// Defaults of Options.
const (
	// DefaultMaxUnzipped is the default Options.MaxUnzipped: 1 GiB. A
	// county's 350,000-row registry inflates to some 150 MB; Excel's
	// largest sheet of real data (1,048,576 rows) to a few hundred.
	DefaultMaxUnzipped = 1 << 30
	// DefaultMaxSharedText is the default Options.MaxSharedText: 256 MiB.
	// A county's 350,000-row registry needs some 40 MB; Excel's largest
	// sheet with three distinct texts in every row some 110 MB.
	DefaultMaxSharedText = 256 << 20
)

// Options bound what reading a workbook may cost, so that a damaged or
// crafted file (a zip bomb: 195 KB that inflate to gigabytes) fails rather
// than taking the machine's memory or the night. A zero field takes its
// default.
type Options struct {
	// MaxUnzipped is the most bytes the parts read may inflate to, added
	// up: the workbook part and its relationships, the styles, the shared
	// strings and each sheet opened (parts not read, such as pictures, do
	// not count). Sizes are those the zip entries declare, which
	// archive/zip holds a part to (it fails a part that inflates past its
	// entry's size), so the limit is checked before a part is inflated.
	// Past it, opening the part fails with a *LimitError. Bytes; default
	// DefaultMaxUnzipped.
	MaxUnzipped int64
	// MaxSharedText is the most memory the shared strings table may take:
	// the text of its strings plus 16 bytes each (a string header). The
	// table is held whole while a sheet is read, because cells name its
	// strings by index in any order. Past it, opening the first sheet
	// fails with a *LimitError. Bytes; default DefaultMaxSharedText.
	MaxSharedText int64
}

// LimitError reports a workbook that needs more than Options allow.
type LimitError struct {
	// What is the limit passed: "unzipped" (Options.MaxUnzipped) or
	// "shared strings" (Options.MaxSharedText).
	What string
	// Part is the part whose reading passed the limit.
	Part string
	// Size is the part's size: for "unzipped", its inflated size as its
	// zip entry declares it; for "shared strings", the memory its strings
	// had taken when reading stopped (bytes).
	Size int64
	// Total is what the parts read add up to with this one (bytes;
	// "unzipped" only).
	Total int64
	// Limit is the limit in force (bytes).
	Limit int64
}

// Error says which limit the part passed and by how much.
func (e *LimitError) Error() string {
	if e.What == LimitSharedText {
		return fmt.Sprintf("the shared strings (%s) take more than %s of memory, more than a department file needs: the file is damaged or crafted",
			e.Part, Size(e.Limit))
	}
	with := ""
	if Size(e.Total) != Size(e.Size) {
		with = fmt.Sprintf(" (%s with the parts read before it)", Size(e.Total))
	}
	return fmt.Sprintf("the workbook's parts inflate past %s: %s alone is %s unzipped%s, more than a department file needs: the file is damaged or crafted (a zip bomb)",
		Size(e.Limit), e.Part, Size(e.Size), with)
}

// LimitError.What values.
const (
	LimitUnzipped   = "unzipped"
	LimitSharedText = "shared strings"
)

// Size writes a number of bytes as a person reads it: 195 KiB, 190 MiB,
// 1 GiB, with one decimal below ten units (1.5 GiB).
func Size(n int64) string {
	const units = "KMGTPE"
	if n < 1024 {
		return fmt.Sprintf("%d bytes", n)
	}
	v, i := float64(n)/1024, 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if v < 10 && v != float64(int64(v)) {
		return fmt.Sprintf("%.1f %ciB", v, units[i])
	}
	return fmt.Sprintf("%.0f %ciB", v, units[i])
}

// Workbook is an open .xlsx file. Its sheets are read one at a time with
// OpenSheet; the shared strings and styles are loaded when the first sheet
// is opened. It is not safe for concurrent use.
type Workbook struct {
	file     *os.File
	ctx      context.Context      // every read of the file checks it
	src      *ctxFile             // the file, read through ctx
	opts     Options              // defaults filled in
	inflated int64                // what the parts read so far inflate to (Options.MaxUnzipped)
	read     map[string]bool      // the parts counted in inflated, by lower-case name
	parts    map[string]*zip.File // by lower-case name: OPC names ignore case
	size     int64                // inflated size of every part
	sheets   []SheetInfo
	date1904 bool
	fullCalc bool   // calcPr fullCalcOnLoad: tools that write formulas without computing them set it
	taint    *taint // where untrusted formulas are, once worked out (taintOf)
	sstPart  string
	stylPart string

	loaded bool
	sst    []string
	long   map[int]int // shared strings past Excel's limit for a cell (kept as ""): their length in bytes
	xfs    []xfInfo    // by cell format (s=) index: what its number format shows
}

// Open opens the workbook at path with the default Options and reads its
// list of sheets.
func Open(path string) (*Workbook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	return OpenFile(context.Background(), f, Options{})
}

// OpenFile reads the list of sheets of the workbook in f, an open file
// named f.Name(), which the Workbook then owns: Close closes it, and so
// does OpenFile when it fails. Every read of the file, for as long as the
// workbook and its sheets are read, first checks ctx and fails with its
// error once it is done.
func OpenFile(ctx context.Context, f *os.File, opts Options) (*Workbook, error) {
	if opts.MaxUnzipped <= 0 {
		opts.MaxUnzipped = DefaultMaxUnzipped
	}
	if opts.MaxSharedText <= 0 {
		opts.MaxSharedText = DefaultMaxSharedText
	}
	w, err := open(ctx, f, opts)
	if err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

func open(ctx context.Context, f *os.File, opts Options) (*Workbook, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	src := &ctxFile{ctx: ctx, f: f}
	var magic [8]byte
	if n, _ := src.ReadAt(magic[:], 0); n == 8 && bytes.Equal(magic[:], []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) {
		return nil, fmt.Errorf("%w: it is a legacy .xls file or a workbook saved with a password; save it as .xlsx without a password, or as CSV", ErrNotWorkbook)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	zr, err := zip.NewReader(src, fi.Size())
	if errors.Is(err, zip.ErrFormat) {
		// An .xlsx is a zip archive: this file is something else under
		// the name (an HTML error page, a CSV renamed, a broken download).
		return nil, fmt.Errorf("%w: the file is not a zip archive, as every .xlsx is (a CSV or web page renamed .xlsx, or a broken download?): %v", ErrNotWorkbook, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open workbook: %w", err)
	}
	w := &Workbook{file: f, ctx: ctx, src: src, opts: opts, read: map[string]bool{},
		parts: make(map[string]*zip.File, len(zr.File))}
	for _, zf := range zr.File {
		name := strings.ToLower(strings.TrimPrefix(zf.Name, "/"))
		if _, dup := w.parts[name]; !dup {
			w.parts[name] = zf
			w.size += int64(min(zf.UncompressedSize64, 1<<62))
		}
	}
	book := "xl/workbook.xml"
	if rels, err := w.readRels("_rels/.rels", ""); err != nil {
		return nil, err
	} else if t := rels.target("/officeDocument"); t != "" {
		book = t
	}
	if w.parts[strings.ToLower(book)] == nil {
		if w.parts["xl/workbook.bin"] != nil {
			return nil, fmt.Errorf("%w: it is a binary workbook (.xlsb); save it as .xlsx or CSV", ErrNotWorkbook)
		}
		return nil, fmt.Errorf("%w: the zip file holds no workbook part (%s)", ErrNotWorkbook, book)
	}
	if err := w.readWorkbook(book); err != nil {
		return nil, err
	}
	return w, nil
}

// ctxFile reads a file at offsets unless its context is done.
type ctxFile struct {
	ctx context.Context
	f   *os.File
}

// ReadAt reads unless the context is done, when it returns its error.
func (c *ctxFile) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.f.ReadAt(p, off)
}

// Close releases the file. It is safe to call twice.
func (w *Workbook) Close() error {
	if w.file == nil {
		return nil
	}
	err := w.file.Close()
	w.file = nil
	return err
}

// Sheets lists the workbook's sheets in its own order (the order of the
// tabs, not of the zip entries). The slice must not be changed.
func (w *Workbook) Sheets() []SheetInfo { return w.sheets }

// Date1904 reports whether the workbook counts dates in the 1904 date
// system (serial 0 is 1904-01-01) rather than the 1900 one.
func (w *Workbook) Date1904() bool { return w.date1904 }

// openPart opens a part by name, guarded, once its inflated size is
// counted against Options.MaxUnzipped (a part read twice counts once).
func (w *Workbook) openPart(name string) (io.ReadCloser, *guard, *zip.File, error) {
	key := strings.ToLower(name)
	zf := w.parts[key]
	if zf == nil {
		return nil, nil, nil, fmt.Errorf("%w: the workbook lacks its part %s", ErrNotWorkbook, name)
	}
	if !w.read[key] {
		size := int64(min(zf.UncompressedSize64, 1<<62))
		if w.inflated+size > w.opts.MaxUnzipped {
			return nil, nil, nil, &LimitError{What: LimitUnzipped, Part: name, Size: size, Total: w.inflated + size, Limit: w.opts.MaxUnzipped}
		}
		w.read[key] = true
		w.inflated += size
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	return rc, &guard{r: rc, part: name}, zf, nil
}

// truthy reads an xsd:boolean attribute.
func truthy(v string) bool { return v == "1" || v == "true" }

// rels is a part's relationships.
type rels []rel

type rel struct{ id, typ, target string }

// target returns the resolved target of the first relationship whose type
// ends with suffix (types differ between transitional and strict OOXML but
// end alike), or "".
func (rs rels) target(suffix string) string {
	for _, r := range rs {
		if strings.HasSuffix(r.typ, suffix) {
			return r.target
		}
	}
	return ""
}

// readRels reads a relationships part; a missing one is empty. Targets are
// resolved against dir (the directory of the part the relationships
// belong to) to zip entry names.
func (w *Workbook) readRels(name, dir string) (rels, error) {
	if w.parts[strings.ToLower(name)] == nil {
		return nil, nil
	}
	rc, g, _, err := w.openPart(name)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	d := newTokens(g)
	var out rels
	for {
		kind, err := d.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		if kind != tokStart || !d.is("Relationship") || strings.EqualFold(string(d.attr("TargetMode")), "External") {
			continue
		}
		if len(out) >= 4*maxSheets {
			return nil, fmt.Errorf("read %s: more than %d relationships", name, 4*maxSheets)
		}
		t := strings.ReplaceAll(string(d.attr("Target")), `\`, "/")
		if strings.HasPrefix(t, "/") {
			t = path.Clean(t)[1:]
		} else {
			t = path.Join(dir, t)
		}
		out = append(out, rel{id: string(d.attr("Id")), typ: string(d.attr("Type")), target: t})
	}
}

// readWorkbook reads the sheet list, the date system and the calculation
// properties from the workbook part, and finds its sheets, shared strings
// and styles through the part's relationships.
func (w *Workbook) readWorkbook(book string) error {
	dir := path.Dir(book)
	if dir == "." {
		dir = ""
	}
	rs, err := w.readRels(path.Join(dir, "_rels", path.Base(book)+".rels"), dir)
	if err != nil {
		return err
	}
	byID := make(map[string]rel, len(rs))
	for _, r := range rs {
		byID[r.id] = r
	}
	w.sstPart = rs.target("/sharedStrings")
	w.stylPart = rs.target("/styles")
	if w.sstPart == "" {
		w.sstPart = path.Join(dir, "sharedStrings.xml")
	}
	if w.stylPart == "" {
		w.stylPart = path.Join(dir, "styles.xml")
	}

	rc, g, _, err := w.openPart(book)
	if err != nil {
		return err
	}
	defer rc.Close()
	d := newTokens(g)
	for {
		kind, err := d.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", book, err)
		}
		if kind != tokStart {
			continue
		}
		switch string(d.local) {
		case "workbookPr":
			w.date1904 = truthy(string(d.attr("date1904")))
		case "calcPr":
			w.fullCalc = truthy(string(d.attr("fullCalcOnLoad")))
		case "sheet":
			if len(w.sheets) >= maxSheets {
				return fmt.Errorf("read %s: more than %d sheets", book, maxSheets)
			}
			s := SheetInfo{Name: string(d.attr("name")), State: string(d.attr("state")), Type: "worksheet"}
			switch s.State {
			case StateHidden, StateVeryHidden:
			default:
				s.State = StateVisible
			}
			if r, ok := byID[string(d.attr("id"))]; ok {
				s.part = r.target
				if i := strings.LastIndexByte(r.typ, '/'); i >= 0 {
					s.Type = r.typ[i+1:]
				}
			}
			w.sheets = append(w.sheets, s)
		}
	}
	if len(rs) == 0 {
		// No relationships part: take the usual names, as lenient
		// readers do.
		for i := range w.sheets {
			w.sheets[i].part = path.Join(dir, fmt.Sprintf("worksheets/sheet%d.xml", i+1))
		}
	}
	return nil
}

// load reads the cell formats and the shared strings, once. during, if
// not nil, is run on a goroutine of its own while the shared strings are
// read, once their part is opened (so that the parts are counted against
// MaxUnzipped in the same order whatever runs first), or at the end when
// there are none to read; load returns once during has.
func (w *Workbook) load(during func()) (err error) {
	var wait chan struct{}
	start := func() {
		if during == nil {
			return
		}
		f, done := during, make(chan struct{})
		during, wait = nil, done
		go func() {
			defer close(done)
			f()
		}()
	}
	defer func() {
		start() // not started yet: the workbook was loaded, or failed
		if wait != nil {
			<-wait
		}
	}()
	if w.loaded {
		return nil
	}
	if w.parts[strings.ToLower(w.stylPart)] != nil {
		rc, g, _, err := w.openPart(w.stylPart)
		if err != nil {
			return err
		}
		w.xfs, err = readStyles(g)
		rc.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", w.stylPart, err)
		}
	}
	if w.parts[strings.ToLower(w.sstPart)] != nil {
		rc, g, _, err := w.openPart(w.sstPart)
		if err != nil {
			return err
		}
		start()
		w.sst, w.long, err = readSharedStrings(g, w.opts.MaxSharedText)
		rc.Close()
		var le *LimitError
		if errors.As(err, &le) {
			le.Part = w.sstPart
			return le
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", w.sstPart, err)
		}
	}
	w.loaded = true
	return nil
}
