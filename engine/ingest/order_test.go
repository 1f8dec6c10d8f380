package ingest

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/engine/config"
)

// orderedConfig writes a config whose two fishers sources (an ordered
// dataset: the newest load's state wins) come in the file in the opposite
// of their names' order: zz_fish_old, the earlier file, first.
func orderedConfig(t *testing.T, dir string) *config.Config {
	t.Helper()
	yaml := `county: {code: "340799"}
store: {path: lw.duckdb}
sources:
  zz_fish_old:
    kind: file
    dataset: fishers
    options: {path: old.csv}
    columns: {id_number: 身份证号, retired_date: 退捕日期, resettlement: 安置去向}
  employment:
    kind: file
    dataset: employment
    options: {path: emp.csv}
    columns: {id_number: 身份证号, event: 业务类型, event_date: 业务日期}
  aa_fish_new:
    kind: file
    dataset: fishers
    options: {path: new.csv}
    columns: {id_number: 身份证号, retired_date: 退捕日期, resettlement: 安置去向}
`
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestSourcesOfADatasetInFileOrder: the sources of one dataset load in the
// config file's order, not their names' (the config is a map once read),
// however they are named on the command line; a later source of an
// ordered dataset is not read while an earlier one fails, so that the
// earlier source's file, loaded a night late, cannot supersede it.
func TestSourcesOfADatasetInFileOrder(t *testing.T) {
	if got, want := orderedConfig(t, t.TempDir()).SourceOrder(), []string{"zz_fish_old", "employment", "aa_fish_new"}; !slices.Equal(got, want) {
		t.Fatalf("SourceOrder %v, want %v", got, want)
	}
	for _, workers := range []int{1, 2} {
		f := newFixture(t)
		f.sy.Workers = workers
		cfg := orderedConfig(t, f.dir)
		// The older file says 未安置 of 100 fishers, the newer 务工
		// (stored as unemployed, employed).
		fishersCSV(t, filepath.Join(f.dir, "new.csv"), 0, 100, "务工")
		employmentCSV(t, filepath.Join(f.dir, "emp.csv"), 10)
		for _, named := range [][]string{nil, {"aa_fish_new", "employment", "zz_fish_old"}} {
			srcs, failed, err := FromConfig(cfg, named)
			if err != nil || len(failed) > 0 {
				t.Fatalf("sources: %v %v", err, failed)
			}
			var fishers []string
			for _, s := range srcs {
				if s.Dataset.Name == "fishers" {
					fishers = append(fishers, s.Name)
				}
			}
			if want := []string{"zz_fish_old", "aa_fish_new"}; !slices.Equal(fishers, want) {
				t.Errorf("named %v: the fishers sources in the order %v, want the file's %v", named, fishers, want)
			}
		}
		// A source whose connector cannot be built (options the config's
		// check let through) holds back the later ones as a failed load.
		bad := cfg.Sources["zz_fish_old"]
		bad.Options = map[string]any{"path": "old.csv", "encoding": "no-such-encoding"}
		cfgBad := *cfg
		cfgBad.Sources = maps.Clone(cfg.Sources)
		cfgBad.Sources["zz_fish_old"] = bad
		if srcs, failed, err := FromConfig(&cfgBad, nil); err != nil || len(failed) != 2 || len(srcs) != 1 {
			t.Errorf("workers %d: a broken earlier source: %v, failed %v, built %d", workers, err, failed, len(srcs))
		} else if held := (*HeldError)(nil); !errors.As(failed[1].Err, &held) || failed[1].Source != "aa_fish_new" || held.After != "zz_fish_old" {
			t.Errorf("workers %d: after a broken earlier source: %v", workers, failed)
		}
		srcs, _, _ := FromConfig(cfg, nil)
		newest := func() int {
			return f.count(`SELECT count(*) FROM (SELECT id_number, arg_max(resettlement, _load_id) AS r FROM fishers GROUP BY 1) WHERE r = 'employed'`)
		}

		if want := []string{"zz_fish_old"}; !slices.Equal(srcs[2].Earlier, want) || srcs[0].Earlier != nil || srcs[1].Earlier != nil {
			t.Fatalf("Earlier: %v %v %v", srcs[0].Earlier, srcs[1].Earlier, srcs[2].Earlier)
		}
		// The newer source synced alone before the older ever has: held.
		alone := func(why string) {
			t.Helper()
			var held *HeldError
			if r := f.sy.Sync(context.Background(), srcs[2:]); !errors.As(r[0].Err, &held) || held.After != "zz_fish_old" || !strings.Contains(held.Problem, why) {
				t.Errorf("workers %d: aa_fish_new synced alone: %v, want held (%s)", workers, r[0].Err, why)
			}
		}
		alone("never synced")

		// Night 1: the older file is missing; the newer is held back.
		res := f.sy.Sync(context.Background(), srcs)
		byName := map[string]Result{}
		for _, r := range res {
			byName[r.Source] = r
		}
		var held *HeldError
		if r := byName["aa_fish_new"]; !errors.As(r.Err, &held) || held.After != "zz_fish_old" || !strings.Contains(r.Err.Error(), "old.csv") {
			t.Errorf("workers %d: the later fishers source after a failed one: %v", workers, r.Err)
		}
		if byName["employment"].Err != nil {
			t.Errorf("workers %d: another dataset's source was held too: %v", workers, byName["employment"].Err)
		}
		if n := f.count(`SELECT count(*) FROM fishers`); n != 0 {
			t.Errorf("workers %d: %d fishers rows loaded while the earlier source failed", workers, n)
		}
		if n := f.count(`SELECT count(*) FROM loads WHERE source = 'aa_fish_new' AND status = 'failed'`); n != 2 {
			t.Errorf("workers %d: the held source is not in the ledger (%d, want alone and night 1)", workers, n)
		}
		// Synced alone after the older source's failed night: held.
		alone("failed")
		if n := f.count(`SELECT count(*) FROM fishers`); n != 0 {
			t.Errorf("workers %d: %d fishers rows loaded alone while the earlier source failed", workers, n)
		}

		// Night 2: the older file arrives; both load, in the file's order,
		// and the newer file's state wins.
		fishersCSV(t, filepath.Join(f.dir, "old.csv"), 0, 100, "未安置")
		for _, r := range f.sy.Sync(context.Background(), srcs) {
			if r.Err != nil {
				t.Errorf("workers %d, night 2: %s: %v", workers, r.Source, r.Err)
			}
		}
		if n := newest(); n != 100 {
			t.Errorf("workers %d: %d of 100 fishers have the newer file's state, want all", workers, n)
		}

		// The earlier source read again (sync --full, after a mapping
		// fix, say): its unchanged rows state nothing new and do not
		// become the newest, undoing the later source.
		f.sy.Full = map[string]bool{"zz_fish_old": true}
		for _, r := range f.sy.Sync(context.Background(), srcs[:1]) {
			if r.Err != nil || r.Source != "zz_fish_old" {
				t.Errorf("workers %d, sync --full: %s: %v", workers, r.Source, r.Err)
			}
		}
		f.sy.Full = nil
		// Once the older source has synced well, the newer one syncs alone.
		if r := f.sy.Sync(context.Background(), srcs[2:]); r[0].Err != nil {
			t.Errorf("workers %d: aa_fish_new alone after both loaded: %v", workers, r[0].Err)
		}
		if n := newest(); n != 100 {
			t.Errorf("workers %d: after sync --full of the earlier source %d of 100 fishers have the newer file's state, want all", workers, n)
		}
	}
}
