package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// alignedServer serves n records (记录编号, updated_at) newest first at
// offset and page_size, taking only offsets that are multiples of the
// page size: others are rounded down, or, with reject, answered HTTP 400.
func alignedServer(t *testing.T, n int, reject bool) (*httptest.Server, *[]int) {
	var offsets []int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		size, _ := strconv.Atoi(r.URL.Query().Get("page_size"))
		offsets = append(offsets, off)
		if off%size != 0 {
			if reject {
				http.Error(w, `{"code":400,"msg":"offset must be a multiple of limit"}`, http.StatusBadRequest)
				return
			}
			off -= off % size
		}
		items := []map[string]any{}
		for i := off; i < off+size && i < n; i++ {
			k := n - 1 - i
			items = append(items, map[string]any{"记录编号": fmt.Sprintf("R%03d", k), "updated_at": updatedAt(k)})
		}
		b, _ := json.Marshal(map[string]any{"code": 0, "msg": "ok", "data": map[string]any{"items": items}})
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return srv, &offsets
}

// An API that rounds unaligned offsets down (or rejects them) cannot be
// read with the overlap: the read fails, saying to set overlap: false;
// with it, offsets go by the records received and a verify pass checks
// the read.
func TestOffsetAlignedOnly(t *testing.T) {
	for _, reject := range []bool{false, true} {
		t.Run(fmt.Sprint("reject=", reject), func(t *testing.T) {
			srv, offsets := alignedServer(t, 45, reject)
			o := connectors.Options{"url": srv.URL + endpoint, "records": "data.items", "pagination": "offset", "page_size": 20,
				"watermark_param": "updated_since", "watermark_field": "updated_at"}
			_, err := syncErr(t.Context(), newSource(t, o))
			want := "the page repeats"
			if reject {
				want = "HTTP 400"
			}
			connectortest.WantErr(t, err, want, "if the API takes only offsets that are multiples of page_size, set overlap: false")

			*offsets = nil
			o["overlap"] = false
			rows, err := syncErr(t.Context(), newSource(t, o))
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != 45 {
				t.Errorf("read %d rows, want 45", len(rows))
			}
			// Two passes (the verify pass), each 0, 20, 40 and the closing 45.
			if got, want := fmt.Sprint(*offsets), "[0 20 40 45 0 20 40 45]"; got != want {
				t.Errorf("offsets %s, want %s", got, want)
			}
		})
	}
}

// overlap is an offset paging option, and a bool.
func TestOverlapOptionChecked(t *testing.T) {
	for _, o := range []connectors.Options{
		{"url": "http://127.0.0.1:1/x", "pagination": "page", "overlap": false},
		{"url": "http://127.0.0.1:1/x", "pagination": "offset", "overlap": "no"},
	} {
		_, err := connectors.New("http", connectors.Source{Name: sourceName, BaseDir: t.TempDir(), Options: o})
		connectortest.WantErr(t, err, "options.overlap")
	}
}
