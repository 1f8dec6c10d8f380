package sqlsrc_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/lipwatch/lipwatch/connectors"

	"github.com/lipwatch/lipwatch/internal/pgtest"
)

// benchRows is the size of the benchmark's table.
const benchRows = 1_000_000

// benchTable makes (once per server) a table of a million settlement-like
// rows in six columns: text, text, date, text, numeric, timestamptz.
func benchTable(b *testing.B) string {
	const name = "bench_claims"
	conn := admin(b)
	ctx := context.Background()
	var n int64
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM "+name).Scan(&n); err == nil && n == benchRows {
		return name
	}
	exec(b, conn, "DROP TABLE IF EXISTS "+name)
	exec(b, conn, fmt.Sprintf(`CREATE TABLE %s AS SELECT
		'CL' || lpad(g::text, 10, '0') AS claim_id,
		'340799' || lpad((g::bigint * 7919 %% 100000000)::text, 12, '0') AS id_number,
		date '2025-01-01' + (g %% 450) AS settle_date,
		(ARRAY['县人民医院', '县中医院', '市第一人民医院', '某镇卫生院'])[g %% 4 + 1] AS hospital,
		round((g %% 90000 + 1000) * 1.37, 2)::numeric(12,2) AS total_cost,
		timestamptz '2025-01-01 08:00:00+08' + g * interval '13 seconds' AS updated_at
		FROM generate_series(1, %d) g`, name, benchRows))
	exec(b, conn, "VACUUM ANALYZE "+name)
	return name
}

// BenchmarkPostgres reads a million six-column rows through the connector
// and, in the same loop, the same query through COPY ... TO STDOUT into
// io.Discard: the fastest way to get the rows off the server as text, with
// nothing done with them. It reports both rates and connector/copy.
func BenchmarkPostgres(b *testing.B) {
	tbl := benchTable(b)
	query := "SELECT claim_id, id_number, settle_date, hospital, total_cost, updated_at FROM " + tbl
	for _, fetch := range []int{0, 10000} {
		b.Run(fmt.Sprintf("fetch_size=%d", fetch), func(b *testing.B) {
			c := newSQL(b, "medical", connectors.Options{"query": query, "fetch_size": fetch})
			cp, err := pgconn.Connect(b.Context(), pgtest.URL(b))
			if err != nil {
				b.Fatal(err)
			}
			defer cp.Close(context.Background())
			var conn, copyTime time.Duration
			for b.Loop() {
				start := time.Now()
				if n := readCount(b, c); n != benchRows {
					b.Fatalf("connector read %d rows, want %d", n, benchRows)
				}
				conn += time.Since(start)
				start = time.Now()
				tag, err := cp.CopyTo(b.Context(), io.Discard, "COPY ("+query+") TO STDOUT")
				if err != nil {
					b.Fatal(err)
				}
				if tag.RowsAffected() != benchRows {
					b.Fatalf("copy read %d rows", tag.RowsAffected())
				}
				copyTime += time.Since(start)
			}
			rows := float64(benchRows) * float64(b.N)
			b.ReportMetric(rows/conn.Seconds(), "connector_rows/s")
			b.ReportMetric(rows/copyTime.Seconds(), "copy_rows/s")
			b.ReportMetric(copyTime.Seconds()/conn.Seconds(), "connector/copy")
		})
	}
}

// readCount reads every row of the connector's stream, checking its width.
func readCount(b *testing.B, c connectors.Connector) int {
	rr, err := only(b, c).Open(b.Context())
	if err != nil {
		b.Fatal(err)
	}
	defer rr.Close()
	n := 0
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		if len(row.Values) != 6 {
			b.Fatalf("row %d has %d values", row.Pos, len(row.Values))
		}
		n++
	}
}
