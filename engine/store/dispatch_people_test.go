package store

import (
	"context"
	"fmt"
	"maps"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// registryRow is one row of the registry table as a test writes it.
type registryRow struct {
	id, name, household, relation, village, address, status string // "" is NULL for relation, village, address, status
	birth, statusDate                                       time.Time
	load, position                                          int
}

// insertRegistry writes rows into the registry as loads would.
func insertRegistry(t *testing.T, s *Store, rows []registryRow) {
	t.Helper()
	null := func(v string) any {
		if v == "" {
			return nil
		}
		return v
	}
	date := func(d time.Time) any {
		if d.IsZero() {
			return nil
		}
		return d
	}
	for _, r := range rows {
		if _, err := s.db.Exec(`INSERT INTO registry VALUES (?, ?, NULL, ?, ?, ?, '340799001', ?, ?, ?, ?, ?, 'registry', ?, now()::TIMESTAMP, 'registry.csv', ?)`,
			r.id, r.name, date(r.birth), r.household, null(r.relation), null(r.village), null(r.address), null(r.status), date(r.statusDate),
			fmt.Sprintf("%s/%d/%d", r.id, r.load, r.position), r.load, r.position); err != nil {
			t.Fatal(err)
		}
	}
}

// peopleAndHouseholdsFromView is what PeopleAndHouseholds returned before
// it picked the current rows itself: People and the households query
// straight over the view registry_current, the heads looked up again.
func peopleAndHouseholdsFromView(t *testing.T, s *Store, ids, hhs []string) (map[string]Person, map[string]Household) {
	t.Helper()
	ctx := context.Background()
	people, err := s.People(ctx, ids)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]Household{}
	if len(hhs) == 0 {
		return people, out
	}
	rows, err := s.db.QueryContext(ctx, `WITH reg AS (
			SELECT * FROM registry_current WHERE household_id IN (SELECT unnest(?::VARCHAR[])))
		SELECT household_id, arg_min(id_number, (relation <> '户主', status <> 'active', birth_date)),
		       count(*) FILTER (WHERE coalesce(status, 'active') = 'active')
		FROM reg WHERE household_id IS NOT NULL GROUP BY household_id`, hhs)
	if err != nil {
		t.Fatal(err)
	}
	heads := map[string]string{}
	for rows.Next() {
		var h Household
		var head string
		if err := rows.Scan(&h.ID, &head, &h.Members); err != nil {
			t.Fatal(err)
		}
		heads[h.ID], out[h.ID] = head, h
	}
	rows.Close()
	headPeople, err := s.People(ctx, slices.Collect(maps.Values(heads)))
	if err != nil {
		t.Fatal(err)
	}
	for hh, id := range heads {
		h := out[hh]
		h.Head = headPeople[id]
		out[hh] = h
	}
	return people, out
}

