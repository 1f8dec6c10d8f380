package sqlsrc_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"

	"github.com/lipwatch/lipwatch/internal/pgtest"
)

// A timestamp without time zone holding UTC (timezone: UTC) is written as
// the instant it is, so that the dataset layer, which dates an instant in
// the county's zone, dates 2026-03-04 20:00 UTC as 2026-03-05; the
// watermark keeps the value as the database wrote it.
func TestNaiveTimestampInUTC(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "id text, 结算时间 timestamp", "'A', '2026-03-04 20:00:00'", "'B', '2026-03-04 09:30:00.25'", "'C', NULL", "'D', 'infinity'")
	shanghai := zone(t, "Asia/Shanghai")
	opts := func(tz string) connectors.Options {
		o := connectors.Options{
			"query":             "SELECT id, 结算时间 FROM " + tbl + " WHERE 结算时间 > $1 OR 结算时间 IS NULL ORDER BY id",
			"watermark_column":  "结算时间",
			"watermark_initial": "1970-01-01 00:00:00",
			"lookback":          "1h",
		}
		if tz != "" {
			o["timezone"] = tz
		}
		return o
	}
	s := only(t, newSQLIn(t, "medical", shanghai, opts("UTC")))
	s.Resume("")
	res := readAll(t, s)
	checkTable(t, res.rows, [][]string{
		{"A", "2026-03-04T20:00:00Z"},
		{"B", "2026-03-04T09:30:00.25Z"},
		{"C", ""},
		{"D", "infinity"},
	})
	at, err := time.Parse(time.RFC3339, res.rows[0][1])
	if err != nil || at.In(shanghai).Format("2006-01-02") != "2026-03-05" {
		t.Errorf("%q is dated %s in China, want 2026-03-05", res.rows[0][1], at.In(shanghai).Format("2006-01-02"))
	}
	saved := s.Watermark()
	if saved != "2026-03-04 20:00:00" {
		t.Errorf("watermark %q, want the value as the database wrote it", saved)
	}
	if c := res.counts(); !reflect.DeepEqual(c, map[string]int64{connectors.NoteNullWatermark: 1, connectors.NoteBadWatermark: 1}) {
		t.Errorf("notes %v", c)
	}
	// $1 goes back as written: 19:00 in the database's terms reads A again.
	s.Resume(saved)
	if _, rows := read(t, s); !reflect.DeepEqual(col(rows, 0), []string{"A", "C", "D"}) {
		t.Errorf("resumed read %q, want A (in the window), C and D", col(rows, 0))
	}

	// Another zone with another offset; the county's own zone (named or
	// by default) leaves the value naive, as before.
	for tz, want := range map[string]string{
		"Asia/Kolkata":  "2026-03-04T20:00:00+05:30",
		"America/Lima":  "2026-03-04T20:00:00-05:00",
		"Asia/Shanghai": "2026-03-04T20:00:00",
		"":              "2026-03-04T20:00:00",
	} {
		s := only(t, newSQLIn(t, "medical", shanghai, opts(tz)))
		s.Resume("")
		if _, rows := read(t, s); rows[0][1] != want {
			t.Errorf("timezone %q: %q, want %q", tz, rows[0][1], want)
		}
	}
}

// Date-time text in a naive form is in the timezone option's zone too,
// for the future check; the text itself is passed as written.
func TestNaiveTextInZone(t *testing.T) {
	conn := admin(t)
	tbl := table(t, conn, "id text, wm text", "'A', '2026-03-04 20:00:00'", "'B', '2099-01-01 00:00:00'")
	s := only(t, newSQLIn(t, "medical", zone(t, "Asia/Shanghai"), connectors.Options{
		"query":             "SELECT id, wm FROM " + tbl + " WHERE wm > $1 ORDER BY id",
		"watermark_column":  "wm",
		"watermark_initial": "0",
		"timezone":          "UTC",
	}))
	s.Resume("")
	res := readAll(t, s)
	checkTable(t, res.rows, [][]string{{"A", "2026-03-04 20:00:00"}, {"B", "2099-01-01 00:00:00"}})
	if s.Watermark() != "2026-03-04 20:00:00" || res.counts()[connectors.NoteFutureWatermark] != 1 {
		t.Errorf("watermark %q, notes %v", s.Watermark(), res.counts())
	}
}

// The session's TimeZone is the county's zone when the connection string
// does not set one and the zone has a name PostgreSQL knows, so that
// timestamptz values come with the county's offset.
func TestSessionTimeZone(t *testing.T) {
	var serverDefault string
	if err := admin(t).QueryRow(t.Context(), "SELECT current_setting('TimeZone')").Scan(&serverDefault); err != nil {
		t.Fatal(err)
	}
	query := "SELECT current_setting('TimeZone') AS tz, timestamptz '2026-03-04 20:00:00Z' AS t"
	tests := []struct {
		name   string
		loc    *time.Location
		dsnTZ  string
		tz, ts string
	}{
		{"county zone", zone(t, "Asia/Shanghai"), "", "Asia/Shanghai", "2026-03-05T04:00:00+08:00"},
		{"another county", zone(t, "Asia/Urumqi"), "", "Asia/Urumqi", "2026-03-05T02:00:00+06:00"},
		{"connection string wins", zone(t, "Asia/Shanghai"), "UTC", "UTC", "2026-03-04T20:00:00Z"},
		{"fixed zone", time.FixedZone("UTC+8", 8*3600), "", serverDefault, ""},
		{"default", nil, "", serverDefault, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dsn := pgtest.URL(t)
			if tt.dsnTZ != "" {
				dsn = withParam(t, dsn, "timezone", tt.dsnTZ)
			}
			t.Setenv("LIPWATCH_TEST_TZ_DSN", dsn)
			_, rows := read(t, only(t, newSQLIn(t, "fishers", tt.loc, connectors.Options{"query": query, "dsn_env": "LIPWATCH_TEST_TZ_DSN"})))
			if rows[0][0] != tt.tz || (tt.ts != "" && rows[0][1] != tt.ts) {
				t.Errorf("session %q, %q; want %q, %q", rows[0][0], rows[0][1], tt.tz, tt.ts)
			}
		})
	}
}
