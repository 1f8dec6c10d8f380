package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// A platform that answers an error with HTTP 200 and an empty list
// (here: the token expired before page 3 of 6 records in pages of 2)
// fails the read at that page, showing the platform's code and message,
// whether status_path is set or the code is recognised without it. It
// used to end the read there with 4 of the 6 records, status ok.
func TestErrorAnsweredWith200(t *testing.T) {
	tests := []struct {
		name  string
		body  string // "" for fakeapi.DefaultErrorBody
		extra connectors.Options
		want  []string
	}{
		{"status_path", "", connectors.Options{"status_path": "code"}, []string{
			`page 3: the API answered code 401, msg "令牌已过期": not one of the success codes (0, 200)`}},
		{"status_path, message_path", `{"code":"E401","data":{"items":null,"error":{"reason":"令牌已过期"}}}`,
			connectors.Options{"status_path": "code", "message_path": "data.error", "success": []any{0, "200"}}, []string{
				`page 3: the API answered code "E401", data.error "{\"reason\":\"令牌已过期\"}": not one of the success codes (0, 200)`}},
		{"unconfigured, empty list", "", nil, []string{
			`page 3: the API answered code 401 (0 on the pages with records), msg "令牌已过期", with no records: taken for the platform's error, not the end of the data`,
			"If both mean success here, set status_path: code and success: [0, 401]"}},
		{"unconfigured, null list", `{"errcode":40014,"errmsg":"invalid access_token","data":{"items":null}}`, nil, []string{
			`page 3: the API answered errcode 40014, errmsg "invalid access_token", with no records`}},
		{"unconfigured, no list", `{"status":"FAIL","message":"系统维护中"}`, nil, []string{
			`page 3: the API answered status "FAIL", message "系统维护中", with no records`,
			`set status_path: status and success: ["FAIL"]`}},
		{"unconfigured, success false", `{"success":false,"msg":"令牌已过期","data":{"items":[]}}`, nil, []string{
			`page 3: the API answered success false, msg "令牌已过期", with no records: taken for the platform's error`}},
		{"unconfigured, code next to the records", `{"data":{"code":401,"items":[]}}`, nil, []string{
			`page 3: the API answered data.code 401, with no records`, "set status_path: data.code and success: [401]"}},
		{"unconfigured, message next to the records", `{"data":{"errCode":"E401","errMsg":"令牌已过期","items":null}}`, nil, []string{
			`page 3: the API answered data.errCode "E401", data.errMsg "令牌已过期", with no records`}},
		{"unconfigured, a success code and an error code", `{"code":0,"errcode":40001,"errmsg":"invalid credential","data":{"items":[]}}`, nil, []string{
			`page 3: the API answered errcode 40001, errmsg "invalid credential", with no records`}},
		{"unconfigured, resultCode", `{"resultCode":"1","resultMsg":"token无效","data":{"items":[]}}`, nil, []string{
			`page 3: the API answered resultCode "1", resultMsg "token无效", with no records`,
			// resultCode "1" is new here, not evidence: not advised.
			"set status_path to the key of the platform's status code and success to its success values (and message_path: resultMsg)"}},
		{"unconfigured, ret", `{"ret":-1,"data":{"items":[]}}`, nil, []string{
			`page 3: the API answered ret -1, with no records`, "set status_path: ret and success: [-1]"}},
		{"message quoting an ID number withheld", `{"code":403,"msg":"用户 340799199001011234 (张三) 无权访问","data":{"items":[]}}`, nil, []string{
			`page 3: the API answered code 403 (0 on the pages with records), msg (withheld: it quotes a record's data), with no records`}},
		{"message quoting a masked ID number withheld", `{"code":500,"msg":"身份证号34****************(张三)查询失败","data":{"items":[]}}`,
			connectors.Options{"status_path": "code"}, []string{
				`page 3: the API answered code 500, msg (withheld: it quotes a record's data): not one of the success codes`}},
		{"message at message_path withheld", `{"code":500,"data":{"items":[],"err":{"text":"手机 138****1234 李四 重复"}}}`,
			connectors.Options{"status_path": "code", "message_path": "data.err.text"}, []string{
				`page 3: the API answered code 500, data.err.text (withheld: it quotes a record's data)`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, employment(6), fakeapi.Options{})
			srv.SetFaults(fakeapi.Faults{ErrorPage: 3, ErrorBody: tt.body})
			o := pageOpts(srv, "page", 2)
			for k, v := range tt.extra {
				o[k] = v
			}
			st := connectortest.OnlyStream(t, newSource(t, o)).(connectors.Incremental)
			rr, err := st.Open(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer rr.Close()
			rows, err := connectortest.ReadRows(rr)
			connectortest.WantErr(t, err, append([]string{"source employment: /api/v1/employment: "}, tt.want...)...)
			if len(rows) != 4 {
				t.Errorf("read %d rows before the error, want 4", len(rows))
			}
			for _, leak := range []string{"340799199001011234", "张三", "李四"} {
				if err != nil && strings.Contains(err.Error(), leak) {
					t.Errorf("error shows a record's data (%s): %v", leak, err)
				}
			}
			// Sticky: the read stays failed.
			if _, again := rr.Next(); again == nil || again.Error() != err.Error() {
				t.Errorf("next after the error: %v", again)
			}
		})
	}
}

// The token never shows, even where the platform echoes it.
func TestErrorAnsweredWith200Masked(t *testing.T) {
	t.Setenv("LIPWATCH_TEST_TOKEN", token)
	srv := serve(t, employment(3), fakeapi.Options{Token: token})
	srv.SetFaults(fakeapi.Faults{ErrorPage: 1, ErrorBody: `{"code":401,"msg":"token ` + token + ` expired","data":{"items":[]}}`})
	o := pageOpts(srv, "page", 2)
	o["auth"], o["token_env"], o["status_path"] = "bearer", "LIPWATCH_TEST_TOKEN", "code"
	_, err := syncErr(t.Context(), newSource(t, o))
	connectortest.WantErr(t, err, `page 1: the API answered code 401, msg "token [redacted] expired"`)
	if err != nil && strings.Contains(err.Error(), token) {
		t.Errorf("error shows the token: %v", err)
	}
}

