package httpapi_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// An ascending list that gains records at every request (each updated
// after the read's start) never reaches an empty page: a pass used to be
// chased until max_pages failed the sync. A pass now ends at a page whose
// records all arrived after the read's start: the watermark never moves
// past the start, so the next sync reads them.
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
			o["watermark_param"], o["watermark_field"], o["max_pages"] = "updated_since", "updated_at", 40
			rows, header, mark, _, err := incRead(t, newSource(t, o), "")
			if err != nil {
				t.Fatal(err)
			}
			ids := column(t, header, rows, "id")
			old := 0
			for _, id := range ids {
				if len(id) == 1 {
					old++
				}
			}
			if old != 5 {
				t.Errorf("read ids %q, want the 5 records there before the read among them", ids)
			}
			if mark != updatedAt(4) {
				t.Errorf("watermark %q, want %q (never past the start)", mark, updatedAt(4))
			}
			if got := len(srv.Requests()); got > 12 {
				t.Errorf("%d requests, want a few", got)
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
