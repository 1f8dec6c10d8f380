package gen

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// A county of more than blockThreshold households is drawn in blocks of at
// most blockSize households, one after another: each block is drawn whole
// in memory like a county of its own (its people, roles, planted
// situations and records), its rows appended to the county's files, its
// ground truth spilled to temporary files, and it is dropped before the
// next. Memory is then that of one block, whatever the county's size.
//
// Block 0 is drawn from Options.Seed like an undivided county; block k from
// a seed derived from it and k. The blocks share the townships; each has
// villages of its own (numbered after the previous blocks': village
// k×villageStride+1 ... of each township), so 户号 stay unique, and its
// residents' ID numbers carry an area code of its own (blockArea), so ID
// numbers do too. What is drawn county-wide carries over from block to
// block: the claim, 渔船证号 and property certificate sequences, the plates
// (a bit set of every plate that can be drawn) and credit codes drawn, and
// the out-of-county ID numbers (340798). The out-of-county patients are
// block 0's. Everything else, the quotas of planted situations and decoys
// included, is per block, as in a county of the block's size.
//
// Counties up to blockThreshold are one block, and their files are the
// same bytes as before blocks existed. A larger county's files are its
// blocks' files one after another (each CSV once with its header, each
// sheet one sheet whose shared strings may repeat from one block to the
// next); truth.json lists every block's planted situations, decoys and
// rows, merged in the documented order.
var (
	blockThreshold = 350_000
	blockSize      = 100_000
)

// sheetRows is how many rows an xlsx sheet may hold: Excel's limit
// (1,048,576; Excel 2007 and later, "Excel specifications and limits"),
// which lipwatch's xlsx reader keeps too. A variable for tests.
var sheetRows = 1 << 20

// PartName is the name of a file's part k (k = 1, 2, ...): the file's own
// name for the first, "households-2.xlsx", "households-3.xlsx" ... after.
// A county drawn in blocks splits a sheet whose rows would pass sheetRows
// into parts of as many blocks each (the last may have fewer), as a
// department splits an export Excel cannot hold; the config reads the
// parts with a glob (households*.xlsx), and connectors.PartOf names a
// part's whole. Parts of even size keep the sources' row-drop guard
// quiet, which compares a new file with the source's typical one.
func PartName(name string, k int) string {
	if k <= 1 {
		return name
	}
	ext := filepath.Ext(name)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), k, ext)
}

// maxBlocks is how many blocks the village codes leave room for (three
// digits of a village under its township).
const maxBlocks = 999 / villageStride

// blockSizes splits n households into the fewest blocks of at most
// blockSize, as even as can be; beyond maxBlocks × blockSize households
// (4.1M) into maxBlocks larger blocks, which take more memory.
func blockSizes(n int) []int {
	k := min(max((n+blockSize-1)/blockSize, 1), maxBlocks)
	out := make([]int, k)
	for i := range out {
		out[i] = n / k
		if i < n%k {
			out[i]++
		}
	}
	return out
}

// blockSeed is block k's seed: Options.Seed for block 0.
func blockSeed(seed int64, k int) int64 {
	if k == 0 {
		return seed
	}
	// splitmix64 of the seed and the block.
	z := uint64(seed) + uint64(k)*0x9E3779B97F4A7C15
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return int64(z ^ (z >> 31))
}

// blockArea is the area code of block k's residents' ID numbers: the
// county's for block 0, then 340797, 340796 ... (fictional as 340799;
// 340798 stays the out-of-county patients').
func blockArea(k int) string {
	if k == 0 {
		return countyCode
	}
	return fmt.Sprintf("%06d", 340798-k)
}

