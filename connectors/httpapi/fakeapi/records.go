package fakeapi

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// record is one record, encoded once when added or updated.
type record struct {
	m       map[string]any // as added, for Update
	raw     []byte         // the JSON object, keys in Options.Fields order
	updated time.Time
	dated   bool // updated holds the UpdatedField's value
}

// Add appends records, as a department's new entries appear.
func (h *Handler) Add(records ...map[string]any) {
	enc := make([]record, 0, len(records))
	for _, m := range records {
		enc = append(enc, h.encode(m))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.records = append(h.records, enc...)
}

// Replace serves records instead of those held so far.
func (h *Handler) Replace(records []map[string]any) {
	h.mu.Lock()
	h.records = nil
	h.mu.Unlock()
	h.Add(records...)
}

// Update changes record i (0-based, in the order added): the fields in
// changes replace the record's, and a nil value removes the field. With
// Options.Order the record moves to its new place, as a record edited in
// a department's system does.
func (h *Handler) Update(i int, changes map[string]any) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := make(map[string]any, len(h.records[i].m)+len(changes))
	for k, v := range h.records[i].m {
		m[k] = v
	}
	for k, v := range changes {
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
	}
	// A copy: a page being served keeps the slice it took.
	recs := append([]record(nil), h.records...)
	recs[i] = h.encode(m)
	h.records = recs
}

// Delete removes record i (0-based, in the order added), as a record
// deleted in a department's system disappears from its list; the records
// after it move up one place, here and in the list served.
func (h *Handler) Delete(i int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	// A copy: a page being served keeps the slice it took.
	h.records = slices.Delete(slices.Clone(h.records), i, i+1)
}

// OnPage calls fn with the 1-based page number of every page served,
// after the page is put together and before it is sent: a change fn makes
// (Update, Add) shows from the next request on, "between two page
// requests". nil stops calling.
func (h *Handler) OnPage(fn func(page int)) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onPage = fn
}

// Len is the number of records held.
func (h *Handler) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.records)
}

