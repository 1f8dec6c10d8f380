package httpapi_test

import (
	"errors"
	"io"
	"testing"

	"github.com/lipwatch/lipwatch/connectors/connectortest"

	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// BenchmarkHTTPRows reads 100,000 records from the fake API in pages of
// 1,000 through the RowReader, as the sync does, and reports rows per
// second. Server and client share the machine, so the figure includes
// the fake's side of the work.
func BenchmarkHTTPRows(b *testing.B) {
	const n = 100_000
	srv := serve(b, employment(n), fakeapi.Options{MaxPageSize: 1000})
	c := newSource(b, pageOpts(srv, "page", 1000))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rr, err := connectortest.OnlyStream(b, c).Open(b.Context())
		if err != nil {
			b.Fatal(err)
		}
		rows := 0
		for {
			row, err := rr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatalf("after %d rows: %v", rows, err)
			}
			if len(row.Values) != len(fields) {
				b.Fatalf("row %d has %d values", row.Pos, len(row.Values))
			}
			rows++
		}
		rr.Close()
		if rows != n {
			b.Fatalf("read %d rows, want %d", rows, n)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
