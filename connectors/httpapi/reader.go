package httpapi

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/internal/jsonscan"
)

var (
	_ connectors.Noter         = (*reader)(nil)
	_ connectors.GrowingHeader = (*reader)(nil)
)

// reader reads an endpoint page by page. It holds one page at a time: the
// response body while the page is parsed, then the page's rows.
type reader struct {
	ctx    context.Context
	cancel context.CancelFunc
	s      *stream
	o      *options
	since  string // the watermark parameter's value; "" for a full read

	header []string
	col    map[string]int

	// Paging state: what the next request asks for.
	pass   int      // 1 for the first pass over the source, 2 for a re-read, ...
	pages  int      // pages fetched so far in this pass
	pageNo int      // pagination page
	offset int      // pagination offset
	cursor string   // pagination cursor; "" on the first request
	next   *url.URL // pagination next_link; nil on the first request
	done   bool     // the last page has been fetched

	// The previous non-empty page of this pass, to catch a source serving
	// it again, and the most records a page before it had (a repeat of a
	// short page is the end of the data, see fetchPage).
	seed      maphash.Seed
	prevHash  uint64
	prevN     int
	maxBefore int

	// The current page's rows: n rows of width cells each, and their
	// kinds when the page has a number with a fraction or an exponent
	// (nil otherwise: all text). On a pass after the first, emit says
	// which rows are handed out (records no earlier pass read); nil: all.
	cells   []string
	kinds   []connectors.CellKind // nil: the page is all text
	kindBuf []connectors.CellKind // kinds' storage, reused
	emit    []bool
	emitBuf []bool
	width   int
	n, i    int
	base    int64 // Pos of the page's first record, less 1
	pos     int64 // records served so far, over every pass
	read    int64 // records served in the first pass

	// With total_path or verify: the identities (8-byte hashes) of the
	// records read. ids[:sorted] are those of the passes before this one,
	// sorted and deduplicated; this pass's new ones are appended, and
	// passNew holds them to hand out a record once per pass.
	track   bool
	ids     []uint64
	sorted  int
	passNew map[uint64]struct{}
	// cur is this pass's records that are not after the bound (T0, the
	// greatest watermark value of the first pass): identity and content
	// hash. At the end of a pass it is settled into prev, the set of
	// identities (sorted, distinct) that the next pass must agree with,
	// and prevConf, the identities the pass read with two contents.
	cur       []idPair
	prev      []uint64
	prevConf  []uint64
	pagePairs []idPair // scratch: one page's pairs, for the same-page check
	// keySeen marks the columns some record of the read had, to check
	// key_fields against.
	keySeen []bool

	// With total_path: the greatest total the API reported.
	total    int64
	hasTotal bool
	short    int64 // records the first pass came up short by

	// With verify: the greatest watermark value of the first pass (T0),
	// the records passes after the first found that no pass before had
	// read and that are not after T0 (skipped by them), and whether two
	// passes in a row ever disagreed.
	bound     maxMark
	found     int64
	disagreed bool

	// Offset paging with overlap: each page after the first is asked for
	// from the previous page's last record (see overlapCheck).
	overlap   bool
	hasLast   bool     // the next page must start with a run of prevPage's tail
	prevPage  []uint64 // identities of the previous page's records, in order
	thisPage  []uint64 // scratch: the current page's identities, in order
	disturbed bool     // this pass saw the list shift left: records may have been skipped
	shiftAt   int      // the offset where it did
	shifted   int      // passes that saw the list shift left
	capOK     bool     // page paging: the server caps the page size and counts pages by it (checkCap)

	marks marks            // watermark_field values read
	reset *connectors.Note // the saved watermark was dropped (see stream.Open)
	eof   bool             // io.EOF returned: the read is complete

	// Scratch space reused from page to page.
	pairs   []pair
	vals    []byte
	offs    []int
	bounds  []int
	idBuf   []byte
	pageIDs []uint64
	leafBuf []leaf

	// Without status_path: the status-like and message leaves of the
	// pages with records of the read, to judge an empty page against
	// (judgeEmpty); nil until a page with records was read.
	baseline map[string]*baseLeaf

	err    error // sticky: once failed, always failed
	closed bool
}

// idPair is a record's identity and the hash of its whole content (the
// same with no key_fields).
type idPair struct{ id, content uint64 }

// pair is one record member: its column, value and kind.
type pair struct {
	col  int
	val  string
	kind connectors.CellKind
}

func newReader(ctx context.Context, s *stream, since string, clk clock) *reader {
	ctx, cancel := context.WithCancel(ctx)
	r := &reader{
		ctx: ctx, cancel: cancel, s: s, o: &s.c.opts, since: since,
		col:    map[string]int{},
		pass:   1,
		pageNo: s.c.opts.firstPage,
		seed:   maphash.MakeSeed(),
		marks:  marks{clock: clk},
		track:  s.c.opts.totalPath != nil || s.c.opts.verify,
	}
	if s.c.opts.pagination == pageOffset && s.c.opts.pageSize >= 2 && s.c.opts.overlap {
		r.overlap, r.track = true, true
	}
	for _, f := range s.c.opts.fields {
		r.col[f] = len(r.header)
		r.header = append(r.header, f)
	}
	return r
}

// Header is the union of the record keys of the first page, in the order
// first seen (after the fields option's, when set). Keys first seen on a
// later page are appended then, so a later call may return more names.
func (r *reader) Header() []string { return r.header }