// encode writes m as a JSON object, keys in the configured order, and
// reads its UpdatedField.
func (h *Handler) encode(m map[string]any) record {
	keys := make([]string, 0, len(m))
	for _, f := range h.opts.Fields {
		if _, ok := m[f]; ok {
			keys = append(keys, f)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(h.opts.Fields, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	keys = append(keys, rest...)
	var b bytes.Buffer
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		vb, err := json.Marshal(m[k])
		if err != nil {
			panic(fmt.Sprintf("fakeapi: record key %q: %v", k, err))
		}
		b.Write(vb)
	}
	b.WriteByte('}')
	rec := record{m: m, raw: b.Bytes()}
	if h.opts.UpdatedField != "" {
		if s, ok := m[h.opts.UpdatedField].(string); ok {
			rec.updated, rec.dated = parseTime(s)
		}
	}
	return rec
}

// parseTime reads a time written as the http connector's watermarks are.
func parseTime(s string) (time.Time, bool) {
	for _, l := range []string{time.RFC3339Nano, time.DateTime, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.Parse(l, strings.TrimSpace(s)); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// params are what a request asks for, from its query and JSON body.
type params struct {
	page, pageSize, offset int
	hasPage, hasSize       bool
	cursor, since          string
	body                   string
}

// readParams reads the query, then the JSON body of a POST, whose keys
// win.
func readParams(r *http.Request) (params, error) {
	var p params
	vals := map[string]string{}
	for k, v := range r.URL.Query() {
		if len(v) > 0 {
			vals[k] = v[0]
		}
	}
	if r.Method == http.MethodPost && r.Body != nil {
		b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return p, err
		}
		p.body = string(b)
		if len(bytes.TrimSpace(b)) > 0 {
			var m map[string]any
			d := json.NewDecoder(bytes.NewReader(b))
			d.UseNumber()
			if err := d.Decode(&m); err != nil {
				return p, fmt.Errorf("body: %v", err)
			}
			for k, v := range m {
				switch x := v.(type) {
				case nil:
					delete(vals, k)
				case string:
					vals[k] = x
				case json.Number:
					vals[k] = x.String()
				default:
					return p, fmt.Errorf("body: %s: want a string or a number", k)
				}
			}
		}
	}
	num := func(name string, dst *int, has *bool) error {
		s, ok := vals[name]
		if !ok || s == "" {
			return nil
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return fmt.Errorf("%s: want a whole number, got %q", name, s)
		}
		*dst = n
		if has != nil {
			*has = true
		}
		return nil
	}
	if err := errors.Join(num("page", &p.page, &p.hasPage), num("page_size", &p.pageSize, &p.hasSize), num("offset", &p.offset, nil)); err != nil {
		return p, err
	}
	p.cursor, p.since = vals["cursor"], vals["updated_since"]
	return p, nil
}

// servePage answers with the page the request asks for.
// The page faults are those in force when the request arrived.
func (h *Handler) servePage(w http.ResponseWriter, r *http.Request, q params, logged int, f applied) {
	o := h.opts
	h.mu.Lock()
	all := h.records
	h.mu.Unlock()

	recs := all
	if q.since != "" && o.UpdatedField != "" {
		since, ok := parseTime(q.since)
		if !ok {
			writeError(w, http.StatusBadRequest, "updated_since: not a time")
			return
		}
		recs = nil
		for _, rec := range all {
			if !rec.dated || !rec.updated.Before(since) {
				recs = append(recs, rec)
			}
		}
	}
	if o.Order != "" {
		recs = sorted(recs, o.Order == "desc")
	}
	total := len(recs)
	limit := o.PageSize
	if q.hasSize && q.pageSize > 0 {
		limit = q.pageSize
	}
	if o.MaxPageSize > 0 && limit > o.MaxPageSize {
		limit = o.MaxPageSize
	}
	offset := 0
	switch o.Pagination {
	case Page:
		first := 1
		if o.ZeroBased {
			first = 0
		}
		p := first
		if q.hasPage {
			p = q.page
		}
		if p < first {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("page: pages start at %d", first))
			return
		}
		offset = (p - first) * limit
	case Offset, NextLink:
		offset = q.offset
	case Cursor:
		if q.cursor != "" {
			n, err := decodeCursor(q.cursor)
			if err != nil {
				writeError(w, http.StatusBadRequest, "cursor: not one of ours")
				return
			}
			offset = n
		}
	case None:
		limit = max(total, 1)
	}
	pageK := offset/limit + 1
	h.setPage(logged, pageK)

	from := offset
	if f.repeatPage >= 2 && pageK == f.repeatPage {
		from = max(offset-limit, 0)
	}
	items := recs[min(from, total):min(from+limit, total)]
	end := min(offset+limit, total)
	more := end < total && o.Pagination != None

	var b bytes.Buffer
	if o.BOM {
		b.WriteString("\uFEFF")
	}
	if !o.Bare {
		code := []byte("0")
		if o.Code != nil {
			code, _ = json.Marshal(o.Code)
		}
		fmt.Fprintf(&b, `{"code":%s,"msg":"ok","data":{"total":%d,"items":`, code, total+f.totalExtra)
	}
	b.WriteByte('[')
	for i, rec := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(rec.raw)
	}
	b.WriteByte(']')
	if !o.Bare {
		switch o.Pagination {
		case Cursor:
			b.WriteString(`,"next_cursor":`)
			if more {
				fmt.Fprintf(&b, "%q", encodeCursor(end))
			} else {
				b.WriteString("null")
			}
		case NextLink:
			b.WriteString(`,"next":`)
			if more {
				v := url.Values{"offset": {strconv.Itoa(end)}, "page_size": {strconv.Itoa(limit)}}
				if q.since != "" {
					v.Set("updated_since", q.since)
				}
				link, _ := json.Marshal(h.baseURL(r) + r.URL.Path + "?" + v.Encode())
				b.Write(link)
			} else {
				b.WriteString("null")
			}
		}
		b.WriteString("}}")
	}
	body := b.Bytes()
	if f.errorPage > 0 && pageK == f.errorPage {
		body = []byte(f.errorBody)
	}
	if f.truncatePage > 0 && pageK == f.truncatePage {
		body = body[:len(body)/2]
	}
	h.mu.Lock()
	hook := h.onPage
	h.mu.Unlock()
	if hook != nil {
		hook(pageK)
	}
	ctype, body, err := encodeBody(o, body)
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.Write(body)
}

// sorted returns recs ordered on their time, oldest or newest first;
// records without a time go last. recs is not changed.
func sorted(recs []record, desc bool) []record {
	out := slices.Clone(recs)
	slices.SortStableFunc(out, func(a, b record) int {
		switch {
		case a.dated != b.dated:
			if a.dated {
				return -1
			}
			return 1
		case desc:
			return b.updated.Compare(a.updated)
		}
		return a.updated.Compare(b.updated)
	})
	return out
}

// encodeBody encodes a UTF-8 body in Options.Charset and returns the
// Content-Type to send with it.
func encodeBody(o Options, body []byte) (string, []byte, error) {
	ctype := "application/json; charset=utf-8"
	var enc encoding.Encoding
	switch strings.ToLower(o.Charset) {
	case "", "utf-8":
	case "gbk":
		enc, ctype = simplifiedchinese.GBK, "application/json; charset=GBK"
	case "gb18030":
		enc, ctype = simplifiedchinese.GB18030, "application/json; charset=GB18030"
	case "big5":
		enc, ctype = traditionalchinese.Big5, "application/json; charset=Big5"
	default:
		return "", nil, fmt.Errorf("fakeapi: unknown charset %q", o.Charset)
	}
	if o.ContentType != "" {
		ctype = o.ContentType
	}
	if enc == nil {
		return ctype, body, nil
	}
	out, err := enc.NewEncoder().Bytes(body)
	return ctype, out, err
}

// Cursors are opaque to clients: the offset of the next record, encoded.
func encodeCursor(offset int) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(offset)))
}

func decodeCursor(c string) (int, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil || !bytes.HasPrefix(b, []byte("o:")) {
		return 0, errors.New("bad cursor")
	}
	return strconv.Atoi(string(b[2:]))
}
