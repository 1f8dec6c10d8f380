// Package all links every connector kind into the binary: each kind's
// package registers itself in init, so importing this package for its side
// effects makes them all available to connectors.New.
package all

import (
	// Kind "file": CSV and Excel files.
	_ "github.com/lipwatch/lipwatch/connectors/file"
	// Kind "http": JSON APIs over HTTP(S).
	_ "github.com/lipwatch/lipwatch/connectors/httpapi"
	// Kind "sql": a query against a department's PostgreSQL database.
	_ "github.com/lipwatch/lipwatch/connectors/sqlsrc"
)
