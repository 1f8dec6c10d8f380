package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// envelopeRead reads a page API whose page 1 is first (two records) and
// page 2 is second, records at path, in pages of 2.
func envelopeRead(t *testing.T, path, first, second string, extra connectors.Options) ([]connectors.Row, error) {
	t.Helper()
	srv := pagesServer(t, first, second)
	o := connectors.Options{"url": srv.URL + "/api", "pagination": "page", "page_size": 2}
	if path != "" {
		o["records"] = path
	}
	for k, v := range extra {
		o[k] = v
	}
	return syncErr(t.Context(), newSource(t, o))
}

// Without status_path, an empty page fails when it carries positive
// evidence of an error (a code from 400 to 599 or below 0, a failure
// word, a false success flag), wherever it sits (to depth 3), or when a
// status-like value of the pages with records changed; it used to end the
// read with status ok.
func TestEmptyPageHeuristic(t *testing.T) {
	const recs = `{"data": {"list": [{"id": 1}, {"id": 2}]}}`
	tests := []struct {
		name, first, second string
		want                []string
	}{
		{"Code", recs, `{"Code": 401, "data": {"list": []}}`, []string{"the API answered Code 401, with no records", "set status_path: Code and success: [401]"}},
		{"CODE changed", `{"CODE": "E0000", "data": {"list": [{"id": 1}, {"id": 2}]}}`, `{"CODE": "E401", "data": {"list": []}}`, []string{
			`the API answered CODE "E401" ("E0000" on the pages with records), with no records`, `set status_path: CODE and success: ["E0000", "E401"]`}},
		{"head.code", recs, `{"head": {"code": "9999", "msg": "系统异常"}, "data": {"list": []}}`, []string{
			`the API answered head.code "9999", head.msg "系统异常", with no records`,
			"set status_path to the key of the platform's status code and success to its success values (and message_path: head.msg)"}},
		{"header.rtnCode", recs, `{"header": {"rtnCode": "E01", "rtnMsg": "令牌失效"}, "data": {"list": []}}`, []string{
			`the API answered header.rtnCode "E01", header.rtnMsg "令牌失效", with no records`}},
		{"status.code", recs, `{"status": {"code": 401, "message": "unauthorized"}, "data": {"list": []}}`, []string{
			`the API answered status.code 401, status.message "unauthorized", with no records`}},
		{"error.code", recs, `{"error": {"code": "invalid_token", "message": "token expired"}, "data": {"list": []}}`, []string{
			`the API answered error.code "invalid_token", error.message "token expired", with no records`}},
		{"returnCode changed", `{"returnCode": "0000", "data": {"list": [{"id": 1}, {"id": 2}]}}`, `{"returnCode": "1001", "data": {"list": []}}`,
			[]string{`the API answered returnCode "1001" ("0000" on the pages with records)`}},
		{"respCode", recs, `{"respCode": "9999", "respMsg": "签名错误", "data": {"list": []}}`, []string{`the API answered respCode "9999", respMsg "签名错误"`}},
		{"rspCode", recs, `{"rspCode": -1, "data": {"list": []}}`, []string{`the API answered rspCode -1`}},
		{"state fail", recs, `{"state": "fail", "data": {"list": []}}`, []string{`the API answered state "fail"`}},
		{"result error", recs, `{"result": "error", "data": {"list": []}}`, []string{`the API answered result "error"`}},
		{"flag changed", `{"flag": true, "data": {"list": [{"id": 1}, {"id": 2}]}}`, `{"flag": false, "data": {"list": []}}`,
			[]string{`the API answered flag false (true on the pages with records), with no records`}},
		{"success false", recs, `{"success": false, "data": {"list": []}}`, []string{`the API answered success false, with no records`}},
		{"success N", recs, `{"success": "N", "data": {"list": []}}`, []string{`the API answered success "N"`}},
		{"success 0", recs, `{"success": 0, "data": {"list": []}}`, []string{`the API answered success 0`}},
		{"isSuccess 0", recs, `{"isSuccess": "0", "data": {"list": []}}`, []string{`the API answered isSuccess "0"`}},
		{"message only", recs, `{"msg": "token无效", "data": {"list": []}}`, []string{
			`the API answered msg "token无效", with no records: taken for the platform's error, not the end of the data. ` +
				`If it is really the end of the data, set status_path to the key of the platform's status code and success to its success values (and message_path: msg)`}},
		{"error beside a success code", recs, `{"code": "SUCCESS", "error": "token expired", "data": {"list": []}}`, []string{
			`the API answered code "SUCCESS", error "token expired", with no records`,
			"set status_path to the key of the platform's status code and success to its success values (and message_path: error)"}},
		{"data.msg only", recs, `{"data": {"msg": "签名过期", "list": null}}`, []string{`the API answered data.msg "签名过期"`}},
		{"message quoting a record", recs, `{"msg": "身份证尾号5511的赵六 无权查询", "data": {"list": []}}`, []string{
			`the API answered msg (withheld: it quotes a record's data), with no records`}},
		{"changed value withheld", `{"code": 0, "data": {"list": [{"id": 1}, {"id": 2}]}}`, `{"code": "340799199001011234", "data": {"list": []}}`, []string{
			`code (withheld: it quotes a record's data) (0 on the pages with records)`,
			"set status_path to the key of the platform's status code and success to its success values"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := envelopeRead(t, "data.list", tt.first, tt.second, nil)
			connectortest.WantErr(t, err, append([]string{"page 2: "}, tt.want...)...)
			if len(rows) != 2 {
				t.Errorf("read %d rows before the error, want 2", len(rows))
			}
			if err != nil && (strings.Contains(err.Error(), "赵六") || strings.Contains(err.Error(), "1234")) {
				t.Errorf("error shows a record: %v", err)
			}
		})
	}
}

