package httpapi_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// changingSource serves employment(6) (record i updated i hours after
// day0) sorted on updated_at (order "asc", "desc" or "" as added) in pages
// of 3, paged by style, and calls change once, after the first pass's
// first page is served: between two page requests.
func changingSource(t *testing.T, style, order string, extra connectors.Options, change func(srv *fakeapi.Server)) (connectors.Connector, *fakeapi.Server) {
	t.Helper()
	srv := serve(t, employment(6), fakeapi.Options{Pagination: style, UpdatedField: "updated_at", Order: order})
	var once sync.Once
	srv.OnPage(func(page int) {
		if page == 1 {
			once.Do(func() { change(srv) })
		}
	})
	o := pageOpts(srv, style, 3)
	o["watermark_param"], o["watermark_field"] = "updated_since", "updated_at"
	for k, v := range extra {
		o[k] = v
	}
	return newSource(t, o), srv
}

// haveIDs checks that rows hold the 身份证号 of exactly the records want
// (indices into employmentFrom(0, ...)), each once.
func haveIDs(t *testing.T, header []string, rows []connectors.Row, want ...int) {
	t.Helper()
	got := slices.Clone(column(t, header, rows, "身份证号"))
	slices.Sort(got)
	var w []string
	for _, i := range want {
		w = append(w, employmentFrom(i, 1)[0]["身份证号"].(string))
	}
	slices.Sort(w)
	if !slices.Equal(got, w) {
		t.Errorf("read records %q, want %q (records %v)", got, w, want)
	}
}

// deleteAndAppend deletes record 1 and appends record 6 (the newest):
// the total stays 6, and in an ascending list every record after record 1
// moves up one place, so offset paging skips record 3 (the 4th of 6).
func deleteAndAppend(srv *fakeapi.Server) {
	srv.Delete(1)
	srv.Add(employmentFrom(6, 1)...)
}

// A record deleted and another appended between two page requests, the
// total unchanged: the first pass reads 6 distinct records of 6, yet
// record 3 was never read, and total_path cannot see it. The verify pass
// (the default for an incremental page or offset read) reads the pages
// again, finds record 3 (not read, and older than what was read: skipped,
// not new), hands it out and reads once more, which finds nothing: the
// read succeeds with every record and a reread note.
func TestVerifyDeleteAndAppend(t *testing.T) {
	for _, style := range []string{fakeapi.Page} {
		t.Run(style, func(t *testing.T) {
			// The loss is real: total_path alone reads 6 of 6 and moves the
			// watermark past record 3 for good.
			c, _ := changingSource(t, style, "asc", connectors.Options{"total_path": "data.total", "verify": false}, deleteAndAppend)
			rows, header, mark, notes, err := incRead(t, c, "")
			if err != nil || mark != updatedAt(6) || len(notes) != 0 {
				t.Fatalf("unverified: watermark %q, notes %+v, %v", mark, notes, err)
			}
			haveIDs(t, header, rows, 0, 1, 2, 4, 5, 6)

			c, srv := changingSource(t, style, "asc", connectors.Options{"total_path": "data.total"}, deleteAndAppend)
			rows, header, mark, notes, err = incRead(t, c, "")
			if err != nil {
				t.Fatal(err)
			}
			haveIDs(t, header, rows, 0, 1, 2, 4, 5, 6, 3)
			if mark != updatedAt(6) {
				t.Errorf("watermark %q, want %q", mark, updatedAt(6))
			}
			// Record 3 is the third record of the second pass: 6 + 3.
			if last := rows[len(rows)-1]; last.Pos != 9 {
				t.Errorf("the record found has Pos %d, want 9 (positions go on across passes)", last.Pos)
			}
			wantNote(t, notes, connectors.NoteReread, "the passes after the first found 1 record that the passes before them had skipped "+
				"(records moved between pages while they were read): read again from the first page, 2 more passes; "+
				"a later pass hands out only records the passes before it had not read")
			if n := noteCount(notes, connectors.NoteReread); n != 2 {
				t.Errorf("reread note counts %d passes, want 2", n)
			}
			// Three passes of three page requests (the empty one ends each).
			if got := len(srv.Requests()); got != 9 {
				t.Errorf("%d requests, want 9", got)
			}
		})
	}
}

