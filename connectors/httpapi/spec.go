package httpapi

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// Kind is the connector kind this package registers: `kind: http` in config.
const Kind = "http"

// Option values. They are compared after lowercasing, as Spec.Check does.
const (
	methodGet  = "GET"
	methodPost = "POST"

	pageNone     = "none"
	pagePage     = "page"
	pageOffset   = "offset"
	pageCursor   = "cursor"
	pageNextLink = "next_link"

	authNone   = "none"
	authBearer = "bearer"
	authBasic  = "basic"
)

// Limits that are not options: they protect the process, not the source.
const (
	// maxPageBytes bounds one response body, which is held in memory while
	// its records are read.
	maxPageBytes = 256 << 20
	// maxBackoff caps the exponential backoff between attempts.
	maxBackoff = time.Minute
	// maxRetryAfter is the longest Retry-After the connector waits out;
	// a server asking for more is given up on at once.
	maxRetryAfter = 10 * time.Minute
)

var spec = connectors.Spec{
	Kind: Kind,
	Doc: "Reads records from a JSON API over HTTP(S), page by page: one stream per " +
		"endpoint, named by the URL's path. Each record object becomes a row of " +
		"strings under the union of its keys. Incremental: a watermark query " +
		"parameter taken from the source's saved state.",
	Fields: []connectors.Field{
		{Name: "url", Type: "string", Required: true,
			Doc: "The endpoint, http:// or https://, with any fixed query parameters. " +
				"It must carry no user name, password or secret-looking parameter: secrets " +
				"come only from the *_env and *_file options.",
			Example: "https://dsp.example.gov.cn/api/v1/employment/records?dataset=jyss"},
		{Name: "method", Type: "string", Default: methodGet, Enum: []string{"get", "post"},
			Doc: "GET, or POST with body.", Example: "POST"},
		{Name: "body", Type: "string",
			Doc: "POST only: the JSON request body, a template in which {{page}}, {{page_size}}, " +
				"{{offset}}, {{cursor}} and {{watermark}} stand for JSON values. A value named " +
				"in the body is not also sent as a query parameter.",
			Example: `{"pageNum": {{page}}, "pageSize": {{page_size}}, "updateTime": {{watermark}}}`},
		{Name: "records", Type: "string",
			Doc:     "Dotted path to the records array in the response; unset: the response is the array.",
			Example: "data.items"},
		{Name: "fields", Type: "list",
			Doc: "Record keys that make the header, in order, so that an empty response still " +
				"has one; keys not listed are appended when first seen.",
			Example: "[身份证号, 业务类型, 业务日期, updated_at]"},
		{Name: "pagination", Type: "string", Default: pageNone,
			Enum: []string{pageNone, pagePage, pageOffset, pageCursor, pageNextLink},
			Doc:  "How the next page is asked for.", Example: pagePage},
		{Name: "page_param", Type: "string", Default: "page",
			Doc: "pagination page: the page-number parameter.", Example: "pageNum"},
		{Name: "first_page", Type: "int", Default: 1,
			Doc: "pagination page: the number of the first page (0 or 1).", Example: "0"},
		{Name: "size_param", Type: "string", Default: "page_size",
			Doc: "The page-size parameter, sent with page_size (not with pagination none).", Example: "pageSize"},
		{Name: "page_size", Type: "int", Default: 100,
			Doc: "Records asked for per page.", Example: "1000"},
		{Name: "offset_param", Type: "string", Default: "offset",
			Doc: "pagination offset: the parameter counting records to skip.", Example: "start"},
		{Name: "cursor_param", Type: "string", Default: "cursor",
			Doc: "pagination cursor: the parameter carrying the cursor.", Example: "nextToken"},
		{Name: "cursor_path", Type: "string",
			Doc:     "pagination cursor (required): dotted path to the next cursor in the response.",
			Example: "data.next_cursor"},
		{Name: "next_path", Type: "string",
			Doc:     "pagination next_link (required): dotted path to the next page's URL in the response.",
			Example: "links.next"},
		{Name: "max_pages", Type: "int", Default: 100000,
			Doc: "A bound on the pages read in one sync; reaching it fails the sync.", Example: "5000"},
		{Name: "auth", Type: "string", Default: authNone, Enum: []string{authNone, authBearer, authBasic},
			Doc: "none, bearer (Authorization: Bearer, from token_env or token_file) or " +
				"basic (username with password_env or password_file).", Example: authBearer},
		{Name: "token_env", Type: "string",
			Doc: "auth bearer: the environment variable holding the token.", Example: "LIPWATCH_DSP_TOKEN"},
		{Name: "token_file", Type: "string",
			Doc:     "auth bearer: a file holding the token (relative to the config file's directory).",
			Example: "/run/secrets/dsp_token"},
		{Name: "username", Type: "string",
			Doc: "auth basic: the user name.", Example: "mzj_lipwatch"},
		{Name: "password_env", Type: "string",
			Doc: "auth basic: the environment variable holding the password.", Example: "LIPWATCH_DSP_PASSWORD"},
		{Name: "password_file", Type: "string",
			Doc: "auth basic: a file holding the password.", Example: "/run/secrets/dsp_password"},
		{Name: "timeout", Type: "duration", Default: "30s",
			Doc: "Per request, from sending it to reading the whole response.", Example: "1m"},
		{Name: "retries", Type: "int", Default: 5,
			Doc: "Retries of one request after timeouts, connection errors, 5xx and 429.", Example: "8"},
		{Name: "backoff", Type: "duration", Default: "1s",
			Doc: "The first wait before a retry; it doubles each time (with jitter), up to 1m.", Example: "2s"},
		{Name: "rate_limit", Type: "int",
			Doc: "At most this many requests per second; unset: no limit.", Example: "5"},
		{Name: "watermark_param", Type: "string",
			Doc: "Incremental: the query parameter (or {{watermark}} in body) carrying the saved " +
				"watermark minus lookback; not sent on a full read.", Example: "updated_since"},
		{Name: "watermark_field", Type: "string",
			Doc: "Incremental: the record field whose greatest value becomes the new watermark " +
				"(RFC 3339, YYYY-MM-DD HH:MM:SS or YYYY-MM-DD).", Example: "updated_at"},
		{Name: "lookback", Type: "duration", Default: "0s",
			Doc:     "Incremental: subtracted from the watermark sent, to catch late-arriving records.",
			Example: "48h"},
	},
	Validate: func(o connectors.Options) error {
		_, err := parseOptions(o)
		return err
	},
	New: newConnector,
}

