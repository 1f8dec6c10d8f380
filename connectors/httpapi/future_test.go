package httpapi_test

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// A record whose update time is a typo in the future (2099-12-31) is
// loaded like the others but never becomes the watermark, so the records
// updated after this sync are read by the next one instead of being
// skipped until 2099.
func TestFutureWatermark(t *testing.T) {
	recs := employment(10)
	recs[4]["updated_at"] = "2099-12-31T00:00:00+08:00"
	srv := serve(t, recs, fakeapi.Options{UpdatedField: "updated_at"})
	c := newSource(t, incOpts(srv, ""))
	rows, _, mark, notes, err := incRead(t, c, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 {
		t.Errorf("read %d rows, want 10 (the future one too)", len(rows))
	}
	if mark != updatedAt(9) {
		t.Errorf("watermark %q, want %q, the greatest not after the sync's start", mark, updatedAt(9))
	}
	if n := noteCount(notes, connectors.NoteFutureWatermark); n != 1 {
		t.Errorf("notes %+v, want a future_watermark note counting 1", notes)
	}
	wantNote(t, notes, connectors.NoteFutureWatermark, "1 record with updated_at after the sync's start (greatest 2099-12-31T00:00:00+08:00): loaded, not used as the watermark")

	srv.Add(employmentFrom(10, 3)...)
	rows, header, mark, _, err := incRead(t, c, mark)
	if err != nil {
		t.Fatal(err)
	}
	ids := column(t, header, rows, "身份证号")
	for _, r := range employmentFrom(10, 3) {
		if !contains(ids, r["身份证号"].(string)) {
			t.Errorf("record updated after the sync (%s) not read by the next one", r["updated_at"])
		}
	}
	if mark != updatedAt(12) {
		t.Errorf("watermark %q, want %q", mark, updatedAt(12))
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// wantNote checks that the note with code says text.
func wantNote(t *testing.T, notes []connectors.Note, code, text string) {
	t.Helper()
	for _, n := range notes {
		if n.Code == code {
			if n.Text != text {
				t.Errorf("note %s: %q, want %q", code, n.Text, text)
			}
			return
		}
	}
	t.Errorf("no note %s in %+v", code, notes)
}

// naiveSource serves records whose updated_at is written without a zone,
// read with the sync's start at start, in loc (the county's zone) and
// the timezone option tz when set.
func naiveSource(t *testing.T, values []string, start time.Time, loc *time.Location, tz string) connectors.Connector {
	t.Helper()
	recs := employment(len(values))
	for i, v := range values {
		recs[i]["updated_at"] = v
	}
	srv := serve(t, recs, fakeapi.Options{UpdatedField: "updated_at"})
	o := maps.Clone(fast)
	maps.Copy(o, incOpts(srv, ""))
	if tz != "" {
		o["timezone"] = tz
	}
	c, err := connectors.New("http", connectors.Source{Name: sourceName, Options: o, Location: loc})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(t.Context()) })
	httpapi.SetNow(c, func() time.Time { return start })
	return c
}

// Values without a zone are judged in the source's zone: the timezone
// option, else the county's (Source.Location, UTC+8 when unset). A
// date-only value is in the future only when its date is after the
// start's date there.
func TestFutureJudgedInSourceZone(t *testing.T) {
	shanghai, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	// 03:00 UTC is 11:00 in Shanghai; 17:00 UTC is 01:00 the next day.
	morning := time.Date(2026, 3, 5, 3, 0, 0, 0, time.UTC)
	night := time.Date(2026, 3, 5, 17, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		values []string
		start  time.Time
		loc    *time.Location
		tz     string
		mark   string
		future int64
	}{
		{"county zone unset (UTC+8)", []string{"2026-03-05 09:00:00", "2026-03-05 10:20:30"}, morning, nil, "", "2026-03-05 10:20:30", -1},
		{"county Shanghai", []string{"2026-03-05 09:00:00", "2026-03-05 10:20:30"}, morning, shanghai, "", "2026-03-05 10:20:30", -1},
		{"county UTC", []string{"2026-03-05 09:00:00", "2026-03-05 10:20:30"}, morning, time.UTC, "", "", 2},
		{"option UTC over county Shanghai", []string{"2026-03-05 02:00:00", "2026-03-05 10:20:30"}, morning, shanghai, "UTC", "2026-03-05 02:00:00", 1},
		{"option Shanghai over county UTC", []string{"2026-03-05T10:20:30"}, morning, time.UTC, "Asia/Shanghai", "2026-03-05T10:20:30", -1},
		{"zone written in the value", []string{"2026-03-05T10:20:30Z", "2026-03-05T10:20:30+08:00"}, morning, shanghai, "", "2026-03-05T10:20:30+08:00", 1},
		{"date of the start", []string{"2026-03-05", "2026-03-06"}, morning, shanghai, "", "2026-03-05", 1},
		{"date of the start, past midnight there", []string{"2026-03-05", "2026-03-06"}, night, shanghai, "", "2026-03-06", -1},
		{"date after the start's in UTC", []string{"2026-03-05", "2026-03-06"}, night, shanghai, "UTC", "2026-03-05", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := naiveSource(t, tt.values, tt.start, tt.loc, tt.tz)
			rows, _, mark, notes, err := incRead(t, c, "")
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(tt.values) {
				t.Errorf("read %d rows, want %d", len(rows), len(tt.values))
			}
			if mark != tt.mark {
				t.Errorf("watermark %q, want %q", mark, tt.mark)
			}
			if n := noteCount(notes, connectors.NoteFutureWatermark); n != tt.future {
				t.Errorf("future_watermark count %d, want %d (notes %+v)", n, tt.future, notes)
			}
		})
	}
}