// Ascending, a record edited between two page requests moves to the end:
// read twice, and the record after it skipped. Whatever the identity (the
// whole record, a record number, or a natural key that includes the field
// the edit changes), the verify pass finds the skipped record.
func TestVerifyEditAscending(t *testing.T) {
	edit := func(srv *fakeapi.Server) {
		srv.Update(1, map[string]any{"业务类型": "停发失业金", "updated_at": day0.Add(100 * time.Hour).Format(time.RFC3339)})
	}
	for _, keys := range []any{nil, []any{"身份证号"}, []any{"身份证号", "业务类型"}} {
		t.Run(fmt.Sprint(keys), func(t *testing.T) {
			extra := connectors.Options{}
			if keys != nil {
				extra["key_fields"] = keys
			}
			c, _ := changingSource(t, fakeapi.Page, "asc", connectors.Options{"verify": false}, edit)
			rows, header, _, err := incSync(t, c, "")
			if err != nil || len(distinctIDs(t, header, rows)) != 5 {
				t.Fatalf("unverified: %d rows of %d people, %v; the fake should skip one", len(rows), len(distinctIDs(t, header, rows)), err)
			}

			c, _ = changingSource(t, fakeapi.Page, "asc", extra, edit)
			rows, header, mark, notes, err := incRead(t, c, "")
			if err != nil {
				t.Fatal(err)
			}
			if ids := distinctIDs(t, header, rows); len(ids) != 6 || len(rows) != 7 {
				t.Errorf("read %d rows of %d people, want 7 of 6", len(rows), len(ids))
			}
			if want := day0.Add(100 * time.Hour).Format(time.RFC3339); mark != want {
				t.Errorf("watermark %q, want the edited record's %q", mark, want)
			}
			if n := noteCount(notes, connectors.NoteReread); n != 2 {
				t.Errorf("notes %+v, want a reread note counting 2 passes", notes)
			}
		})
	}
}

