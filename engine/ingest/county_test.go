package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/gen"
	"github.com/lipwatch/lipwatch/engine/store"
)

// TestCommittedCounty syncs the committed synthetic county through the
// embedded default config.yaml and checks the store against the
// generator's ground truth: exactly the bad rows are quarantined, for the
// right reasons; the re-sent claims are skipped as duplicates; everything
// else is loaded; and a second sync loads nothing.
func TestCommittedCounty(t *testing.T) {
	t.Setenv("LIPWATCH_STORE_PATH", filepath.Join(t.TempDir(), "county.duckdb"))
	cfg, err := config.Load("../../config.yaml")
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile("../../testdata/county/truth.json")
	if err != nil {
		t.Fatal(err)
	}
	var truth gen.Truth
	if err := json.Unmarshal(b, &truth); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: cfg.Resolve(cfg.Store.Path)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srcs, failed, err := FromConfig(cfg, nil)
	if err != nil || len(failed) > 0 {
		t.Fatalf("sources: %v %v", err, failed)
	}
	results := (&Syncer{Store: st}).Sync(ctx, srcs)
	for _, r := range results {
		if r.Err != nil {
			t.Fatalf("source %s failed: %v", r.Source, r.Err)
		}
	}

	// Quarantine == truth.bad_rows, row for row.
	const prefix = "testdata/county/"
	var want []string
	for _, br := range truth.BadRows {
		want = append(want, fmt.Sprintf("%s:%d %s %s", prefix+br.File, br.Position, br.Reason, br.Column))
	}
	rows, err := st.DB().Query(`SELECT stream, position, reason_code, coalesce(column_name, '') FROM quarantine`)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var stream, code, col string
		var pos int
		if err := rows.Scan(&stream, &pos, &code, &col); err != nil {
			t.Fatal(err)
		}
		got = append(got, fmt.Sprintf("%s:%d %s %s", stream, pos, code, col))
	}
	rows.Close()
	if diff := setDiff(want, got); diff != "" {
		t.Errorf("quarantine differs from truth.bad_rows (%d expected, %d quarantined):\n%s", len(want), len(got), diff)
	}

	// Rows whose one defect is the ID number, in files that carry names,
	// are loaded unresolved (id_number "?" and the ID text, at their
	// position) when their ID is unusable: missing, a wrong check
	// character, not an ID number. Identity resolution's other damage
	// (truth.json's other reasons) loads as a valid ID of nobody or of
	// someone else in one case of eleven (a typo that passes the check
	// character) or always (a 15-digit ID with a typo, a family member's
	// ID). Every truth row is loaded, never under its true ID; every
	// unresolved row is one of truth's.
	alwaysUnusable := map[string]bool{gen.ReasonBadCheckDigit: true, gen.ReasonMissingRequired: true,
		gen.ReasonMissingID: true, gen.ReasonZeroPadded: true}
	unresolved := map[string]int64{}
	inTruth := map[string]gen.Unresolved{}
	for _, u := range truth.Unresolved {
		inTruth[fmt.Sprintf("%s:%d", prefix+u.File, u.Position)] = u
	}
	seen := map[string]bool{}
	for _, f := range truth.Files {
		ds, ok := dataset.Lookup(f.Dataset)
		if !ok || !ds.Linkable() {
			continue
		}
		rows, err := st.DB().Query(`SELECT _stream, _position, id_number, coalesce(name, '') FROM `+f.Dataset+
			` WHERE _stream = ?`, prefix+f.File)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var stream, id, name string
			var pos int
			if err := rows.Scan(&stream, &pos, &id, &name); err != nil {
				t.Fatal(err)
			}
			key := fmt.Sprintf("%s:%d", stream, pos)
			u, planted := inTruth[key]
			if planted {
				seen[key] = true
				if id == u.IDNumber {
					t.Errorf("%s: a damaged row (%s) loaded under its true ID", key, u.Reason)
				}
				if alwaysUnusable[u.Reason] && !dataset.IsUnresolved(id) {
					t.Errorf("%s: %s loaded as %q, want unresolved", key, u.Reason, redactID(id))
				}
			}
			if !dataset.IsUnresolved(id) {
				continue
			}
			unresolved[stream]++
			if !planted {
				t.Errorf("%s: unresolved row not in truth.unresolved", key)
			}
			if name == "" || (id != "?" && (len(id) < 16 || len(id) > 25)) {
				t.Errorf("%s: unresolved row with id %q and name %q", key, redactID(id), name)
			}
		}
		rows.Close()
	}
	for key, u := range inTruth {
		if !seen[key] {
			t.Errorf("%s: truth's unresolved row (%s) not loaded", key, u.Reason)
		}
	}
	if len(truth.Unresolved) == 0 {
		t.Error("the county plants no unresolved row")
	}

	// Per file: loaded = data rows - bad rows - duplicates.
	bad := map[string]int64{}
	for _, br := range truth.BadRows {
		bad[prefix+br.File]++
	}
	dups := map[string]int64{}
	for _, d := range truth.Duplicates {
		dups[prefix+d.File]++
	}
	loads := map[string]store.Load{}
	for _, r := range results {
		for _, l := range r.Loads {
			loads[l.Stream] = l
		}
	}
	if len(loads) != len(truth.Files) {
		t.Errorf("loaded %d files, truth has %d", len(loads), len(truth.Files))
	}
	for _, f := range truth.Files {
		l, ok := loads[prefix+f.File]
		if !ok {
			t.Errorf("%s not loaded", f.File)
			continue
		}
		name := prefix + f.File
		if l.Read != l.Loaded+l.Duplicates+l.Quarantined+l.Counted {
			t.Errorf("%s: read %d != loaded %d + duplicates %d + quarantined %d", f.File, l.Read, l.Loaded, l.Duplicates, l.Quarantined)
		}
		if l.Read != int64(f.DataRows) || l.Quarantined != bad[name] || l.Duplicates != dups[name] ||
			l.Loaded != int64(f.DataRows)-bad[name]-dups[name] || l.Unresolved != unresolved[name] {
			t.Errorf("%s: read %d loaded %d dup %d quarantined %d unresolved %d; truth: %d rows, %d bad, %d duplicates, %d unresolved",
				f.File, l.Read, l.Loaded, l.Duplicates, l.Quarantined, l.Unresolved, f.DataRows, bad[name], dups[name], unresolved[name])
		}
	}

	// Money is stored in yuan: every planted large out-of-pocket person
	// reaches the threshold over the window, as the generator meant.
	asOf := truth.Options.AsOf
	for _, p := range truth.Planted {
		for _, s := range p.Signals {
			if s.Signal != gen.SignalMedicalOOP {
				continue
			}
			var oop float64
			err := st.DB().QueryRow(`SELECT coalesce(sum(out_of_pocket), 0)::DOUBLE FROM medical
				WHERE id_number = ? AND settle_date > ?::DATE - INTERVAL 12 MONTH AND settle_date <= ?::DATE`, s.IDNumber, asOf, asOf).Scan(&oop)
			if err != nil {
				t.Fatal(err)
			}
			if oop < float64(truth.Params.MedicalOOPThreshold) {
				t.Errorf("planted medical_oop person has %.2f yuan out of pocket, below %d", oop, truth.Params.MedicalOOPThreshold)
			}
		}
	}

	// Every planted person is in the store under the canonical ID.
	for _, p := range truth.Planted {
		for _, s := range p.Signals {
			var n int
			st.DB().QueryRow(`SELECT (SELECT count(*) FROM registry WHERE id_number = $1) + (SELECT count(*) FROM medical WHERE id_number = $1)
				+ (SELECT count(*) FROM disability WHERE id_number = $1) + (SELECT count(*) FROM fishers WHERE id_number = $1)
				+ (SELECT count(*) FROM employment WHERE id_number = $1) + (SELECT count(*) FROM assistance WHERE id_number = $1)`, s.IDNumber).Scan(&n)
			if n == 0 {
				t.Errorf("planted %s person of household %q not found in the store", s.Signal, p.HouseholdID)
			}
		}
	}

	// A second sync reads and loads nothing.
	for _, r := range (&Syncer{Store: st}).Sync(ctx, srcs) {
		read, loaded, _, _ := r.Totals()
		if r.Err != nil || read != 0 || loaded != 0 || r.Unchanged == 0 {
			t.Errorf("second sync of %s: read %d loaded %d unchanged %d err %v", r.Source, read, loaded, r.Unchanged, r.Err)
		}
	}
}

// redactID keeps an unresolved ID's shape for a test message, not its digits.
func redactID(id string) string {
	if len(id) <= 4 {
		return id
	}
	return id[:4] + strings.Repeat("*", len(id)-4)
}

func setDiff(want, got []string) string {
	w := map[string]int{}
	for _, s := range want {
		w[s]++
	}
	for _, s := range got {
		w[s]--
	}
	var out []string
	for s, n := range w {
		switch {
		case n > 0:
			out = append(out, "missing from quarantine: "+s)
		case n < 0:
			out = append(out, "quarantined, not in truth: "+s)
		}
	}
	sort.Strings(out)
	if len(out) > 30 {
		out = append(out[:30], fmt.Sprintf("... %d more", len(out)-30))
	}
	return strings.Join(out, "\n")
}
