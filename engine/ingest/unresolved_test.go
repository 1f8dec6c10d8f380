package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/engine/idnum"
	"github.com/lipwatch/lipwatch/engine/store"
)

// The rows of TestUnresolvedRowsAreKept, as (ID cell, 姓名, 业务日期):
// the ID cell of the xlsx is a number cell where it says n:.
var unresolvedRows = func() [][3]string {
	first17 := "34079919870727347"
	c, _ := idnum.CheckChar(first17)
	good := first17 + string(c)
	wrong := first17 + map[bool]string{true: "1", false: "0"}[c == '0']
	return [][3]string{
		{good, "张三", "2026-03-01"},                     // valid
		{"", "李四", "2026-03-02"},                       // missing ID, a name: unresolved "?"
		{wrong, "王五", "2026-03-03"},                    // wrong check character, a name: unresolved
		{"n:3.40799198707273E+17", "赵六", "2026-03-04"}, // Excel-damaged number, a name: unresolved
		{wrong, "", "2026-03-05"},                      // bad ID, no name: quarantined
		{"12345", "孙八", "2026年2月30日"},                  // bad ID and a bad date: quarantined for the date
		{"99999", "周一", "2026-03-06"},                  // one bad ID text, two people: two rows
		{"99999", "吴二", "2026-03-06"},
	}
}()

// TestUnresolvedRowsAreKept syncs a CSV and an xlsx of employment records
// with 姓名 mapped: rows whose only problem is the ID number and which have
// a name are loaded with id_number "?…" and counted; the others are
// quarantined as before; a full re-read of the same file loads nothing new.
func TestUnresolvedRowsAreKept(t *testing.T) {
	for _, format := range []string{"csv", "xlsx"} {
		t.Run(format, func(t *testing.T) {
			f := newFixture(t)
			f.sy.DegradedShare = 0.9 // 7 of its 8 rows are bad or unresolved
			ctx := context.Background()
			name := "emp." + format
			var body []byte
			if format == "csv" {
				var b strings.Builder
				b.WriteString("身份证号,姓名,业务类型,业务日期\n")
				for _, r := range unresolvedRows {
					b.WriteString(strings.TrimPrefix(r[0], "n:") + "," + r[1] + ",失业登记," + r[2] + "\n")
				}
				body = []byte(b.String())
			} else {
				rows := [][]string{{"身份证号", "姓名", "业务类型", "业务日期"}}
				for _, r := range unresolvedRows {
					rows = append(rows, []string{r[0], r[1], "失业登记", r[2]})
				}
				body = rawXLSX(t, false, xsheet{name: "名单", rows: rows})
			}
			if err := os.WriteFile(filepath.Join(f.dir, name), body, 0o644); err != nil {
				t.Fatal(err)
			}
			src := f.source("emp", "employment", name)
			src.Mapping.Columns = map[string]string{"id_number": "身份证号", "name": "姓名", "event": "业务类型", "event_date": "业务日期"}

			r := f.synced(src)
			read, loaded, dup, quar := r.Totals()
			if read != 8 || loaded != 6 || dup != 0 || quar != 2 || r.UnresolvedRows() != 5 {
				t.Fatalf("read %d loaded %d dup %d quarantined %d unresolved %d", read, loaded, dup, quar, r.UnresolvedRows())
			}
			wantReasons := []ReasonCount{{Code: "bad_id", Column: "身份证号", Count: 2}, {Code: "bad_check_digit", Column: "身份证号", Count: 1},
				{Code: "damaged_number", Column: "身份证号", Count: 1}, {Code: "missing_required", Column: "身份证号", Count: 1}}
			if !slices.Equal(r.Unresolved, wantReasons) {
				t.Errorf("unresolved reasons %+v", r.Unresolved)
			}
			if r.Loads[0].Unresolved != 5 || r.Status() != StatusOK {
				t.Errorf("load %+v, status %s", r.Loads[0], r.Status())
			}
			wrong := unresolvedRows[2][0]
			got := f.texts(`SELECT id_number || ' ' || name || ' ' || _position FROM employment ORDER BY _position`)
			want := []string{unresolvedRows[0][0] + " 张三 2", "? 李四 3", "?" + wrong + " 王五 4", "?340799198707273000 赵六 5",
				"?99999 周一 8", "?99999 吴二 9"}
			if !slices.Equal(got, want) {
				t.Errorf("employment rows:\n got %q\nwant %q", got, want)
			}
			q := f.texts(`SELECT position || ' ' || reason_code || ' ' || column_name FROM quarantine ORDER BY position`)
			if !slices.Equal(q, []string{"6 bad_check_digit 身份证号", "7 impossible_date 业务日期"}) {
				t.Errorf("quarantine %q", q)
			}
			for _, reason := range f.texts(`SELECT reason FROM quarantine`) {
				if strings.Contains(reason, wrong) || strings.Contains(reason, "12345") {
					t.Errorf("a reason quotes the ID: %s", reason)
				}
			}
			if n := f.count(`SELECT rows_unresolved FROM loads WHERE source = 'emp'`); n != 5 {
				t.Errorf("loads.rows_unresolved %d", n)
			}

			// The same file read again in full: every row a duplicate or
			// already in quarantine, nothing new.
			f.sy.Full = map[string]bool{"emp": true}
			r = f.synced(src)
			read, loaded, dup, quar = r.Totals()
			if read != 8 || loaded != 0 || dup != 8 || quar != 0 || r.UnresolvedRows() != 5 {
				t.Errorf("re-read: read %d loaded %d dup %d quarantined %d unresolved %d", read, loaded, dup, quar, r.UnresolvedRows())
			}
			if n := f.count(`SELECT count(*) FROM employment`); n != 6 {
				t.Errorf("%d rows after the re-read", n)
			}

			// The data-quality guards count them: unmatched (no registry
			// person), and kept unresolved.
			st := f.store
			if _, err := st.DB().Exec(`INSERT INTO registry (id_number, name, household_id, township_code, _key, _source, _load_id, _loaded_at, _stream, _position)
				VALUES (?, '张三', '3407990010010001', '340799001', 'k', 'reg', 1, now(), 'r.csv', 2)`, unresolvedRows[0][0]); err != nil {
				t.Fatal(err)
			}
			fs, err := st.Quality(ctx, []store.SourceSpec{{Name: "emp", Dataset: "employment"}}, store.QualityLimits{UnmatchedIDsPct: 20})
			if err != nil {
				t.Fatal(err)
			}
			found := map[string]store.Finding{}
			for _, x := range fs {
				found[x.Guard] = x
			}
			if u := found[store.GuardUnmatchedIDs]; u.Count != 5 || u.Of != 6 || !u.Warn {
				t.Errorf("unmatched_ids %+v", u)
			}
			if u := found[store.GuardUnresolvedIDs]; u.Count != 5 || u.Of != 6 || u.Warn || !strings.Contains(u.Text, "身份证号无法使用，待身份识别") {
				t.Errorf("unresolved_ids %+v", u)
			}
		})
	}
}

