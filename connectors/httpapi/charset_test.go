package httpapi_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// people are records with names only.
func people(names ...string) []map[string]any {
	out := make([]map[string]any, len(names))
	for i, n := range names {
		out[i] = map[string]any{"id": i + 1, "name": n}
	}
	return out
}

// readNames serves names through a fake API with fake's charset options
// and reads them back with the connector's extra options.
func readNames(t *testing.T, names []string, fake fakeapi.Options, extra connectors.Options) ([]string, error) {
	t.Helper()
	fake.Fields = []string{"id", "name"}
	srv := serve(t, people(names...), fake)
	o := pageOpts(srv, "page", 2)
	for k, v := range extra {
		o[k] = v
	}
	c := newSource(t, o)
	streams, err := c.Streams(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	rr, err := streams[0].Open(t.Context())
	if err != nil {
		return nil, err
	}
	defer rr.Close()
	rows, err := connectortest.ReadRows(rr)
	if err != nil {
		return nil, err
	}
	return column(t, rr.Header(), rows, "name"), nil
}

// Names whose GBK bytes happen to be valid UTF-8 (郑 is D6 A3 in GBK,
// which UTF-8 reads as one character, "֣"): served as
// application/json; charset=GBK they must load as written, not as the
// UTF-8 reading of their bytes.
var gbkValidUTF8 = []string{"郑叶", "谢石", "陆全", "毛梅"}

func TestCharsetDeclared(t *testing.T) {
	// The whole body the fake serves is valid UTF-8: only the declared
	// charset says it is GBK.
	srv := serve(t, people(gbkValidUTF8...), fakeapi.Options{Charset: "GBK", Fields: []string{"id", "name"}})
	resp, err := http.Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || !utf8.Valid(body) || resp.Header.Get("Content-Type") != "application/json; charset=GBK" {
		t.Fatalf("the fake's GBK body is not valid UTF-8 (%v), or not declared GBK (%s); the test needs one that is", err, resp.Header.Get("Content-Type"))
	}
	if gbk, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(gbkValidUTF8[0])); strings.Contains(string(body), gbkValidUTF8[0]) || !strings.Contains(string(body), string(gbk)) {
		t.Fatalf("the fake's body does not hold the names in GBK: %s", body)
	}

	tests := []struct {
		name  string
		names []string
		fake  fakeapi.Options
	}{
		{"GBK, valid as UTF-8", gbkValidUTF8, fakeapi.Options{Charset: "GBK"}},
		{"GBK", []string{"张三", "李四", "王五"}, fakeapi.Options{Charset: "GBK"}},
		{"GB2312", []string{"张三", "李四"}, fakeapi.Options{Charset: "GBK", ContentType: "application/json;charset=gb2312"}},
		{"GB18030, beyond GBK", []string{"张三", "𠀀丽"}, fakeapi.Options{Charset: "GB18030"}},
		{"Big5", []string{"陳大文", "張三"}, fakeapi.Options{Charset: "Big5"}},
		{"UTF-8 with a byte order mark", []string{"张三", "李四", "王五"}, fakeapi.Options{BOM: true}},
		{"no charset: UTF-8", []string{"张三", "李四"}, fakeapi.Options{ContentType: "application/json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readNames(t, tt.names, tt.fake, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.names) {
				t.Errorf("names %q, want %q", got, tt.names)
			}
		})
	}
}

// The encoding option overrides the header, which servers get wrong; a
// body plainly in another encoding than declared fails, saying which
// encoding to set, and a charset the connector does not read fails too.
func TestCharsetWrong(t *testing.T) {
	names := []string{"张三", "李四", "王五", "赵六", "孙七"}
	tests := []struct {
		name    string
		fake    fakeapi.Options
		extra   connectors.Options
		wantErr string
	}{
		{"GBK declared as nothing", fakeapi.Options{Charset: "GBK", ContentType: "application/json"}, nil,
			"page 1: the response declares no charset (read as UTF-8) but is not UTF-8 (8 of its 8 non-ASCII sequences are invalid); it reads as GBK (GB18030): set encoding: gbk"},
		{"GBK declared as nothing, encoding gbk", fakeapi.Options{Charset: "GBK", ContentType: "application/json"}, connectors.Options{"encoding": "gbk"}, ""},
		{"GBK declared as UTF-8, encoding GB18030", fakeapi.Options{Charset: "GBK", ContentType: "application/json; charset=utf-8"}, connectors.Options{"encoding": "GB18030"}, ""},
		{"UTF-8 declared as GBK", fakeapi.Options{ContentType: "application/json; charset=GBK"}, nil,
			"page 1: the response declares charset=GBK but its text is UTF-8 (its 4 non-ASCII characters are all valid UTF-8, as GBK text almost never is): set encoding: utf-8"},
		{"UTF-8 declared as GBK, encoding utf-8", fakeapi.Options{ContentType: "application/json; charset=GBK"}, connectors.Options{"encoding": "utf-8"}, ""},
		{"unknown charset", fakeapi.Options{ContentType: "application/json; charset=ISO-8859-1"}, nil,
			"page 1: the response declares charset=ISO-8859-1, which the connector does not read (it reads UTF-8, GBK, GB2312, GB18030 and Big5); set the encoding option"},
		{"unknown charset, encoding utf-8", fakeapi.Options{ContentType: "application/json; charset=ISO-8859-1"}, connectors.Options{"encoding": "utf-8"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readNames(t, names, tt.fake, tt.extra)
			if tt.wantErr != "" {
				connectortest.WantErr(t, err, "source employment: /api/v1/employment: "+tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, names) {
				t.Errorf("names %q, want %q", got, names)
			}
		})
	}
}

// A UTF-8 body with a few invalid bytes (a name cut in half) is still
// read as UTF-8: the values holding them reach the dataset layer, which
// quarantines them, and the rest load.
func TestCharsetDamagedUTF8(t *testing.T) {
	var body []byte
	body = append(body, `[`...)
	for i := range 30 {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, `{"姓名": "张三丰"}`...)
	}
	body = append(body, `,{"姓名": "李`...)
	body = append(body, 0xE5, 0x9B) // 四 cut in half
	body = append(body, `"}]`...)
	srv := pagesServer(t, string(body))
	rows, err := syncErr(t.Context(), newSource(t, connectors.Options{"url": srv.URL + "/api", "pagination": "page", "page_size": 40}))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 31 || rows[0].Values[0] != "张三丰" || utf8.ValidString(rows[30].Values[0]) {
		t.Errorf("%d rows; first %q, last %q", len(rows), rows[0].Values[0], rows[30].Values[0])
	}
}