func init() {
	connectors.Register(spec)
}

// options are a source's settings, parsed and checked.
type options struct {
	url    *url.URL
	method string
	body   *template // nil: no body
	// records is the path to the records array; empty: the top level.
	records []string
	fields  []string

	pagination  string
	pageParam   string
	firstPage   int
	sizeParam   string
	pageSize    int
	offsetParam string
	cursorParam string
	cursorPath  []string
	nextPath    []string
	maxPages    int

	auth         string
	tokenEnv     string
	tokenFile    string
	username     string
	passwordEnv  string
	passwordFile string

	timeout   time.Duration
	retries   int
	backoff   time.Duration
	rateLimit int

	watermarkParam string
	watermarkField string
	lookback       time.Duration
}

// onlyWith lists options that mean something only with one value of
// another option; setting them otherwise is a mistake worth reporting.
var onlyWith = []struct {
	name, other, value string
}{
	{"body", "method", methodPost},
	{"page_param", "pagination", pagePage},
	{"first_page", "pagination", pagePage},
	{"offset_param", "pagination", pageOffset},
	{"cursor_param", "pagination", pageCursor},
	{"cursor_path", "pagination", pageCursor},
	{"next_path", "pagination", pageNextLink},
	{"token_env", "auth", authBearer},
	{"token_file", "auth", authBearer},
	{"username", "auth", authBasic},
	{"password_env", "auth", authBasic},
	{"password_file", "auth", authBasic},
}

