// Package gen writes a synthetic county deterministically from a seed: the
// department files lipwatch loads (registry, income assessments, assistance
// roster, medical settlements, disability certificates, employment records,
// retired fishers, the assets: vehicles, real property, business
// registrations, social insurance contributions, public employees, and
// students, rehabilitation services and staff's declared relatives), with
// the dirt real exports carry, a known set of bad rows, planted warning
// situations, decoys that must not be warned, and a truth.json that
// records all of it for tests.
//
// Everything is drawn from PCG generators seeded from Options.Seed, one per
// concern, so the same Options always give byte-identical files.
//
// Memory and time: a county of up to 350,000 households (blockThreshold,
// about 1M people) is drawn whole in memory — its people, households,
// roles and records, about 2.3 kB of live heap a household (810 MB at
// 350,000: peak RSS 1.7 GB with Go's default GC, 60 s on 2 shared cores,
// 0.5 GB of files) — but its files are not: each is written as soon as its
// rows are final and dropped, the largest (registry, assessments, medical,
// contributions) drawn row by row as they are written, xlsx sheets
// streamed into their zip part with their shared strings spilled to a
// temporary file. Bad rows are placed in one pass. A larger county is drawn
// in blocks of at most 100,000 households (blocks.go), each drawn,
// appended to the county's files and dropped before the next, its ground
// truth spilled to temporary files merged into truth.json at the end:
// memory is one block's (about 280 MB of live heap) whatever the county's
// size. Measured: peak RSS 0.67 GB at 700,000 households (7 blocks, 76 s)
// and 0.69 GB at 3,500,000 (10M people, 35 blocks, 6 min, 5.25 GB of
// files, truth.json 113 MB). Counties up to the threshold are byte for byte
// what they were before blocks existed.
package gen

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"time"
)

// Options control one generated county.
type Options struct {
	// Seed makes the county: the same Options give byte-identical files.
	Seed int64
	// Households is the number of registry households (5,000 gives about
	// 14,000 people). At least MinHouseholds.
	Households int
	// AsOf is the date the county is generated for: planted situations and
	// decoys are placed relative to it. Only its calendar date is used.
	AsOf time.Time
	// Dir is the output directory; it is created if missing.
	Dir string
}

// MinHouseholds is the smallest county Generate accepts: below it the planted
// situations and decoys would crowd out the background.
const MinHouseholds = 150

// ErrOptions reports unusable Options.
var ErrOptions = errors.New("gen: bad options")

// Generate writes every file of the county and truth.json into o.Dir and
// returns the truth it wrote. For a county drawn in blocks (more than
// 350,000 households, see blockThreshold) the returned Truth has no lists
// (Planted, Decoys, BadRows, Unresolved, Duplicates are nil): they are in
// truth.json only; its counts, county and files are complete.
func Generate(ctx context.Context, o Options) (*Truth, error) {
	if o.Households < MinHouseholds {
		return nil, fmt.Errorf("%w: households must be at least %d, got %d", ErrOptions, MinHouseholds, o.Households)
	}
	if o.AsOf.IsZero() {
		return nil, fmt.Errorf("%w: as-of date is required", ErrOptions)
	}
	if o.Dir == "" {
		return nil, fmt.Errorf("%w: output directory is required", ErrOptions)
	}
	asOf := dateOf(o.AsOf)
	if asOf.Year() < 2000 || asOf.Year() > 2099 {
		return nil, fmt.Errorf("%w: as-of %s out of range 2000-2099", ErrOptions, asOf.Format(time.DateOnly))
	}
	if o.Households > blockThreshold {
		return generateBlocks(ctx, o, asOf)
	}
	w := &world{seed: o.Seed, asOf: asOf, nHouseholds: o.Households, area: countyCode}
	if err := w.build(ctx); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", o.Dir, err)
	}
	files, err := w.writeFiles(ctx, o.Dir)
	if err != nil {
		return nil, err
	}
	t := w.truth(files)
	if err := w.writeDivisions(o.Dir); err != nil {
		return nil, err
	}
	if err := writeTruth(o.Dir, t); err != nil {
		return nil, err
	}
	if err := writeReadme(o.Dir, t); err != nil {
		return nil, err
	}
	return t, nil
}

// build draws the whole county in memory: people, roles and records.
func build(ctx context.Context, seed int64, households int, asOf time.Time) (*world, error) {
	w := &world{seed: seed, asOf: asOf, nHouseholds: households, area: countyCode}
	if err := w.build(ctx); err != nil {
		return nil, err
	}
	return w, nil
}

// build draws the whole county, or one block of it, in memory: people,
// roles and records.
func (w *world) build(ctx context.Context) error {
	if w.blk != nil {
		w.blk.carryIn(w)
	}
	w.county = newCounty(w.rng("county"), w.block)
	w.populate(w.rng("people"))
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.assignRoles(w.rng("roles")); err != nil {
		return err
	}
	w.background(w.rng("background"))
	if err := w.plant(w.rng("plant")); err != nil {
		return err
	}
	w.finishClaims()
	return ctx.Err()
}

// rng returns the generator for one concern. Separate streams keep a change
// in one concern from reshuffling every other file.
func (w *world) rng(stream string) *rand.Rand {
	return newRand(w.seed, stream)
}

func newRand(seed int64, stream string) *rand.Rand {
	return rand.New(newPCG(seed, stream))
}

// newPCG is the source of newRand, whose state can be saved and restored.
func newPCG(seed int64, stream string) *rand.PCG {
	h := fnv.New64a()
	h.Write([]byte(stream))
	return rand.NewPCG(uint64(seed), h.Sum64())
}

// dateOf drops the clock and zone: every date in the county is a UTC midnight.
func dateOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

// between returns a uniform integer in [lo, hi].
func between(r *rand.Rand, lo, hi int) int {
	if hi <= lo {
		return lo
	}
	return lo + r.IntN(hi-lo+1)
}

// scaled is n per 5,000 households, at least min.
func (w *world) scaled(n, min int) int {
	v := (n*w.nHouseholds + 2500) / 5000
	if v < min {
		return min
	}
	return v
}
