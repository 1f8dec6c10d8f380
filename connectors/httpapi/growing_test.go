package httpapi_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"time"

	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// An ascending list that gains records at every request (each updated
// after the read's start) never reaches an empty page: a pass is chased
// until max_pages, and the read fails loudly, saying the list kept
// growing and what to do. (No pass ends at a page of records newer than
// the start: see TestFutureBlockSortedByID.)
func TestGrowingAscendingList(t *testing.T) {
	for _, style := range []string{fakeapi.Page, fakeapi.Offset} {
		t.Run(style, func(t *testing.T) {
			srv := serve(t, withIDs(employment(5), 0), fakeapi.Options{Pagination: style, UpdatedField: "updated_at", Order: "asc"})
			var mu sync.Mutex
			next := 100
			srv.OnPage(func(int) {
				mu.Lock()
				defer mu.Unlock()
				for range 2 {
					rec := withIDs(employmentFrom(next, 1), next)
					rec[0]["updated_at"] = time.Now().Add(time.Hour).Format(time.RFC3339)
					srv.Add(rec...)
					next++
				}
			})
			o := pageOpts(srv, style, 2)
			o["watermark_param"], o["watermark_field"], o["max_pages"] = "updated_since", "updated_at", 8
			_, _, mark, _, err := incRead(t, newSource(t, o), "")
			connectortest.WantErr(t, err, "max_pages (8)", "the list kept growing while it was read", "after the read's start", "cursor paging", "smaller window")
			if mark != "" {
				t.Errorf("watermark %q after a failed read, want none", mark)
			}
		})
	}
}

// A list sorted by record number (not by time) holding a block of
// placeholder future dates (records 61-100 at 9999-12-31) is read to its
// end: a pass used to stop at the first page of the block, as if an
// ascending list had reached records newer than the read, and records
// 101-199 were never read, with every sync ok.
func TestFutureBlockSortedByID(t *testing.T) {
	recs := withIDs(employment(200), 0)
	for i := 61; i <= 100; i++ {
		recs[i]["updated_at"] = "9999-12-31T00:00:00+08:00"
	}
	for _, style := range []string{fakeapi.Page, fakeapi.Offset} {
		t.Run(style, func(t *testing.T) {
			srv := serve(t, recs, fakeapi.Options{Pagination: style, UpdatedField: "updated_at"})
			o := pageOpts(srv, style, 20)
			o["watermark_param"], o["watermark_field"] = "updated_since", "updated_at"
			rows, header, mark, _, err := incRead(t, newSource(t, o), "")
			if err != nil {
				t.Fatal(err)
			}
			want := make([]int, 200)
			for i := range want {
				want[i] = i
			}
			haveIDs(t, header, rows, want...)
			if mark != updatedAt(199) {
				t.Errorf("watermark %q, want %q", mark, updatedAt(199))
			}
		})
	}
}

// Newest first, a first page whose records all look after the start (an
// API clock running ahead, or typos such as 2099) does not end the pass:
// the list is not ascending, and the pages after it hold older records.
func TestFuturePageNewestFirst(t *testing.T) {
	recs := withIDs(employment(6), 0)
	for i := 4; i < 6; i++ {
		recs[i]["updated_at"] = fmt.Sprintf("2099-12-3%dT00:00:00+08:00", i-4)
	}
	for _, style := range []string{fakeapi.Page, fakeapi.Offset} {
		srv := serve(t, recs, fakeapi.Options{Pagination: style, UpdatedField: "updated_at", Order: "desc"})
		o := pageOpts(srv, style, 2)
		o["watermark_param"], o["watermark_field"] = "updated_since", "updated_at"
		rows, header, mark, _, err := incRead(t, newSource(t, o), "")
		if err != nil {
			t.Fatal(err)
		}
		haveIDs(t, header, rows, 0, 1, 2, 3, 4, 5)
		if mark != updatedAt(3) {
			t.Errorf("%s: watermark %q, want %q", style, mark, updatedAt(3))
		}
	}
}