// Records with no watermark value, or one that is not a time, are loaded
// and counted in notes; the notes hold counts and plain words only.
func TestNullAndBadWatermarks(t *testing.T) {
	recs := employment(6)
	recs[1]["updated_at"] = ""
	delete(recs[2], "updated_at")
	recs[3]["updated_at"] = nil
	recs[4]["updated_at"] = "测试3 昨天"
	srv := serve(t, recs, fakeapi.Options{UpdatedField: "updated_at"})
	rows, _, mark, notes, err := incRead(t, newSource(t, incOpts(srv, "")), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 6 || mark != updatedAt(5) {
		t.Errorf("%d rows, watermark %q; want 6, %q", len(rows), mark, updatedAt(5))
	}
	if noteCount(notes, connectors.NoteNullWatermark) != 3 || noteCount(notes, connectors.NoteBadWatermark) != 1 || noteCount(notes, connectors.NoteFutureWatermark) != -1 {
		t.Errorf("notes %+v, want 3 null, 1 bad, no future", notes)
	}
	wantNote(t, notes, connectors.NoteNullWatermark, "3 records with no updated_at (null or empty): loaded, but an incremental read's updated_since filter never matches them again; a reconcile re-reads them")
	for _, n := range notes {
		if strings.Contains(n.Text, "测试") || strings.Contains(n.Text, "340799") {
			t.Errorf("note shows record data: %q", n.Text)
		}
	}
}

// A saved watermark after the sync's start (saved from a future-dated
// record by an older version) is not sent: the source is read from the
// start, with a note, and the new watermark is the greatest value not
// after the start, not the saved one.
func TestSavedWatermarkFromTheFuture(t *testing.T) {
	srv := serve(t, employment(10), fakeapi.Options{UpdatedField: "updated_at"})
	rows, _, mark, notes, err := incRead(t, newSource(t, incOpts(srv, "48h")), "2099-12-31 00:00:00")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 10 {
		t.Errorf("read %d rows, want all 10", len(rows))
	}
	for _, r := range srv.Requests() {
		if _, sent := r.Query["updated_since"]; sent {
			t.Errorf("the future watermark was sent: %v", r.Query)
		}
	}
	if mark != updatedAt(9) {
		t.Errorf("watermark %q, want %q", mark, updatedAt(9))
	}
	if noteCount(notes, connectors.NoteWatermarkReset) != 1 {
		t.Errorf("notes %+v, want a watermark_reset note", notes)
	}
}

// A read that fails leaves the watermark as it was, even after rows with
// later values were read.
func TestFailedReadKeepsWatermark(t *testing.T) {
	srv := serve(t, employment(30), fakeapi.Options{UpdatedField: "updated_at"})
	srv.SetFaults(fakeapi.Faults{TruncatePage: 3})
	const saved = "2026-02-01T00:00:00+08:00"
	rows, _, mark, _, err := incRead(t, newSource(t, incOpts(srv, "")), saved)
	connectortest.WantErr(t, err, "page 3: invalid JSON")
	if len(rows) != 20 || mark != saved {
		t.Errorf("%d rows, watermark %q; want 20 rows and the saved %q", len(rows), mark, saved)
	}
}
