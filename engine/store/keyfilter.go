package store

import "github.com/bits-and-blooms/bloom/v3"

// keyFilter remembers, approximately, the natural keys a stream has
// appended, so that a row whose key may repeat an earlier one is held
// aside instead of appended to the dataset table (StreamLoad.Append).
// Finish then checks only the held rows exactly. Deleting an appended row
// is what it avoids: DuckDB merges a transaction's appended rows into the
// table at commit only when the transaction deleted none of them, and
// otherwise appends every row again through the write-ahead log (22.9M
// contributions rows holding 17 repeats: COMMIT 29 s, against 0.13 s held
// aside; docs/SCALE.md 3.4.7).
//
// It is a series of Bloom filters, as in a scalable Bloom filter (Almeida,
// Baquero, Preguiça and Hutchison, "Scalable Bloom Filters", Information
// Processing Letters 101(6), 2007): when a part holds the keys it was
// sized for, a part twice its size takes the next ones. The first part is
// sized for the rows the caller expects (StreamLoad.Expect), else for
// filterFirstCap. Every part has 3 hash functions, each a cache miss in a
// large filter (the library's 7–13 cost 0.46 µs a key at 4M keys), and
// filterBits bits a key, 2 more each part: a full first part reports a
// key never added as seen with probability 1.7%, and all parts together
// at most 5.5%. A key added is always reported seen.
type keyFilter struct {
	parts []*bloom.BloomFilter
	n     uint // keys added to the newest part
	cap   uint // keys the newest part is sized for
	bits  uint // its bits a key
}

const (
	filterFirstCap = 1 << 16 // keys of the first part when no size is expected
	filterMaxCap   = 1 << 28 // at most this many keys expected (335 MB)
	filterBits     = 10      // bits a key in the first part
	filterHashes   = 3
)

// expect sizes the filter's first part for n keys; before any key only.
func (f *keyFilter) expect(n int64) {
	if len(f.parts) == 0 && n > filterFirstCap {
		f.cap = uint(min(n, filterMaxCap))
	}
}

// seen reports whether key may have been given to seen before (true for
// every key that was, and for a few that were not), and remembers it.
func (f *keyFilter) seen(key string) bool {
	switch {
	case len(f.parts) == 0:
		f.cap, f.bits = max(f.cap, filterFirstCap), filterBits
		f.parts = append(f.parts, bloom.New(f.cap*f.bits, filterHashes))
	case f.n == f.cap: // the newest part is full: a larger one takes the keys
		f.cap, f.bits, f.n = 2*f.cap, f.bits+2, 0
		f.parts = append(f.parts, bloom.New(f.cap*f.bits, filterHashes))
	}
	b := []byte(key)
	newest := f.parts[len(f.parts)-1]
	if len(f.parts) > 1 {
		locs := bloom.Locations(b, filterHashes) // one hash for every older part
		for _, p := range f.parts[:len(f.parts)-1] {
			if p.TestLocations(locs) {
				return true
			}
		}
	}
	if newest.TestOrAdd(b) {
		return true
	}
	f.n++
	return false
}