// blocks is what lasts from one block to the next: the keys that must stay
// unique, the open files, and the ground truth so far.
type blocks struct {
	dir  string
	asOf time.Time

	claimSeq         [medicalMonths]int
	boatSeq, certSeq int
	plates           plateSet
	codes            map[string]bool
	outIDs           []string

	started map[string]bool        // CSV files created by an earlier block
	xlsx    map[string]*xlsxWriter // sheets open for the next blocks' rows
	part    map[string]int         // the part of each sheet being written (PartName)
	perPart map[string]int         // blocks in each part of a sheet (0: one part)
	inPart  map[string]int         // blocks in the part being written
	n       int                    // blocks in all
	rows    map[string]int         // data rows the blocks before wrote, per file
	infos   map[string]FileInfo

	truth   *Truth // counts summed, lists empty: they are spilled
	towns   []*township
	spilled [5]*spill // planted, decoys, bad rows, unresolved, duplicates
}

func newBlocks(dir string, asOf time.Time) (*blocks, error) {
	b := &blocks{dir: dir, asOf: asOf, plates: newPlateSet(), codes: map[string]bool{},
		started: map[string]bool{}, xlsx: map[string]*xlsxWriter{}, part: map[string]int{}, perPart: map[string]int{}, inPart: map[string]int{}, rows: map[string]int{}, infos: map[string]FileInfo{}}
	for i := range b.spilled {
		f, err := os.CreateTemp(dir, ".lipwatch-truth-*")
		if err != nil {
			b.cleanup()
			return nil, err
		}
		b.spilled[i] = &spill{f: f, w: bufio.NewWriterSize(f, 256<<10)}
	}
	return b, nil
}

// cleanup removes the spill files and closes what is still open.
func (b *blocks) cleanup() {
	for _, x := range b.xlsx {
		x.abort()
	}
	for _, s := range b.spilled {
		if s != nil {
			s.f.Close()
			os.Remove(s.f.Name())
		}
	}
}

// carryIn gives a block's world the sequences the blocks before it left.
func (b *blocks) carryIn(w *world) {
	w.claimSeq, w.boatSeq, w.certSeq = b.claimSeq, b.boatSeq, b.certSeq
}

// carryOut keeps the sequences a block's world left.
func (b *blocks) carryOut(w *world) {
	b.claimSeq, b.boatSeq, b.certSeq = w.claimSeq, w.boatSeq, w.certSeq
}

// writeFile writes a file of a county's world: at once, or as the next
// block's rows of the file.
func (w *world) writeFile(f *file, dir string) error {
	if w.blk == nil {
		return f.write(dir, w.asOf)
	}
	return w.blk.write(f)
}

// write appends a block's rows of a file: a CSV after the rows of the
// blocks before (the first block writes the BOM and header), a sheet into
// the workbook left open.
func (b *blocks) write(f *file) error {
	path := filepath.Join(b.dir, filepath.FromSlash(f.name))
	if f.format == "xlsx" {
		x := b.xlsx[f.name]
		room := sheetRows - f.headerRow()
		if f.len() > room {
			return fmt.Errorf("write %s: a block's %d rows pass a sheet's %d", path, f.len(), room)
		}
		if x == nil && b.part[f.name] == 0 && b.n > 1 {
			// The first block: how many parts the sheet needs, if the
			// other blocks' rows are as many as its own and a few more.
			if parts := (f.len()*b.n*21/20 + room - 1) / room; parts > 1 {
				b.perPart[f.name] = (b.n + parts - 1) / parts
			}
		}
		full := b.perPart[f.name] > 0 && b.inPart[f.name] == b.perPart[f.name]
		if x != nil && (full || x.rows+f.len() > room) {
			// The next part: this one is full.
			if err := x.close(); err != nil {
				return fmt.Errorf("write %s: %w", b.partPath(f.name), err)
			}
			delete(b.xlsx, f.name)
			b.part[f.name] = max(b.part[f.name], 1) + 1
			b.inPart[f.name] = 0
			x = nil
		}
		path = b.partPath(f.name)
		if x == nil {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return fmt.Errorf("create %s: %w", filepath.Dir(path), err)
			}
			var err error
			if x, err = f.openXLSX(path, b.asOf); err != nil {
				return fmt.Errorf("write %s: %w", path, err)
			}
			b.xlsx[f.name] = x
		} else {
			x.ss.forget()
		}
		if err := x.append(f); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		b.inPart[f.name]++
		return nil
	}
	if !b.started[f.name] {
		b.started[f.name] = true
		return f.write(b.dir, b.asOf)
	}
	if err := f.encodeCSV(path, os.O_APPEND|os.O_WRONLY, false, f.all()); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// partPath is where the part of a sheet being written is.
