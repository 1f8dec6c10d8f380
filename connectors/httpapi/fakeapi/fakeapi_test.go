package fakeapi_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

const countyEmployment = "../../../testdata/county/employment.csv"

// get fetches url and returns the status and body.
func get(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

func getURL(t *testing.T, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	return get(t, req)
}

// envelope is the fake's response shape.
type envelope struct {
	Data struct {
		Total      int              `json:"total"`
		Items      []map[string]any `json:"items"`
		NextCursor *string          `json:"next_cursor"`
		Next       *string          `json:"next"`
	} `json:"data"`
}

func decode(t *testing.T, body string) envelope {
	t.Helper()
	var e envelope
	if err := json.Unmarshal([]byte(body), &e); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return e
}

func records(n int) []map[string]any {
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{"id": i, "updated_at": time.Date(2026, 3, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)}
	}
	return out
}

// The county's GB18030 employment file reads into records in column
// order; the line with nothing on it is not a record.
func TestReadCSV(t *testing.T) {
	recs, fields, err := fakeapi.ReadCSV(countyEmployment)
	if err != nil {
		t.Fatal(err)
	}
	if want := "身份证号,姓名,业务类型,业务日期,经办机构"; strings.Join(fields, ",") != want {
		t.Errorf("fields %q, want %s", fields, want)
	}
	if len(recs) != 1610 {
		t.Errorf("%d records, want 1610", len(recs))
	}
	if r := recs[0]; r["身份证号"] != "340799920429789" || r["业务类型"] != "就业登记" || r["业务日期"] != "20230423" {
		t.Errorf("first record %v", r)
	}
}

func TestNewFromCSV(t *testing.T) {
	srv, err := fakeapi.NewFromCSV(countyEmployment, fakeapi.Options{PageSize: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	_, body := getURL(t, srv.URL+"/employment?page=2")
	e := decode(t, body)
	if e.Data.Total != 1610 || len(e.Data.Items) != 610 {
		t.Errorf("page 2: total %d, %d items", e.Data.Total, len(e.Data.Items))
	}
	// Keys keep the file's column order.
	if i := strings.Index(body, `"身份证号"`); i < 0 || i > strings.Index(body, `"经办机构"`) {
		t.Errorf("keys out of order: %.200s", body)
	}
}

func TestPagingStyles(t *testing.T) {
	srv := fakeapi.New(records(5), fakeapi.Options{Pagination: fakeapi.Cursor, PageSize: 2})
	defer srv.Close()
	var ids []any
	url := srv.URL + "/x"
	for range 5 {
		_, body := getURL(t, url)
		e := decode(t, body)
		for _, it := range e.Data.Items {
			ids = append(ids, it["id"])
		}
		if e.Data.NextCursor == nil {
			break
		}
		url = srv.URL + "/x?cursor=" + *e.Data.NextCursor
	}
	if len(ids) != 5 {
		t.Errorf("cursor pages gave %v", ids)
	}
	if code, _ := getURL(t, srv.URL+"/x?cursor=bogus"); code != http.StatusBadRequest {
		t.Errorf("a bad cursor: %d, want 400", code)
	}

	nl := fakeapi.New(records(5), fakeapi.Options{Pagination: fakeapi.NextLink, PageSize: 2})
	defer nl.Close()
	n := 0
	url = nl.URL + "/x"
	for url != "" {
		_, body := getURL(t, url)
		e := decode(t, body)
		n += len(e.Data.Items)
		url = ""
		if e.Data.Next != nil {
			url = *e.Data.Next
		}
	}
	if n != 5 {
		t.Errorf("next links gave %d records", n)
	}
}

// updated_since keeps records at or after it, in the query or a POST body.
func TestUpdatedSince(t *testing.T) {
	srv := fakeapi.New(records(10), fakeapi.Options{UpdatedField: "updated_at"})
	defer srv.Close()
	_, body := getURL(t, srv.URL+"/x?updated_since=2026-03-08")
	if e := decode(t, body); e.Data.Total != 3 {
		t.Errorf("GET: %d records, want 3", e.Data.Total)
	}
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/x", strings.NewReader(`{"updated_since": "2026-03-09T00:00:00Z", "page": 1}`))
	_, body = get(t, req)
	if e := decode(t, body); e.Data.Total != 2 {
		t.Errorf("POST: %d records, want 2", e.Data.Total)
	}
	if code, _ := getURL(t, srv.URL+"/x?updated_since=soon"); code != http.StatusBadRequest {
		t.Errorf("a bad time: %d, want 400", code)
	}
}

func TestAuth(t *testing.T) {
	srv := fakeapi.New(records(1), fakeapi.Options{Username: "u", Password: "p"})
	defer srv.Close()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/x", nil)
	if code, _ := get(t, req); code != http.StatusUnauthorized {
		t.Errorf("no credentials: %d", code)
	}
	req.SetBasicAuth("u", "p")
	if code, _ := get(t, req); code != http.StatusOK {
		t.Errorf("right credentials: %d", code)
	}
}

// Counted faults wear off; page faults stay until cleared.
func TestFaults(t *testing.T) {
	srv := fakeapi.New(records(4), fakeapi.Options{PageSize: 2})
	defer srv.Close()
	srv.SetFaults(fakeapi.Faults{Fail: 1, RateLimit: 1, RetryAfter: "7", TruncatePage: 2})
	resp, err := http.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" {
		t.Errorf("first: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if code, _ := getURL(t, srv.URL+"/x"); code != http.StatusInternalServerError {
		t.Errorf("second: %d, want 500", code)
	}
	if code, body := getURL(t, srv.URL+"/x"); code != http.StatusOK || !json.Valid([]byte(body)) {
		t.Errorf("third: %d %s", code, body)
	}
	for range 2 {
		if _, body := getURL(t, srv.URL+"/x?page=2"); json.Valid([]byte(body)) {
			t.Errorf("page 2 is whole: %s", body)
		}
	}
	srv.ClearFaults()
	if _, body := getURL(t, srv.URL+"/x?page=2"); !json.Valid([]byte(body)) {
		t.Errorf("page 2 after clearing: %s", body)
	}
	if got := srv.Requests(); len(got) != 6 || got[5].Page != 2 {
		t.Errorf("requests %+v", got)
	}
}

// Close ends delayed responses instead of waiting for them.
func TestCloseEndsDelays(t *testing.T) {
	srv := fakeapi.New(records(1), fakeapi.Options{})
	srv.SetFaults(fakeapi.Faults{Delay: time.Hour})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.Get(srv.URL + "/x"); err == nil {
			resp.Body.Close()
		}
	}()
	for len(srv.Requests()) == 0 {
		time.Sleep(time.Millisecond)
	}
	srv.Close()
	srv.Close()
	<-done
}

func TestLoopbackOnly(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("listening on all interfaces was allowed")
		}
	}()
	fakeapi.New(nil, fakeapi.Options{Addr: "0.0.0.0:0"})
}

