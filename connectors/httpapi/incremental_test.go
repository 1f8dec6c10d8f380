package httpapi_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// incOpts configure an incremental read of the fake's updated_at.
func incOpts(srv *fakeapi.Server, lookback string) connectors.Options {
	o := pageOpts(srv, "page", 10)
	o["watermark_param"], o["watermark_field"] = "updated_since", "updated_at"
	if lookback != "" {
		o["lookback"] = lookback
	}
	return o
}

// incSync does what the sync does with an incremental stream: resume from
// the saved watermark, read everything, and return the rows, the new
// watermark and the first error.
func incSync(t *testing.T, c connectors.Connector, saved string) ([]connectors.Row, []string, string, error) {
	t.Helper()
	rows, header, mark, _, err := incRead(t, c, saved)
	return rows, header, mark, err
}

// incRead is incSync that also returns the reader's notes.
func incRead(t *testing.T, c connectors.Connector, saved string) ([]connectors.Row, []string, string, []connectors.Note, error) {
	t.Helper()
	st := connectortest.OnlyStream(t, c).(connectors.Incremental)
	st.Resume(saved)
	rr, err := st.Open(t.Context())
	if err != nil {
		return nil, nil, "", nil, err
	}
	defer rr.Close()
	rows, err := connectortest.ReadRows(rr)
	noter, ok := rr.(connectors.Noter)
	if !ok {
		t.Fatal("the reader is not a connectors.Noter")
	}
	return rows, rr.Header(), st.Watermark(), noter.Notes(), err
}

// noteCount is the count of the note with code, or -1 when there is none.
func noteCount(notes []connectors.Note, code string) int64 {
	for _, n := range notes {
		if n.Code == code {
			return n.Count
		}
	}
	return -1
}

func updatedAt(i int) string { return employmentFrom(i, 1)[0]["updated_at"].(string) }

