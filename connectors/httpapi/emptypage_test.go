package httpapi_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

// envelopeServer serves n records {"id": i} in pages of 2 (page paging)
// inside an envelope template: @LIST@ the page's records, @TOTAL@ n,
// @PAGE@, @SIZE@, @CNT@ the page's count, @NOW@ and @NOWS@ the time and
// @TRACE@ a value new on every response. A page past the records uses
// empty when it is set (else full). It counts the requests.
func envelopeServer(t *testing.T, n int, full, empty string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var requests, trace atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		p, _ := strconv.Atoi(r.URL.Query().Get("page"))
		var recs []string
		for i := (p-1)*2 + 1; i <= min(p*2, n) && p >= 1; i++ {
			recs = append(recs, fmt.Sprintf(`{"id":%d}`, i))
		}
		env := full
		if len(recs) == 0 && empty != "" {
			env = empty
		}
		now := time.Now()
		body := strings.NewReplacer("@LIST@", "["+strings.Join(recs, ",")+"]", "@TOTAL@", strconv.Itoa(n), "@PAGE@", strconv.Itoa(p),
			"@SIZE@", "2", "@CNT@", strconv.Itoa(len(recs)), "@NOW@", strconv.FormatInt(now.UnixNano(), 10),
			"@NOWS@", now.Format(time.RFC3339Nano), "@TRACE@", fmt.Sprintf("t%x", trace.Add(7919))).Replace(env)
		fmt.Fprint(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv, &requests
}

func envelopeSync(t *testing.T, path string, n int, full, empty string, extra connectors.Options) ([]connectors.Row, error) {
	t.Helper()
	srv, _ := envelopeServer(t, n, full, empty)
	o := connectors.Options{"url": srv.URL + "/api", "pagination": "page", "page_size": 2, "records": path}
	for k, v := range extra {
		o[k] = v
	}
	return syncErr(t.Context(), newSource(t, o))
}

// Real platforms' envelopes, served on every page, the closing empty one
// too (the tester's table): each reads its 7 records in full, status ok,
// without status_path. Codes such as 1 (ThinkPHP, FastAdmin), "A0000",
// "10000" (Alipay), keys echoed from the request (appCode, serviceCode,
// townCode, encode, head.transCode beside head.rtnCode), success messages
// and values that change on every response never fail a page.
func TestEmptyPageRealEnvelopes(t *testing.T) {
	envs := []struct{ path, env string }{
		{"data.rows", `{"code":200,"msg":"操作成功","data":{"total":@TOTAL@,"rows":@LIST@}}`},
		{"rows", `{"total":@TOTAL@,"rows":@LIST@,"code":200,"msg":"查询成功"}`},
		{"data.list", `{"resultCode":"0000","resultMsg":"成功","data":{"list":@LIST@}}`},
		{"data.list", `{"status":1,"info":"ok","data":{"list":@LIST@}}`},
		{"data", `{"status":1,"info":"ok","data":@LIST@}`},
		{"data.list", `{"errno":0,"errmsg":"","data":{"list":@LIST@}}`},
		{"data.list", `{"ret":0,"data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"成功","areaCode":"340799","deptCode":"RSJ","orgCode":"11340799","pageNum":@PAGE@,"pageSize":@SIZE@,"timestamp":@NOW@,"sign":"ab12cd","traceId":"@TRACE@","serverTime":"@NOWS@","data":{"list":@LIST@}}`},
		{"data.list", `{"code":"A0000","msg":"成功","data":{"list":@LIST@}}`},
		{"data.list", `{"code":"00000","msg":"成功","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"成功","requestTime":"@NOWS@","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"成功","appCode":"RSJ_JYSS","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"成功","serviceCode":"S3407990012","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"成功","resourceCode":"340799-RSJ-0012","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"成功","data":{"townCode":"340799001","list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"成功","data":{"xzqhCode":"340799","list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"成功","data":{"adcode":"340799","list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"成功","departmentCode":"RSJ","organizationCode":"11340799MB0000000X","unitCode":"001","data":{"list":@LIST@}}`},
		{"data.list", `{"code":1,"msg":"","time":"@NOW@","data":{"list":@LIST@}}`},
		{"data.list", `{"code":"10000","msg":"Success","data":{"list":@LIST@}}`},
		{"data.list", `{"errcode":0,"errmsg":"操作成功","data":{"list":@LIST@}}`},
		{"data.list", `{"errno":0,"errmsg":"查询成功","data":{"list":@LIST@}}`},
		{"data.list", `{"code":0,"error":false,"data":{"list":@LIST@}}`},
		{"data.list", `{"error":0,"msg":"成功","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"获取数据成功","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"数据查询成功","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"接口调用成功","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"message":"successful","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"查询成功，共@CNT@条","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"请求成功 (traceId: @TRACE@)","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"result":"查询成功","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"status":"正常","data":{"list":@LIST@}}`},
		{"data.list", `{"state":1,"message":"查询成功","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"处理完成","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"","errMsg":"request:ok","data":{"list":@LIST@}}`},
		{"data.list", `{"code":"0","message":"OK","data":{"list":@LIST@,"pageNum":@PAGE@,"pageSize":@SIZE@,"size":@CNT@,"pages":3,"isFirstPage":true,"isLastPage":false,"hasNextPage":true}}`},
		{"result.records", `{"success":true,"message":"","code":200,"result":{"records":@LIST@,"total":@TOTAL@,"size":3,"current":1,"orders":[],"searchCount":true,"pages":3},"timestamp":@NOW@}`},
		{"data.content", `{"code":200,"data":{"content":@LIST@,"last":true,"totalElements":@TOTAL@,"empty":false,"sort":{"empty":true,"sorted":false,"unsorted":true}}}`},
		{"result.data", `{"reason":"查询成功!","result":{"data":@LIST@},"error_code":0}`},
		{"data.list", `{"code":200,"msg":"成功","data":{"list":@LIST@},"version":"1.0","charset":"UTF-8","encode":"UTF-8"}`},
		{"data.list", `{"head":{"rtnCode":"000000","rtnMsg":"交易成功","transCode":"QRY001","reqSeq":"@TRACE@"},"data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"成功","bizCode":"JYSS","data":{"list":@LIST@}}`},
		{"data.list", `{"code":200,"msg":"成功","data":{"list":@LIST@},"status":"SUCCESS"}`},
		{"data.list", `{"flag":"0","msg":"成功","data":{"list":@LIST@}}`},
		{"data.list", `{"success":true,"code":200,"msg":"成功","data":{"list":@LIST@},"errorCode":null,"errorMsg":null}`},
		{"data.list", `{"code":200,"msg":"成功","data":{"list":@LIST@},"desc":"人社局就业失业登记接口"}`},
		{"data.list", `{"code":200,"msg":"Success","data":{"list":@LIST@},"sysCode":"DSP","langCode":"zh_CN"}`},
	}
	for k, e := range envs {
		t.Run(strconv.Itoa(k), func(t *testing.T) {
			t.Parallel()
			rows, err := envelopeSync(t, e.path, 7, e.env, "", nil)
			if err != nil || len(rows) != 7 {
				t.Errorf("%s: read %d rows, %v; want 7", e.env, len(rows), err)
			}
			// A quiet night: the same envelope with no records at all.
			rows, err = envelopeSync(t, e.path, 0, e.env, "", nil)
			if err != nil || len(rows) != 0 {
				t.Errorf("%s, no records: read %d rows, %v; want 0, no error", e.env, len(rows), err)
			}
		})
	}
}

// Closing pages that say "no more data" in their own way, after pages
// of {"code":200,"msg":"成功","data":{"total":7,"list":[...]}}: each ends the
// read with the 7 records, status ok, and so does each as a first page
// (no records at all).
func TestEmptyPageClosingPhrases(t *testing.T) {
	const full = `{"code":200,"msg":"成功","data":{"total":@TOTAL@,"list":@LIST@}}`
	for k, empty := range []string{
		`{"code":200,"msg":"暂无数据","data":{}}`,
		`{"code":200,"msg":"暂无数据","data":[]}`,
		`{"code":200,"msg":"暂无数据","data":""}`,
		`{"code":200,"msg":"暂无数据","data":null}`,
		`{"code":200,"msg":"成功","data":{"total":0,"list":null}}`,
		`{"code":200,"msg":"成功"}`,
		`{"code":"200","msg":"成功","data":{"total":@TOTAL@,"list":[]}}`,
		`{"code":200.0,"msg":"成功","data":{"total":@TOTAL@,"list":[]}}`,
		`{"code":204,"msg":"暂无数据","data":{"list":[]}}`,
		`{"code":200,"msg":"未查询到数据","data":{"list":[]}}`,
		`{"code":200,"msg":"查询结果为空","data":{"list":[]}}`,
		`{"code":200,"msg":"没有更多数据了","data":{"list":[]}}`,
		`{"code":200,"msg":"已经是最后一页","data":{"list":[]}}`,
		`{"code":200,"msg":"无更多数据","data":{"list":[]}}`,
		`{"code":200,"msg":"暂无数据！","data":{"list":[]}}`,
		`{"code":200,"msg":"No data found.","data":{"list":[]}}`,
		`{"code":200,"msg":"查无数据","data":{"list":[]}}`,
		`{"code":200,"msg":"无符合条件的数据","data":{"list":[]}}`,
		`{"code":200,"msg":"数据不存在","data":{"list":[]}}`,
		`{"code":200,"msg":"记录不存在","data":{"list":[]}}`,
		`{"code":200,"msg":"成功","success":true,"data":{"list":[]}}`,
		`{"code":200,"msg":"成功","appCode":"RSJ_JYSS","data":{"list":[]}}`,
	} {
		t.Run(strconv.Itoa(k), func(t *testing.T) {
			t.Parallel()
			rows, err := envelopeSync(t, "data.list", 7, full, empty, nil)
			if err != nil || len(rows) != 7 {
				t.Errorf("%s: read %d rows, %v; want 7", empty, len(rows), err)
			}
			if empty == `{"code":200,"msg":"成功"}` {
				return // on a first page: TestEmptyPageMissingPath
			}
			rows, err = envelopeSync(t, "data.list", 0, full, empty, nil)
			if err != nil || len(rows) != 0 {
				t.Errorf("%s, first page: read %d rows, %v; want 0, no error", empty, len(rows), err)
			}
		})
	}
}

// Errors answered with HTTP 200 in the middle of a read (after a page of
// records) still fail it, and so do those with positive evidence on a
// first page: the records after them would be lost with status ok.
func TestEmptyPageSilentLossStillFails(t *testing.T) {
	const full = `{"code":200,"msg":"成功","appCode":"RSJ_JYSS","data":{"total":@TOTAL@,"list":@LIST@}}`
	tests := []struct {
		name, empty string
		first       bool // also fails as a first page
		want        string
	}{
		{"token expired", `{"code":401,"msg":"令牌已过期","appCode":"RSJ_JYSS","data":{"list":[]}}`, true,
			`page 2: the API answered code 401 (200 on the pages with records), msg "令牌已过期"`},
		{"success false", `{"success":false,"msg":"调用失败","data":{"list":[]}}`, true, `page 2: the API answered success false, msg "调用失败"`},
		{"data.code 401", `{"code":200,"msg":"成功","data":{"code":401,"msg":"无权限","list":[]}}`, true, `page 2: the API answered data.code 401`},
		{"message only token无效", `{"msg":"token无效","data":{"list":[]}}`, true, `page 2: the API answered msg "token无效"`},
		{"code 200 to 0", `{"code":0,"msg":"成功","appCode":"RSJ_JYSS","data":{"list":[]}}`, false,
			`page 2: the API answered code 0 (200 on the pages with records), msg "成功"`},
		{"code 200 to 0, data null", `{"code":0,"msg":"成功","data":null}`, false, `page 2: the API answered code 0 (200 on the pages with records)`},
		{"code 200 to 500, no data", `{"code":500,"msg":"系统繁忙"}`, true, `page 2: the API answered code 500 (200 on the pages with records), msg "系统繁忙"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// 7 records; the error page replaces page 2 and every later one.
			srv, _ := envelopeServer(t, 7, full, "")
			errSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Query().Get("page") == "1" {
					srv.Config.Handler.ServeHTTP(w, r)
					return
				}
				fmt.Fprint(w, tt.empty)
			}))
			t.Cleanup(errSrv.Close)
			o := connectors.Options{"url": errSrv.URL + "/api", "pagination": "page", "page_size": 2, "records": "data.list"}
			rows, err := syncErr(t.Context(), newSource(t, o))
			connectortest.WantErr(t, err, tt.want, "taken for the platform's error")
			if len(rows) != 2 {
				t.Errorf("read %d rows before the error, want 2", len(rows))
			}
			if err != nil && strings.Contains(err.Error(), "appCode") {
				t.Errorf("the echoed appCode is advised: %v", err)
			}
			rows, err = envelopeSync(t, "data.list", 0, full, tt.empty, nil)
			if tt.first {
				connectortest.WantErr(t, err, "page 1: the API answered", "taken for the platform's error")
			} else if err != nil || len(rows) != 0 {
				// A first page has no baseline: code 0 alone is no evidence.
				t.Errorf("as a first page: %d rows, %v; want the end", len(rows), err)
			}
		})
	}
}

// A response without the records path: after pages with records (and an
// unchanged status) it is the end; on a first page it is the end when
// the path's parent is empty ("data": null) or the response holds no
// array at all, an error with the platform's words on evidence, and
// otherwise (an array elsewhere: a misconfigured records option?) an
// error listing the top-level keys. With status_path and a success code
// it is the end wherever it comes.
func TestEmptyPageMissingPath(t *testing.T) {
	const full = `{"code":200,"msg":"成功","data":{"list":@LIST@}}`
	_, err := envelopeSync(t, "data.rows", 3, full, "", nil)
	connectortest.WantErr(t, err, "page 1: the response has no data.rows (its top-level keys: code, msg, data); "+
		"if this is how the API says there are no records, set status_path and success")
	_, err = envelopeSync(t, "data.list", 0, full, `{"code":403,"msg":"未授权"}`, nil)
	connectortest.WantErr(t, err, `page 1: the API answered code 403, msg "未授权"`)
	for _, empty := range []string{`{"code":200,"msg":"成功"}`, `{"code":200,"msg":"暂无数据","data":null}`, `{"code":200,"msg":"暂无数据","data":{}}`} {
		rows, err := envelopeSync(t, "data.list", 3, full, empty, connectors.Options{"status_path": "code", "success": []any{200}})
		if err != nil || len(rows) != 3 {
			t.Errorf("status_path, %s: %d rows, %v; want 3", empty, len(rows), err)
		}
		rows, err = envelopeSync(t, "data.list", 0, full, empty, connectors.Options{"status_path": "code", "success": []any{200}})
		if err != nil || len(rows) != 0 {
			t.Errorf("status_path, first page %s: %d rows, %v; want 0", empty, len(rows), err)
		}
	}
}

// Quiet nights: first pages that mean "no records" without status_path.
// No array anywhere (the records path missing, its parent holding none,
// or no data at all), or a failure code or flag beside a message that
// says there is no data: no records, no error. An expired token or an
// invalid one still fails, with or without an empty list.
func TestEmptyFirstPageShapes(t *testing.T) {
	const full = `{"code":200,"msg":"成功","data":{"list":@LIST@}}`
	for _, empty := range []string{
		`{"code":200,"msg":"查询结果为空","data":{"total":0}}`,
		`{"code":200,"msg":"成功"}`,
		`{"code":404,"msg":"暂无数据","data":null}`,
		`{"success":false,"msg":"未查询到数据","data":null}`,
	} {
		rows, err := envelopeSync(t, "data.list", 0, full, empty, nil)
		if err != nil || len(rows) != 0 {
			t.Errorf("first page %s: %d rows, %v; want 0, no error", empty, len(rows), err)
		}
		rows, err = envelopeSync(t, "data.list", 3, full, empty, nil)
		if err != nil || len(rows) != 3 {
			t.Errorf("closing page %s: %d rows, %v; want 3, no error", empty, len(rows), err)
		}
	}
	for _, bad := range []struct{ env, want string }{
		{`{"code":401,"msg":"令牌已过期","data":{"list":[]}}`, "page 1: the API answered code 401"},
		{`{"success":false,"msg":"token无效"}`, "page 1: the API answered success false"},
	} {
		_, err := envelopeSync(t, "data.list", 0, full, bad.env, nil)
		connectortest.WantErr(t, err, bad.want, "taken for the platform's error")
	}
}