// A record added while the first pass reads a newest-first list pushes
// the others down a place: the first pass reads one twice and misses
// none of the old ones. The verify pass sees the new record, newer than
// anything the first pass read: a new arrival, handed out but not a gap
// (no third pass, no note), and not used as the watermark, so the next
// sync reads it again (and whatever this pass might have missed near it).
func TestVerifyNewArrival(t *testing.T) {
	c, srv := changingSource(t, fakeapi.Page, "desc", nil, func(srv *fakeapi.Server) { srv.Add(employmentFrom(6, 1)...) })
	rows, header, mark, notes, err := incRead(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if ids := distinctIDs(t, header, rows); len(ids) != 7 || len(rows) != 8 {
		t.Errorf("read %d rows of %d records, want 8 of 7", len(rows), len(ids))
	}
	if mark != updatedAt(5) {
		t.Errorf("watermark %q, want %q (the greatest the verified pass read)", mark, updatedAt(5))
	}
	if noteCount(notes, connectors.NoteReread) != -1 {
		t.Errorf("notes %+v, want no reread note", notes)
	}
	// Pass 1 and pass 2: offsets 0, 3, 6 and 7 (empty).
	if got := len(srv.Requests()); got != 8 {
		t.Errorf("%d requests, want 8", got)
	}
	// The next sync reads it again, from the watermark.
	rows, header, _, _, err = incRead(t, c, mark)
	if err != nil {
		t.Fatal(err)
	}
	haveIDs(t, header, rows, 5, 6)
}

// A record with no watermark value, or one that is not a time, cannot be
// told from a new arrival: unread by the first pass, it counts as skipped.
func TestVerifyRecordWithoutTime(t *testing.T) {
	for _, v := range []any{nil, "", "昨天"} {
		t.Run(fmt.Sprint(v), func(t *testing.T) {
			recs := employment(6)
			if v == nil {
				delete(recs[3], "updated_at")
			} else {
				recs[3]["updated_at"] = v
			}
			// Served as added: deleting record 0 after page 1 moves record 3
			// (the 4th) onto page 1, which is never asked for again.
			srv := serve(t, recs, fakeapi.Options{Pagination: fakeapi.Page, UpdatedField: "updated_at"})
			var once sync.Once
			srv.OnPage(func(page int) {
				if page == 1 {
					once.Do(func() { srv.Delete(0) })
				}
			})
			o := pageOpts(srv, fakeapi.Page, 3)
			o["watermark_param"], o["watermark_field"] = "updated_since", "updated_at"
			rows, header, mark, notes, err := incRead(t, newSource(t, o), "")
			if err != nil {
				t.Fatal(err)
			}
			haveIDs(t, header, rows, 0, 1, 2, 4, 5, 3)
			if mark != updatedAt(5) {
				t.Errorf("watermark %q, want %q", mark, updatedAt(5))
			}
			if noteCount(notes, connectors.NoteReread) != 2 {
				t.Errorf("notes %+v, want a reread note counting 2 passes", notes)
			}
		})
	}
}

// Records that keep moving: a late record (dated before everything read)
// appears before every pass's second page request, so every pass finds
// one the pass before it had not read: no two passes agree. After four
// passes (reread 3, the default) the read fails, and the watermark stays.
func TestVerifyStillMoving(t *testing.T) {
	srv := serve(t, employment(6), fakeapi.Options{Pagination: fakeapi.Page, UpdatedField: "updated_at", Order: "asc"})
	late := 0
	srv.OnPage(func(page int) {
		if page == 1 {
			late++
			r := employmentFrom(100+late, 1)[0]
			r["updated_at"] = day0.Add(-time.Duration(late) * time.Hour).Format(time.RFC3339)
			srv.Add(r)
		}
	})
	o := pageOpts(srv, fakeapi.Page, 3)
	o["watermark_param"], o["watermark_field"] = "updated_since", "updated_at"
	const saved = "2026-02-01T00:00:00+08:00"
	rows, _, mark, err := incSync(t, newSource(t, o), saved)
	connectortest.WantErr(t, err, "source employment: /api/v1/employment: the last two passes did not agree on the records with updated_at "+
		"not after the greatest the first pass read (pass 4 read 1 record that pass 3 had not), after 4 passes: records moved between pages while they were read "+
		"(offset paging over changing data); the watermark was not moved. Use cursor or keyset paging (README); "+
		"if the records carry a field that changes on every request (a query time such as 查询时间, a per-page 序号, a signed link), set key_fields to the record's own number")
	if mark != saved {
		t.Errorf("watermark %q after a failed read, want the saved %q", mark, saved)
	}
	if len(rows) < 7 {
		t.Errorf("read %d rows, want the 6 and those found", len(rows))
	}
}

// Only a page or offset read with a watermark is verified by default:
// a full-only source, cursor paging (which does not shift), and verify:
// false read once. verify: true verifies a page read without a watermark.
func TestVerifyWhen(t *testing.T) {
	tests := []struct {
		name     string
		style    string
		inc      bool
		extra    connectors.Options
		requests int
	}{
		{"offset, incremental (overlap, no verify pass)", fakeapi.Offset, true, nil, 4},
		{"page, incremental", fakeapi.Page, true, nil, 6},
		{"page, not incremental", fakeapi.Page, false, nil, 3},
		{"cursor, incremental", fakeapi.Cursor, true, nil, 2},
		{"page, verify false", fakeapi.Page, true, connectors.Options{"verify": false}, 3},
		{"page, not incremental, verify true", fakeapi.Page, false, connectors.Options{"verify": true}, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := serve(t, employment(6), fakeapi.Options{Pagination: tt.style, UpdatedField: "updated_at"})
			o := pageOpts(srv, tt.style, 3)
			if tt.inc {
				o["watermark_param"], o["watermark_field"] = "updated_since", "updated_at"
			}
			for k, v := range tt.extra {
				o[k] = v
			}
			rows, header, _, notes, err := incRead(t, newSource(t, o), "")
			if err != nil {
				t.Fatal(err)
			}
			checkRecords(t, header, rows, 0)
			if len(rows) != 6 || len(notes) != 0 {
				t.Errorf("%d rows, notes %+v; want 6 and none (a verify pass that finds nothing is not noted)", len(rows), notes)
			}
			if got := len(srv.Requests()); got != tt.requests {
				t.Errorf("%d requests, want %d", got, tt.requests)
			}
		})
	}
}

