package httpapi_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi"
)

func TestOptionErrors(t *testing.T) {
	const u = "https://dsp.example.gov.cn/api"
	tests := []struct {
		name string
		opts connectors.Options
		want []string // each must appear in the error
	}{
		{"missing url", connectors.Options{}, []string{"options.url: required for kind http"}},
		{"relative url", connectors.Options{"url": "/api"}, []string{"options.url: want an absolute http:// or https:// URL"}},
		{"ftp url", connectors.Options{"url": "ftp://x/y"}, []string{"options.url: want an absolute http:// or https:// URL"}},
		{"password in url", connectors.Options{"url": "https://u:pw@x/api"}, []string{"options.url: must not contain a user name or password"}},
		{"token in url", connectors.Options{"url": u + "?access_token=abc"}, []string{`options.url: query parameter "access_token" looks like a secret`}},
		{"token in config", connectors.Options{"url": u, "token": "abc"}, []string{"options.token: unknown option for kind http"}},
		{"bad enums", connectors.Options{"url": u, "method": "PUT", "pagination": "links", "auth": "oauth"}, []string{
			`options.method: "PUT" is not one of`, `options.pagination: "links" is not one of`, `options.auth: "oauth" is not one of`,
		}},
		{"body with GET", connectors.Options{"url": u, "body": "{}"}, []string{"options.body: only used with method: POST"}},
		{"bad body", connectors.Options{"url": u, "method": "post", "body": `{"page": "{{page}}"`}, []string{"options.body: not valid JSON once placeholders are filled in"}},
		{"unknown placeholder", connectors.Options{"url": u, "method": "POST", "body": `{"p": {{pageNum}}}`}, []string{"options.body: unknown placeholder {{pageNum}}"}},
		{"cursor without path", connectors.Options{"url": u, "pagination": "cursor"}, []string{"options.cursor_path: required with pagination: cursor"}},
		{"next_link without path", connectors.Options{"url": u, "pagination": "next_link"}, []string{"options.next_path: required with pagination: next_link"}},
		{"options of another style", connectors.Options{"url": u, "pagination": "page", "cursor_path": "next", "offset_param": "start"}, []string{
			"options.cursor_path: only used with pagination: cursor", "options.offset_param: only used with pagination: offset",
		}},
		{"page size without paging", connectors.Options{"url": u, "page_size": 10}, []string{"options.page_size: not used with pagination: none"}},
		{"bad path", connectors.Options{"url": u, "records": "data..items"}, []string{`options.records: "data..items" has an empty step`}},
		{"ranges", connectors.Options{"url": u, "pagination": "page", "page_size": 0, "max_pages": 0, "retries": -1, "first_page": -1, "rate_limit": 0}, []string{
			"options.page_size: want 1 or more, got 0", "options.max_pages: want 1 or more", "options.retries: want 0 to 100",
			"options.first_page: want 0 or more", "options.rate_limit: want 1 or more, got 0",
		}},
		{"durations", connectors.Options{"url": u, "timeout": "30", "backoff": "-1s"}, []string{
			`options.timeout: "30" has no unit`, "options.backoff: want 0 or more, got -1s",
		}},
		{"zero durations", connectors.Options{"url": u, "timeout": 0, "backoff": "0s"}, []string{
			"options.timeout: want a positive duration", "options.backoff: want a positive duration",
		}},
		{"bearer without token", connectors.Options{"url": u, "auth": "bearer"}, []string{"options.auth: bearer needs exactly one of token_env and token_file"}},
		{"bearer with both", connectors.Options{"url": u, "auth": "bearer", "token_env": "A", "token_file": "b"}, []string{"options.auth: bearer needs exactly one of token_env and token_file"}},
		{"basic without user", connectors.Options{"url": u, "auth": "basic", "password_env": "P"}, []string{"options.username: required with auth: basic"}},
		{"token without auth", connectors.Options{"url": u, "token_env": "A"}, []string{"options.token_env: only used with auth: bearer"}},
		{"watermark half", connectors.Options{"url": u, "watermark_param": "updated_since"}, []string{"options.watermark_param: goes with watermark_field"}},
		{"watermark other half", connectors.Options{"url": u, "watermark_field": "updated_at"}, []string{"options.watermark_field: goes with watermark_param"}},
		{"lookback alone", connectors.Options{"url": u, "lookback": "48h"}, []string{"options.lookback: only used with watermark_param"}},
		{"fields", connectors.Options{"url": u, "fields": []any{"a", "a"}}, []string{`options.fields: "a" is listed twice`}},
		{"envelope options alone", connectors.Options{"url": u, "success": []any{0}, "key_fields": []any{"id"}, "reread": 2}, []string{
			"options.success: only used with status_path", "options.key_fields: only used with total_path, verify or offset paging", "options.reread: only used with total_path, verify or offset paging",
		}},
		{"envelope values", connectors.Options{"url": u, "status_path": "code", "success": []any{}, "total_path": "data..total", "key_fields": []any{}}, []string{
			"options.success: name at least one code", `options.total_path: "data..total" has an empty step`,
			"options.key_fields: name at least one key",
		}},
		{"reread range", connectors.Options{"url": u, "total_path": "data.total", "reread": 11}, []string{"options.reread: want 0 to 10, got 11"}},
		{"fields of numbers", connectors.Options{"url": u, "fields": []any{"a", 3}}, []string{"options.fields: want a list of strings; element 2 is number 3 (write it in quotes)"}},
		{"success values", connectors.Options{"url": u, "status_path": "code", "success": []any{[]any{1}}}, []string{"options.success: want codes (numbers or strings)"}},
		{"timezone", connectors.Options{"url": u, "watermark_param": "s", "watermark_field": "f", "timezone": "Beijing"}, []string{`options.timezone: "Beijing" is not an IANA time zone name`}},
		{"timezone alone", connectors.Options{"url": u, "timezone": "UTC"}, []string{"options.timezone: only used with watermark_field"}},
		{"verify", connectors.Options{"url": u, "pagination": "cursor", "cursor_path": "next", "verify": true}, []string{
			"options.verify: only used with pagination page or offset"}},
		{"verify without a pass", connectors.Options{"url": u, "pagination": "page", "watermark_param": "s", "watermark_field": "f", "reread": 0}, []string{
			"options.reread: 0 leaves no pass for verify; set verify: false"}},
		{"encoding", connectors.Options{"url": u, "encoding": "latin1"}, []string{`options.encoding: "latin1" is not one of utf-8, gbk, gb18030, big5`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := connectors.New("http", connectors.Source{Name: "employment", Options: tt.opts})
			connectortest.WantErr(t, err, tt.want...)
			connectortest.CheckOptionErrors(t, "http", err)
			if err != nil && strings.Contains(err.Error(), "abc") {
				t.Errorf("error shows a secret: %v", err)
			}
		})
	}
}