// A GBK body that declares no charset (or UTF-8) but whose bytes happen to
// be valid UTF-8 (only two-byte sequences, no Chinese in UTF-8's reading)
// would load 郑叶 as ֣Ҷ with status ok: it fails, saying to set
// encoding: gbk. The encoding option is trusted as given; a body with
// any Chinese in UTF-8 (three-byte characters) is not judged so.
func TestCharsetGBKValidAsUTF8(t *testing.T) {
	mojibake := make([]string, len(gbkValidUTF8))
	for i, n := range gbkValidUTF8 {
		b, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(n))
		mojibake[i] = string(b)
	}
	if !utf8.ValidString(mojibake[0]) {
		t.Fatalf("%q in GBK is not valid UTF-8; the test needs names that are", gbkValidUTF8[0])
	}
	tests := []struct {
		name    string
		names   []string
		fake    fakeapi.Options
		extra   connectors.Options
		want    []string
		wantErr string
	}{
		{"undeclared", gbkValidUTF8, fakeapi.Options{Charset: "GBK", ContentType: "application/json"}, nil, nil,
			"page 1: the response declares no charset (read as UTF-8), and its text is valid UTF-8 only by chance: its 4 non-ASCII characters are all two-byte ones " +
				"(Latin accents, Greek, Cyrillic, Hebrew or Arabic letters), none Chinese, while read as GBK they are 4 Chinese characters: " +
				"set encoding: gbk (or encoding: utf-8 if the text really is in those letters)"},
		{"declared UTF-8", gbkValidUTF8, fakeapi.Options{Charset: "GBK", ContentType: "application/json; charset=UTF-8"}, nil, nil,
			"page 1: the response declares charset=UTF-8, and its text is valid UTF-8 only by chance"},
		{"undeclared, encoding gbk", gbkValidUTF8, fakeapi.Options{Charset: "GBK", ContentType: "application/json"}, connectors.Options{"encoding": "gbk"}, gbkValidUTF8, ""},
		{"undeclared, encoding utf-8 (trusted)", gbkValidUTF8, fakeapi.Options{Charset: "GBK", ContentType: "application/json"}, connectors.Options{"encoding": "utf-8"}, mojibake, ""},
		{"Cyrillic in UTF-8, undeclared", []string{"Иван", "Пётр"}, fakeapi.Options{ContentType: "application/json"}, nil, nil,
			"page 1: the response declares no charset (read as UTF-8), and its text is valid UTF-8 only by chance: its 8 non-ASCII characters are all two-byte ones " +
				"(Latin accents, Greek, Cyrillic, Hebrew or Arabic letters), none Chinese, while read as GBK they are 8 Chinese characters: set encoding: gbk (or encoding: utf-8 if the text really is in those letters)"},
		{"Cyrillic in UTF-8, encoding utf-8", []string{"Иван", "Пётр"}, fakeapi.Options{ContentType: "application/json"}, connectors.Options{"encoding": "utf-8"}, []string{"Иван", "Пётр"}, ""},
		{"Chinese and accents in UTF-8", []string{"José", "张三"}, fakeapi.Options{ContentType: "application/json"}, nil, []string{"José", "张三"}, ""},
		{"with a byte order mark", []string{"Иван", "Пётр"}, fakeapi.Options{BOM: true, ContentType: "application/json"}, nil, []string{"Иван", "Пётр"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := readNames(t, tt.names, tt.fake, tt.extra)
			if tt.wantErr != "" {
				connectortest.WantErr(t, err, "source employment: /api/v1/employment: "+tt.wantErr)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("names %q, want %q", got, tt.want)
			}
		})
	}
}

// A UTF-8 body declared Big5 (or any charset other than UTF-8) fails,
// saying to set encoding: utf-8, rather than load as garbage.
func TestCharsetUTF8DeclaredBig5(t *testing.T) {
	names := []string{"张三", "李四", "王五"}
	_, err := readNames(t, names, fakeapi.Options{ContentType: "application/json; charset=big5"}, nil)
	connectortest.WantErr(t, err, "page 1: the response declares charset=big5 but its text is UTF-8 (its 4 non-ASCII characters are all valid UTF-8, as BIG5 text almost never is): set encoding: utf-8")
	got, err := readNames(t, names, fakeapi.Options{ContentType: "application/json; charset=big5"}, connectors.Options{"encoding": "utf-8"})
	if err != nil || !slices.Equal(got, names) {
		t.Errorf("with encoding utf-8: %q, %v", got, err)
	}
}