// HeaderGrows reports that keys first seen on later pages join the header
// (connectors.GrowingHeader).
func (r *reader) HeaderGrows() bool { return true }

// Next returns the next record, fetching the next page when the current
// one is used up.
func (r *reader) Next() (connectors.Row, error) {
	if r.closed {
		return connectors.Row{}, r.s.c.errorf(r.s.name, 0, errClosed)
	}
	if r.err != nil {
		return connectors.Row{}, r.err
	}
	for {
		for r.emit != nil && r.i < r.n && !r.emit[r.i] {
			r.i++ // read by an earlier pass
		}
		if r.i < r.n {
			break
		}
		if r.eof {
			return connectors.Row{}, io.EOF
		}
		if r.done {
			if err := r.endPass(); err != nil {
				return connectors.Row{}, err
			}
			continue
		}
		if err := r.fetchPage(); err != nil {
			return connectors.Row{}, err
		}
	}
	lo := r.i * r.width
	r.i++
	row := connectors.Row{Pos: r.base + int64(r.i), Values: r.cells[lo : lo+r.width : lo+r.width]}
	if r.kinds != nil {
		row.Kinds = r.kinds[lo : lo+r.width : lo+r.width]
	}
	return row, nil
}

// endPass is reached when a pass over the source has fetched its last
// page. It decides whether to read the source again:
//
//   - with verify, after the first pass, and after every pass that does
//     not agree with the one before it on the set of identities whose
//     watermark value is not after T0, the greatest the first pass read
//     (records without a time count as not after it; records after it
//     are new arrivals, handed out but never compared): a record one pass
//     read and the next did not (deleted, or skipped), or the other way
//     round, means records moved, and only two passes in a row that agree
//     show that neither skipped anything;
//   - with total_path, while the distinct records read fall short of the
//     greatest total reported;
//   - with key_fields, after a pass that read one identity with two
//     contents on different pages (an edit while the pass read, or a key
//     that is not unique: two passes in a row showing it fail the read);
//
// up to reread more passes, failing when the last still needed another.
// Otherwise the read is complete: its watermark is handed to the stream
// and Next returns io.EOF.
func (r *reader) endPass() error {
	var set, conflicts []uint64
	if r.track {
		slices.Sort(r.ids)
		r.ids = slices.Compact(r.ids)
		r.sorted = len(r.ids)
		r.passNew = nil
		set, conflicts = r.settle()
	}
	if r.pass == 1 {
		r.read = r.pos
		r.bound = r.marks.max // T0
	}
	if err := r.checkKeyFields(); err != nil {
		return err
	}
	if firstCommon(conflicts, r.prevConf) {
		return r.notUnique()
	}
	var again []string // why another pass is needed
	got := int64(len(r.ids))
	if r.o.totalPath != nil {
		if !r.hasTotal {
			return r.fail(fmt.Errorf("no page had a total at %s (total_path); check the path against a response", strings.Join(r.o.totalPath, ".")))
		}
		if got < r.total {
			if r.pass == 1 {
				r.short = r.total - got
			}
			again = append(again, fmt.Sprintf("read %d distinct records of the %d the API reports at %s", got, r.total, strings.Join(r.o.totalPath, ".")))
		}
	}
	disagree := false
	if r.o.verify {
		switch {
		case r.pass == 1 && r.read > 0:
			again = append(again, "") // the verify pass
		case r.pass > 1 && !slices.Equal(set, r.prev) && !r.disturbed:
			disagree = true
			r.disagreed = true
			gained, lost := setDiff(r.prev, set)
			on := "the records read"
			if r.o.watermarkField != "" {
				on = "the records with " + r.o.watermarkField + " not after the greatest the first pass read"
			}
			var how []string
			if gained > 0 {
				how = append(how, fmt.Sprintf("read %s that pass %d had not", plural(gained, "record", "records"), r.pass-1))
			}
			if lost > 0 {
				how = append(how, fmt.Sprintf("missed %s that pass %d had read", plural(lost, "record", "records"), r.pass-1))
			}
			again = append(again, fmt.Sprintf("the last two passes did not agree on %s (pass %d %s)", on, r.pass, strings.Join(how, " and ")))
		}
	}
	if r.disturbed {
		r.shifted++
		again = append(again, fmt.Sprintf("pass %d found the list shifted between two page requests (at offset %d the page did not start with "+
			"the tail of the page before, in order, up to its last record: records deleted, or moved among themselves by an edit or ties in the sort key, before the page boundary), so records may have been skipped",
			r.pass, r.shiftAt))
	}
	if len(conflicts) > 0 {
		again = append(again, fmt.Sprintf("the last pass read %s with the same key_fields [%s] values and different content on different pages "+
			"(a record edited while it was read, or key_fields not unique)", plural(int64(len(conflicts)), "record", "records"), strings.Join(r.o.keyFields, ", ")))
	}
	r.prev, r.prevConf = set, conflicts
	r.cur = r.cur[:0]
	if len(again) > 0 {
		if r.pass <= r.o.reread {
			r.restart()
			return nil
		}
		var why []string
		for _, w := range again {
			if w != "" {
				why = append(why, w)
			}
		}
		if len(why) == 0 { // reread 0 with verify is refused by parseOptions
			why = append(why, "no pass was left to verify the first")
		}
		cause := "records moved between pages while they were read (offset paging over changing data)"
		if r.o.pagination != pagePage && r.o.pagination != pageOffset {
			cause = "the API counts records it did not serve, or records changed while they were read"
		}
		hint := ""
		if (disagree || r.disturbed && r.o.pagination == pageOffset) && r.o.keyFields == nil {
			// Offset paging compares each page's first records with the
			// page before by identity: a field that changes on every
			// request makes every record new, so every pass looks shifted.
			hint = "; if the records carry a field that changes on every request (a query time such as 查询时间, a per-page 序号, a signed link), " +
				"set key_fields to the record's own number"
		}
		r.err = r.s.c.errorf(r.s.name, 0, fmt.Errorf("%s, after %s: %s; the watermark was not moved. Use cursor or keyset paging (README)%s",
			strings.Join(why, "; "), plural(int64(r.pass), "pass", "passes"), cause, hint))
		return r.err
	}
	r.eof = true
	r.s.publish(r.marks.max)
	return nil
}

