package store

import (
	"context"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/idnum"
)

// TestRefreshLinkPeople: link_people, brought up to date person by person
// as the registry changes (a new person, a renamed one, a row deleted, a
// person sent twice), holds exactly the rows a build from the registry's
// current people gives; an unchanged registry costs nothing, and a table
// of another definition is built again.
func TestRefreshLinkPeople(t *testing.T) {
	s, _ := openTemp(t)
	ctx := context.Background()
	ids := linkCounty(t, s) // 24 people, load 1
	refresh := func(want string) *LinkPeopleRefresh {
		t.Helper()
		r, err := s.RefreshLinkPeople(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := "incremental"
		switch {
		case r.Current:
			got = "current"
		case r.Rebuilt:
			got = "rebuilt"
		}
		if got != want {
			t.Fatalf("refresh %s (%+v), want %s", got, r, want)
		}
		// The table is what a whole build gives, row for row.
		var rows, differ int
		if err := s.DB().QueryRow(`SELECT (SELECT count(*) FROM main.link_people),
			(SELECT count(*) FROM (SELECT * FROM main.link_people EXCEPT ALL `+linkPeopleFrom(registryHashed)+`))
			+ (SELECT count(*) FROM (`+linkPeopleFrom(registryHashed)+` EXCEPT ALL SELECT * FROM main.link_people))`).Scan(&rows, &differ); err != nil {
			t.Fatal(err)
		}
		var people int
		if err := s.DB().QueryRow(`SELECT count(*) FROM registry_current`).Scan(&people); err != nil {
			t.Fatal(err)
		}
		if rows != people || differ != 0 {
			t.Fatalf("link_people has %d rows for %d people, %d differ from a whole build", rows, people, differ)
		}
		return r
	}
	if r := refresh("rebuilt"); r.Added != 24 {
		t.Fatalf("first refresh added %d people, want 24", r.Added)
	}
	refresh("current")

	// Load 2: 张伟 renamed (a newer row of the same person), a new person,
	// 李秀英 sent again as she was (no change), 赵建国 written with a
	// space; 王小明's row deleted.
	newID, err := idnum.Build("340799", time.Date(1990, 5, 6, 0, 0, 0, 0, time.UTC), 501)
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range []struct{ id, name, key string }{
		{ids["张伟"], "张伟伟", "zw2"}, {string(newID), "新来", "new"}, {ids["李秀英"], "李秀英", "lxy2"},
		{ids["赵建国"], "赵 建国", "zjg2"}, // a space alone: the same compared fields, another name as written
	} {
		if _, err := s.DB().Exec(`INSERT INTO registry (id_number, name, gender, birth_date, household_id, relation, township_code,
			status, _key, _source, _load_id, _loaded_at, _stream, _position)
			SELECT ?, ?, gender, birth_date, household_id, relation, township_code, status, ?, 'reg', 2, now(), 'registry.csv', ?
			FROM registry WHERE id_number = ? UNION ALL
			SELECT ?, ?, 'female', DATE '1990-05-06', '3407990010099999', '户主', '340799001', 'active', ?, 'reg', 2, now(), 'registry.csv', ?
			WHERE NOT EXISTS (SELECT 1 FROM registry WHERE id_number = ?)`,
			p.id, p.name, p.key, 100+i, p.id, p.id, p.name, p.key, 100+i, p.id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DB().Exec(`DELETE FROM registry WHERE id_number = ?`, ids["王小明"]); err != nil {
		t.Fatal(err)
	}
	r := refresh("incremental")
	// 张伟's and 赵建国's new versions and the new person; their old
	// versions and 王小明.
	if r.Added != 3 || r.Removed != 3 {
		t.Fatalf("refresh added %d and removed %d people, want 3 and 3", r.Added, r.Removed)
	}
	refresh("current")

	// A row deleted alone (no newer load) is seen by the row count.
	if _, err := s.DB().Exec(`DELETE FROM registry WHERE id_number = ?`, ids["刘芳"]); err != nil {
		t.Fatal(err)
	}
	if r := refresh("incremental"); r.Added != 0 || r.Removed != 1 {
		t.Fatalf("refresh added %d and removed %d people, want 0 and 1", r.Added, r.Removed)
	}

	// A table made by another definition of the keys is built again.
	if _, err := s.DB().Exec(`UPDATE link_people_state SET version = version + 1`); err != nil {
		t.Fatal(err)
	}
	refresh("rebuilt")
	if _, err := s.DB().Exec(`DROP TABLE link_people`); err != nil {
		t.Fatal(err)
	}
	refresh("rebuilt")
}
