package httpapi_test

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// offsetSource serves recs sorted on updated_at (order) in offset pages
// of size, incrementally, and calls mutate with the number of each
// request after it is served (1, 2, ...), to change the list between two
// page requests.
func offsetSource(t *testing.T, recs []map[string]any, order string, size int, extra connectors.Options, mutate func(srv *fakeapi.Server, call int)) (connectors.Connector, *fakeapi.Server) {
	t.Helper()
	srv := serve(t, recs, fakeapi.Options{Pagination: fakeapi.Offset, UpdatedField: "updated_at", Order: order})
	if mutate != nil {
		var mu sync.Mutex
		calls := 0
		srv.OnPage(func(int) {
			mu.Lock()
			defer mu.Unlock()
			calls++
			mutate(srv, calls)
		})
	}
	o := pageOpts(srv, fakeapi.Offset, size)
	o["watermark_param"], o["watermark_field"] = "updated_since", "updated_at"
	for k, v := range extra {
		o[k] = v
	}
	return newSource(t, o), srv
}

// offsets lists the offset each request asked for.
func offsets(srv *fakeapi.Server) []string {
	var out []string
	for _, r := range srv.Requests() {
		out = append(out, r.Query.Get("offset"))
	}
	return out
}

// A quiet offset source is read once, each page asked for from the last
// record of the one before (the overlap, not handed out twice): 200
// records in pages of 20 cost 12 requests (11 pages and the closing one,
// which returns only the overlap record), where the verify pass cost 22.
func TestOffsetOverlapQuiet(t *testing.T) {
	c, srv := offsetSource(t, employment(200), "asc", 20, nil, nil)
	rr := connectortest.OpenOnly(t, c)
	rows := connectortest.ReadAll(t, rr)
	checkRecords(t, rr.Header(), rows, 0)
	if len(rows) != 200 {
		t.Fatalf("read %d rows, want 200", len(rows))
	}
	want := []string{"0", "19", "38", "57", "76", "95", "114", "133", "152", "171", "190", "199"}
	if got := offsets(srv); !slices.Equal(got, want) {
		t.Errorf("offsets %q, want %q", got, want)
	}
	if notes := rr.(connectors.Noter).Notes(); len(notes) != 0 {
		t.Errorf("notes %+v, want none", notes)
	}
}

// The tester's L1: newest first, a new record inserted after a page and
// deleted after the next, once in each of two passes. The insert shifts
// the list right (the page starts with a record read before: harmless,
// its repeats are skipped); the delete shifts it left (the page starts
// with a record never read: one may have been skipped), which ends the
// pass and reads the source again. It used to lose a record with status
// ok; now every record is read, once, after three passes.
func TestOffsetOverlapInsertDelete(t *testing.T) {
	for _, extra := range []connectors.Options{nil, {"key_fields": []any{"id"}}} {
		t.Run("", func(t *testing.T) {
			c, srv := offsetSource(t, withIDs(employment(9), 0), "desc", 3, extra, func(srv *fakeapi.Server, call int) {
				switch call {
				case 1, 5: // a new record, newest of all, at the front
					srv.Add(withIDs(employmentFrom(100+call, 1), 100+call)...)
				case 2, 6:
					srv.Delete(9) // it goes again
				}
			})
			rows, header, mark, notes, err := incRead(t, c, "")
			if err != nil {
				t.Fatal(err)
			}
			haveIDs(t, header, rows, 8, 7, 6, 5, 4, 3, 2, 1, 0)
			if mark != updatedAt(8) {
				t.Errorf("watermark %q, want %q", mark, updatedAt(8))
			}
			if n := noteCount(notes, connectors.NoteReread); n != 2 {
				t.Errorf("notes %+v, want a reread note counting 2 passes", notes)
			}
			noteHas(t, notes, connectors.NoteReread, "found the list shifted")
			want := []string{"0", "2", "4", "0", "2", "4", "6", "0", "2", "4", "6", "8"}
			if got := offsets(srv); !slices.Equal(got, want) {
				t.Errorf("offsets %q, want %q", got, want)
			}
		})
	}
}

