package httpapi

import (
	"context"
	"errors"
	"fmt"
	"github.com/lipwatch/lipwatch/connectors/internal/jsonscan"
	"hash/maphash"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
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
	pages  int      // pages fetched so far
	pageNo int      // pagination page
	offset int      // pagination offset
	cursor string   // pagination cursor; "" on the first request
	next   *url.URL // pagination next_link; nil on the first request
	done   bool     // the last page has been fetched

	// The previous non-empty page, to catch a source serving it again.
	seed     maphash.Seed
	prevHash uint64
	prevN    int

	// The current page's rows: n rows of width cells each.
	cells []string
	width int
	n, i  int
	pos   int64

	// Scratch space reused from page to page.
	pairs  []pair
	vals   []byte
	offs   []int
	bounds []int

	err    error // sticky: once failed, always failed
	closed bool
}

// pair is one record member: its column and value.
type pair struct {
	col int
	val string
}

func newReader(ctx context.Context, s *stream, since string) *reader {
	ctx, cancel := context.WithCancel(ctx)
	r := &reader{
		ctx: ctx, cancel: cancel, s: s, o: &s.c.opts, since: since,
		col:    map[string]int{},
		pageNo: s.c.opts.firstPage,
		seed:   maphash.MakeSeed(),
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
	for r.i >= r.n {
		if r.done {
			return connectors.Row{}, io.EOF
		}
		if err := r.fetchPage(); err != nil {
			return connectors.Row{}, err
		}
	}
	lo := r.i * r.width
	r.i++
	r.pos++
	return connectors.Row{Pos: r.pos, Values: r.cells[lo : lo+r.width : lo+r.width]}, nil
}

// Close stops any request in flight. It is safe to call twice.
func (r *reader) Close() error {
	r.closed = true
	r.cancel()
	r.cells, r.pairs, r.vals = nil, nil, nil
	return nil
}

// fail records err as the reader's final error, named by source, stream
// and page.
func (r *reader) fail(err error) error {
	r.err = r.s.c.errorf(r.s.name, r.pages, err)
	return r.err
}

// fetchPage requests the next page, parses its records and works out what
// the following request asks for.
func (r *reader) fetchPage() error {
	if r.pages >= r.o.maxPages {
		r.err = r.s.c.errorf(r.s.name, 0, fmt.Errorf("stopped after max_pages (%d) pages with more to come; raise max_pages if the source is really that large", r.o.maxPages))
		return r.err
	}
	r.pages++
	req := r.request()
	body, err := r.s.c.fetch.get(r.ctx, req, r.s.creds)
	if err != nil {
		return r.fail(err)
	}
	if off, err := syntaxError(body); off >= 0 {
		return r.fail(fmt.Errorf("invalid JSON at byte %d of %d: %v", off, len(body), err))
	}
	start, err := r.records(body)
	if err != nil {
		return r.fail(err)
	}
	n, end := 0, 0
	if start >= 0 {
		if n, end, err = r.parse(body, start); err != nil {
			return r.fail(err)
		}
	} else {
		r.n, r.i = 0, 0
	}
	if n > 0 {
		h := maphash.Bytes(r.seed, body[start:end])
		if n == r.prevN && h == r.prevHash {
			return r.fail(fmt.Errorf("the page repeats the %d records of page %d; the source's paging is broken (a cursor or page parameter it ignores?)", n, r.pages-1))
		}
		r.prevHash, r.prevN = h, n
	}
	if err := r.advance(body, req.url, n); err != nil {
		return r.fail(err)
	}
	return nil
}

// request builds the next page's request. Paging and watermark values go
// in the body when its template names them, else in the query string.
func (r *reader) request() request {
	o := r.o
	v := vars{page: r.pageNo, pageSize: o.pageSize, offset: r.offset, cursor: r.cursor, watermark: r.since}
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
	size := strconv.Itoa(o.pageSize)
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
// holds null (no records).
func (r *reader) records(body []byte) (start int, err error) {
	if len(r.o.records) == 0 {
		start = jsonscan.SkipSpace(body, 0)
		if body[start] != '[' {
			return 0, fmt.Errorf("the response is %s, not an array of records; set records to the path of the array (its top-level keys: %s)",
				kindOf(body[start]), strings.Join(topKeys(body), ", "))
		}
		return start, nil
	}
	path := strings.Join(r.o.records, ".")
	start, _, found := lookup(body, r.o.records)
	switch {
	case !found:
		return 0, fmt.Errorf("the response has no %s (its top-level keys: %s)", path, strings.Join(topKeys(body), ", "))
	case body[start] == 'n':
		return -1, nil
	case body[start] != '[':
		return 0, fmt.Errorf("%s is %s, not an array of records", path, kindOf(body[start]))
	}
	return start, nil
}

// parse reads the records of the array at body[start] into the page's
// rows and returns how many there are and where the array ends. Each
// record's values share one string, so a page costs few allocations.
func (r *reader) parse(body []byte, start int) (n, end int, err error) {
	r.pairs = r.pairs[:0]
	ends := r.bounds[:0]
	var mark maxMark
	wmField := r.o.watermarkField
	var key []byte
	end, err = eachElement(body, start, func(s int) (int, error) {
		if body[s] != '{' {
			return 0, fmt.Errorf("record %d (at byte %d) is %s, not an object", len(ends)+1, s, kindOf(body[s]))
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
			r.offs = append(r.offs, len(r.vals))
			r.vals = appendValue(r.vals, body, m.start, m.end)
			r.pairs = append(r.pairs, pair{col: c})
			return true
		})
		all := string(r.vals)
		wmCol := -1
		if wmField != "" {
			if c, ok := r.col[wmField]; ok {
				wmCol = c
			}
		}
		for j := first; j < len(r.pairs); j++ {
			hi := len(all)
			if j+1 < len(r.pairs) {
				hi = r.offs[j-first+1]
			}
			r.pairs[j].val = all[r.offs[j-first]:hi]
			if r.pairs[j].col == wmCol {
				mark.observe(r.pairs[j].val)
			}
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
	if need := n * r.width; cap(r.cells) >= need {
		r.cells = r.cells[:need]
		clear(r.cells)
	} else {
		r.cells = make([]string, need)
	}
	lo := 0
	for rec, hi := range ends {
		row := r.cells[rec*r.width : (rec+1)*r.width]
		for _, p := range r.pairs[lo:hi] {
			row[p.col] = p.val
		}
		lo = hi
	}
	r.n, r.i = n, 0
	r.s.observe(mark)
	return n, end, nil
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
		// size still gets every record asked for.
		r.offset += n
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