func TestAddr(t *testing.T) {
	srv := fakeapi.New(records(1), fakeapi.Options{Addr: "127.0.0.1:0"})
	defer srv.Close()
	if !strings.HasPrefix(srv.URL, "http://127.0.0.1:") {
		t.Errorf("URL %s", srv.URL)
	}
	if code, _ := getURL(t, srv.URL+"/x"); code != http.StatusOK {
		t.Errorf("status %d", code)
	}
}

// ErrorPage answers page K with HTTP 200 and an error envelope;
// TotalExtra overstates the total; Code sets the success code.
func TestErrorPageAndTotal(t *testing.T) {
	srv := fakeapi.New(records(4), fakeapi.Options{PageSize: 2, Code: "00000"})
	defer srv.Close()
	srv.SetFaults(fakeapi.Faults{ErrorPage: 2, TotalExtra: 3})
	code, body := getURL(t, srv.URL+"/x?page=1")
	if e := decode(t, body); code != http.StatusOK || e.Data.Total != 7 || !strings.HasPrefix(body, `{"code":"00000"`) {
		t.Errorf("page 1: %d %s", code, body)
	}
	if code, body := getURL(t, srv.URL+"/x?page=2"); code != http.StatusOK || body != fakeapi.DefaultErrorBody {
		t.Errorf("page 2: %d %s", code, body)
	}
}

// Order sorts on the updated field; Update moves a record; OnPage runs
// between a page being put together and sent.
func TestOrderUpdateOnPage(t *testing.T) {
	srv := fakeapi.New(records(4), fakeapi.Options{PageSize: 2, UpdatedField: "updated_at", Order: "desc"})
	defer srv.Close()
	var pages []int
	srv.OnPage(func(page int) {
		pages = append(pages, page)
		if page == 1 {
			srv.Update(0, map[string]any{"updated_at": "2026-04-01"})
		}
	})
	ids := func(body string) []any {
		var out []any
		for _, it := range decode(t, body).Data.Items {
			out = append(out, it["id"])
		}
		return out
	}
	_, body := getURL(t, srv.URL+"/x?page=1")
	if got := ids(body); len(got) != 2 || got[0] != 3.0 || got[1] != 2.0 {
		t.Errorf("page 1 newest first: %v", got)
	}
	_, body = getURL(t, srv.URL+"/x?page=1")
	if got := ids(body); got[0] != 0.0 || got[1] != 3.0 {
		t.Errorf("page 1 after the update: %v", got)
	}
	if len(pages) != 2 {
		t.Errorf("OnPage saw %v", pages)
	}
}

// Charset encodes the body and names it in the Content-Type; BOM starts
// the body with a byte order mark.
func TestCharset(t *testing.T) {
	srv := fakeapi.New([]map[string]any{{"name": "张三"}}, fakeapi.Options{Charset: "GBK", Bare: true})
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json; charset=GBK" || string(b) != "[{\"name\":\"\xd5\xc5\xc8\xfd\"}]" {
		t.Errorf("%s: %q", ct, b)
	}
	bom := fakeapi.New([]map[string]any{{"name": "张三"}}, fakeapi.Options{BOM: true, Bare: true})
	defer bom.Close()
	if _, body := getURL(t, bom.URL+"/x"); !strings.HasPrefix(body, "\xef\xbb\xbf[") {
		t.Errorf("no byte order mark: %q", body)
	}
}

// Delete takes a record out of the list served: the records after it
// move up one place, and the total counts one fewer.
func TestDelete(t *testing.T) {
	srv := fakeapi.New(records(4), fakeapi.Options{PageSize: 2})
	defer srv.Close()
	srv.Delete(1)
	_, body := getURL(t, srv.URL+"/x?page=1")
	e := decode(t, body)
	if len(e.Data.Items) != 2 || e.Data.Items[0]["id"] != 0.0 || e.Data.Items[1]["id"] != 2.0 || e.Data.Total != 3 || srv.Len() != 3 {
		t.Errorf("after Delete(1): %s", body)
	}
}
