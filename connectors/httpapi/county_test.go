package httpapi_test

import (
	"reflect"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// The demo path: the county's employment file served by the fake API and
// read back by the connector, value for value.
func TestCountyEmploymentThroughFakeAPI(t *testing.T) {
	const file = "../../testdata/county/employment.csv"
	recs, fieldNames, err := fakeapi.ReadCSV(file)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := fakeapi.NewFromCSV(file, fakeapi.Options{Token: token})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	t.Setenv("LIPWATCH_TEST_TOKEN", token)
	rr := connectortest.OpenOnly(t, newSource(t, connectors.Options{
		"url": srv.URL + endpoint, "records": "data.items", "pagination": "page", "page_size": 500,
		"auth": "bearer", "token_env": "LIPWATCH_TEST_TOKEN",
	}))
	rows := connectortest.ReadAll(t, rr)
	if !reflect.DeepEqual(rr.Header(), fieldNames) {
		t.Errorf("header %q, want %q", rr.Header(), fieldNames)
	}
	if len(rows) != len(recs) {
		t.Fatalf("read %d rows, want %d", len(rows), len(recs))
	}
	for i, r := range rows {
		for j, f := range fieldNames {
			if want, _ := recs[i][f].(string); r.Values[j] != want {
				t.Fatalf("row %d, %s: %q, want %q", r.Pos, f, r.Values[j], want)
			}
		}
	}
}