// TestPeopleAndHouseholdsAsTheView gives PeopleAndHouseholds a registry
// of several loads — people who moved to another household, died, were
// loaded twice in one file, with and without relation, status and dates —
// and compares what it returns for random sets of ID numbers and
// households (some unknown, some repeated) with the same questions put to
// the view registry_current. Birth dates are all different, so that no
// two members tie for head; TestPeopleAndHouseholdsHeadTie covers ties.
func TestPeopleAndHouseholdsAsTheView(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(14, 1))
	var rows []registryRow
	var allIDs []string
	households := func(n int) string { return fmt.Sprintf("340799001001%06d", n) }
	for p := range 400 {
		id := fmt.Sprintf("34079919%02d01%04d%02d", p%60, p, p%97)
		allIDs = append(allIDs, id)
		birth := time.Date(1930, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, p*53)
		hh := households(rng.IntN(80))
		for load := range 1 + rng.IntN(3) {
			if rng.IntN(4) == 0 {
				hh = households(rng.IntN(80)) // moved
			}
			for copy := range 1 + rng.IntN(2) {
				r := registryRow{id: id, name: fmt.Sprintf("人%d-%d", p, load), household: hh, birth: birth,
					relation: []string{"户主", "配偶", "子", ""}[rng.IntN(4)],
					village:  []string{"340799001001", ""}[rng.IntN(2)],
					address:  []string{"城关社区解放路3号", ""}[rng.IntN(2)],
					status:   []string{"active", "active", "deceased", "moved_out", ""}[rng.IntN(5)],
					load:     1 + load, position: 1 + rng.IntN(1000) + copy}
				if rng.IntN(3) > 0 {
					r.statusDate = time.Date(2020+rng.IntN(6), time.Month(1+rng.IntN(12)), 1+rng.IntN(28), 0, 0, 0, 0, time.UTC)
				}
				rows = append(rows, r)
			}
		}
	}
	insertRegistry(t, s, rows)
	for round := range 30 {
		var ids, hhs []string
		for range rng.IntN(60) {
			ids = append(ids, allIDs[rng.IntN(len(allIDs))])
		}
		for range rng.IntN(30) {
			hhs = append(hhs, households(rng.IntN(90))) // some no one lives in
		}
		if round%5 == 0 {
			ids = append(ids, "340799200001010000", "")
		}
		gotP, gotH, err := s.PeopleAndHouseholds(ctx, ids, hhs)
		if err != nil {
			t.Fatal(err)
		}
		wantP, wantH := peopleAndHouseholdsFromView(t, s, ids, hhs)
		if !maps.Equal(gotP, wantP) {
			t.Errorf("round %d: people\n%v\nwant\n%v", round, gotP, wantP)
		}
		if !maps.Equal(gotH, wantH) {
			t.Errorf("round %d: households\n%v\nwant\n%v", round, gotH, wantH)
		}
		if len(ids) > 0 && len(wantP) == 0 || len(hhs) > 0 && len(wantH) == 0 {
			t.Errorf("round %d: %d people and %d households found: the comparison shows nothing", round, len(wantP), len(wantH))
		}
	}
	if p, h, err := s.PeopleAndHouseholds(ctx, nil, nil); err != nil || len(p) != 0 || len(h) != 0 {
		t.Errorf("nothing asked: %v, %v, %v", p, h, err)
	}

	// The order the rows are picked in is the view's: a migration that
	// changes the view must change CurrentRowOrder too.
	var view string
	if err := s.db.QueryRow(`SELECT sql FROM duckdb_views() WHERE view_name = 'registry_current'`).Scan(&view); err != nil {
		t.Fatal(err)
	}
	space := regexp.MustCompile(`\s+`)
	if !strings.Contains(space.ReplaceAllString(view, " "), "PARTITION BY id_number ORDER BY "+CurrentRowOrder+")") {
		t.Errorf("registry_current is\n%s\nwhich does not pick rows by PARTITION BY id_number ORDER BY %s", view, CurrentRowOrder)
	}
}

// TestPeopleAndHouseholdsHeadTie: two members alike in relation, status
// and birth date — the smallest ID number heads the household, every
// time (the view's query left it to chance).
func TestPeopleAndHouseholdsHeadTie(t *testing.T) {
	s, _ := openTemp(t)
	born := time.Date(1960, 5, 1, 0, 0, 0, 0, time.UTC)
	insertRegistry(t, s, []registryRow{
		{id: "340799196005010022", name: "乙", household: "H1", relation: "子", status: "active", birth: born, load: 1, position: 1},
		{id: "340799196005010011", name: "甲", household: "H1", relation: "子", status: "active", birth: born, load: 1, position: 2},
		{id: "340799194005010033", name: "丙", household: "H1", relation: "子", status: "deceased", birth: born.AddDate(-20, 0, 0),
			load: 1, position: 3},
	})
	_, hh, err := s.PeopleAndHouseholds(context.Background(), nil, []string{"H1"})
	if err != nil {
		t.Fatal(err)
	}
	// No 户主; 丙 is the oldest but dead: of the two living alike, 甲.
	if got := hh["H1"]; got.Head.IDNumber != "340799196005010011" || got.Head.Name != "甲" || got.Members != 2 {
		t.Errorf("H1 = %+v, want 甲 at its head and 2 active members", got)
	}
	_, hh, err = s.PeopleAndHouseholds(context.Background(), nil, []string{"H1", "H1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hh) != 1 {
		t.Errorf("a household asked twice: %d households", len(hh))
	}
}
