// Package sqlrows writes rows into a table through database/sql, for the
// few places that add rows computed in Go (identity resolution's names and
// pinyin) outside engine/store, the one package that links DuckDB and so
// its Appender: multi-row INSERTs of up to Batch rows, each value a bound
// parameter. At a million people they took 1.4 s for 70,000 rows, which
// is why the store hands the linker its Appender (link.Options.Append).
package sqlrows

import (
	"context"
	"database/sql"
	"strings"
)

// Batch is the most rows one INSERT carries.
const Batch = 500

// Execer is what *sql.DB, *sql.Conn and *sql.Tx offer.
type Execer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// Insert writes rows (each with one value per column of table, in the
// table's column order) into table. It returns the first error.
func Insert(ctx context.Context, db Execer, table string, rows [][]any) error {
	for len(rows) > 0 {
		n := min(Batch, len(rows))
		var b strings.Builder
		args := make([]any, 0, n*len(rows[0]))
		b.WriteString("INSERT INTO " + table + " VALUES ")
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("(" + strings.TrimSuffix(strings.Repeat("?,", len(r)), ",") + ")")
			args = append(args, r...)
		}
		if _, err := db.ExecContext(ctx, b.String(), args...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}
