package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// cappedServer serves records 1..n ({"id": i}) in page paging, at most
// limit a page whatever the page_size asked; page N starts at
// (N-1)×page_size asked when byAsked, else at (N-1)×the size it serves.
func cappedServer(t *testing.T, n, limit int, byAsked bool) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var requests atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
		served := min(size, limit)
		from := (p - 1) * served
		if byAsked {
			from = (p - 1) * size
		}
		var recs []string
		for i := from + 1; i <= min(from+served, n); i++ {
			recs = append(recs, fmt.Sprintf(`{"id":%d}`, i))
		}
		fmt.Fprintf(w, `{"code":0,"data":{"list":[%s]}}`, strings.Join(recs, ","))
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

// A server that caps the page size (2) but counts pages at the size asked
// (3) skips every third record: 6 of 20 were lost with status ok. A short
// page followed by one that is not empty is asked for again at the short
// page's size: another first record, and the read fails saying which
// page_size to set. A server that counts pages by the size it serves is
// read in full (one request more), and so is the first once page_size
// is set as advised.
func TestCappedPageSize(t *testing.T) {
	opts := func(srv *httptest.Server, size int) connectors.Options {
		return connectors.Options{"url": srv.URL + "/api", "pagination": "page", "page_size": size, "records": "data.list"}
	}
	srv, _ := cappedServer(t, 20, 2, true)
	rows, err := syncErr(t.Context(), newSource(t, opts(srv, 3)))
	connectortest.WantErr(t, err, "page 2: page 1 had 2 records of page_size 3 and more came after it: the server caps the page size but counts pages at 3, "+
		"so the records between were skipped; set page_size: 2")
	if len(rows) != 2 {
		t.Errorf("read %d rows before the error, want 2", len(rows))
	}
	rows, err = syncErr(t.Context(), newSource(t, opts(srv, 2)))
	if err != nil || len(rows) != 20 {
		t.Errorf("page_size 2 as advised: %d rows, %v; want 20", len(rows), err)
	}

	ok, requests := cappedServer(t, 20, 2, false)
	rows, err = syncErr(t.Context(), newSource(t, opts(ok, 3)))
	if err != nil || len(rows) != 20 {
		t.Fatalf("consistent cap: %d rows, %v; want 20", len(rows), err)
	}
	ids := map[string]bool{}
	for _, r := range rows {
		ids[r.Values[0]] = true
	}
	if len(ids) != 20 {
		t.Errorf("consistent cap: %d distinct records, want 20", len(ids))
	}
	if got := requests.Load(); got != 12 {
		t.Errorf("consistent cap: %d requests, want 12 (10 pages, one asked again, the empty one)", got)
	}
}
