package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// noteHas checks that the note with code holds part.
func noteHas(t *testing.T, notes []connectors.Note, code, part string) {
	t.Helper()
	for _, n := range notes {
		if n.Code == code {
			if !strings.Contains(n.Text, part) {
				t.Errorf("note %s: %q, want it to hold %q", code, n.Text, part)
			}
			return
		}
	}
	t.Errorf("no %s note in %+v", code, notes)
}

// withIDs gives each record its own number, id (the record's index).
func withIDs(recs []map[string]any, first int) []map[string]any {
	for i, r := range recs {
		r["id"] = first + i
	}
	return recs
}

// A record skipped by the first pass and by the verify pass too: a
// newest-first list of 9 (records 8 … 0), offset or page paging in pages
// of 2. Record 8 is deleted after pass 1's first page, so record 6 moves
// onto page 1 and pass 1 never reads it; a new record (9, newer than
// anything) arrives at the front before pass 2 and record 7 is deleted
// after pass 2's first page, so pass 2 skips record 6 as well. Pass 2
// found nothing new that is not after T0, which the old verify pass took
// for proof: record 6 was never read, status ok, the watermark past it.
// Now pass 2 disagrees with pass 1 (record 8 is gone), pass 3 reads
// record 6 and disagrees with pass 2 (record 7 gone, record 6 new), and
// pass 4 agrees with pass 3: every record read, the watermark at T0.
func TestVerifySkippedTwice(t *testing.T) {
	for _, style := range []string{fakeapi.Page} {
		for _, extra := range []connectors.Options{nil, {"total_path": "data.total", "key_fields": []any{"id"}}} {
			t.Run(fmt.Sprint(style, extra), func(t *testing.T) {
				srv := serve(t, withIDs(employment(9), 0), fakeapi.Options{Pagination: style, UpdatedField: "updated_at", Order: "desc"})
				var mu sync.Mutex
				calls := 0
				srv.OnPage(func(int) {
					mu.Lock()
					defer mu.Unlock()
					calls++
					switch calls {
					case 1: // pass 1, page 1 ([8 7]) served
						srv.Delete(8)
					case 5: // pass 1's closing (empty) request
						srv.Add(withIDs(employmentFrom(9, 1), 9)...)
					case 6: // pass 2, page 1 ([9 7]) served
						srv.Delete(7)
					}
				})
				o := pageOpts(srv, style, 2)
				o["watermark_param"], o["watermark_field"] = "updated_since", "updated_at"
				for k, v := range extra {
					o[k] = v
				}
				rows, header, mark, notes, err := incRead(t, newSource(t, o), "")
				if err != nil {
					t.Fatal(err)
				}
				haveIDs(t, header, rows, 8, 7, 5, 4, 3, 2, 1, 0, 9, 6)
				if mark != updatedAt(8) {
					t.Errorf("watermark %q, want T0 %q", mark, updatedAt(8))
				}
				if n := noteCount(notes, connectors.NoteReread); n != 3 {
					t.Errorf("notes %+v, want a reread note counting 3 passes", notes)
				}
				noteHas(t, notes, connectors.NoteReread, "the passes after the first found 1 record that the passes before them had skipped")
				if got := len(srv.Requests()); got != 20 {
					t.Errorf("%d requests, want 20 (four passes of five)", got)
				}
			})
		}
	}
}

// A quiet source is read twice: two passes that agree.
func TestVerifyQuietTwoPasses(t *testing.T) {
	srv := serve(t, employment(7), fakeapi.Options{Pagination: fakeapi.Page, UpdatedField: "updated_at", Order: "desc"})
	o := pageOpts(srv, fakeapi.Page, 3)
	o["watermark_param"], o["watermark_field"] = "updated_since", "updated_at"
	rows, _, mark, notes, err := incRead(t, newSource(t, o), "")
	if err != nil || len(rows) != 7 || len(notes) != 0 || mark != updatedAt(6) {
		t.Fatalf("%d rows, watermark %q, notes %+v, %v", len(rows), mark, notes, err)
	}
	if got := len(srv.Requests()); got != 8 {
		t.Errorf("%d requests, want 8 (two passes of four)", got)
	}
}

// Records deleted one per pass never let two passes agree: after four
// passes (reread 3) the read fails and the watermark stays.
func TestVerifyNeverAgrees(t *testing.T) {
	srv := serve(t, withIDs(employment(12), 0), fakeapi.Options{Pagination: fakeapi.Page, UpdatedField: "updated_at", Order: "asc"})
	var mu sync.Mutex
	deleted := 0
	srv.OnPage(func(page int) {
		mu.Lock()
		defer mu.Unlock()
		if page == 2 && deleted < 6 {
			srv.Delete(0) // the oldest left
			deleted++
		}
	})
	o := pageOpts(srv, fakeapi.Page, 3)
	o["watermark_param"], o["watermark_field"], o["key_fields"] = "updated_since", "updated_at", []any{"id"}
	const saved = "2026-02-01T00:00:00+08:00"
	_, _, mark, err := incSync(t, newSource(t, o), saved)
	connectortest.WantErr(t, err, "the last two passes did not agree on the records with updated_at not after the greatest the first pass read (pass 4 ",
		"records that pass 3 had read), after 4 passes: records moved between pages while they were read",
		"the watermark was not moved. Use cursor or keyset paging (README)")
	if err != nil && strings.Contains(err.Error(), "query time") {
		t.Errorf("with key_fields set the message should not suggest setting it: %v", err)
	}
	if mark != saved {
		t.Errorf("watermark %q after a failed read, want the saved %q", mark, saved)
	}
}

