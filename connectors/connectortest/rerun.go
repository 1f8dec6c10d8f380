package connectortest

import (
	"slices"
	"strings"
	"testing"
)

// checkRerun reads a source again, as the next sync does.
func checkRerun(t *testing.T, f Fixture) {
	ds := awkward()

	// The same streams in the same order, with the same fingerprints (the
	// store skips a stream whose fingerprint it has loaded) and rows.
	t.Run("same_read", func(t *testing.T) {
		c := build(t, f, ds)
		first := mustRead(t, c, nil)
		second := mustRead(t, c, nil)
		if a, b := names(first), names(second); !slices.Equal(a, b) {
			t.Fatalf("streams changed between two reads of an unchanged source: %q, then %q", a, b)
		}
		for i := range first {
			if a, b := first[i].fingerprint, second[i].fingerprint; a != b {
				t.Errorf("stream %q: fingerprint changed between two reads of an unchanged source: %q, then %q", first[i].name, a, b)
			}
			if first[i].fingerprint == "" && !first[i].incremental {
				t.Logf("stream %q has neither a fingerprint nor a watermark: every sync reads it whole and the store skips rows by natural key", first[i].name)
			}
		}
		checkSame(t, f, ds, second)
	})

	// A fingerprint that stayed the same when the content changed would
	// make the store skip the new rows.
	t.Run("fingerprint_follows_content", func(t *testing.T) {
		a := mustRead(t, build(t, f, ds), nil)
		b := mustRead(t, build(t, f, changed(ds)), nil)
		compared := false
		for i := range min(len(a), len(b)) {
			if a[i].fingerprint == "" || b[i].fingerprint == "" {
				continue
			}
			compared = true
			if a[i].fingerprint == b[i].fingerprint {
				t.Errorf("stream %q: fingerprint %q is the same for a source where one value changed", b[i].name, b[i].fingerprint)
			}
		}
		if !compared {
			t.Skip("the streams have no fingerprint")
		}
	})

	// Resuming from the watermark a full read ended on reads nothing new
	// and keeps the watermark: a re-run loads nothing twice. Resuming from
	// "" (sync --full) reads everything again.
	t.Run("incremental", func(t *testing.T) {
		c := build(t, f, ds)
		first := mustRead(t, c, nil)
		marks := map[string]string{}
		for _, sr := range first {
			if !sr.incremental {
				continue
			}
			marks[sr.name] = sr.watermark
			if len(sr.rows) > 0 && sr.watermark == "" {
				t.Errorf("stream %q: Watermark is \"\" after reading %d rows; the next sync would read them all again", sr.name, len(sr.rows))
			}
		}
		if len(marks) == 0 {
			t.Skip("no stream is Incremental")
		}
		resumed := mustRead(t, c, marks)
		seen := map[string]bool{}
		for _, sr := range first {
			for _, r := range sr.rows {
				seen[sr.name+"\x00"+strings.Join(r.Values, "\x00")] = true
			}
		}
		for _, sr := range resumed {
			mark, ok := marks[sr.name]
			if !ok {
				continue
			}
			if sr.watermark != mark {
				t.Errorf("stream %q: resumed from %q and read nothing new, Watermark is %q; want %q", sr.name, mark, sr.watermark, mark)
			}
			for _, r := range sr.rows {
				switch {
				case !f.Lookback:
					t.Errorf("stream %q: resumed from %q, read the row at %d again: %s", sr.name, mark, r.Pos, fmtValues(r.Values))
				case !seen[sr.name+"\x00"+strings.Join(r.Values, "\x00")]:
					t.Errorf("stream %q: resumed from %q, read a row the full read did not: %s", sr.name, mark, fmtValues(r.Values))
				}
			}
		}
		checkSame(t, f, ds, mustRead(t, c, nil))
	})
}

func names(reads []streamRead) []string {
	out := make([]string, len(reads))
	for i, sr := range reads {
		out[i] = sr.name
	}
	return out
}