// Shifts in every pass fail the read after reread passes, the watermark
// not moved.
func TestOffsetOverlapNeverSettles(t *testing.T) {
	c, _ := offsetSource(t, withIDs(employment(12), 0), "desc", 3, nil, func(srv *fakeapi.Server, call int) {
		if call%3 == 1 && srv.Len() > 6 {
			srv.Delete(srv.Len() - 1) // the newest: the list shifts left under the next page
		}
	})
	_, _, mark, err := incSync(t, c, "")
	connectortest.WantErr(t, err, "found the list shifted between two page requests", "after 4 passes: records moved between pages while they were read",
		"the watermark was not moved")
	if mark != "" {
		t.Errorf("watermark %q handed out", mark)
	}
}

// A record deleted before the page boundary: the next page starts with a
// record never read (one record was skipped: record 5 here), so the
// source is read again, and the second pass reads it.
func TestOffsetOverlapDelete(t *testing.T) {
	c, srv := offsetSource(t, withIDs(employment(9), 0), "desc", 3, nil, func(srv *fakeapi.Server, call int) {
		if call == 1 {
			srv.Delete(8) // newest, read on page 1
		}
	})
	rows, header, _, notes, err := incRead(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	haveIDs(t, header, rows, 8, 7, 6, 5, 4, 3, 2, 1, 0)
	if n := noteCount(notes, connectors.NoteReread); n != 1 {
		t.Errorf("notes %+v, want a reread note counting 1 pass", notes)
	}
	// Pass 1: 0, then 2 starts with 4 (5 skipped): read again. Pass 2
	// over the 8 left: 0, 2, 4, 6 ([1 0]) and 7 (the closing request).
	want := []string{"0", "2", "0", "2", "4", "6", "7"}
	if got := offsets(srv); !slices.Equal(got, want) {
		t.Errorf("offsets %q, want %q", got, want)
	}
}

// Records inserted before the boundary only push records read again onto
// the next page: harmless, no second pass, nothing handed out twice.
func TestOffsetOverlapInsertAtFront(t *testing.T) {
	c, srv := offsetSource(t, withIDs(employment(9), 0), "desc", 3, nil, func(srv *fakeapi.Server, call int) {
		if call <= 2 {
			srv.Add(withIDs(employmentFrom(100+call, 1), 100+call)...)
		}
	})
	rows, header, mark, notes, err := incRead(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	haveIDs(t, header, rows, 8, 7, 6, 5, 4, 3, 2, 1, 0)
	if len(notes) != 0 {
		t.Errorf("notes %+v, want none", notes)
	}
	if mark != updatedAt(8) {
		t.Errorf("watermark %q, want %q", mark, updatedAt(8))
	}
	// Pos counts the records served (repeats skipped too), never the overlap.
	for i := 1; i < len(rows); i++ {
		if rows[i].Pos <= rows[i-1].Pos {
			t.Errorf("row %d has Pos %d after %d", i, rows[i].Pos, rows[i-1].Pos)
		}
	}
	if got := len(srv.Requests()); got > 7 {
		t.Errorf("%d requests (%q), want one pass", got, offsets(srv))
	}
}

// Ascending, a record edited after page 1 moves to the end: the list
// shifts left under the next page, the source is read again, and every
// record is read (the edited one in both versions: identified by content).
func TestOffsetOverlapEditAscending(t *testing.T) {
	c, _ := offsetSource(t, employment(6), "asc", 3, nil, func(srv *fakeapi.Server, call int) {
		if call == 1 {
			srv.Update(1, map[string]any{"业务类型": "停发失业金", "updated_at": day0.Add(100 * time.Hour).Format(time.RFC3339)})
		}
	})
	rows, header, _, notes, err := incRead(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	ids := distinctIDs(t, header, rows)
	if len(ids) != 6 {
		t.Errorf("read %d distinct records %q, want 6", len(ids), ids)
	}
	if n := noteCount(notes, connectors.NoteReread); n != 1 {
		t.Errorf("notes %+v, want a reread note counting 1 pass", notes)
	}
}

// With total_path, a record that came and went while the source was read
// leaves the greatest total above what can be read: the read fails rather
// than guess (the next sync, on a quiet source, passes).
func TestOffsetOverlapTransientTotal(t *testing.T) {
	c, _ := offsetSource(t, withIDs(employment(9), 0), "desc", 3, connectors.Options{"key_fields": []any{"id"}, "total_path": "data.total"},
		func(srv *fakeapi.Server, call int) {
			switch call {
			case 1:
				srv.Add(withIDs(employmentFrom(100, 1), 100)...)
			case 2:
				srv.Delete(9)
			}
		})
	_, _, _, err := incSync(t, c, "")
	connectortest.WantErr(t, err, "read 9 distinct records of the 10 the API reports at data.total")
}

// moveEnd rewrites record i (0-based, in the order added) without a
// visible change: it moves to the end of the physical order, and so to
// the end of its group of ties in the sort key (the fake's sort is
// stable).
func moveEnd(srv *fakeapi.Server, rec map[string]any, i int) {
	srv.Delete(i)
	srv.Add(rec)
}

// allIDs lists 0..n-1.
func allIDs(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// The tester's L9: ascending, records 14-20 share one updated_at (a bulk
// import, ties served in physical order). After page 1 (records 0-19),
// record 2 is deleted and record 15 rewritten without visible change,
// moving to the end of its tie group: the page asked from offset 19
// starts with record 15, read before. That used to be taken for a right
// shift (records inserted), and record 20 was lost with status ok; the
// page does not begin with the tail of page 1 ending at record 19, so the
// pass is read again, and every record is read.
func TestOffsetOverlapTieMovesAscending(t *testing.T) {
	recs := withIDs(employment(60), 0)
	for i := 14; i <= 20; i++ {
		recs[i]["updated_at"] = updatedAt(17)
	}
	moved := recs[15]
	c, _ := offsetSource(t, recs, "asc", 20, nil, func(srv *fakeapi.Server, call int) {
		if call == 1 {
			srv.Delete(2)
			moveEnd(srv, moved, 14) // record 15, one place up after the delete
		}
	})
	rows, header, _, notes, err := incRead(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	haveIDs(t, header, rows, allIDs(60)...)
	noteHas(t, notes, connectors.NoteReread, "found the list shifted")
}

// The tester's L10: newest first, records 39-45 share one updated_at.
// After page 1 (records 59-46, then 39-44 of the tie group), record 54 is
// deleted and record 40 moves to the end of the tie group: the page asked
// from offset 19 starts with record 40, read before, and record 45 used to
// be lost. Now the pass is read again and every record is read.
func TestOffsetOverlapTieMovesNewestFirst(t *testing.T) {
	recs := withIDs(employment(60), 0)
	for i := 39; i <= 45; i++ {
		recs[i]["updated_at"] = updatedAt(42)
	}
	moved := recs[40]
	c, _ := offsetSource(t, recs, "desc", 20, nil, func(srv *fakeapi.Server, call int) {
		if call == 1 {
			srv.Delete(54)
			moveEnd(srv, moved, 40)
		}
	})
	rows, header, _, notes, err := incRead(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	haveIDs(t, header, rows, allIDs(60)...)
	noteHas(t, notes, connectors.NoteReread, "found the list shifted")
}

// The tester's L8: ascending with key_fields, 21 records in pages of 20.
// After page 1 (records 0-19), record 0 is deleted, record 1 edited (it
// moves to the end) and a new record added: the page asked from offset
// 19 starts with record 1, read before under its key, and record 20 used
// to be lost. Now the pass is read again and every record is read.
func TestOffsetOverlapEditKeyFields(t *testing.T) {
	c, _ := offsetSource(t, withIDs(employment(21), 0), "asc", 20, connectors.Options{"key_fields": []any{"id"}}, func(srv *fakeapi.Server, call int) {
		if call == 1 {
			srv.Delete(0)
			srv.Update(0, map[string]any{"业务类型": "就业登记", "updated_at": day0.Add(1000 * time.Hour).Format(time.RFC3339)})
			n := withIDs(employmentFrom(100, 1), 100)
			n[0]["updated_at"] = day0.Add(1001 * time.Hour).Format(time.RFC3339)
			srv.Add(n...)
		}
	})
	rows, header, _, notes, err := incRead(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	ids := column(t, header, rows, "id")
	for _, want := range []string{"0", "20", "100"} {
		if !slices.Contains(ids, want) {
			t.Errorf("read ids %q, want %s among them", ids, want)
		}
	}
	noteHas(t, notes, connectors.NoteReread, "found the list shifted")
}