// A status that changes between the pages with records and an empty page
// fails it, even when the new value would look like success alone.
func TestEmptyPageStatusChanged(t *testing.T) {
	_, err := envelopeRead(t, "data.list", `{"code": 200, "data": {"list": [{"id": 1}, {"id": 2}]}}`, `{"code": 0, "data": {"list": []}}`, nil)
	connectortest.WantErr(t, err, "page 2: the API answered code 0 (200 on the pages with records), with no records: taken for the platform's error",
		"If both mean success here, set status_path: code and success: [200, 0]")
	_, err = envelopeRead(t, "data.list", `{"head": {"code": "0000"}, "data": {"list": [{"id": 1}, {"id": 2}]}}`, `{"head": {"code": 200}, "data": {"list": []}}`, nil)
	connectortest.WantErr(t, err, `page 2: the API answered head.code 200 ("0000" on the pages with records)`)
	// The same code written otherwise is the same code.
	if _, err := envelopeRead(t, "data.list", `{"code": 200, "data": {"list": [{"id": 1}, {"id": 2}]}}`, `{"code": "200", "data": {"list": []}}`, nil); err != nil {
		t.Errorf("200 then \"200\": %v", err)
	}
}

// Legitimate empty last pages still end the read.
func TestEmptyPageLegitimate(t *testing.T) {
	tests := []struct {
		name, path, first, second string
	}{
		{"code 0 成功", "data.list", `{"code": 0, "msg": "成功", "data": {"list": [{"id": 1}, {"id": 2}], "total": 2}}`,
			`{"code": 0, "msg": "成功", "data": {"list": [], "total": 0}}`},
		{"code 200 暂无数据", "data.records", `{"code": 200, "message": "查询成功", "data": {"records": [{"id": 1}, {"id": 2}]}}`,
			`{"code": 200, "message": "暂无数据", "data": {"records": []}}`},
		{"success true", "data", `{"success": true, "data": [{"id": 1}, {"id": 2}]}`, `{"success": true, "data": []}`},
		{"bare array", "", `[{"id": 1}, {"id": 2}]`, `[]`},
		{"status ok", "items", `{"status": "ok", "items": [{"id": 1}, {"id": 2}]}`, `{"status": "ok", "items": []}`},
		{"status normal", "items", `{"status": "NORMAL", "items": [{"id": 1}, {"id": 2}]}`, `{"status": "NORMAL", "items": []}`},
		{"traceId and timestamp", "data.list", `{"code": 0, "traceId": "7f3a9c01", "timestamp": 1772323200001, "data": {"list": [{"id": 1}, {"id": 2}]}}`,
			`{"code": 0, "traceId": "b81d22e4", "timestamp": 1772323200987, "data": {"list": []}}`},
		{"errcode 0 errmsg ok", "data.list", `{"errcode": 0, "errmsg": "ok", "data": {"list": [{"id": 1}, {"id": 2}]}}`,
			`{"errcode": 0, "errmsg": "ok", "data": {"list": []}}`},
		{"errmsg 暂无数据 beside a success code", "data.list", `{"code": 0, "errmsg": "", "data": {"list": [{"id": 1}, {"id": 2}]}}`,
			`{"code": 0, "errmsg": "暂无数据", "data": {"list": []}}`},
		{"查询成功，暂无数据", "data.list", `{"code": "0000", "msg": "查询成功", "data": {"list": [{"id": 1}, {"id": 2}]}}`,
			`{"code": "0000", "msg": "查询成功，暂无数据", "data": {"list": null}}`},
		{"areaCode echoed", "data.list", `{"code": 0, "params": {"areaCode": "340799"}, "data": {"list": [{"id": 1}, {"id": 2}]}}`,
			`{"code": 0, "params": {"areaCode": "340799"}, "data": {"list": []}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, err := envelopeRead(t, tt.path, tt.first, tt.second, nil)
			if err != nil || len(rows) != 2 {
				t.Errorf("read %d rows, %v; want 2", len(rows), err)
			}
		})
	}
}

// A platform's message or an error body that quotes a record is withheld
// whole, however the number is written: full-width asterisks or digits,
// spaced or dashed, or only its last digits next to 身份证.
func TestMessageQuotingRecordWithheld(t *testing.T) {
	for _, q := range []struct{ text, name string }{
		{"340799＊＊＊＊＊＊＊＊5511 吴九", "吴九"},
		{"34０７９９********５５１１ 周八", "周八"},
		{"3407 9919 7909 2655 11 孙七", "孙七"},
		{"340799-1979-0926-5511 钱一", "钱一"},
		{"身份证尾号5511的赵六", "赵六"},
		{"340799××××××××5511 郑二", "郑二"},
		{"证件号码末4位 5511 王五", "王五"},
	} {
		t.Run(q.name, func(t *testing.T) {
			body := fmt.Sprintf(`{"code": 500, "msg": "%s 查询失败", "data": {"list": []}}`, q.text)
			_, err := envelopeRead(t, "data.list", `{"code": 0, "data": {"list": [{"id": 1}, {"id": 2}]}}`, body, connectors.Options{"status_path": "code"})
			connectortest.WantErr(t, err, "page 2: the API answered code 500, msg (withheld: it quotes a record's data): not one of the success codes")
			// Unconfigured, the heuristic's message too.
			_, err2 := envelopeRead(t, "data.list", `{"data": {"list": [{"id": 1}, {"id": 2}]}}`, fmt.Sprintf(`{"msg": "%s 无权查询", "data": {"list": []}}`, q.text), nil)
			connectortest.WantErr(t, err2, "page 2: the API answered msg (withheld: it quotes a record's data), with no records")
			// An HTTP error's body.
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, body)
			}))
			t.Cleanup(srv.Close)
			_, err3 := syncErr(t.Context(), newSource(t, connectors.Options{"url": srv.URL + "/api"}))
			connectortest.WantErr(t, err3, "page 1: HTTP 400 Bad Request: (body withheld: it quotes a record's data)")
			for _, e := range []error{err, err2, err3} {
				if e != nil && (strings.Contains(e.Error(), q.name) || strings.Contains(e.Error(), "5511")) {
					t.Errorf("error shows the record: %v", e)
				}
			}
		})
	}
	// A message without a number, or with a short one and no identity
	// field, is shown.
	for _, msg := range []string{"系统繁忙，请稍后再试", "第 2 页超出范围，共 10 页"} {
		_, err := envelopeRead(t, "data.list", `{"code": 0, "data": {"list": [{"id": 1}, {"id": 2}]}}`,
			fmt.Sprintf(`{"code": 500, "msg": %q, "data": {"list": []}}`, msg), connectors.Options{"status_path": "code"})
		connectortest.WantErr(t, err, fmt.Sprintf("msg %q", msg))
	}
}
