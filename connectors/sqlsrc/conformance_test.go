package sqlsrc_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"

	"github.com/lipwatch/lipwatch/internal/pgtest"
)

// The sql kind passes the suite every connector kind passes, reading a
// table the fixture fills: text columns, and updated_at as a timestamptz
// (rendered back in RFC 3339, UTC as the fixture's session sets it) that
// is also the watermark, with a lookback.
func TestConformance(t *testing.T) {
	pgtest.URL(t)
	connectortest.Run(t, connectortest.Fixture{
		Kind: "sql",
		New: func(t *testing.T, header []string, rows [][]string) connectors.Connector {
			conn := admin(t)
			cols := make([]string, len(header))
			for i, h := range header {
				cols[i] = pgx.Identifier{h}.Sanitize() + " text"
			}
			tbl := table(t, conn, strings.Join(cols, ", "))
			src := make([][]any, len(rows))
			for i, r := range rows {
				src[i] = make([]any, len(r))
				for j, v := range r {
					src[i][j] = v
				}
			}
			if _, err := conn.CopyFrom(context.Background(), pgx.Identifier{tbl}, header, pgx.CopyFromRows(src)); err != nil {
				t.Fatalf("fill %s: %v", tbl, err)
			}
			upd := pgx.Identifier{connectortest.UpdatedColumn}.Sanitize()
			exec(t, conn, "ALTER TABLE "+tbl+" ALTER COLUMN "+upd+" TYPE timestamptz USING "+upd+"::timestamptz")
			t.Setenv("LIPWATCH_TEST_CONFORMANCE_DSN", withParam(t, pgtest.URL(t), "timezone", "UTC"))
			return newSQL(t, "conformance", connectors.Options{
				"dsn_env":           "LIPWATCH_TEST_CONFORMANCE_DSN",
				"query":             "SELECT * FROM " + tbl + " WHERE " + upd + " > $1 ORDER BY " + pgx.Identifier{connectortest.IDColumn}.Sanitize(),
				"watermark_column":  connectortest.UpdatedColumn,
				"watermark_initial": "1970-01-01T00:00:00Z",
				"lookback":          "1h",
			})
		},
		Broken: map[string]func(t *testing.T, source string) connectors.Connector{
			"missing_table": func(t *testing.T, source string) connectors.Connector {
				return newSQL(t, source, connectors.Options{"query": "SELECT * FROM no_such_table"})
			},
			"wrong_password": func(t *testing.T, source string) connectors.Connector {
				u, err := url.Parse(pgtest.URL(t))
				if err != nil {
					t.Fatal(err)
				}
				u.User = url.UserPassword(u.User.Username(), "not-the-password")
				t.Setenv("LIPWATCH_TEST_CONFORMANCE_BAD_DSN", u.String())
				return newSQL(t, source, connectors.Options{"query": "SELECT 1", "dsn_env": "LIPWATCH_TEST_CONFORMANCE_BAD_DSN"})
			},
			"fails_mid_result": func(t *testing.T, source string) connectors.Connector {
				return newSQL(t, source, connectors.Options{"query": "SELECT 10 / (500 - g) FROM generate_series(1, 1000) g"})
			},
		},
		Slow: func(t *testing.T) connectors.Connector {
			return newSQL(t, "slow", connectors.Options{"query": "SELECT pg_sleep(60)"})
		},
		Lookback: true,
	})
}
