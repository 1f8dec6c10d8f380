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
// Memory and time: the county's people, households and records are held in
// memory while it is drawn (about 2.2 kB a household at 60,000; the roles
// are drawn over the whole county), but the files are not: each is written
// as soon as its rows are final and dropped, the largest (registry,
// assessments, medical, contributions) drawn row by row as they are
// written, xlsx sheets streamed into their zip part with their shared
// strings spilled to a temporary file. Bad rows are placed in one pass.
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
// returns the truth it wrote.
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
	w, err := build(ctx, o.Seed, o.Households, asOf)
	if err != nil {
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
	w := &world{seed: seed, asOf: asOf, nHouseholds: households}
	w.county = newCounty(w.rng("county"))
	w.populate(w.rng("people"))
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := w.assignRoles(w.rng("roles")); err != nil {
		return nil, err
	}
	w.background(w.rng("background"))
	if err := w.plant(w.rng("plant")); err != nil {
		return nil, err
	}
	w.finishClaims()
	return w, ctx.Err()
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
