package xlsx

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
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

// Workbook is an open .xlsx file. Its sheets are read one at a time with
// OpenSheet; the shared strings and styles are loaded when the first sheet
// is opened. It is not safe for concurrent use.
type Workbook struct {
	path     string
	file     *os.File
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
	xfs    []xfInfo // by cell format (s=) index: what its number format shows
}

// Open opens the workbook at path and reads its list of sheets.
func Open(path string) (*Workbook, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	w, err := open(f, path)
	if err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

func open(f *os.File, path string) (*Workbook, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	var magic [8]byte
	if n, _ := f.ReadAt(magic[:], 0); n == 8 && bytes.Equal(magic[:], []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}) {
		return nil, fmt.Errorf("%w: it is a legacy .xls file or a workbook saved with a password; save it as .xlsx without a password, or as CSV", ErrNotWorkbook)
	}
	zr, err := zip.NewReader(f, fi.Size())
	if errors.Is(err, zip.ErrFormat) {
		// An .xlsx is a zip archive: this file is something else under
		// the name (an HTML error page, a CSV renamed, a broken download).
		return nil, fmt.Errorf("%w: the file is not a zip archive, as every .xlsx is (a CSV or web page renamed .xlsx, or a broken download?): %v", ErrNotWorkbook, err)
	}
	if err != nil {
		return nil, fmt.Errorf("open workbook: %w", err)
	}
	w := &Workbook{path: path, file: f, parts: make(map[string]*zip.File, len(zr.File))}
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

// openPart opens a part by name, guarded.
func (w *Workbook) openPart(name string) (io.ReadCloser, *guard, *zip.File, error) {
	zf := w.parts[strings.ToLower(name)]
	if zf == nil {
		return nil, nil, nil, fmt.Errorf("%w: the workbook lacks its part %s", ErrNotWorkbook, name)
	}
	rc, err := zf.Open()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("read %s: %w", name, err)
	}
	return rc, &guard{r: rc, part: name}, zf, nil
}

// attr returns the value of the attribute with the given local name,
// whatever its namespace prefix.
func attr(se *xml.StartElement, local string) string {
	for _, a := range se.Attr {
		if a.Name.Local == local {
			return a.Value
		}
	}
	return ""
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
		tok, err := d.next()
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "Relationship" || strings.EqualFold(attr(&se, "TargetMode"), "External") {
			continue
		}
		if len(out) >= 4*maxSheets {
			return nil, fmt.Errorf("read %s: more than %d relationships", name, 4*maxSheets)
		}
		t := strings.ReplaceAll(attr(&se, "Target"), `\`, "/")
		if strings.HasPrefix(t, "/") {
			t = path.Clean(t)[1:]
		} else {
			t = path.Join(dir, t)
		}
		out = append(out, rel{id: attr(&se, "Id"), typ: attr(&se, "Type"), target: t})
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
		tok, err := d.next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", book, err)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		switch se.Name.Local {
		case "workbookPr":
			w.date1904 = truthy(attr(&se, "date1904"))
		case "calcPr":
			w.fullCalc = truthy(attr(&se, "fullCalcOnLoad"))
		case "sheet":
			if len(w.sheets) >= maxSheets {
				return fmt.Errorf("read %s: more than %d sheets", book, maxSheets)
			}
			s := SheetInfo{Name: attr(&se, "name"), State: attr(&se, "state"), Type: "worksheet"}
			switch s.State {
			case StateHidden, StateVeryHidden:
			default:
				s.State = StateVisible
			}
			if r, ok := byID[attr(&se, "id")]; ok {
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

// load reads the shared strings and the cell formats, once.
func (w *Workbook) load() error {
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
		w.sst, err = readSharedStrings(g)
		rc.Close()
		if err != nil {
			return fmt.Errorf("read %s: %w", w.sstPart, err)
		}
	}
	w.loaded = true
	return nil
}
