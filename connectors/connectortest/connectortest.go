// Package connectortest is the conformance suite every connector kind
// passes. A kind's tests describe how to build its connectors over given
// rows (a Fixture) and call Run; the suite then checks what the sync relies
// on and cannot check itself: rows come back exactly, a cancelled context
// stops work promptly, Close is safe twice, an empty source loads nothing,
// errors name the source, and a re-run loads nothing twice.
//
// The suite is written against the connectors interfaces only, so a kind
// passes it by its behaviour, not by sharing code with the others.
package connectortest

import (
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// Grace is how long the suite waits for a call to return once its context
// is cancelled before it gives up on it. It is a safety net against a call
// that never returns, not a timing requirement: a connector is expected to
// stop at once, and the margin is wide for loaded CI machines and -race.
const Grace = 5 * time.Second

// BrokenSource is the source name the suite passes to Fixture.Broken.
// Errors from a broken source must contain it (or the failing stream's
// name); it is distinctive so that it cannot appear in a message by chance.
const BrokenSource = "lw_broken_src"

// The columns every data set the suite builds has, so that a fixture for an
// incremental kind can key its watermark or cursor on either. Values are
// text of equal width in a data set, so that their text order, numeric
// order and row order agree.
const (
	// IDColumn holds a unique key that increases with the row order.
	IDColumn = "id"
	// UpdatedColumn holds an RFC 3339 UTC timestamp that increases with
	// the row order, as an updated_since parameter or column would.
	UpdatedColumn = "updated_at"
)

// Fixture describes how to build connectors of the kind under test.
type Fixture struct {
	// Kind names the kind in messages, e.g. "file" or "httpapi".
	Kind string

	// New returns a connector whose streams hold exactly rows under
	// header, concatenated in stream order (usually one stream). rows may
	// be empty: the source then exists and holds no rows. Every value is
	// text, to be stored and served as text ("0012" stays "0012"). New
	// registers its own cleanup (t.TempDir, t.Cleanup); the suite closes
	// the connector itself. Required.
	New func(t *testing.T, header []string, rows [][]string) connectors.Connector

	// Broken are sources that must fail, by case name: a path that
	// matches nothing, a file that is not what it claims, a server that
	// answers 500, a query on a missing table. Each returns a connector
	// whose Source.Name is source; the failure may come from Streams,
	// Fingerprint, Open or Next. A case may call t.Skip (e.g. a permission
	// test when running as root). At least one is required.
	Broken map[string]func(t *testing.T, source string) connectors.Connector

	// Slow, when set, returns a connector whose reading never ends on its
	// own: a server that stalls mid-page, a query that sleeps. It may
	// block in Streams, Open or Next; the suite cancels the context and
	// expects the read to stop with context.Canceled. Kinds whose reads
	// cannot stall (local files) leave it nil and the check is skipped.
	Slow func(t *testing.T) connectors.Connector

	// AnyColumnOrder lets Header return the columns in another order
	// (e.g. a JSON API whose records are objects); values are then
	// compared by column name. The set of columns must still be exact.
	AnyColumnOrder bool

	// Lookback says the kind's Incremental streams re-read a window before
	// the saved watermark, for late-arriving rows. A resumed read may then
	// return rows already read (the store skips them by natural key), but
	// never a row it had not read before.
	Lookback bool
}

// Run runs the conformance checks against the fixture, each as a subtest:
//
//   - rows: rows come back exactly: header, values, positions increasing;
//     kept strings stay intact while Values slices are reused.
//   - empty: an empty source reads no rows and is not an error.
//   - cancel: a cancelled context stops Streams, Open and reading with an
//     error wrapping context.Canceled.
//   - close: Close is safe twice, also after a failed Open.
//   - errors_name_source: a failing source's error names it.
//   - rerun: a second read sees the same streams, fingerprints and rows; a
//     resumed Incremental stream reads nothing twice; a changed source
//     changes its fingerprint.
func Run(t *testing.T, f Fixture) {
	t.Helper()
	if f.New == nil {
		t.Fatalf("connectortest: Fixture.New is required (kind %q)", f.Kind)
	}
	t.Run("rows", func(t *testing.T) { checkRows(t, f) })
	t.Run("empty", func(t *testing.T) { checkEmpty(t, f) })
	t.Run("cancel", func(t *testing.T) { checkCancel(t, f) })
	t.Run("close", func(t *testing.T) { checkClose(t, f) })
	t.Run("errors_name_source", func(t *testing.T) { checkErrors(t, f) })
	t.Run("rerun", func(t *testing.T) { checkRerun(t, f) })
}