// secretWords mark query parameter names that carry credentials, which
// must not be written in config text.
var secretWords = []string{"token", "secret", "password", "passwd", "apikey", "api_key", "access_key", "accesskey", "signature"}

// parseOptions reads the options with their defaults and checks what the
// field list cannot: URL shape, options that go together, ranges, the body
// template. Every problem is reported at once.
func parseOptions(o connectors.Options) (options, error) {
	opts := options{
		method:         strings.ToUpper(o.String("method", methodGet)),
		pagination:     strings.ToLower(o.String("pagination", pageNone)),
		pageParam:      o.String("page_param", "page"),
		firstPage:      o.Int("first_page", 1),
		sizeParam:      o.String("size_param", "page_size"),
		pageSize:       o.Int("page_size", 100),
		offsetParam:    o.String("offset_param", "offset"),
		cursorParam:    o.String("cursor_param", "cursor"),
		maxPages:       o.Int("max_pages", 100000),
		auth:           strings.ToLower(o.String("auth", authNone)),
		tokenEnv:       o.String("token_env", ""),
		tokenFile:      o.String("token_file", ""),
		username:       o.String("username", ""),
		passwordEnv:    o.String("password_env", ""),
		passwordFile:   o.String("password_file", ""),
		retries:        o.Int("retries", 5),
		rateLimit:      o.Int("rate_limit", 0),
		watermarkParam: o.String("watermark_param", ""),
		watermarkField: o.String("watermark_field", ""),
	}
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	u, err := parseURL(o.String("url", ""))
	if err != nil {
		errs = append(errs, err)
	}
	opts.url = u

	switch opts.method {
	case methodGet, methodPost:
	default:
		add("options.method: %q is not one of GET, POST", opts.method)
	}
	switch opts.pagination {
	case pageNone, pagePage, pageOffset, pageCursor, pageNextLink:
	default:
		add("options.pagination: %q is not one of none, page, offset, cursor, next_link", opts.pagination)
	}
	switch opts.auth {
	case authNone, authBearer, authBasic:
	default:
		add("options.auth: %q is not one of none, bearer, basic", opts.auth)
	}
	for _, w := range onlyWith {
		if _, set := o[w.name]; !set {
			continue
		}
		got := opts.pagination
		switch w.other {
		case "method":
			got = strings.ToLower(opts.method)
		case "auth":
			got = opts.auth
		}
		if got != strings.ToLower(w.value) {
			add("options.%s: only used with %s: %s", w.name, w.other, w.value)
		}
	}
	if opts.pagination == pageNone {
		for _, name := range []string{"size_param", "page_size"} {
			if _, set := o[name]; set {
				add("options.%s: not used with pagination: none", name)
			}
		}
	}

	if s := o.String("body", ""); s != "" && opts.method == methodPost {
		t, err := parseTemplate(s)
		if err != nil {
			add("options.body: %v", err)
		}
		opts.body = t
	}
	if opts.records, err = parsePath("records", o.String("records", "")); err != nil {
		errs = append(errs, err)
	}
	if opts.cursorPath, err = parsePath("cursor_path", o.String("cursor_path", "")); err != nil {
		errs = append(errs, err)
	}
	if opts.nextPath, err = parsePath("next_path", o.String("next_path", "")); err != nil {
		errs = append(errs, err)
	}
	if opts.pagination == pageCursor && len(opts.cursorPath) == 0 {
		add("options.cursor_path: required with pagination: cursor")
	}
	if opts.pagination == pageNextLink && len(opts.nextPath) == 0 {
		add("options.next_path: required with pagination: next_link")
	}
	if opts.fields, err = parseFields(o["fields"]); err != nil {
		errs = append(errs, err)
	}

	for _, p := range []struct {
		name string
		v    string
	}{{"page_param", opts.pageParam}, {"size_param", opts.sizeParam}, {"offset_param", opts.offsetParam}, {"cursor_param", opts.cursorParam}} {
		if strings.TrimSpace(p.v) == "" {
			add("options.%s: must not be empty", p.name)
		}
	}
	if opts.firstPage < 0 {
		add("options.first_page: want 0 or more, got %d", opts.firstPage)
	}
	if opts.pageSize < 1 {
		add("options.page_size: want 1 or more, got %d", opts.pageSize)
	}
	if opts.maxPages < 1 {
		add("options.max_pages: want 1 or more, got %d", opts.maxPages)
	}
	if opts.retries < 0 || opts.retries > 100 {
		add("options.retries: want 0 to 100, got %d", opts.retries)
	}
	if _, set := o["rate_limit"]; set && opts.rateLimit < 1 {
		add("options.rate_limit: want 1 or more requests per second, got %d", opts.rateLimit)
	}

	switch opts.auth {
	case authBearer:
		if (opts.tokenEnv == "") == (opts.tokenFile == "") {
			add("options.auth: bearer needs exactly one of token_env and token_file")
		}
	case authBasic:
		if strings.TrimSpace(opts.username) == "" {
			add("options.username: required with auth: basic")
		}
		if (opts.passwordEnv == "") == (opts.passwordFile == "") {
			add("options.auth: basic needs exactly one of password_env and password_file")
		}
	}

	for _, d := range []struct {
		name string
		def  string
		dst  *time.Duration
		zero bool // zero allowed
	}{
		{"timeout", "30s", &opts.timeout, false},
		{"backoff", "1s", &opts.backoff, false},
		{"lookback", "0s", &opts.lookback, true},
	} {
		v, err := parseDuration(o.String(d.name, d.def))
		switch {
		case err != nil:
			add("options.%s: %v", d.name, err)
		case v < 0 || (v == 0 && !d.zero):
			add("options.%s: want a positive duration, got %s", d.name, o.String(d.name, d.def))
		}
		*d.dst = v
	}

	if (opts.watermarkParam == "") != (opts.watermarkField == "") {
		add("options.watermark_param and options.watermark_field go together: the parameter sends the saved watermark, the field gives the next one")
	}
	if _, set := o["lookback"]; set && opts.watermarkParam == "" {
		add("options.lookback: only used with watermark_param")
	}
	return opts, errors.Join(errs...)
}

