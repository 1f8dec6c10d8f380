package pipeline

import (
	"context"
	"encoding/csv"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/store"
)

// A case that rests on a department row whose person identity resolution
// found (the ID as sent had two digits swapped) says so on the township's
// list, in xlsx and CSV: which records, what agreed, the probability, and
// that the township verifies the person. Another case of the same list,
// whose rows came with their right ID, says nothing of the kind.
func TestListNotesLinkedEvidence(t *testing.T) {
	ctx := context.Background()
	m := newMini(t)
	// A second case in 城关镇, without any link: 王测一 registered
	// unemployed too, his household's income as low as 赵测三's.
	hh := m.sources["households"]
	hh.body = []byte(strings.Replace(string(hh.body), `3407990010010001,"100,000.00"`, `3407990010010001,"12,000.00"`, 1))
	m.set("households", hh)
	emp := m.sources["employment"]
	emp.body = append(emp.body, []byte("340799196005010116,王测一,失业登记,2026-06-01,城关镇劳动保障所\n")...)
	m.set("employment", emp)
	p, err := Open(ctx, m.config(), nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	m.p = p
	// The night's rows as a department with a name column and a mistyped
	// ID sends them (what the loader keeps as "?…"): the sync first, then
	// the row's ID damaged, then the night itself.
	if _, err := p.Sync(ctx, nil, false); err != nil {
		t.Fatal(err)
	}
	const zhao = "340799198507150337" // 赵测三
	typo := zhao[:14] + zhao[15:16] + zhao[14:15] + zhao[16:]
	for _, q := range []string{
		`ALTER TABLE employment ADD COLUMN IF NOT EXISTS name VARCHAR`,
		`UPDATE employment SET name = CASE id_number WHEN '` + zhao + `' THEN '赵测三' ELSE '王测一' END`,
		`UPDATE employment SET id_number = '?` + typo + `' WHERE id_number = '` + zhao + `'`,
	} {
		if _, err := p.Store.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	sum := m.run()
	if sum.Link == nil || sum.Link.Auto != 1 || sum.Link.Applied != 1 {
		t.Fatalf("the night's identity resolution: %+v", sum.Link)
	}
	if got, want := m.cases(), []string{"3407990010010001 yellow UNEMP-LOWINC-UNCOVERED", miniUnemployed + " yellow UNEMP-LOWINC-UNCOVERED"}; !slices.Equal(got, want) {
		t.Fatalf("cases %q, want %q", got, want)
	}
	var linkedCase string
	m.scan(`SELECT case_id FROM cases WHERE subject = '`+miniUnemployed+`'`, &linkedCase)

	note := "※ 含概率匹配记录：就业失业登记1条（姓名相同、身份证号相差一位，匹配概率"
	for _, f := range sum.Dispatch.Files {
		if !strings.Contains(f, "340799001_") {
			continue
		}
		var rows [][]string
		if strings.HasSuffix(f, ".xlsx") {
			x, err := excelize.OpenFile(f)
			if err != nil {
				t.Fatal(err)
			}
			rows, err = x.GetRows(dispatch.SheetName)
			x.Close()
			if err != nil {
				t.Fatal(err)
			}
		} else {
			rows = readCSV(t, f)
		}
		header := slices.IndexFunc(rows, func(r []string) bool { return slices.Contains(r, dispatch.HeaderCaseID) })
		if header < 0 {
			t.Fatalf("%s: no header", f)
		}
		col := func(h string) int { return slices.Index(rows[header], h) }
		seen := 0
		for _, r := range rows[header+1:] {
			reasons, rules := r[col(dispatch.HeaderReasons)], r[col(dispatch.HeaderRules)]
			seen++
			if r[col(dispatch.HeaderCaseID)] != linkedCase {
				if strings.Contains(reasons, "概率匹配") || strings.Contains(rules, "身份匹配") {
					t.Errorf("%s: case %s rests on no link, yet its row notes one: %q", f, r[0], reasons)
				}
				continue
			}
			if !strings.Contains(reasons, note) || !strings.HasSuffix(reasons, "），请核实身份") || !strings.HasSuffix(rules, "\n※ 身份匹配提示") {
				t.Errorf("%s: the linked case's row:\n%s\n%s\nwant the note %s…", f, rules, reasons, note)
			}
			if strings.Contains(reasons, typo) || strings.Contains(reasons, zhao) {
				t.Errorf("%s: an ID number in the note: %q", f, reasons)
			}
		}
		if seen != 2 {
			t.Errorf("%s: %d cases, want 2", f, seen)
		}
	}
	// The case page's rows (store.LinkedEvidence of its hits) name the row.
	c, err := p.Store.Case(ctx, linkedCase)
	if err != nil {
		t.Fatal(err)
	}
	var evs []string
	for _, h := range c.Hits {
		evs = append(evs, h.Evidence)
	}
	rows, err := p.Store.LinkedEvidence(ctx, evs)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || len(rows[0]) != 1 || rows[0][0].Status != store.LinkLinked || rows[0][0].Row != "employment.csv:2" {
		t.Errorf("the case's linked evidence: %+v", rows)
	}
}

// readCSV reads a written list's CSV (UTF-8 with a byte-order mark).
func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF")))
	r.FieldsPerRecord = -1
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}