// settle sorts the pass's pairs and returns the set of its identities
// (sorted, distinct) and those it read with two contents.
func (r *reader) settle() (set, conflicts []uint64) {
	slices.SortFunc(r.cur, func(a, b idPair) int {
		if a.id != b.id {
			return cmpU64(a.id, b.id)
		}
		return cmpU64(a.content, b.content)
	})
	set = make([]uint64, 0, len(r.cur))
	for i, p := range r.cur {
		if i > 0 && r.cur[i-1].id == p.id {
			if r.cur[i-1].content != p.content && (len(conflicts) == 0 || conflicts[len(conflicts)-1] != p.id) {
				conflicts = append(conflicts, p.id)
			}
			continue
		}
		set = append(set, p.id)
	}
	return set, conflicts
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// setDiff counts the members of b not in a (gained) and of a not in b
// (lost); both are sorted and distinct.
func setDiff(a, b []uint64) (gained, lost int64) {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || i < len(a) && a[i] < b[j]:
			lost++
			i++
		case i == len(a) || b[j] < a[i]:
			gained++
			j++
		default:
			i++
			j++
		}
	}
	return gained, lost
}

// firstCommon reports whether two sorted lists share a member.
func firstCommon(a, b []uint64) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		switch {
		case a[i] < b[j]:
			i++
		case a[i] > b[j]:
			j++
		default:
			return true
		}
	}
	return false
}

// notUnique fails the read: key_fields gave two records with different
// content one identity, in one page or in two passes in a row, so it
// cannot tell them apart and a record skipped behind the other would go
// unnoticed.
func (r *reader) notUnique() error {
	r.err = r.s.c.errorf(r.s.name, 0, fmt.Errorf("key_fields [%s] is not unique: two records in one page/pass share it with different values; "+
		"set key_fields to the record's own number (记录编号, id)", strings.Join(r.o.keyFields, ", ")))
	return r.err
}

// checkKeyFields fails a read of records none of which had a key that
// key_fields names: a misspelt key would make every record's identity
// the same there, silently weakening the checks that count on it.
func (r *reader) checkKeyFields() error {
	if r.o.keyFields == nil || !r.track || r.pos == 0 {
		return nil
	}
	var missing []string
	for _, f := range r.o.keyFields {
		if c, ok := r.col[f]; !ok || c >= len(r.keySeen) || !r.keySeen[c] {
			missing = append(missing, f)
		}
	}
	if missing == nil {
		return nil
	}
	var seen []string
	for c, ok := range r.keySeen {
		if ok && len(seen) < 30 {
			seen = append(seen, r.header[c])
		}
	}
	r.err = r.s.c.errorf(r.s.name, 0, fmt.Errorf("key_fields names %s, which no record of the read had (their keys: %s); "+
		"correct key_fields: a key that is not there makes every record's identity the same there", strings.Join(missing, ", "), strings.Join(seen, ", ")))
	return r.err
}

// restart begins another pass over the source from its first page.
func (r *reader) restart() {
	r.pass++
	r.pages = 0
	r.pageNo = r.o.firstPage
	r.offset, r.cursor, r.next = 0, "", nil
	r.done = false
	r.hasLast, r.disturbed = false, false
	r.prevPage = r.prevPage[:0]
	// The first page of a pass may well repeat the last of the one before.
	r.prevHash, r.prevN, r.maxBefore = 0, 0, 0
	r.n, r.i = 0, 0
}