// A key_fields entry that no record of the read had (a typo) would make
// every record's identity the same there: the read fails at its end,
// naming the key and the keys the records had, even when the fields
// option lists it.
func TestKeyFieldsUnknown(t *testing.T) {
	for _, extra := range []connectors.Options{
		{"total_path": "data.total", "key_fields": []any{"身份证", "业务日期"}},
		{"total_path": "data.total", "key_fields": []any{"身份证", "业务日期"}, "fields": []any{"身份证"}},
		{"watermark_param": "updated_since", "watermark_field": "updated_at", "key_fields": []any{"身份证", "业务日期"}},
	} {
		t.Run(fmt.Sprint(extra), func(t *testing.T) {
			srv := serve(t, employment(6), fakeapi.Options{UpdatedField: "updated_at"})
			o := pageOpts(srv, fakeapi.Page, 4)
			for k, v := range extra {
				o[k] = v
			}
			rows, err := syncErr(t.Context(), newSource(t, o))
			connectortest.WantErr(t, err, "source employment: /api/v1/employment: key_fields names 身份证, which no record of the read had "+
				"(their keys: 身份证号, 姓名, 业务类型, 业务日期, updated_at); correct key_fields")
			if len(rows) != 6 {
				t.Errorf("read %d rows before the error, want 6", len(rows))
			}
		})
	}
}

// A total_path that reports less than the records read (here each page's
// own count) protects nothing: the read succeeds with a note saying so.
func TestTotalBelowRead(t *testing.T) {
	srv := pagesServer(t,
		`{"data": {"total": 3, "items": [{"id": 1}, {"id": 2}, {"id": 3}]}}`,
		`{"data": {"total": 3, "items": [{"id": 4}, {"id": 5}, {"id": 6}]}}`,
		`{"data": {"total": 0, "items": []}}`,
	)
	o := connectors.Options{"url": srv.URL + "/api", "records": "data.items", "pagination": "page", "page_size": 3, "total_path": "data.total", "key_fields": []any{"id"}}
	rr := connectortest.OpenOnly(t, newSource(t, o))
	rows := connectortest.ReadAll(t, rr)
	if len(rows) != 6 {
		t.Fatalf("read %d rows, want 6", len(rows))
	}
	notes := rr.(connectors.Noter).Notes()
	wantNote(t, notes, "total_below_read", "read 6 distinct records, more than the 3 the API reports at data.total: "+
		"total_path may not hold the total (a page's own count?), and then it cannot show records missing; check total_path against a response")
	if n := noteCount(notes, "total_below_read"); n != 6 {
		t.Errorf("total_below_read counts %d, want 6", n)
	}
}

// verify: true on a page source without a watermark: every record the
// first pass did not read counts as skipped (nothing tells a new one), so
// a source that keeps changing fails, and one that changed once is read
// in full.
func TestVerifyWithoutWatermark(t *testing.T) {
	srv := serve(t, employment(6), fakeapi.Options{Pagination: fakeapi.Page})
	var once sync.Once
	srv.OnPage(func(page int) {
		if page == 1 {
			once.Do(func() { srv.Delete(0) })
		}
	})
	o := pageOpts(srv, fakeapi.Page, 3)
	o["verify"] = true
	rr := connectortest.OpenOnly(t, newSource(t, o))
	rows := connectortest.ReadAll(t, rr)
	haveIDs(t, rr.Header(), rows, 0, 1, 2, 4, 5, 3)

	moving := serve(t, employment(6), fakeapi.Options{Pagination: fakeapi.Page})
	n := 0
	moving.OnPage(func(page int) {
		if page == 1 {
			n++
			moving.Add(employmentFrom(100+n, 1)...)
		}
	})
	o = pageOpts(moving, fakeapi.Page, 3)
	o["verify"] = true
	_, err := syncErr(t.Context(), newSource(t, o))
	connectortest.WantErr(t, err, "the last two passes did not agree on the records read (pass 4 read 1 record that pass 3 had not), after 4 passes: records moved between pages")
}