// parseURL checks the endpoint: absolute, http or https, and free of
// credentials, which belong in the environment or a file.
func parseURL(s string) (*url.URL, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("options.url: required for kind http")
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse quotes the input, which may be a secret: say less.
		return nil, errors.New("options.url: not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, errors.New("options.url: want an absolute http:// or https:// URL")
	}
	if u.User != nil {
		return nil, errors.New("options.url: must not contain a user name or password; use auth: basic with password_env or password_file")
	}
	for name := range u.Query() {
		lower := strings.ToLower(name)
		for _, w := range secretWords {
			if strings.Contains(lower, w) {
				return nil, fmt.Errorf("options.url: query parameter %q looks like a secret; secrets come only from token_env/token_file or password_env/password_file", name)
			}
		}
	}
	u.Fragment = ""
	return u, nil
}

// parsePath splits a dotted path such as "data.items".
func parsePath(name, s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	parts := strings.Split(s, ".")
	if slices.Contains(parts, "") {
		return nil, fmt.Errorf("options.%s: %q has an empty step; write keys separated by single dots, e.g. data.items", name, s)
	}
	return parts, nil
}

// parseFields reads the fields list: names, none empty or repeated.
func parseFields(v any) ([]string, error) {
	var out []string
	switch l := v.(type) {
	case nil:
		return nil, nil
	case []string:
		out = append(out, l...)
	case []any:
		for _, e := range l {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("options.fields: want names, got %v", e)
			}
			out = append(out, s)
		}
	default:
		return nil, fmt.Errorf("options.fields: want a list, got %v", v)
	}
	seen := map[string]bool{}
	for _, f := range out {
		if f == "" {
			return nil, errors.New("options.fields: a name is empty")
		}
		if seen[f] {
			return nil, fmt.Errorf("options.fields: %q is listed twice", f)
		}
		seen[f] = true
	}
	return out, nil
}
