package store

import (
	"context"
	"database/sql"
	"database/sql/driver"

	duckdb "github.com/duckdb/duckdb-go/v2"
)

// Shared returns a view of s for one user of a store that stays open while
// it works: `lipwatch serve` holds the store from start to stop and runs
// the commands the CLI forwards to it on views of its own. A view reads and
// writes s's database through a connection pool of its own; its Close
// closes that pool and never s, nor the database under it, nor the file
// naming s's holder. Close s only after its views are done.
//
// Never open the same file twice in one process instead: two DuckDB
// instances on one file (the lock DuckDB takes is per process) corrupt it.
func (s *Store) Shared() *Store {
	return &Store{db: sql.OpenDB(sharedConnector{s.connector}), connector: s.connector, path: s.path}
}

// sharedConnector connects to the database of a connector another Store
// owns. It has no Close method, so that closing the view's sql.DB (which
// closes a connector that is an io.Closer) leaves the database open.
type sharedConnector struct{ c *duckdb.Connector }

func (sc sharedConnector) Connect(ctx context.Context) (driver.Conn, error) { return sc.c.Connect(ctx) }

func (sc sharedConnector) Driver() driver.Driver { return sc.c.Driver() }