func (b *blocks) partPath(name string) string {
	return filepath.Join(b.dir, filepath.FromSlash(PartName(name, b.part[name])))
}

// generateBlocks writes a county drawn in blocks (see blockThreshold). The
// Truth it returns has the counts, the county and the files, but not the
// lists (planted, decoys, bad rows, unresolved, duplicates): those are in
// truth.json only.
func generateBlocks(ctx context.Context, o Options, asOf time.Time) (*Truth, error) {
	sizes := blockSizes(o.Households)
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", o.Dir, err)
	}
	b, err := newBlocks(o.Dir, asOf)
	if err != nil {
		return nil, err
	}
	b.n = len(sizes)
	defer b.cleanup()
	for k, n := range sizes {
		w := &world{seed: blockSeed(o.Seed, k), asOf: asOf, nHouseholds: n, area: blockArea(k), blk: b, block: k}
		if err := w.build(ctx); err != nil {
			return nil, fmt.Errorf("block %d: %w", k, err)
		}
		files, err := w.writeFiles(ctx, o.Dir)
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", k, err)
		}
		b.carryOut(w)
		if err := b.add(w, files); err != nil {
			return nil, err
		}
	}
	for name, x := range b.xlsx {
		if err := x.close(); err != nil {
			return nil, fmt.Errorf("write %s: %w", b.partPath(name), err)
		}
	}
	t := b.finish(o)
	if err := writeDivisions(o.Dir, b.towns); err != nil {
		return nil, err
	}
	if err := b.writeTruth(o.Dir, t); err != nil {
		return nil, err
	}
	if err := writeReadmeBlocks(o.Dir, t, len(sizes)); err != nil {
		return nil, err
	}
	return t, nil
}

// add takes a written block's truth: its counts are summed, its lists
// spilled with their positions moved past the rows of the blocks before.
func (b *blocks) add(w *world, files []*written) error {
	t := w.truth(files)
	// A block's rows of a sheet went to the part being written.
	part := func(name string) string { return PartName(name, b.part[name]) }
	for i := range t.BadRows {
		t.BadRows[i].File = part(t.BadRows[i].File)
	}
	for i := range t.Unresolved {
		t.Unresolved[i].File = part(t.Unresolved[i].File)
	}
	for i := range t.Duplicates {
		t.Duplicates[i].File = part(t.Duplicates[i].File)
	}
	for _, f := range files {
		f.info.File = part(f.info.File)
	}
	for i := range t.BadRows {
		t.BadRows[i].Position += b.rows[t.BadRows[i].File]
	}
	for i := range t.Unresolved {
		t.Unresolved[i].Position += b.rows[t.Unresolved[i].File]
	}
	for i := range t.Duplicates {
		t.Duplicates[i].Position += b.rows[t.Duplicates[i].File]
	}
	for _, f := range files {
		b.rows[f.info.File] += f.info.DataRows
		if _, ok := b.infos[f.info.File]; !ok {
			b.infos[f.info.File] = f.info
		}
	}
	if err := errors.Join(spillAll(b.spilled[0], t.Planted), spillAll(b.spilled[1], t.Decoys),
		spillAll(b.spilled[2], t.BadRows), spillAll(b.spilled[3], t.Unresolved), spillAll(b.spilled[4], t.Duplicates)); err != nil {
		return fmt.Errorf("spill truth: %w", err)
	}
	if b.truth == nil {
		b.truth = &Truth{County: t.County, Counts: Counts{Rows: map[string]int{}, BadRows: map[string]int{},
			Unresolved: map[string]int{}, Planted: map[string]int{}, Decoys: map[string]int{}, Marks: map[string]int{}}}
		b.truth.County.Townships = nil
		b.truth.County.Villages = 0
		for _, tw := range w.county.Towns {
			b.towns = append(b.towns, &township{Code: tw.Code, Name: tw.Name})
		}
	}
	for i, tw := range w.county.Towns {
		b.towns[i].Villages = append(b.towns[i].Villages, tw.Villages...)
	}
	c, s := &b.truth.Counts, t.Counts
	c.Households += s.Households
	c.People += s.People
	c.PeopleActive += s.PeopleActive
	c.CoveredHouseholds += s.CoveredHouseholds
	c.OutOfCounty += s.OutOfCounty
	c.Claims += s.Claims
	for _, m := range [][2]map[string]int{{c.BadRows, s.BadRows}, {c.Unresolved, s.Unresolved},
		{c.Planted, s.Planted}, {c.Decoys, s.Decoys}, {c.Marks, s.Marks}} {
		for k, v := range m[1] {
			m[0][k] += v
		}
	}
	return nil
}