// key_fields whose value is empty, null or missing on some records: those
// records are identified by their whole content, not all by one empty
// key, so one skipped behind another is still seen. Ascending, record 1
// deleted and record 6 appended after page 1: record 3 (no 记录编号) is
// skipped by pass 1 and found by pass 2.
func TestKeyFieldsEmptyValues(t *testing.T) {
	for _, empty := range []any{"", nil, "missing"} {
		t.Run(fmt.Sprint(empty), func(t *testing.T) {
			recs := employment(6)
			for i, r := range recs {
				r["记录编号"] = fmt.Sprintf("R%03d", i)
				if i >= 2 && i <= 4 {
					r["记录编号"] = empty
					if empty == "missing" {
						delete(r, "记录编号")
					}
				}
			}
			srv := serve(t, recs, fakeapi.Options{Pagination: fakeapi.Page, UpdatedField: "updated_at", Order: "asc"})
			var once sync.Once
			srv.OnPage(func(page int) {
				if page == 1 {
					once.Do(func() {
						srv.Delete(1)
						add := employmentFrom(6, 1)
						add[0]["记录编号"] = "R006"
						srv.Add(add...)
					})
				}
			})
			o := pageOpts(srv, fakeapi.Page, 3)
			o["watermark_param"], o["watermark_field"], o["key_fields"] = "updated_since", "updated_at", []any{"记录编号"}
			rows, header, _, notes, err := incRead(t, newSource(t, o), "")
			if err != nil {
				t.Fatal(err)
			}
			haveIDs(t, header, rows, 0, 1, 2, 4, 5, 6, 3)
			noteHas(t, notes, connectors.NoteReread, "found 1 record that the passes before them had skipped")
		})
	}
}

// key_fields that is not unique (a person's ID number, and the person has
// two records): two records with the key and different content on one
// page fail the read at once; on different pages, once two passes in a
// row show them (an edit while a pass reads shows in one pass only).
func TestKeyFieldsNotUnique(t *testing.T) {
	const msg = "key_fields [身份证号] is not unique: two records in one page/pass share it with different values; " +
		"set key_fields to the record's own number (记录编号, id)"
	twice := func(at int) []map[string]any {
		recs := employment(6)
		recs[at]["身份证号"] = recs[0]["身份证号"]
		return recs
	}
	tests := []struct {
		name  string
		recs  []map[string]any
		extra connectors.Options
	}{
		{"one page, verify", twice(1), connectors.Options{"watermark_param": "updated_since", "watermark_field": "updated_at"}},
		{"two pages, verify", twice(4), connectors.Options{"watermark_param": "updated_since", "watermark_field": "updated_at"}},
		{"two pages, total_path", twice(4), connectors.Options{"total_path": "data.total"}},
		{"two pages, total_path, verify false", twice(4), connectors.Options{"total_path": "data.total", "verify": false, "watermark_param": "updated_since", "watermark_field": "updated_at"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, tt.recs, fakeapi.Options{Pagination: fakeapi.Page, UpdatedField: "updated_at"})
			o := pageOpts(srv, fakeapi.Page, 3)
			o["key_fields"] = []any{"身份证号"}
			for k, v := range tt.extra {
				o[k] = v
			}
			_, err := syncErr(t.Context(), newSource(t, o))
			connectortest.WantErr(t, err, "source employment: /api/v1/employment: "+msg)
		})
	}
	// The same key and the same content (a record served twice) is one
	// record, not a conflict.
	recs := employment(6)
	recs[4] = employment(1)[0]
	srv := serve(t, recs, fakeapi.Options{Pagination: fakeapi.Page, UpdatedField: "updated_at"})
	o := pageOpts(srv, fakeapi.Page, 3)
	o["watermark_param"], o["watermark_field"], o["key_fields"] = "updated_since", "updated_at", []any{"身份证号"}
	if rows, err := syncErr(t.Context(), newSource(t, o)); err != nil || len(rows) != 6 {
		t.Errorf("a record served twice: %d rows, %v; want 6", len(rows), err)
	}
}

