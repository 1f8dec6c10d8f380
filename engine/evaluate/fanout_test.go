package evaluate

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// A fact query that returns several rows for one person (a GROUP BY left
// out, a join that fans out) passes rules check on the empty store; at
// evaluation it is a failure at its group, which holds back the rules
// reading it — never a night of wrong counts, nor a night without lists.
// And a query that fails on the county's data does not quote the value it
// failed on (a name, an ID number) into the error, which reaches the logs
// and the run ledger.
func TestFactQueriesOnCountyData(t *testing.T) {
	ctx := context.Background()
	st := openStore(t)
	for _, q := range []string{
		`INSERT INTO registry (id_number, name, household_id, township_code, status, _key, _source, _load_id, _loaded_at, _stream, _position)
		 VALUES ('11010519491231002X', '张三丰', 'h1', '340799001', 'active', 'k1', 's', 1, now()::TIMESTAMP, 'r.csv', 2)`,
		`INSERT INTO medical (claim_id, id_number, settle_date, total_cost, out_of_pocket, _key, _source, _load_id, _loaded_at, _stream, _position)
		 VALUES ('c1', '11010519491231002X', DATE '2026-10-01', 100, 50, 'c1', 's', 2, now()::TIMESTAMP, 'm.csv', 2),
		        ('c2', '11010519491231002X', DATE '2026-11-01', 100, 50, 'c2', 's', 2, now()::TIMESTAMP, 'm.csv', 3)`,
	} {
		if _, err := st.DB().Exec(q); err != nil {
			t.Fatal(err)
		}
	}
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)

	fan := packWith(t, "", "sum(out_of_pocket)::DOUBLE AS oop_12m,\n             sum(total_cost)::DOUBLE AS total_12m,\n             count(*) AS claims_12m,\n             max(out_of_pocket)::DOUBLE AS max_oop_12m",
		"out_of_pocket::DOUBLE AS oop_12m,\n             total_cost::DOUBLE AS total_12m,\n             1 AS claims_12m,\n             out_of_pocket::DOUBLE AS max_oop_12m")
	for i, g := range fan.Groups {
		if g.Name == "medical" {
			fan.Groups[i].Query = strings.Replace(g.Query, "GROUP BY id_number", "", 1)
		}
	}
	res, err := (&Evaluator{Store: st, Pack: fan}).Evaluate(ctx, day, true)
	if err != nil || len(res.FactFailures) != 1 ||
		!regexp.MustCompile(`facts\.yaml:\d+: facts group medical: the query returns more than one row for 1 keys \(id_number; 2 rows for them\)`).MatchString(res.FactFailures[0].Err.Error()) {
		t.Fatalf("a fanned-out group: %+v %v", res, err)
	}
	// Its rules are held back tonight (and say why); the person was
	// evaluated once, by the other rules.
	if res.People != 1 || len(res.Held) != 3 {
		t.Errorf("people %d, held %+v", res.People, res.Held)
	}
	for _, h := range res.Held {
		if !strings.HasPrefix(h.Rule, "MED-") {
			t.Errorf("held %s, which does not read the medical group", h.Rule)
		}
	}

	conv := packWith(t, "", "coalesce(reg.village_code, '') AS village_code", "coalesce(reg.village_code, '') AS village_code, reg.name::INTEGER AS nm")
	_, err = (&Evaluator{Store: st, Pack: conv}).Hits(ctx, day)
	if err == nil || !strings.Contains(err.Error(), "facts group person: the query failed") {
		t.Fatalf("a conversion that fails on the data: %v", err)
	}
	if strings.Contains(err.Error(), "张三丰") || !strings.Contains(err.Error(), "'…'") {
		t.Errorf("the error quotes the county's data: %v", err)
	}

	// A person group's row without an ID number: without the rules'
	// anchors it stopped the night at a Scan, with them it was dropped in
	// silence. Both ways it is now the group's error, naming it.
	nul := packWith(t, "", "SELECT ids.id_number,", "SELECT CASE WHEN ids.id_number LIKE '1101%' THEN NULL ELSE ids.id_number END AS id_number,")
	want := regexp.MustCompile(`facts\.yaml:\d+: facts group person: the query returns 1 rows whose id_number is NULL`)
	if _, err := (&Evaluator{Store: st, Pack: nul}).Evaluate(ctx, day, true); err == nil || !want.MatchString(err.Error()) {
		t.Errorf("a NULL id_number, full evaluation: %v", err)
	}
	if _, err := (&Evaluator{Store: st, Pack: nul}).Hits(ctx, day); err == nil || !want.MatchString(err.Error()) {
		t.Errorf("a NULL id_number, hits: %v", err)
	}

	// A NULL key made up from literals shows even on an empty store:
	// rules check refuses it before any night.
	lit := packWith(t, "", "      FROM ids LEFT JOIN reg USING (id_number)\n", "      FROM ids LEFT JOIN reg USING (id_number)\n      UNION ALL SELECT NULL, false, 'active', '', '', '', -1\n")
	errs, _, err := CheckFactQueries(ctx, openStore(t), lit)
	if err != nil || !regexp.MustCompile(`facts\.yaml:\d+:\d+: group person: sql: the query returns 1 rows whose id_number is NULL even on an empty store`).MatchString(errs.Error()) {
		t.Errorf("rules check of a literal NULL id_number: %v %v", errs, err)
	}
}
