package ingest

import (
	"fmt"
	"hash/maphash"
	"sort"
	"strings"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/store"
)

// RepeatKeep is how many copies of one bad row — the same content,
// quarantined for the same reason in the same column — a stream puts in
// quarantine, blank rows included. Further copies are only counted, in a
// note on the stream's load (NoteBlankRows, NoteRepeatedBadRows), and left
// out of its rows read: a file of a million blank lines, or of one broken
// line repeated, would otherwise put a million rows in quarantine (1 GB of
// memory while loading them). Nothing of the data is lost: copies of one
// row are one row, and a fixed mapping (quarantine retry) loads it from the
// copies kept.
const RepeatKeep = 100

// Notes on a load about rows counted rather than quarantined one by one.
const (
	// NoteBlankRows: the stream had more blank rows (every cell empty)
	// than RepeatKeep of one shape. Count is all its blank rows; RepeatKeep
	// of each shape are in quarantine, the others only counted.
	NoteBlankRows = "blank_rows"
	// NoteRepeatedBadRows: bad rows past the RepeatKeep-th copy of
	// themselves, only counted. Count is the rows counted, not the copies
	// kept in quarantine.
	NoteRepeatedBadRows = "repeated_bad_rows"
)

// maxRepeatKeys bounds the distinct bad rows a stream's repeats are
// tracked for (a hash and a count each, some 40 bytes): past it, a new
// distinct bad row is quarantined as before, however often it repeats.
const maxRepeatKeys = 1 << 20

// repeats counts the bad rows of one stream by content, so that copies
// past RepeatKeep are counted instead of quarantined. It keeps a 64-bit
// hash of each distinct row, not the row: two different rows hashing alike
// (a chance in 2^64 for a pair) would share one count.
type repeats struct {
	seed maphash.Seed
	seen map[uint64]int64

	blank   int64            // blank rows seen, kept or not
	counted map[string]int64 // rows counted, not kept, by reason code and column ("code\x00column")
	rows    int              // distinct rows that went past RepeatKeep, blank ones aside
	total   int64            // rows counted, not kept
}

func newRepeats() *repeats {
	return &repeats{seed: maphash.MakeSeed(), seen: map[uint64]int64{}, counted: map[string]int64{}}
}

// over reports whether a bad row with this problem and raw content (as
// RawJSON writes it) is past RepeatKeep copies of itself in the stream,
// and counts it then.
func (r *repeats) over(p *dataset.Problem, raw string) bool {
	if p.Code == dataset.BlankRow {
		r.blank++
	}
	var h maphash.Hash
	h.SetSeed(r.seed)
	h.WriteString(p.Code)
	h.WriteByte(0)
	h.WriteString(p.Column)
	h.WriteByte(0)
	h.WriteString(raw)
	k := h.Sum64()
	n, ok := r.seen[k]
	if !ok && len(r.seen) >= maxRepeatKeys {
		return false
	}
	n++
	r.seen[k] = n
	if n <= RepeatKeep {
		return false
	}
	if n == RepeatKeep+1 && p.Code != dataset.BlankRow {
		r.rows++
	}
	r.counted[p.Code+"\x00"+p.Column]++
	r.total++
	return true
}

// notes are the stream's notes about the rows counted, none when every bad
// row is in quarantine. They name reason codes and columns, never values.
func (r *repeats) notes() []store.Note {
	if r.total == 0 {
		return nil
	}
	var out []store.Note
	blank := r.counted[dataset.BlankRow+"\x00"]
	if blank > 0 {
		out = append(out, store.Note{Code: NoteBlankRows, Count: r.blank,
			Text: fmt.Sprintf("%s blank %s (every cell empty): %s in quarantine, the other %s only counted (among the rows read and blank rows)",
				grouped(r.blank), plural(r.blank, "row", "rows"), grouped(r.blank-blank), grouped(blank))})
	}
	if bad := r.total - blank; bad > 0 {
		type reason struct {
			n    int64
			what string
		}
		var rs []reason
		for k, n := range r.counted {
			code, col, _ := strings.Cut(k, "\x00")
			if code == dataset.BlankRow {
				continue
			}
			if col != "" {
				code += " in " + col
			}
			rs = append(rs, reason{n, code})
		}
		sort.Slice(rs, func(i, j int) bool {
			if rs[i].n != rs[j].n {
				return rs[i].n > rs[j].n
			}
			return rs[i].what < rs[j].what
		})
		var reasons []string
		for _, x := range rs {
			reasons = append(reasons, grouped(x.n)+" "+x.what)
		}
		out = append(out, store.Note{Code: NoteRepeatedBadRows, Count: bad,
			Text: fmt.Sprintf("%s more %s of %s bad %s repeated more than %d times (%s) only counted (among the rows read and bad rows); the first %d copies of each are in quarantine",
				grouped(bad), plural(bad, "copy", "copies"), grouped(int64(r.rows)), plural(int64(r.rows), "row", "rows"), RepeatKeep,
				strings.Join(reasons, "; "), RepeatKeep)})
	}
	return out
}
