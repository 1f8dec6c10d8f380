package store

import (
	"fmt"
	"testing"
)

// The registry read whole (registryCurrent) has exactly the view's rows:
// one per ID, the newest load, then the latest status date (NULL last),
// then the last position — among IDs with one row, several rows in one
// load, several loads, and ties broken only by position.
func TestRegistryCurrentFast(t *testing.T) {
	s, _ := openTemp(t)
	type row struct {
		id, name, status string
		date             any
		load, pos        int
	}
	rows := []row{
		{"A", "甲", "正常", nil, 1, 1},                                                // alone
		{"B", "乙", "正常", "2026-01-01", 1, 2}, {"B", "乙", "迁出", "2026-03-01", 2, 1}, // a newer load wins
		{"C", "丙", "正常", "2026-05-01", 2, 2}, {"C", "丙", "死亡", "2026-04-01", 2, 3}, // same load: the later status date
		{"D", "丁", "正常", nil, 3, 1}, {"D", "丁", "迁出", "2026-02-01", 3, 2}, // NULL date ranks last
		{"E", "戊", "正常", "2026-06-01", 3, 3}, {"E", "戊", "迁出", "2026-06-01", 3, 4}, // a tie: the last position
		{"F", "己", "正常", "2026-06-01", 4, 9}, {"F", "己", "迁出", "2026-06-01", 4, 5}, {"F", "己", "死亡", nil, 1, 10},
	}
	for i, r := range rows {
		if _, err := s.DB().Exec(`INSERT INTO registry (id_number, name, household_id, township_code, status, status_date,
			_key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES (?, ?, 'H1', '340799001', ?, ?::DATE, ?, 'registry', ?, now()::TIMESTAMP, 'registry.csv', ?)`,
			r.id, r.name, r.status, r.date, fmt.Sprint(i), r.load, r.pos); err != nil {
			t.Fatal(err)
		}
	}
	var view, fast, differ int
	if err := s.DB().QueryRow(`SELECT (SELECT count(*) FROM registry_current), (SELECT count(*) FROM `+registryCurrent+`),
		(SELECT count(*) FROM (SELECT * FROM registry_current EXCEPT SELECT * FROM `+registryCurrent+`))
		+ (SELECT count(*) FROM (SELECT * FROM `+registryCurrent+` EXCEPT SELECT * FROM registry_current))`).Scan(&view, &fast, &differ); err != nil {
		t.Fatal(err)
	}
	if view != 6 || fast != 6 || differ != 0 {
		t.Fatalf("registry_current has %d rows, registryCurrent %d, %d differ; want 6, 6, 0", view, fast, differ)
	}
	var status string
	for id, want := range map[string]string{"A": "正常", "B": "迁出", "C": "正常", "D": "迁出", "E": "迁出", "F": "正常"} {
		if err := s.DB().QueryRow(`SELECT status FROM `+registryCurrent+` WHERE id_number = ?`, id).Scan(&status); err != nil {
			t.Fatal(err)
		}
		if status != want {
			t.Errorf("%s: status %s, want %s", id, status, want)
		}
	}
}
