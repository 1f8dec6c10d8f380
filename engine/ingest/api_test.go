package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	_ "github.com/lipwatch/lipwatch/connectors/httpapi"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
	"github.com/lipwatch/lipwatch/engine/dataset"
)

// TestAPIFaultsThroughSync drives the http connector through the sync
// against the fake department API serving the county's employment records:
// a faulty API fails its own source only, with a reason, loads nothing,
// and once the fault clears the next sync loads exactly what was missing.
func TestAPIFaultsThroughSync(t *testing.T) {
	srv, err := fakeapi.NewFromCSV("../../testdata/county/employment.csv", fakeapi.Options{Pagination: "page", PageSize: 200, Token: "s3cret-token"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("LIPWATCH_TEST_API_TOKEN", "s3cret-token")
	f := newFixture(t)
	ctx := context.Background()
	ds, _ := dataset.Lookup("employment")
	conn, err := connectors.New("http", connectors.Source{Name: "emp_api", Options: connectors.Options{
		"url": srv.URL + "/api/v1/employment", "records": "data.items", "pagination": "page", "page_size": 200,
		"auth": "bearer", "token_env": "LIPWATCH_TEST_API_TOKEN", "timeout": "500ms", "retries": 2, "backoff": "10ms"}})
	if err != nil {
		t.Fatal(err)
	}
	api := Source{Name: "emp_api", Dataset: ds, Connector: conn, Mapping: dataset.Mapping{Columns: employmentColumns}}
	employmentCSV(t, f.dir+"/other.csv", 10)
	other := f.source("other", "employment", "other.csv")

	for _, fault := range []struct {
		name   string
		faults fakeapi.Faults
		want   string
	}{
		{"truncated JSON", fakeapi.Faults{TruncatePage: 3}, "page 3"},
		{"500s past the retry bound", fakeapi.Faults{Fail: 10}, "500"},
		{"429s past the retry bound", fakeapi.Faults{RateLimit: 10, RetryAfter: "0"}, "429"},
		{"slow responses past the timeout", fakeapi.Faults{Delay: 3 * time.Second}, "emp_api"},
		{"a page that repeats (broken cursor)", fakeapi.Faults{RepeatPage: 2}, "repeat"},
	} {
		srv.SetFaults(fault.faults)
		results := f.sy.Sync(ctx, []Source{api, other})
		if err := results[0].Err; err == nil || !strings.Contains(err.Error(), "emp_api") || !strings.Contains(err.Error(), fault.want) {
			t.Fatalf("%s: %v", fault.name, err)
		}
		if strings.Contains(results[0].Err.Error(), "s3cret") {
			t.Fatalf("%s: the error reveals the token", fault.name)
		}
		if results[1].Err != nil {
			t.Fatalf("%s: the other source failed too: %v", fault.name, results[1].Err)
		}
		if n := f.count(`SELECT count(*) FROM employment WHERE _source = 'emp_api'`); n != 0 {
			t.Fatalf("%s: %d rows left by the failed load", fault.name, n)
		}
	}
	srv.ClearFaults()
	r := f.sy.SyncSource(ctx, api)
	read, loaded, dup, quar := r.Totals()
	if r.Err != nil || read != int64(srv.Len()) || loaded == 0 || read != loaded+dup+quar {
		t.Fatalf("after the faults cleared: read %d loaded %d dup %d quarantined %d (server has %d): %v", read, loaded, dup, quar, srv.Len(), r.Err)
	}
	if n := f.count(`SELECT count(*) FROM employment WHERE _source = 'emp_api'`); int64(n) != loaded {
		t.Fatalf("table has %d rows, loaded %d", n, loaded)
	}
	// Nothing is loaded twice.
	r = f.sy.SyncSource(ctx, api)
	if _, loaded, _, _ := r.Totals(); r.Err != nil || loaded != 0 {
		t.Fatalf("third sync loaded %d: %v", loaded, r.Err)
	}
}

// TestAPIOmittingNullKeys: an API leaves a key out of records where it is
// null, so an optional mapped column first appears on page 2. The source
// loads; a required column that never appears fails it, named.
func TestAPIOmittingNullKeys(t *testing.T) {
	recs := []map[string]any{}
	for i := 0; i < 5; i++ {
		r := map[string]any{"身份证号": "11010519491231002X", "退捕日期": fmt.Sprintf("2020-12-%02d", i+1), "安置去向": "未就业"}
		if i >= 3 {
			r["户号"] = "H1" // the optional household id, present only in later records
		}
		recs = append(recs, r)
	}
	srv := fakeapi.New(recs, fakeapi.Options{Pagination: "page", PageSize: 2})
	defer srv.Close()
	f := newFixture(t)
	ds, _ := dataset.Lookup("fishers")
	conn, err := connectors.New("http", connectors.Source{Name: "fish_api", Options: connectors.Options{
		"url": srv.URL + "/fishers", "records": "data.items", "pagination": "page", "page_size": 2}})
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string]string{"id_number": "身份证号", "household_id": "户号", "retired_date": "退捕日期", "resettlement": "安置去向"}
	r := f.sy.SyncSource(context.Background(), Source{Name: "fish_api", Dataset: ds, Connector: conn, Mapping: dataset.Mapping{Columns: cols}})
	if _, loaded, _, _ := r.Totals(); r.Err != nil || loaded != 5 {
		t.Fatalf("loaded %d: %v", loaded, r.Err)
	}
	if n := f.count(`SELECT count(*) FROM fishers WHERE household_id = 'H1'`); n != 2 {
		t.Errorf("%d rows with the late key's value, want 2", n)
	}
	cols["boat_cert"] = "渔船证号"    // optional and never sent: fine
	cols["resettlement"] = "安置方式" // required and never sent: the source fails
	r = f.sy.SyncSource(context.Background(), Source{Name: "fish_api", Dataset: ds, Connector: conn, Mapping: dataset.Mapping{Columns: cols}})
	if r.Err == nil || !strings.Contains(r.Err.Error(), "安置方式 (resettlement)") || strings.Contains(r.Err.Error(), "渔船证号") {
		t.Fatalf("want the missing required column named: %v", r.Err)
	}
}

// TestAPIUpdatesKeepOrReplace: an API sends a claim again with a corrected
// amount. By default the loaded row stays and the update waits in
// quarantine as a key conflict; with on_conflict: replace it is applied.
func TestAPIUpdatesKeepOrReplace(t *testing.T) {
	claims := func(oop string) []map[string]any {
		return []map[string]any{
			{"结算单号": "C1", "身份证号": "11010519491231002X", "结算日期": "2026-03-05", "医疗总费用": "1000", "个人自付": oop},
			{"结算单号": "C2", "身份证号": "11010519491231002X", "结算日期": "2026-03-06", "医疗总费用": "500", "个人自付": "100"},
		}
	}
	cols := map[string]string{"claim_id": "结算单号", "id_number": "身份证号", "settle_date": "结算日期", "total_cost": "医疗总费用", "out_of_pocket": "个人自付"}
	ds, _ := dataset.Lookup("medical")
	for _, replace := range []bool{false, true} {
		srv := fakeapi.New(claims("300"), fakeapi.Options{Pagination: "none"})
		f := newFixture(t)
		conn, err := connectors.New("http", connectors.Source{Name: "med_api", Options: connectors.Options{
			"url": srv.URL + "/claims", "records": "data.items", "pagination": "none"}})
		if err != nil {
			t.Fatal(err)
		}
		src := Source{Name: "med_api", Dataset: ds, Connector: conn, Mapping: dataset.Mapping{Columns: cols}, Replace: replace}
		f.sy.SyncSource(context.Background(), src)
		srv.Replace(claims("250")) // a correction of C1
		r := f.sy.SyncSource(context.Background(), src)
		_, loaded, dup, quar := r.Totals()
		var oop string
		f.store.DB().QueryRow(`SELECT out_of_pocket::VARCHAR FROM medical WHERE claim_id = 'C1'`).Scan(&oop)
		switch {
		case r.Err != nil:
			t.Fatal(r.Err)
		case !replace && (loaded != 0 || dup != 1 || quar != 1 || oop != "300.00"):
			t.Errorf("keep: loaded %d dup %d quarantined %d, C1 = %s", loaded, dup, quar, oop)
		case replace && (loaded != 1 || dup != 1 || quar != 0 || oop != "250.00" || r.Loads[0].Replaced != 1):
			t.Errorf("replace: loaded %d dup %d quarantined %d replaced %d, C1 = %s", loaded, dup, quar, r.Loads[0].Replaced, oop)
		}
		srv.Close()
	}
}

// Issue 8, items 6 and 7, through the http connector and the sync: a 户号
// written by a float serializer (3.40799001001E15) or an ID number sent
// as a double is damaged and quarantined, never loaded as household
// 3407990010010000; words for "none" in 户号 ("null", "undefined", "-",
// "无") are missing, never a household that pools strangers.
func TestAPIIdentifiersAndPlaceholders(t *testing.T) {
	rec := func(id any, household any, day string) map[string]any {
		r := map[string]any{"身份证号": id, "退捕日期": day, "安置去向": "未就业"}
		if household != nil {
			r["户号"] = household
		}
		return r
	}
	srv := fakeapi.New([]map[string]any{
		rec("11010519491231002X", json.Number("3.40799001001E15"), "2020-12-01"),
		rec(json.Number("1.10105194912310E17"), "3407990010010001", "2020-12-02"),
		rec("11010519491231002X", "null", "2020-12-03"),
		rec("11010519491231002X", "undefined", "2020-12-04"),
		rec("11010519491231002X", "-", "2020-12-05"),
		rec("11010519491231002X", "无", "2020-12-06"),
		rec("11010519491231002X", json.Number("3407990010010002"), "2020-12-07"), // an integer literal is exact
	}, fakeapi.Options{Pagination: "page", PageSize: 3})
	defer srv.Close()
	f := newFixture(t)
	ds, _ := dataset.Lookup("fishers")
	conn, err := connectors.New("http", connectors.Source{Name: "fish_api", Options: connectors.Options{
		"url": srv.URL + "/fishers", "records": "data.items", "pagination": "page", "page_size": 3}})
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string]string{"id_number": "身份证号", "household_id": "户号", "retired_date": "退捕日期", "resettlement": "安置去向"}
	r := f.sy.SyncSource(context.Background(), Source{Name: "fish_api", Dataset: ds, Connector: conn, Mapping: dataset.Mapping{Columns: cols}})
	read, loaded, _, quarantined := r.Totals()
	if r.Err != nil || read != 7 || loaded != 5 || quarantined != 2 {
		t.Fatalf("read %d loaded %d quarantined %d: %v", read, loaded, quarantined, r.Err)
	}
	if n := f.count(`SELECT count(*) FROM fishers WHERE household_id IS NOT NULL AND household_id <> '3407990010010002'`); n != 0 {
		t.Errorf("%d rows loaded with a 户号 that is not one", n)
	}
	if n := f.count(`SELECT count(*) FROM quarantine WHERE source = 'fish_api' AND reason_code = 'damaged_number'`); n != 2 {
		t.Errorf("%d rows quarantined as damaged_number, want 2 (户号 and ID number through a double)", n)
	}
}