// TestUnresolvedWithoutNameColumn: a source that maps no name loads its
// rows with an unusable ID number nowhere: they are quarantined, as before
// identity resolution.
func TestUnresolvedWithoutNameColumn(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString("身份证号,姓名,业务类型,业务日期\n")
	for _, r := range unresolvedRows {
		b.WriteString(strings.TrimPrefix(r[0], "n:") + "," + r[1] + ",失业登记," + r[2] + "\n")
	}
	if err := os.WriteFile(filepath.Join(f.dir, "emp.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	r := f.synced(f.source("emp", "employment", "emp.csv"))
	if read, loaded, _, quar := r.Totals(); read != 8 || loaded != 1 || quar != 7 || r.UnresolvedRows() != 0 {
		t.Errorf("read %d loaded %d quarantined %d unresolved %d", read, loaded, quar, r.UnresolvedRows())
	}
}

// TestUnresolvedDegradesLikeQuarantine: a file whose rows mostly have an
// unusable ID is degraded even though they load: until linked they are
// as missing to the rules as quarantined rows.
func TestUnresolvedDegradesLikeQuarantine(t *testing.T) {
	f := newFixture(t)
	var b strings.Builder
	b.WriteString("身份证号,姓名,业务类型,业务日期\n")
	b.WriteString(unresolvedRows[0][0] + ",张三,失业登记,2026-03-01\n")
	for i := range 3 {
		b.WriteString(",李四,失业登记," + day(i) + "\n")
	}
	if err := os.WriteFile(filepath.Join(f.dir, "emp.csv"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	src := f.source("emp", "employment", "emp.csv")
	src.Mapping.Columns = map[string]string{"id_number": "身份证号", "name": "姓名", "event": "业务类型", "event_date": "业务日期"}
	r := f.synced(src)
	if r.Status() != StatusDegraded || !strings.Contains(strings.Join(r.Problems(), " "), "3 of 4 rows are bad (in quarantine) or kept with an unusable ID number (3 of them") {
		t.Errorf("status %s: %q", r.Status(), r.Problems())
	}
	h, err := f.store.SourceHealths(context.Background(), []store.SourceSpec{{Name: "emp", Dataset: "employment"}}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if hh := h["emp"]; hh.Status != store.HealthDegraded || hh.Causes[0].Unresolved != 3 || !strings.Contains(hh.Reasons[0], "待身份识别") {
		t.Errorf("health %+v", hh)
	}
	// Two of them linked since, by an analyst (applied to the rows as the
	// linker applies its links): 1 of 4 rows without a person is under
	// the share.
	confirmLisi(t, f, "employment")
	h, err = f.store.SourceHealths(context.Background(), []store.SourceSpec{{Name: "emp", Dataset: "employment"}}, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if hh := h["emp"]; hh.Status != store.HealthOK {
		t.Errorf("with two of three rows linked: health %+v", hh)
	}
}

// TestLinkedRowsStayLinkedWhenSentAgain: rows kept with an unusable ID
// and linked since stop counting against their source, and keep not
// counting when the file is read again (sync --full): in a dataset whose
// newest state wins (vehicles) the repeated rows state nothing new, so
// they stay the link's load, with the person the link gave them.
func TestLinkedRowsStayLinkedWhenSentAgain(t *testing.T) {
	f := newFixture(t)
	csv := "号牌号码,身份证号,姓名,车辆类型,初次登记日期\n皖A00001," + unresolvedRows[0][0] + ",张三,car,2020-03-01\n"
	for i := range 3 {
		csv += fmt.Sprintf("皖A1000%d,,李四,car,2021-0%d-01\n", i, i+1)
	}
	if err := os.WriteFile(filepath.Join(f.dir, "veh.csv"), []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	src := f.source("veh", "vehicles", "veh.csv")
	src.Mapping.Columns = map[string]string{"plate": "号牌号码", "id_number": "身份证号", "name": "姓名",
		"vehicle_type": "车辆类型", "registered_date": "初次登记日期"}
	f.synced(src)
	health := func() store.SourceHealth {
		t.Helper()
		h, err := f.store.SourceHealths(context.Background(), []store.SourceSpec{{Name: "veh", Dataset: "vehicles"}}, 0.5)
		if err != nil {
			t.Fatal(err)
		}
		return h["veh"]
	}
	if h := health(); h.Status != store.HealthDegraded {
		t.Fatalf("3 of 4 rows without a person: health %+v", h)
	}
	confirmLisi(t, f, "vehicles")
	if h := health(); h.Status != store.HealthOK {
		t.Fatalf("with two of three rows linked: health %+v", h)
	}
	f.sy.Full = map[string]bool{"veh": true}
	f.synced(src)
	if n := f.count(`SELECT count(*) FROM vehicles v JOIN loads l ON l.load_id = v._load_id
		WHERE v.id_number = '110101199003070000' AND l.origin = 'link'`); n != 2 {
		t.Fatalf("%d linked rows stayed the link's load, want 2", n)
	}
	if h := health(); h.Status != store.HealthOK {
		t.Errorf("the same file sent again: health %+v", h)
	}
	// A list still notes that these rows name their person by a link.
	rows := f.texts(`SELECT _stream || ':' || _position FROM vehicles WHERE id_number = '110101199003070000' ORDER BY _position`)
	ev, _ := json.Marshal(map[string][]string{"vehicles": rows})
	linked, err := f.store.LinkedEvidence(context.Background(), []string{string(ev)})
	if err != nil {
		t.Fatal(err)
	}
	if len(linked[0]) != 2 {
		t.Errorf("linked evidence of %s: %+v, want both rows", ev, linked[0])
	}
}

// confirmLisi has an analyst link two of the rows of 李四 (kept with an
// unusable ID) in dataset to a registry person of that name, as
// ConfirmLink applies a decision to the rows.
func confirmLisi(t *testing.T, f *fixture, dataset string) {
	t.Helper()
	for _, q := range []string{
		`INSERT INTO registry (id_number, name, household_id, township_code, _key, _source, _load_id, _loaded_at, _stream, _position)
			VALUES ('110101199003070000', '李四', '3407990010010001', '340799001', 'r1', 'reg', nextval('load_id_seq'), now(), 'reg.csv', 1)`,
		`INSERT INTO links (link_id, dataset, row_key, raw_id, band, status, person_id, candidates, created_at, updated_at)
			SELECT row_number() OVER (), '` + dataset + `', _key, id_number, 'review', 'pending', '110101199003070000', '[]', now(), now()
			FROM (SELECT _key, id_number FROM ` + dataset + ` WHERE name = '李四' ORDER BY _key LIMIT 2)`,
	} {
		if _, err := f.store.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	for id := range int64(2) {
		if err := f.store.ConfirmLink(context.Background(), id+1, "110101199003070000", "analyst", ""); err != nil {
			t.Fatal(err)
		}
	}
}