// Success codes are compared as text: a platform answering "00000" reads
// in full once success says so; by default (0, 200) its first page fails.
// Without status_path, any code the pages with records had is success on
// the closing empty page (1, "00000", 1.0).
func TestSuccessCodes(t *testing.T) {
	tests := []struct {
		name    string
		code    any
		extra   connectors.Options
		wantErr string
	}{
		{"200 as a number", 200, connectors.Options{"status_path": "code"}, ""},
		{"200 as a string", "200", connectors.Options{"status_path": "code"}, ""},
		{"00000 listed", "00000", connectors.Options{"status_path": "code", "success": []any{"00000"}}, ""},
		{"00000 is 0", "00000", connectors.Options{"status_path": "code"}, ""},
		{"200.0 is 200", json.RawMessage("200.0"), connectors.Options{"status_path": "code"}, ""},
		{"200.0 listed, 200 served", 200, connectors.Options{"status_path": "code", "success": []any{200.0}}, ""},
		{"0000 listed, 0 served", 0, connectors.Options{"status_path": "code", "success": []any{"0000"}}, ""},
		{"E0000 not listed", "E0000", connectors.Options{"status_path": "code"}, `page 1: the API answered code "E0000", msg "ok": not one of the success codes (0, 200)`},
		{"200.0 unconfigured", json.RawMessage("200.0"), nil, ""},
		{"0000 unconfigured", "0000", nil, ""},
		{"1.0 unconfigured", json.RawMessage("1.0"), nil, ""},
		{"1.0 as advised", json.RawMessage("1.0"), connectors.Options{"status_path": "code", "success": []any{1.0}}, ""},
		{"1 listed", 1, connectors.Options{"status_path": "code", "success": []any{1}}, ""},
		{"00000 unconfigured", "00000", nil, ""},
		{"SUCCESS unconfigured", "SUCCESS", nil, ""},
		{"1 unconfigured (ThinkPHP)", 1, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := serve(t, employment(5), fakeapi.Options{Code: tt.code})
			o := pageOpts(srv, "page", 2)
			for k, v := range tt.extra {
				o[k] = v
			}
			rows, err := syncErr(t.Context(), newSource(t, o))
			if tt.wantErr != "" {
				connectortest.WantErr(t, err, tt.wantErr)
				return
			}
			if err != nil || len(rows) != 5 {
				t.Errorf("read %d rows, %v; want 5", len(rows), err)
			}
		})
	}
}

// Without status_path, a page that has records is never judged by its
// code: only an empty page could be a platform's error in disguise (an
// empty page whose code differs from the pages with records is one:
// TestEmptyPageHeuristic).
func TestCodeIgnoredOnPagesWithRecords(t *testing.T) {
	srv := pagesServer(t,
		`{"code": 206, "msg": "部分数据", "data": {"items": [{"a": 1}, {"a": 2}]}}`,
		`{"data": {"items": []}}`,
	)
	rows, err := syncErr(t.Context(), newSource(t, connectors.Options{"url": srv.URL + "/api", "records": "data.items", "pagination": "page", "page_size": 2}))
	if err != nil || len(rows) != 2 {
		t.Errorf("read %d rows, %v; want 2", len(rows), err)
	}
}

// A status_path the response lacks fails the first page, naming the
// response's keys.
func TestStatusPathMissing(t *testing.T) {
	srv := serve(t, employment(3), fakeapi.Options{})
	o := pageOpts(srv, "page", 2)
	o["status_path"] = "result.code"
	_, err := syncErr(t.Context(), newSource(t, o))
	connectortest.WantErr(t, err, "page 1: the response has no result.code (status_path; its top-level keys: code, msg, data)")
}

// Without status_path, an empty page whose every status key looks like
// success ends the read: codes equal to 0 or 200 as numbers, true flags,
// at the top level and next to the records.
func TestEmptyPageLooksSucceeded(t *testing.T) {
	srv := pagesServer(t,
		`{"code": 200, "data": {"items": [{"a": 1}, {"a": 2}]}}`,
		`{"code": 200.0, "errcode": "0000", "success": true, "ok": "true", "ret": 0, "data": {"code": "200", "isSuccess": true, "items": []}}`,
	)
	rows, err := syncErr(t.Context(), newSource(t, connectors.Options{"url": srv.URL + "/api", "records": "data.items", "pagination": "page", "page_size": 2}))
	if err != nil || len(rows) != 2 {
		t.Errorf("read %d rows, %v; want 2", len(rows), err)
	}
}

// An error status whose body quotes a record (an ID number, even masked
// by the platform, next to a name) shows no part of the body.
func TestStatusBodyWithheld(t *testing.T) {
	for _, body := range []string{
		`{"code":400,"msg":"身份证号34****************(张三)格式错误"}`,
		`{"code":400,"msg":"身份证号340799199001011234(张三)格式错误"}`,
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, body)
		}))
		t.Cleanup(srv.Close)
		_, err := syncErr(t.Context(), newSource(t, connectors.Options{"url": srv.URL + "/api"}))
		connectortest.WantErr(t, err, "page 1: HTTP 400 Bad Request: (body withheld: it quotes a record's data)")
		if err != nil && (strings.Contains(err.Error(), "张三") || strings.Contains(err.Error(), "34**")) {
			t.Errorf("error shows the body: %v", err)
		}
	}
}
