package connectortest

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
)

// Helpers for a kind's own tests: the steps every kind's tests take the
// same way (build through the registry, open the one stream, read every
// row, check an error's words), kept here once.

// New builds a connector of kind through the registry, as the engine
// does, and closes it when the test ends.
func New(t testing.TB, kind string, src connectors.Source) connectors.Connector {
	t.Helper()
	c, err := connectors.New(kind, src)
	if err != nil {
		t.Fatalf("new connector: %v", err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	return c
}

// OnlyStream returns the connector's one stream, failing the test when
// it lists another number.
func OnlyStream(t testing.TB, c connectors.Connector) connectors.Stream {
	t.Helper()
	streams, err := c.Streams(context.Background())
	if err != nil {
		t.Fatalf("streams: %v", err)
	}
	if len(streams) != 1 {
		t.Fatalf("got %d streams, want 1", len(streams))
	}
	return streams[0]
}

// OpenOnly opens the connector's one stream; the reader is closed when
// the test ends.
func OpenOnly(t testing.TB, c connectors.Connector) connectors.RowReader {
	t.Helper()
	rr, err := OnlyStream(t, c).Open(context.Background())
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { rr.Close() })
	return rr
}

// ReadRows reads rows until io.EOF (a nil error) or another error, which
// it returns with the rows read before it. Values and Kinds are copied,
// since readers reuse them; a nil Values (a blank row) stays nil.
func ReadRows(rr connectors.RowReader) ([]connectors.Row, error) {
	var rows []connectors.Row
	for {
		row, err := rr.Next()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		if err != nil {
			return rows, err
		}
		if row.Values != nil {
			row.Values = append([]string{}, row.Values...)
		}
		if row.Kinds != nil {
			row.Kinds = append([]connectors.CellKind{}, row.Kinds...)
		}
		rows = append(rows, row)
	}
}

// ReadAll is ReadRows, failing the test on an error.
func ReadAll(t testing.TB, rr connectors.RowReader) []connectors.Row {
	t.Helper()
	rows, err := ReadRows(rr)
	if err != nil {
		t.Fatalf("next after %d rows: %v", len(rows), err)
	}
	return rows
}

// WantErr checks that err is set and contains every part.
func WantErr(t testing.TB, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}