// Notes says what the read could not use or had to do: records whose
// watermark_field is after the sync's start, empty or not a time; a
// saved watermark dropped; passes read again. Complete after io.EOF.
func (r *reader) Notes() []connectors.Note {
	var notes []connectors.Note
	if r.reset != nil {
		notes = append(notes, *r.reset)
	}
	if r.pass > 1 && (r.short > 0 || r.found > 0 || r.disagreed || r.pass > 2 || !r.o.verify) {
		// A verify pass that agrees with the first is routine: no note.
		var why []string
		if r.short > 0 {
			why = append(why, fmt.Sprintf("the first pass came up %s short of the %d the API reports at %s",
				plural(r.short, "record", "records"), r.total, strings.Join(r.o.totalPath, ".")))
		}
		if r.found > 0 {
			why = append(why, fmt.Sprintf("the passes after the first found %s that the passes before them had skipped",
				plural(r.found, "record", "records")))
		}
		if r.shifted > 0 {
			why = append(why, fmt.Sprintf("%s found the list shifted between two page requests (records deleted or moved before a page boundary)",
				plural(int64(r.shifted), "pass", "passes")))
		}
		if len(why) == 0 {
			why = append(why, "the passes did not agree on the records read (records deleted, edited or moved while they were read)")
		}
		notes = append(notes, connectors.Note{Code: connectors.NoteReread, Count: int64(r.pass - 1), Text: fmt.Sprintf(
			"%s (records moved between pages while they were read): read again from the first page, %s; "+
				"a later pass hands out only records the passes before it had not read",
			strings.Join(why, "; "), plural(int64(r.pass-1), "more pass", "more passes"))})
	}
	if r.eof && r.o.totalPath != nil && r.hasTotal && int64(len(r.ids)) > r.total {
		got := int64(len(r.ids))
		also := ""
		if r.o.keyFields == nil {
			also = ", or records were edited while read (counted as whole records, an edited record counts twice: set key_fields to a record number)"
		}
		notes = append(notes, connectors.Note{Code: connectors.NoteTotalBelowRead, Count: got, Text: fmt.Sprintf(
			"read %d distinct records, more than the %d the API reports at %s: total_path may not hold the total "+
				"(a page's own count?), and then it cannot show records missing%s; check total_path against a response",
			got, r.total, strings.Join(r.o.totalPath, "."), also)})
	}
	field := r.o.watermarkField
	w := &r.marks
	if w.nFuture > 0 {
		notes = append(notes, connectors.Note{Code: connectors.NoteFutureWatermark, Count: w.nFuture, Text: fmt.Sprintf(
			"%s with %s after the sync's start (greatest %s): loaded, not used as the watermark",
			plural(w.nFuture, "record", "records"), field, shorten(w.future.raw, 40))})
	}
	if w.nNull > 0 {
		notes = append(notes, connectors.Note{Code: connectors.NoteNullWatermark, Count: w.nNull, Text: fmt.Sprintf(
			"%s with no %s (null or empty): loaded, but an incremental read's %s filter never matches them again; a reconcile re-reads them",
			plural(w.nNull, "record", "records"), field, r.o.watermarkParam)})
	}
	if w.nBad > 0 {
		notes = append(notes, connectors.Note{Code: connectors.NoteBadWatermark, Count: w.nBad, Text: fmt.Sprintf(
			"%s whose %s is not a time (RFC 3339, YYYY-MM-DD HH:MM:SS or YYYY-MM-DD): loaded, not used as the watermark",
			plural(w.nBad, "record", "records"), field)})
	}
	return notes
}