// finish is the county's Truth once every block is written, without the
// spilled lists.
func (b *blocks) finish(o Options) *Truth {
	t := b.truth
	t.Options = TruthOptions{Seed: o.Seed, Households: o.Households, AsOf: b.asOf.Format(time.DateOnly)}
	t.Params = DefaultParams()
	for _, tw := range b.towns {
		t.County.Townships = append(t.County.Townships, TownshipInfo{Code: tw.Code, Name: tw.Name, Villages: len(tw.Villages)})
		t.County.Villages += len(tw.Villages)
	}
	for name, info := range b.infos {
		info.DataRows = b.rows[name]
		t.Files = append(t.Files, info)
		t.Counts.Rows[name] = info.DataRows
	}
	sortTruth(t)
	return t
}

// writeTruth writes truth.json as writeTruth would write t with the
// spilled lists, the lists merged from the blocks' in their order.
func (b *blocks) writeTruth(dir string, t *Truth) error {
	planted := func(a, c Planted) int {
		return cmp.Or(cmp.Compare(a.HouseholdID, c.HouseholdID), cmp.Compare(a.Signals[0].IDNumber, c.Signals[0].IDNumber))
	}
	decoys := func(a, c Decoy) int {
		return cmp.Or(cmp.Compare(a.HouseholdID, c.HouseholdID), cmp.Compare(a.Kind, c.Kind), cmp.Compare(a.IDNumber, c.IDNumber))
	}
	bad := func(a, c BadRow) int { return cmp.Or(cmp.Compare(a.File, c.File), cmp.Compare(a.Position, c.Position)) }
	unres := func(a, c Unresolved) int {
		return cmp.Or(cmp.Compare(a.File, c.File), cmp.Compare(a.Position, c.Position))
	}
	dups := func(a, c Duplicate) int {
		return cmp.Or(cmp.Compare(a.File, c.File), cmp.Compare(a.Position, c.Position))
	}
	for _, s := range b.spilled {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("spill truth: %w", err)
		}
	}
	return writeTruthLists(dir, t, []truthList{
		{"planted", func(emit func([]byte) error) error { return mergeSpilled(b.spilled[0], planted, emit) }},
		{"decoys", func(emit func([]byte) error) error { return mergeSpilled(b.spilled[1], decoys, emit) }},
		{"bad_rows", func(emit func([]byte) error) error { return mergeSpilled(b.spilled[2], bad, emit) }},
		{"unresolved", func(emit func([]byte) error) error { return mergeSpilled(b.spilled[3], unres, emit) }},
		{"duplicates", func(emit func([]byte) error) error { return mergeSpilled(b.spilled[4], dups, emit) }},
	})
}