// A full read sends no watermark and ends with the greatest updated_at;
// the next read sends it minus the lookback and gets what changed since.
func TestIncremental(t *testing.T) {
	srv := serve(t, employment(100), fakeapi.Options{UpdatedField: "updated_at"})
	c := newSource(t, incOpts(srv, "48h"))

	rows, _, mark, err := incSync(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 100 || mark != updatedAt(99) {
		t.Fatalf("full read: %d rows, watermark %q; want 100, %q", len(rows), mark, updatedAt(99))
	}
	for _, r := range srv.Requests() {
		if _, sent := r.Query["updated_since"]; sent {
			t.Fatalf("a full read sent updated_since: %v", r.Query)
		}
	}

	srv.Add(employmentFrom(100, 10)...)
	before := len(srv.Requests())
	rows, header, mark2, err := incSync(t, c, mark)
	if err != nil {
		t.Fatal(err)
	}
	since := day0.Add(99*time.Hour - 48*time.Hour).Format(time.RFC3339)
	if got := srv.Requests()[before].Query.Get("updated_since"); got != since {
		t.Errorf("updated_since %q, want the watermark minus 48h, %q", got, since)
	}
	// Records 51..109: 49 within the lookback, 10 new.
	if len(rows) != 59 {
		t.Errorf("read %d rows, want 59", len(rows))
	}
	ids := column(t, header, rows, "身份证号")
	if ids[0] != employmentFrom(51, 1)[0]["身份证号"] {
		t.Errorf("first row %s, want record 51", ids[0])
	}
	if mark2 != updatedAt(109) {
		t.Errorf("watermark %q, want %q", mark2, updatedAt(109))
	}

	// Nothing new: the lookback re-reads older records, and the watermark
	// stays where it was.
	_, _, mark3, err := incSync(t, c, mark2)
	if err != nil {
		t.Fatal(err)
	}
	if mark3 != mark2 {
		t.Errorf("watermark moved from %q to %q with nothing new", mark2, mark3)
	}
}

// A sync that fails on a fault saves no watermark; after the fault
// clears, the next sync from the saved watermark gets exactly the rows
// the failed one missed (and the boundary record, which the store skips
// as a duplicate).
func TestIncrementalAfterFault(t *testing.T) {
	srv := serve(t, employment(40), fakeapi.Options{UpdatedField: "updated_at"})
	c := newSource(t, incOpts(srv, ""))
	rows, header, saved, err := incSync(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	loaded := map[string]bool{}
	for _, id := range column(t, header, rows, "身份证号") {
		loaded[id] = true
	}

	newRecs := employmentFrom(40, 25)
	srv.Add(newRecs...)
	srv.SetFaults(fakeapi.Faults{TruncatePage: 2})
	if _, _, _, err := incSync(t, c, saved); err == nil {
		t.Fatal("the faulty sync succeeded")
	} else {
		connectortest.WantErr(t, err, "source employment", "page 2: invalid JSON")
	}

	srv.ClearFaults()
	rows, header, mark, err := incSync(t, c, saved)
	if err != nil {
		t.Fatal(err)
	}
	var fresh []string
	dup := 0
	for _, id := range column(t, header, rows, "身份证号") {
		if loaded[id] {
			dup++
		} else {
			fresh = append(fresh, id)
		}
	}
	var want []string
	for _, r := range newRecs {
		want = append(want, r["身份证号"].(string))
	}
	if !slices.Equal(fresh, want) || dup != 1 {
		t.Errorf("new rows %q (and %d already loaded), want %q (and the 1 boundary record)", fresh, dup, want)
	}
	if mark != updatedAt(64) {
		t.Errorf("watermark %q, want %q", mark, updatedAt(64))
	}
}

// With POST, the watermark goes in the body where the template asks for
// it: null on a full read.
func TestIncrementalPOST(t *testing.T) {
	srv := serve(t, employment(5), fakeapi.Options{UpdatedField: "updated_at"})
	o := incOpts(srv, "")
	o["method"], o["body"] = "POST", `{"page": {{page}}, "updated_since": {{watermark}}}`
	c := newSource(t, o)
	_, _, mark, err := incSync(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	rows, _, _, err := incSync(t, c, mark)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 {
		t.Errorf("read %d rows from the watermark, want 1", len(rows))
	}
	reqs := srv.Requests()
	if b := reqs[0].Body; b != `{"page": 1, "updated_since": null}` {
		t.Errorf("full read's body %s", b)
	}
	last := reqs[len(reqs)-1]
	if !strings.Contains(last.Body, `"updated_since": "`+mark+`"`) || last.Query.Get("updated_since") != "" {
		t.Errorf("incremental read: body %s, query %v", last.Body, last.Query)
	}
}

// A saved watermark that is not a time fails the source clearly.
func TestBadSavedWatermark(t *testing.T) {
	srv := serve(t, employment(5), fakeapi.Options{UpdatedField: "updated_at"})
	_, _, _, err := incSync(t, newSource(t, incOpts(srv, "1h")), "yesterday")
	connectortest.WantErr(t, err, `source employment: /api/v1/employment: saved watermark "yesterday" is not a time`)
}

// A saved watermark that is not a time (epoch milliseconds saved under
// another configuration) fails the sync before any request, saying how to
// recover: sync --full reads from the start and saves a new watermark.
func TestSavedWatermarkNotATime(t *testing.T) {
	srv := serve(t, employment(3), fakeapi.Options{UpdatedField: "updated_at"})
	_, _, _, _, err := incRead(t, newSource(t, incOpts(srv, "")), "1733000000000")
	connectortest.WantErr(t, err, `source employment: /api/v1/employment: saved watermark "17***********" is not a time (want RFC 3339, YYYY-MM-DD HH:MM:SS or YYYY-MM-DD), `+
		"so no incremental read can start from it; to recover, run lipwatch sync --full employment: it reads the source from the start and saves a new watermark")
	if n := len(srv.Requests()); n != 0 {
		t.Errorf("%d requests, want none", n)
	}
	// What sync --full does: read from the start (no watermark), and save
	// the greatest value read.
	rows, _, mark, _, err := incRead(t, newSource(t, incOpts(srv, "")), "")
	if err != nil || len(rows) != 3 || mark != updatedAt(2) {
		t.Errorf("full read: %d rows, watermark %q, %v; want 3 and %q", len(rows), mark, err, updatedAt(2))
	}
}