// plural writes n with the word that goes with it.
func plural(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// Close stops any request in flight. It is safe to call twice.
func (r *reader) Close() error {
	r.closed = true
	r.cancel()
	r.cells, r.kinds, r.kindBuf, r.pairs, r.vals, r.ids = nil, nil, nil, nil, nil, nil
	r.cur, r.prev, r.pagePairs, r.passNew = nil, nil, nil, nil
	return nil
}

// fail records err as the reader's final error, named by source, stream
// and page (and pass, on a re-read).
func (r *reader) fail(err error) error {
	if r.pass > 1 {
		err = fmt.Errorf("re-reading (pass %d): %w", r.pass, err)
	}
	r.err = r.s.c.errorf(r.s.name, r.pages, err)
	return r.err
}

// fetchPage requests the next page, parses its records and works out what
// the following request asks for.
func (r *reader) fetchPage() error {
	if r.pages >= r.o.maxPages {
		grew := ""
		if n := r.marks.nFuture; n > 0 {
			grew = fmt.Sprintf(" (%s with %s after the read's start were read)", plural(n, "record", "records"), r.o.watermarkField)
		}
		// No pass ends at records newer than the read's start: a list
		// sorted by something else (an id) may hold a block of future
		// dates (9999-12-31 placeholders) with older records after it.
		r.err = r.s.c.errorf(r.s.name, 0, fmt.Errorf("stopped after max_pages (%d) pages with more to come: the list kept growing while it was read%s, "+
			"or the source is larger than max_pages pages; use cursor paging, or a smaller window (a lookback or a watermark_param range) "+
			"so that a read ends before the list grows a page, or raise max_pages if the source is really that large", r.o.maxPages, grew))
		return r.err
	}
	r.pages++
	req := r.request()
	body, ctype, err := r.s.c.fetch.get(r.ctx, req, r.s.creds)
	if err != nil {
		var se *statusError
		if errors.As(err, &se) && se.code == 400 && r.unaligned() {
			if !r.overlap && r.prevN > 0 && r.prevN < r.o.pageSize && (r.offset-r.prevN)%r.o.pageSize == 0 {
				// overlap: false, an API that takes only aligned offsets:
				// the closing request after a short page is not aligned,
				// and the short page was the end (verify checks the rest).
				r.n, r.i = 0, 0
				r.done = true
				return nil
			}
			if r.overlap {
				err = fmt.Errorf("%w; %s", err, alignHint)
			}
		}
		return r.fail(err)
	}
	if body, err = decodeBody(body, ctype, r.o.encoding); err != nil {
		return r.fail(err)
	}
	if off, err := syntaxError(body); off >= 0 {
		return r.fail(fmt.Errorf("invalid JSON at byte %d of %d: %v", off, len(body), err))
	}
	if err := r.checkStatus(body); err != nil {
		return r.fail(err)
	}
	start, missing, err := r.records(body)
	if err != nil {
		return r.fail(err)
	}
	if missing && r.o.statusPath == nil {
		// No records path: judged as an empty page; before any page with
		// records, a body that is not empty where the records would be
		// and holds an array somewhere is more likely a wrong records
		// option than the end.
		if perr := r.judgeEmpty(body); perr != nil {
			return r.fail(perr)
		}
		// A response holding no array at all ({"code":200,"msg":"成功"},
		// {"data":{"total":0}}) has no records to be misplaced.
		if r.baseline == nil && !emptyParent(body, r.o.records) && hasArray(body, 0, 3) {
			return r.fail(fmt.Errorf("the response has no %s (its top-level keys: %s); if this is how the API says there are no records, set status_path and success",
				strings.Join(r.o.records, "."), strings.Join(topKeys(body), ", ")))
		}
	}
	n, end := 0, 0
	if start >= 0 {
		if n, end, err = r.parse(body, start); err != nil {
			return r.fail(err)
		}
	}
	if n == 0 && !missing {
		if perr := r.judgeEmpty(body); perr != nil {
			return r.fail(perr)
		}
	}
	if err := r.readTotal(body); err != nil {
		return r.fail(err)
	}
	if n > 0 {
		h := maphash.Bytes(r.seed, body[start:end])
		if n == r.prevN && h == r.prevHash {
			if r.shortRepeat(n) {
				// The data ended at the page repeated, and a record added
				// before it since pushed its last record here: the end of
				// the data (a verify pass checks that nothing is missing).
				r.n, r.i = 0, 0
				r.done = true
				return nil
			}
			hint := ""
			if r.overlap && r.unaligned() {
				hint = "; " + alignHint
			}
			return r.fail(fmt.Errorf("the page repeats the %d records of page %d; the source's paging is broken (a cursor or page parameter it ignores?)%s", n, r.pages-1, hint))
		}
		r.maxBefore = max(r.maxBefore, r.prevN)
		prevN := r.prevN
		r.prevHash, r.prevN = h, n
		r.rememberBaseline(body, start, end)
		if err := r.checkCap(prevN, body, start); err != nil {
			return r.fail(err)
		}
	}
	from := r.overlapCheck(n)
	var dupes map[uint64]struct{}
	if r.disturbed && r.pass == 1 && r.overlap && n > 0 {
		// The page that shows the disturbance may repeat records this
		// pass read (a record moved among ties): not handed out twice.
		// (Later passes skip what the read has already.)
		dupes = make(map[uint64]struct{}, len(r.ids))
		for _, v := range r.ids {
			dupes[v] = struct{}{}
		}
	}
	if err := r.accept(from, n, dupes); err != nil {
		return err
	}
	if err := r.advance(body, req.url, n); err != nil {
		return r.fail(err)
	}
	return nil
}

// alignHint is added to a failure of a request whose offset is not a
// multiple of page_size.
const alignHint = "if the API takes only offsets that are multiples of page_size, set overlap: false"

// unaligned reports whether the request just made, in offset paging,
// asked for an offset that is not a multiple of page_size (as the
// overlap does): an API that takes only aligned offsets rounds it down
// (the page repeats) or rejects it (HTTP 400).
func (r *reader) unaligned() bool {
	return r.o.pagination == pageOffset && r.o.pageSize > 0 && r.offset%r.o.pageSize != 0
}

// checkCap is page paging's check of a server that caps the page size:
// a page after a short one (fewer records than page_size) that is not
// empty means the short page was not the end. A server that counts its
// pages by the size it serves (page N from (N-1)×M) is read in full; one
// that counts them by the size asked for (page N from (N-1)×page_size)
// skips the records between, with status ok. To tell them apart, the
// page is asked for again with the short page's size: the same first
// record, and the server counts by what it serves (the read goes on, not
// asking again); another, and the read fails, saying which page_size to
// set. prevN is the records of the page before (0: none in this pass).
func (r *reader) checkCap(prevN int, body []byte, start int) error {
	if r.o.pagination != pagePage || r.capOK || prevN == 0 || prevN >= r.o.pageSize {
		return nil
	}
	rec, ok := firstRecord(body, start)
	if !ok {
		return nil
	}
	first := maphash.Bytes(r.seed, rec)
	req := r.requestSized(prevN)
	pbody, ctype, err := r.s.c.fetch.get(r.ctx, req, r.s.creds)
	if err != nil {
		return fmt.Errorf("asking page %d again with page size %d (the page before had %d records of page_size %d): %w", r.pageNo, prevN, prevN, r.o.pageSize, err)
	}
	if pbody, err = decodeBody(pbody, ctype, r.o.encoding); err != nil {
		return err
	}
	same := false
	if off, _ := syntaxError(pbody); off < 0 {
		if ps, missing, err := r.records(pbody); err == nil && !missing && ps >= 0 {
			if pf, ok := firstRecord(pbody, ps); ok {
				same = maphash.Bytes(r.seed, pf) == first
			}
		}
	}
	if same {
		r.capOK = true
		return nil
	}
	return fmt.Errorf("page %d had %d records of page_size %d and more came after it: the server caps the page size but counts pages at %d, "+
		"so the records between were skipped; set page_size: %d", r.pageNo-1, prevN, r.o.pageSize, r.o.pageSize, prevN)
}

// firstRecord is the first element of the array at body[start]; ok is
// false when it is empty.
func firstRecord(body []byte, start int) (rec []byte, ok bool) {
	i := jsonscan.SkipSpace(body, start+1)
	if i >= len(body) || body[i] == ']' {
		return nil, false
	}
	return body[i:jsonscan.ValueEnd(body, i)], true
}

// shortRepeat reports whether a page repeating the one before it, of n
// records, repeats a short page in page or offset paging: fewer records
// than page_size and than a page before it had. That page was the end of
// the data when it was read; a record added before it since pushed its
// last records a place further, where the next request finds them again.
// A full page repeated is a paging parameter the source ignores, and so
// is the first page of a pass repeated: a server that caps the page size
// below page_size serves only "short" pages, and its first page cannot be
// told from a last one.
func (r *reader) shortRepeat(n int) bool {
	if r.o.pagination != pagePage && r.o.pagination != pageOffset {
		return false
	}
	return n < r.o.pageSize && n < r.maxBefore
}

// request builds the next page's request. Paging and watermark values go
// in the body when its template names them, else in the query string.
func (r *reader) request() request { return r.requestSized(r.o.pageSize) }

// requestSized builds the next page's request asking for size records.
func (r *reader) requestSized(pageSize int) request {
	o := r.o
	v := vars{page: r.pageNo, pageSize: pageSize, offset: r.offset, cursor: r.cursor, watermark: r.since}
	req := request{method: o.method}
	if o.body != nil {
		req.body = o.body.render(v)
	}
	if r.next != nil { // a next link is followed as given
		req.url = r.next
		return req
	}
	u := *o.url
	q := u.Query()
	set := func(name, placeholder, value string) {
		if o.body == nil || !o.body.uses[placeholder] {
			q.Set(name, value)
		}
	}
	if o.watermarkParam != "" && r.since != "" {
		set(o.watermarkParam, phWatermark, r.since)
	}
	size := strconv.Itoa(pageSize)
	switch o.pagination {
	case pagePage:
		set(o.pageParam, phPage, strconv.Itoa(r.pageNo))
		set(o.sizeParam, phPageSize, size)
	case pageOffset:
		set(o.offsetParam, phOffset, strconv.Itoa(r.offset))
		set(o.sizeParam, phPageSize, size)
	case pageCursor:
		if r.cursor != "" {
			set(o.cursorParam, phCursor, r.cursor)
		}
		set(o.sizeParam, phPageSize, size)
	case pageNextLink:
		set(o.sizeParam, phPageSize, size)
	}
	u.RawQuery = q.Encode()
	req.url = &u
	return req
}

// records finds the start of the records array, or -1 when the path
// holds null (no records). missing reports a response without the path,
// or with {} or "" there (start is then -1): with status_path (checked
// already) that is a page without records; without, judgeEmpty decides.
func (r *reader) records(body []byte) (start int, missing bool, err error) {
	if len(r.o.records) == 0 {
		start = jsonscan.SkipSpace(body, 0)
		if body[start] != '[' {
			return 0, false, fmt.Errorf("the response is %s, not an array of records; set records to the path of the array (its top-level keys: %s)",
				jsonscan.KindOf(body[start]), strings.Join(topKeys(body), ", "))
		}
		return start, false, nil
	}
	path := strings.Join(r.o.records, ".")
	start, end, found := lookup(body, r.o.records)
	switch {
	case !found:
		return -1, true, nil
	case body[start] == 'n':
		return -1, false, nil
	case body[start] != '[':
		if body[start] == '{' && jsonscan.SkipSpace(body, start+1) == end-1 || body[start] == '"' && end-start == 2 {
			return -1, true, nil
		}
		return 0, false, fmt.Errorf("%s is %s, not an array of records", path, jsonscan.KindOf(body[start]))
	}
	return start, false, nil
}

// parse reads the records of the array at body[start] into the page's
// rows and returns how many there are and where the array ends. Each
// record's values share one string, so a page costs few allocations.
func (r *reader) parse(body []byte, start int) (n, end int, err error) {
	r.pairs = r.pairs[:0]
	ends := r.bounds[:0]
	r.pageIDs = r.pageIDs[:0]
	numbers := false
	var key []byte
	end, err = eachElement(body, start, func(s int) (int, error) {
		if body[s] != '{' {
			return 0, fmt.Errorf("record %d (at byte %d) is %s, not an object", len(ends)+1, s, jsonscan.KindOf(body[s]))
		}
		first := len(r.pairs)
		r.vals = r.vals[:0]
		r.offs = r.offs[:0]
		e := eachMember(body, s, func(m member) bool {
			k := m.key
			if m.escaped {
				key = appendUnquoted(key[:0], m.key)
				k = key
			}
			c, ok := r.col[string(k)]
			if !ok {
				c = len(r.header)
				name := string(k)
				r.header = append(r.header, name)
				r.col[name] = c
			}
			kind := connectors.KindText
			if v := body[m.start]; v == '-' || v >= '0' && v <= '9' {
				kind = numberKind(body[m.start:m.end])
				numbers = numbers || kind != connectors.KindText
			}
			r.offs = append(r.offs, len(r.vals))
			r.vals = appendValue(r.vals, body, m.start, m.end)
			r.pairs = append(r.pairs, pair{col: c, kind: kind})
			return true
		})
		all := string(r.vals)
		for j := first; j < len(r.pairs); j++ {
			hi := len(all)
			if j+1 < len(r.pairs) {
				hi = r.offs[j-first+1]
			}
			r.pairs[j].val = all[r.offs[j-first]:hi]
		}
		if r.track {
			r.pageIDs = append(r.pageIDs, maphash.Bytes(r.seed, body[s:e]))
		}
		ends = append(ends, len(r.pairs))
		return e, nil
	})
	r.bounds = ends
	if err != nil {
		return 0, 0, err
	}
	n = len(ends)
	r.width = len(r.header)
	need := n * r.width
	if cap(r.cells) >= need {
		r.cells = r.cells[:need]
		clear(r.cells)
	} else {
		r.cells = make([]string, need)
	}
	// Kinds only for a page that has a number with a fraction or an
	// exponent; a page without keeps nil (all text), never the last
	// page's kinds.
	var kinds []connectors.CellKind
	if numbers {
		if cap(r.kindBuf) >= need {
			kinds = r.kindBuf[:need]
			clear(kinds)
		} else {
			kinds = make([]connectors.CellKind, need)
			r.kindBuf = kinds
		}
	}
	r.kinds = kinds
	lo := 0
	for rec, hi := range ends {
		row := r.cells[rec*r.width : (rec+1)*r.width]
		for _, p := range r.pairs[lo:hi] {
			row[p.col] = p.val
			if kinds != nil {
				kinds[rec*r.width+p.col] = p.kind
			}
		}
		lo = hi
	}
	if r.o.keyFields != nil && r.track {
		r.markKeys()
	}
	return n, end, nil
}

// recID is the identity of the page's record rec: its key_fields values,
// else (or with any of them empty) the hash of its whole content.
func (r *reader) recID(rec int) uint64 {
	id := r.pageIDs[rec]
	if r.o.keyFields != nil {
		if k, ok := r.keyID(r.cells[rec*r.width : (rec+1)*r.width]); ok {
			id = k
		}
	}
	return id
}

// overlapCheck compares, in offset paging with overlap, the start of a
// page asked for from the previous page's last record with the previous
// page. It returns the first record to take.
//
// The list did not shift before the boundary, or only to the right (k
// records inserted before it), when the page begins with a run of the
// previous page's tail, in the same order, ending exactly at its last
// record: k+1 records equal to the previous page's last k+1. They are
// dropped (read already), and the records after them are new to the
// pass. Anything else (the last record absent, or present but what comes
// before it not the previous page's tail in order) means records were
// deleted before the boundary, or changed places among themselves (ties
// in the sort key served in physical order, an edit in an ascending
// list): records may have been skipped, and the pass is disturbed.
func (r *reader) overlapCheck(n int) (from int) {
	if !r.overlap {
		return 0
	}
	r.thisPage = r.thisPage[:0]
	for rec := range n {
		r.thisPage = append(r.thisPage, r.recID(rec))
	}
	if !r.hasLast || n == 0 {
		return 0
	}
	prev, page := r.prevPage, r.thisPage
	last := prev[len(prev)-1]
	for j := 0; j < n && j < len(prev); j++ {
		if page[j] == last && slices.Equal(page[:j+1], prev[len(prev)-1-j:]) {
			return j + 1
		}
	}
	if !r.disturbed {
		r.disturbed, r.shiftAt = true, r.offset
	}
	return 0
}

// accept makes the n records parse read the page's rows from rec from on
// (1 skips an overlap record): it numbers them, tallies their watermark
// values and, with total_path, verify or offset paging, their identities,
// and on a pass after the first marks which are handed out (records no
// earlier pass read); dupes are records this pass read already, not
// handed out again.
func (r *reader) accept(from, n int, dupes map[uint64]struct{}) error {
	r.base = r.pos - int64(from)
	r.pos += int64(n - from)
	r.n, r.i = n, from
	r.emit = nil
	wmCol := -1
	if f := r.o.watermarkField; f != "" {
		if c, ok := r.col[f]; ok {
			wmCol = c
		}
	}
	keyed := r.track && r.o.keyFields != nil
	if keyed {
		r.pagePairs = r.pagePairs[:0]
	}
	for rec := from; rec < n; rec++ {
		row := r.cells[rec*r.width : (rec+1)*r.width]
		wm := ""
		if wmCol >= 0 {
			wm = row[wmCol]
		}
		if !r.track {
			r.observe(wm, true)
			continue
		}
		content := r.pageIDs[rec]
		id := content
		if keyed {
			if k, ok := r.keyID(row); ok {
				id = k
			}
			r.pagePairs = append(r.pagePairs, idPair{id, content})
		}
		if r.pass > 1 || dupes != nil {
			if r.emit == nil {
				if cap(r.emitBuf) < n {
					r.emitBuf = make([]bool, n)
				}
				r.emit = r.emitBuf[:n]
				clear(r.emit)
			}
		}
		if dupes != nil {
			if _, ok := dupes[id]; ok {
				continue // read already in this pass
			}
		}
		after := r.after(wm)
		if !after {
			r.cur = append(r.cur, idPair{id, content})
		}
		if r.pass == 1 {
			if r.emit != nil {
				r.emit[rec] = true
			}
			r.ids = append(r.ids, id)
			r.observe(wm, true)
			continue
		}
		if _, ok := slices.BinarySearch(r.ids[:r.sorted], id); ok {
			continue // read by an earlier pass
		}
		if _, ok := r.passNew[id]; ok {
			continue // already handed out in this pass
		}
		if r.passNew == nil {
			r.passNew = map[uint64]struct{}{}
		}
		r.passNew[id] = struct{}{}
		r.ids = append(r.ids, id)
		r.emit[rec] = true
		if r.o.verify && !after {
			r.found++ // skipped by the passes before
		}
		// A record after T0 (a new arrival) is handed out but does not
		// move the watermark: the next sync reads it again, and anything
		// this pass skipped around it.
		r.observe(wm, !after)
	}
	if keyed && samePageConflict(r.pagePairs) {
		return r.notUnique()
	}
	return nil
}

// samePageConflict reports whether one page has two records with the
// same identity and different content: a page is one response, so that
// is no edit made while the source was read, but a key that is not
// unique. pairs is sorted in place.
func samePageConflict(pairs []idPair) bool {
	slices.SortFunc(pairs, func(a, b idPair) int {
		if a.id != b.id {
			return cmpU64(a.id, b.id)
		}
		return cmpU64(a.content, b.content)
	})
	for i := 1; i < len(pairs); i++ {
		if pairs[i].id == pairs[i-1].id && pairs[i].content != pairs[i-1].content {
			return true
		}
	}
	return false
}

// observe tallies a record's watermark_field value when the source has
// one.
func (r *reader) observe(val string, mayMove bool) {
	if r.o.watermarkField != "" {
		r.marks.observe(val, mayMove)
	}
}

// after reports whether, with verify, a record's watermark value lies
// after T0, the greatest the first pass read: a new arrival, left out of
// the passes' comparison and not used as the watermark. In the first pass that is a value after the sync's start
// (T0 is the greatest value not after it). A value that is not a time,
// or none, is not after T0.
func (r *reader) after(val string) bool {
	if !r.o.verify || r.o.watermarkField == "" || strings.TrimSpace(val) == "" {
		return false
	}
	m, ok := parseMark(val, r.marks.loc)
	if !ok {
		return false
	}
	if r.pass == 1 {
		return r.marks.clock.future(m)
	}
	return r.bound.set && m.t.After(r.bound.m.t)
}

// markKeys marks the columns the page's records had, for checkKeyFields.
func (r *reader) markKeys() {
	if len(r.keySeen) < len(r.header) {
		r.keySeen = append(r.keySeen, make([]bool, len(r.header)-len(r.keySeen))...)
	}
	for _, p := range r.pairs {
		r.keySeen[p.col] = true
	}
}

// numberKind is the kind of a number literal, as connectors/file's JSON
// reader decides it: KindNumber with a fraction or an exponent (its
// writer may have held it in a floating-point number, which keeps 15
// significant digits: an identifier that went through one is damaged,
// and the dataset layer judges), KindText for an integer, which is exact
// as written.
func numberKind(lit []byte) connectors.CellKind {
	for _, c := range lit {
		if c == '.' || c == 'e' || c == 'E' {
			return connectors.KindNumber
		}
	}
	return connectors.KindText
}

// keyID is a record's identity under key_fields: a hash of those values.
// ok is false when any of them is empty, null or missing: records
// without their key would all share one identity there, and one skipped
// behind another would go unnoticed, so such a record is identified by
// its whole content instead.
func (r *reader) keyID(row []string) (id uint64, ok bool) {
	b := r.idBuf[:0]
	for _, f := range r.o.keyFields {
		v := ""
		if c, found := r.col[f]; found && c < len(row) {
			v = row[c]
		}
		if strings.TrimSpace(v) == "" {
			return 0, false
		}
		b = binary.LittleEndian.AppendUint64(b, uint64(len(v)))
		b = append(b, v...)
	}
	r.idBuf = b
	return maphash.Bytes(r.seed, b), true
}

// advance works out the next request from the page just read, or marks
// the read done. An empty page ends the read in every style.
func (r *reader) advance(body []byte, at *url.URL, n int) error {
	o := r.o
	if n == 0 || o.pagination == pageNone {
		r.done = true
		return nil
	}
	switch o.pagination {
	case pagePage:
		r.pageNo++
	case pageOffset:
		// By what came, not by page_size: a server that caps the page
		// size still gets every record asked for. With overlap, the next
		// page is asked for from this one's last record.
		if !r.overlap {
			r.offset += n
			break
		}
		switch {
		case r.disturbed:
			r.done = true // read the source again
		case n == 1 && r.hasLast && r.i == 1:
			r.done = true // only the overlap record: the end
		case n >= 2:
			r.offset += n - 1
			r.hasLast = true
			r.prevPage, r.thisPage = r.thisPage, r.prevPage
		default:
			r.offset += n
			r.hasLast = false
		}
	case pageCursor:
		c := pathText(body, o.cursorPath)
		if c == "" {
			r.done = true
		}
		r.cursor = c
	case pageNextLink:
		link := pathText(body, o.nextPath)
		if link == "" {
			r.done = true
			return nil
		}
		u, err := at.Parse(link)
		if err != nil {
			return errors.New("the next link is not a valid URL")
		}
		if u.Scheme != o.url.Scheme || u.Host != o.url.Host {
			return fmt.Errorf("the next link leads to %s://%s, not %s://%s; not followed, so that credentials go only to the configured host",
				u.Scheme, u.Host, o.url.Scheme, o.url.Host)
		}
		r.next = u
	}
	return nil
}

// pathText is the text at a dotted path, "" when missing or null.
func pathText(body []byte, path []string) string {
	s, e, ok := lookup(body, path)
	if !ok {
		return ""
	}
	return scalarText(body, s, e)
}