// TestDocs: the sample config, the spec's docs and the README's option
// table agree with the spec.
func TestDocs(t *testing.T) {
	connectortest.CheckDocs(t, "http", "testdata/sample_config.yaml", "README.md")
}

// The defaults are the options struct's tags, and the same as when each
// was written twice, in the spec and again in the connector's code.
// (reread and verify are worked out from other options: see their tests.)
func TestDefaults(t *testing.T) {
	const u = "https://dsp.example.gov.cn/api"
	got, err := connectors.Decode[httpapi.Options]("http", connectors.Options{"url": u})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Gave("url") || got.Gave("method") {
		t.Errorf("given: url %v, method %v", got.Gave("url"), got.Gave("method"))
	}
	if !slices.Equal([]string(got.Success), []string{"0", "200"}) {
		t.Errorf("success = %q, want [0 200]", got.Success)
	}
	got.Given, got.Success = connectors.Given{}, nil
	want := httpapi.Options{URL: u, Method: "GET", Pagination: "none", PageParam: "page", FirstPage: 1,
		SizeParam: "page_size", PageSize: 100, OffsetParam: "offset", CursorParam: "cursor", MaxPages: 100000,
		Auth: "none", Timeout: 30 * time.Second, Retries: 5, Backoff: time.Second, Lookback: 0, Overlap: true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("defaults\n%+v\nwant\n%+v", got, want)
	}
}
