package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// pagesServer serves the given JSON texts as pages 1, 2, ... of a page
// API, and an empty array after them.
func pagesServer(t testing.TB, pages ...string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var p int
		fmt.Sscan(r.URL.Query().Get("page"), &p)
		if p >= 1 && p <= len(pages) {
			fmt.Fprint(w, pages[p-1])
			return
		}
		fmt.Fprint(w, `[]`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// Values are strings as a person would read them: numbers in full without
// exponent, booleans true/false, null empty, nested values as JSON text.
// Keys first seen on a later page are appended to the header. Numbers
// with a fraction or an exponent are KindNumber (their writer may have
// held them in a float), integers and everything else text.
func TestValues(t *testing.T) {
	srv := pagesServer(t,
		`[
		  {"id": 340799199001011234, "amount": 1.5e3, "rate": -2E-3, "ok": true, "note": null,
		   "addr": {"town": "城关镇", "no": [1, 2]}, "name": "\u5f20\"三\"\n", "emoji": "\ud83d\ude00", "tail": 1.50},
		  {"name": "李四", "id": 1, "ok": false}
		]`,
		`[{"id": 2, "remark": "新字段", "amount": 0.5e1}]`,
	)
	rr := connectortest.OpenOnly(t, newSource(t, connectors.Options{"url": srv.URL + "/api", "pagination": "page", "page_size": 2}))
	first := []string{"id", "amount", "rate", "ok", "note", "addr", "name", "emoji", "tail"}
	if got := rr.Header(); !reflect.DeepEqual(got, first) {
		t.Fatalf("header %q, want %q", got, first)
	}
	rows := connectortest.ReadAll(t, rr)
	const T, N = connectors.KindText, connectors.KindNumber
	want := []connectors.Row{
		{Pos: 1, Values: []string{"340799199001011234", "1500", "-0.002", "true", "", `{"town":"城关镇","no":[1,2]}`, "张\"三\"\n", "😀", "1.50"},
			Kinds: []connectors.CellKind{T, N, N, T, T, T, T, T, N}},
		{Pos: 2, Values: []string{"1", "", "", "false", "", "", "李四", "", ""},
			Kinds: []connectors.CellKind{T, T, T, T, T, T, T, T, T}},
		{Pos: 3, Values: []string{"2", "5", "", "", "", "", "", "", "", "新字段"},
			Kinds: []connectors.CellKind{T, N, T, T, T, T, T, T, T, T}},
	}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows\n got %+v\nwant %+v", rows, want)
	}
	if got, want := rr.Header(), append(first, "remark"); !reflect.DeepEqual(got, want) {
		t.Errorf("header after page 2: %q, want %q", got, want)
	}
}

// The fields option fixes the header's start, so that an empty response
// still has one; other keys follow.
func TestFieldsOption(t *testing.T) {
	srv := pagesServer(t, `[{"b": "2", "x": "9", "a": "1"}]`)
	rr := connectortest.OpenOnly(t, newSource(t, connectors.Options{"url": srv.URL + "/api", "pagination": "page", "fields": []any{"a", "b", "c"}}))
	rows := connectortest.ReadAll(t, rr)
	if got, want := rr.Header(), []string{"a", "b", "c", "x"}; !reflect.DeepEqual(got, want) {
		t.Errorf("header %q, want %q", got, want)
	}
	if want := []string{"1", "2", "", "9"}; len(rows) != 1 || !reflect.DeepEqual(rows[0].Values, want) {
		t.Errorf("rows %+v, want one row %q", rows, want)
	}
}

// A record that is not an object is an error naming its place.
func TestRecordNotObject(t *testing.T) {
	srv := pagesServer(t, `[{"a": 1}, "x"]`)
	_, err := syncErr(t.Context(), newSource(t, connectors.Options{"url": srv.URL + "/api", "pagination": "page"}))
	connectortest.WantErr(t, err, "source employment: /api: page 1: record 2 (at byte 11) is a string, not an object")
}