// spill is a temporary file of JSON lines, one segment per block, each
// segment in its list's order.
type spill struct {
	f    *os.File
	w    *bufio.Writer
	pos  int64
	segs [][2]int64 // [start, end) byte offsets
}

// spillAll appends one segment.
func spillAll[T any](s *spill, items []T) error {
	start := s.pos
	for _, it := range items {
		line, err := json.Marshal(it)
		if err != nil {
			return err
		}
		s.w.Write(line)
		if err := s.w.WriteByte('\n'); err != nil {
			return err
		}
		s.pos += int64(len(line)) + 1
	}
	s.segs = append(s.segs, [2]int64{start, s.pos})
	return nil
}

// mergeSpilled emits the lines of every segment merged by cmp (each
// segment in cmp's order; on a tie the earlier block first).
func mergeSpilled[T any](s *spill, compare func(a, b T) int, emit func([]byte) error) error {
	type head struct {
		r    *bufio.Reader
		line []byte
		v    T
		ok   bool
	}
	heads := make([]*head, len(s.segs))
	advance := func(h *head) error {
		line, err := h.r.ReadBytes('\n')
		if err == io.EOF && len(line) == 0 {
			h.ok = false
			return nil
		}
		if err != nil && err != io.EOF {
			return err
		}
		h.line = bytes.TrimSuffix(line, []byte("\n"))
		var v T
		if err := json.Unmarshal(h.line, &v); err != nil {
			return err
		}
		h.v, h.ok = v, true
		return nil
	}
	for i, seg := range s.segs {
		heads[i] = &head{r: bufio.NewReaderSize(io.NewSectionReader(s.f, seg[0], seg[1]-seg[0]), 64<<10)}
		if err := advance(heads[i]); err != nil {
			return err
		}
	}
	for {
		var best *head
		for _, h := range heads {
			if h.ok && (best == nil || compare(h.v, best.v) < 0) {
				best = h
			}
		}
		if best == nil {
			return nil
		}
		if err := emit(best.line); err != nil {
			return err
		}
		if err := advance(best); err != nil {
			return err
		}
	}
}

// truthList is one list of truth.json, written by its items' compact JSON.
type truthList struct {
	key   string
	items func(emit func([]byte) error) error
}

// writeTruthLists writes truth.json as writeTruth writes t with the lists
// added (t's own, for those keys, must be empty): t's encoding with each
// list's "[]" filled from its items, indented as json.MarshalIndent does.
func writeTruthLists(dir string, t *Truth, lists []truthList) (err error) {
	t.Planted, t.Decoys, t.BadRows, t.Unresolved, t.Duplicates = []Planted{}, []Decoy{}, []BadRow{}, []Unresolved{}, []Duplicate{}
	head, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return fmt.Errorf("encode truth: %w", err)
	}
	t.Planted, t.Decoys, t.BadRows, t.Unresolved, t.Duplicates = nil, nil, nil, nil, nil
	path := filepath.Join(dir, "truth.json")
	out, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if cerr := out.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	bw := bufio.NewWriterSize(out, 256<<10)
	var buf bytes.Buffer
	for _, l := range lists {
		marker := []byte("\n  \"" + l.key + "\": []")
		i := bytes.Index(head, marker)
		if i < 0 {
			return fmt.Errorf("encode truth: no %s", l.key)
		}
		bw.Write(head[:i+len(marker)-1]) // up to the '['
		head = head[i+len(marker)-1:]    // from the ']'
		n := 0
		if err := l.items(func(item []byte) error {
			if n > 0 {
				bw.WriteString(",")
			}
			n++
			buf.Reset()
			if err := json.Indent(&buf, item, "    ", "  "); err != nil {
				return err
			}
			bw.WriteString("\n    ")
			_, err := bw.Write(buf.Bytes())
			return err
		}); err != nil {
			return fmt.Errorf("encode truth: %w", err)
		}
		if n > 0 {
			bw.WriteString("\n  ")
		}
	}
	bw.Write(head)
	bw.WriteString("\n")
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