// queryTimeServer serves n records (记录编号, updated_at) newest first in
// pages (page or offset, page_size), each record carrying 查询时间, the time of the
// response, different on every one.
func queryTimeServer(t *testing.T, n int) *httptest.Server {
	var mu sync.Mutex
	served := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served++
		stamp := day0.Add(1000*time.Hour + time.Duration(served)*time.Second).Format(time.DateTime)
		mu.Unlock()
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
		start := (page - 1) * size
		if off := r.URL.Query().Get("offset"); off != "" {
			start, _ = strconv.Atoi(off)
		}
		var items []map[string]any
		for i := start; i < start+size && i < n; i++ {
			k := n - 1 - i
			items = append(items, map[string]any{"记录编号": fmt.Sprintf("R%03d", k), "updated_at": updatedAt(k), "查询时间": stamp})
		}
		b, _ := json.Marshal(map[string]any{"code": 0, "msg": "ok", "data": map[string]any{"items": items}})
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// A field that changes on every response makes every whole record new on
// every pass: under page paging no two passes agree, under offset paging
// no page begins with the record the page before ended with, so every pass
// looks shifted. Either way the failure says what to do; with key_fields
// set to the record's number the read succeeds.
func TestQueryTimeField(t *testing.T) {
	for pagination, how := range map[string]string{
		"page":   "the last two passes did not agree",
		"offset": "found the list shifted",
	} {
		t.Run(pagination, func(t *testing.T) {
			srv := queryTimeServer(t, 5)
			o := connectors.Options{"url": srv.URL + endpoint, "records": "data.items", "pagination": pagination, "page_size": 2,
				"watermark_param": "updated_since", "watermark_field": "updated_at"}
			_, err := syncErr(t.Context(), newSource(t, o))
			connectortest.WantErr(t, err, how, "after 4 passes",
				"Use cursor or keyset paging (README); if the records carry a field that changes on every request (a query time such as 查询时间, a per-page 序号, a signed link), "+
					"set key_fields to the record's own number")

			o["key_fields"] = []any{"记录编号"}
			rows, err := syncErr(t.Context(), newSource(t, o))
			if err != nil || len(rows) != 5 {
				t.Errorf("with key_fields: %d rows, %v; want 5", len(rows), err)
			}
		})
	}
}

// Newest first, offset paging: a record added before the closing request
// pushes the last record of the short last page a place further, where
// the closing request finds it again. A repeated short page is the end of
// the data (the verify pass checks that nothing is missing), not broken
// paging; a repeated full page still fails (TestFaults,
// TestCappedRepeatStillFails).
func TestShortPageRepeatEndsPass(t *testing.T) {
	for _, verify := range []bool{true, false} {
		t.Run(fmt.Sprint("verify ", verify), func(t *testing.T) {
			srv := serve(t, employment(5), fakeapi.Options{Pagination: fakeapi.Page, UpdatedField: "updated_at", Order: "desc"})
			var once sync.Once
			srv.OnPage(func(page int) {
				if page == 3 { // [0], the short last page
					once.Do(func() { srv.Add(employmentFrom(5, 1)...) })
				}
			})
			o := pageOpts(srv, fakeapi.Page, 2)
			o["watermark_param"], o["watermark_field"], o["verify"] = "updated_since", "updated_at", verify
			rows, header, mark, _, err := incRead(t, newSource(t, o), "")
			if err != nil {
				t.Fatal(err)
			}
			want := []int{4, 3, 2, 1, 0}
			if verify {
				want = append(want, 5) // the new arrival, read by the verify pass
			}
			haveIDs(t, header, rows, want...)
			if mark != updatedAt(4) {
				t.Errorf("watermark %q, want %q", mark, updatedAt(4))
			}
		})
	}
}

// A total written with a zero fraction (6.0) is a count; 6.5 is not.
func TestTotalWithZeroFraction(t *testing.T) {
	srv := pagesServer(t,
		`{"data": {"total": 6.0, "items": [{"id": 1}, {"id": 2}, {"id": 3}]}}`,
		`{"data": {"total": "6.00", "items": [{"id": 4}, {"id": 5}, {"id": 6}]}}`,
		`{"data": {"total": 6e0, "items": []}}`,
	)
	o := connectors.Options{"url": srv.URL + "/api", "records": "data.items", "pagination": "page", "page_size": 3, "total_path": "data.total"}
	rows, err := syncErr(t.Context(), newSource(t, o))
	if err != nil || len(rows) != 6 {
		t.Errorf("read %d rows, %v; want 6", len(rows), err)
	}
	bad := pagesServer(t, `{"data": {"total": 6.5, "items": [{"id": 1}]}}`)
	o["url"] = bad.URL + "/api"
	_, err = syncErr(t.Context(), newSource(t, o))
	connectortest.WantErr(t, err, "page 1: data.total is 6.5, not a count of records (total_path)")
}

// A server that caps the page size below page_size serves only pages
// "shorter" than page_size: a repeat of one as long as the page before
// it, or of the first page, is still broken paging.
func TestCappedRepeatStillFails(t *testing.T) {
	for _, page := range []int{2, 3} {
		t.Run(fmt.Sprint("page ", page), func(t *testing.T) {
			srv := serve(t, employment(6), fakeapi.Options{Pagination: fakeapi.Page, MaxPageSize: 2})
			srv.SetFaults(fakeapi.Faults{RepeatPage: page})
			_, err := syncErr(t.Context(), newSource(t, pageOpts(srv, fakeapi.Page, 5)))
			connectortest.WantErr(t, err, fmt.Sprintf("page %d: the page repeats the 2 records of page %d", page, page-1))
		})
	}
}
