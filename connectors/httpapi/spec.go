package httpapi

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
)

// Kind is the connector kind this package registers: `kind: http` in config.
const Kind = "http"

// Option values, as the enumerations in Options spell them (decoding
// matches them ignoring case and stores this spelling).
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

// Options are an http source's options, as config gives them (see
// connectors.KindSpec for the tags): the one place their names, types,
// defaults and allowed values are written.
type Options struct {
	connectors.Given

	URL         string   `option:"url,required" example:"https://dsp.example.gov.cn/api/v1/employment/records?dataset=jyss" doc:"The endpoint, http:// or https://, with any fixed query parameters. It must carry no user name, password or secret-looking parameter: secrets come only from the *_env and *_file options."`
	Method      string   `option:"method" default:"GET" enum:"GET POST" example:"POST" doc:"GET, or POST with body."`
	Body        string   `option:"body" example:"{\"pageNum\": {{page}}, \"pageSize\": {{page_size}}, \"updateTime\": {{watermark}}}" doc:"POST only: the JSON request body, a template in which {{page}}, {{page_size}}, {{offset}}, {{cursor}} and {{watermark}} stand for JSON values. A value named in the body is not also sent as a query parameter."`
	Records     string   `option:"records" example:"data.items" doc:"Dotted path to the records array in the response; unset: the response is the array."`
	Fields      []string `option:"fields" example:"[身份证号, 业务类型, 业务日期, updated_at]" doc:"Record keys that make the header, in order, so that an empty response still has one; keys not listed are appended when first seen."`
	Pagination  string   `option:"pagination" default:"none" enum:"none page offset cursor next_link" example:"page" doc:"How the next page is asked for."`
	PageParam   string   `option:"page_param" default:"page" example:"pageNum" doc:"pagination page: the page-number parameter."`
	FirstPage   int      `option:"first_page" default:"1" min:"0" example:"0" doc:"pagination page: the number of the first page (0 or 1)."`
	SizeParam   string   `option:"size_param" default:"page_size" example:"pageSize" doc:"The page-size parameter, sent with page_size (not with pagination none)."`
	PageSize    int      `option:"page_size" default:"100" min:"1" example:"1000" doc:"Records asked for per page."`
	OffsetParam string   `option:"offset_param" default:"offset" example:"start" doc:"pagination offset: the parameter counting records to skip."`
	CursorParam string   `option:"cursor_param" default:"cursor" example:"nextToken" doc:"pagination cursor: the parameter carrying the cursor."`
	CursorPath  string   `option:"cursor_path" example:"data.next_cursor" doc:"pagination cursor (required): dotted path to the next cursor in the response."`
	NextPath    string   `option:"next_path" example:"links.next" doc:"pagination next_link (required): dotted path to the next page's URL in the response."`
	MaxPages    int      `option:"max_pages" default:"100000" min:"1" example:"5000" doc:"A bound on the pages read in one pass over the source; reaching it fails the sync."`

	Auth         string `option:"auth" default:"none" enum:"none bearer basic" example:"bearer" doc:"none, bearer (Authorization: Bearer, from token_env or token_file) or basic (username with password_env or password_file)."`
	TokenEnv     string `option:"token_env" example:"LIPWATCH_DSP_TOKEN" doc:"auth bearer: the environment variable holding the token."`
	TokenFile    string `option:"token_file" example:"/run/secrets/dsp_token" doc:"auth bearer: a file holding the token (relative to the config file's directory)."`
	Username     string `option:"username" example:"mzj_lipwatch" doc:"auth basic: the user name."`
	PasswordEnv  string `option:"password_env" example:"LIPWATCH_DSP_PASSWORD" doc:"auth basic: the environment variable holding the password."`
	PasswordFile string `option:"password_file" example:"/run/secrets/dsp_password" doc:"auth basic: a file holding the password."`

	Timeout   time.Duration `option:"timeout" default:"30s" example:"1m" doc:"Per request, from sending it to reading the whole response."`
	Retries   int           `option:"retries" default:"5" min:"0" max:"100" example:"8" doc:"Retries of one request after timeouts, connection errors, 5xx and 429."`
	Backoff   time.Duration `option:"backoff" default:"1s" example:"2s" doc:"The first wait before a retry; it doubles each time (with jitter), up to 1m."`
	RateLimit int           `option:"rate_limit" min:"1" example:"5" doc:"At most this many requests per second; unset: no limit."`

	WatermarkParam string        `option:"watermark_param" example:"updated_since" doc:"Incremental: the query parameter (or {{watermark}} in body) carrying the saved watermark minus lookback; not sent on a full read."`
	WatermarkField string        `option:"watermark_field" example:"updated_at" doc:"Incremental: the record field whose greatest value becomes the new watermark (RFC 3339, YYYY-MM-DD HH:MM:SS or YYYY-MM-DD)."`
	Lookback       time.Duration `option:"lookback" default:"0s" example:"48h" doc:"Incremental: subtracted from the watermark sent, to catch late-arriving records. Records that arrive later than this, or whose watermark_field is empty, are never read by an incremental sync: a source-level reconcile re-reads everything periodically."`
	Timezone       string        `option:"timezone" example:"Asia/Shanghai" doc:"Incremental: the IANA zone of watermark_field values written without one (YYYY-MM-DD HH:MM:SS, YYYY-MM-DD); default the county's (county.timezone). A value after the sync's start in this zone is loaded but never becomes the watermark."`

	StatusPath  string   `option:"status_path" example:"code" doc:"Dotted path to the platform's status code in each response; a page whose code is not one of success fails the read with the platform's code and message. Unset: a page with no records fails on positive evidence of an error (a status-like value from 400 to 599 or below 0, a failure word such as error, expired, token, 失败, 过期, 无效, a success flag that is false) or, after pages with records, when a status-like value of those pages changed (200, then 401 or 0); else it is the end."`
	Success     codes    `option:"success" default:"0,200" example:"[0, 200, \"00000\"]" doc:"status_path: the codes that mean success, compared as numbers when both are numbers (200, \"200\" and 200.0 are the same; \"0000\" is 0), else as text."`
	MessagePath string   `option:"message_path" example:"msg" doc:"Dotted path to the platform's message, shown when a page fails; unset: the first of msg, message, errmsg, resultMsg, error and the like, at the top level or next to the records, else deeper. A message quoting a record (8 or more digits and asterisks, full-width too, spaces and dashes passed over, or a digit next to 身份证, 证件号, 户号, 姓名 or 名字) is withheld."`
	TotalPath   string   `option:"total_path" example:"data.total" doc:"Dotted path to the total number of records the API reports. A read that got fewer distinct records than the greatest total seen is read again (reread) and then fails rather than commit with records missing."`
	KeyFields   []string `option:"key_fields" example:"[记录编号]" doc:"total_path, verify or offset paging: the record keys that identify a record, best a record number that an edit never changes and no two records share; unset: the whole record as written (an edited record then counts as a new one). A record with any of them empty is identified by its whole content. A key no record of the read has, or two records with different content share (in one page, or in two passes), fails the read."`
	Reread      int      `option:"reread" computed:"3 with verify or offset paging, else 1" min:"0" max:"10" example:"2" doc:"total_path, verify or offset paging: how many more passes over the source at most: the verify passes (until two passes in a row agree on the records read), the passes that check again after records were found missing, and those after an offset pass saw the list shift; 0 fails at once."`
	Verify      bool     `option:"verify" computed:"true for page paging (or offset paging with overlap: false) with watermark_param, else false" example:"false" doc:"page paging, and offset paging with overlap: false (with overlap it needs none, see README): read the pages again after the first pass, until two passes in a row agree on the records not newer than the first pass's greatest watermark value; a record one pass skipped while records moved between pages is loaded. Passes that never agree (up to reread) fail the read."`
	Overlap     bool     `option:"overlap" default:"true" example:"false" doc:"offset paging: ask each page from the previous page's last record, to see the list shift (README); false asks offsets that are multiples of page_size, for an API that takes only those (it rounds others down, or rejects them), and then verify passes check the read as in page paging."`
	Encoding    string   `option:"encoding" enum:"utf-8 gbk gb18030 big5" example:"gbk" doc:"The response body's encoding, overriding the charset its Content-Type declares; unset: the declared charset, else UTF-8."`
}

// codes are the success option's codes, as text: 200 and "200" are the
// same code (compared as numbers where both are).
type codes []string

// DecodeOption reads a list of numbers or strings (connectors.OptionValue).
func (c *codes) DecodeOption(v any) error {
	l, ok := v.([]any)
	if !ok {
		return fmt.Errorf("want a list, got %v", v)
	}
	out := make(codes, 0, len(l))
	for _, e := range l {
		switch n := e.(type) {
		case string:
			out = append(out, strings.TrimSpace(n))
		case bool:
			out = append(out, strconv.FormatBool(n))
		case int:
			out = append(out, strconv.Itoa(n))
		case int64:
			out = append(out, strconv.FormatInt(n, 10))
		case uint64:
			out = append(out, strconv.FormatUint(n, 10))
		case float64:
			out = append(out, strconv.FormatFloat(n, 'f', -1, 64))
		default:
			return fmt.Errorf("want codes (numbers or strings), got %v", e)
		}
	}
	*c = out
	return nil
}

var spec = connectors.KindSpec[Options]{
	Kind: Kind,
	Doc: "Reads records from a JSON API over HTTP(S), page by page: one stream per " +
		"endpoint, named by the URL's path. Each record object becomes a row of " +
		"strings under the union of its keys. Incremental: a watermark query " +
		"parameter taken from the source's saved state.",
	Check: func(o Options) error {
		_, err := parseOptions(o)
		return err
	},
	New:         newConnector,
	Incremental: true,
}.Spec()

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
	// zone is the timezone option's location; nil: the source's zone.
	zone *time.Location

	// The envelope: where the platform's status, message and total are,
	// and the codes that mean success, as text.
	statusPath  []string
	success     []string
	messagePath []string
	totalPath   []string
	keyFields   []string
	reread      int
	// verify reads a page or offset source a second time to find the
	// records the first pass skipped (see reader.endPass).
	verify bool
	// overlap: offset paging asks each page from the previous page's
	// last record (default); false asks page-aligned offsets.
	overlap bool

	// encoding overrides the declared charset; "" follows it.
	encoding string
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
	{"success", "status_path", ""},
	{"timezone", "watermark_field", ""},
}

// secretWords mark query parameter names that carry credentials, which
// must not be written in config text.
var secretWords = []string{"token", "secret", "password", "passwd", "apikey", "api_key", "access_key", "accesskey", "signature"}

// parseOptions checks what the tags cannot say: URL shape, options that
// go together, the body template, paths, and derives what the reader uses.
// Every problem is reported at once.
func parseOptions(o Options) (options, error) {
	opts := options{
		method:         o.Method,
		pagination:     o.Pagination,
		pageParam:      o.PageParam,
		firstPage:      o.FirstPage,
		sizeParam:      o.SizeParam,
		pageSize:       o.PageSize,
		offsetParam:    o.OffsetParam,
		cursorParam:    o.CursorParam,
		maxPages:       o.MaxPages,
		auth:           o.Auth,
		tokenEnv:       o.TokenEnv,
		tokenFile:      o.TokenFile,
		username:       o.Username,
		passwordEnv:    o.PasswordEnv,
		passwordFile:   o.PasswordFile,
		timeout:        o.Timeout,
		retries:        o.Retries,
		backoff:        o.Backoff,
		rateLimit:      o.RateLimit,
		watermarkParam: o.WatermarkParam,
		watermarkField: o.WatermarkField,
		lookback:       o.Lookback,
		success:        o.Success,
		overlap:        o.Overlap,
		encoding:       o.Encoding,
	}
	var errs []error
	add := func(option, format string, args ...any) {
		errs = append(errs, connectors.OptionErrorf(option, format, args...))
	}

	u, err := parseURL(o.URL)
	if err != nil {
		errs = append(errs, err)
	}
	opts.url = u

	for _, w := range onlyWith {
		if !o.Gave(w.name) {
			continue
		}
		if w.value == "" { // another option that must be set
			if !o.Gave(w.other) {
				add(w.name, "only used with %s", w.other)
			}
			continue
		}
		got := opts.pagination
		switch w.other {
		case "method":
			got = opts.method
		case "auth":
			got = opts.auth
		}
		if got != w.value {
			add(w.name, "only used with %s: %s", w.other, w.value)
		}
	}
	if opts.pagination == pageNone {
		for _, name := range []string{"size_param", "page_size"} {
			if o.Gave(name) {
				add(name, "not used with pagination: none")
			}
		}
	}

	if o.Body != "" && opts.method == methodPost {
		t, err := parseTemplate(o.Body)
		if err != nil {
			add("body", "%v", err)
		}
		opts.body = t
	}
	for _, p := range []struct {
		name, value string
		dst         *[]string
	}{
		{"records", o.Records, &opts.records},
		{"cursor_path", o.CursorPath, &opts.cursorPath},
		{"next_path", o.NextPath, &opts.nextPath},
		{"status_path", o.StatusPath, &opts.statusPath},
		{"message_path", o.MessagePath, &opts.messagePath},
		{"total_path", o.TotalPath, &opts.totalPath},
	} {
		if *p.dst, err = parsePath(p.name, p.value); err != nil {
			errs = append(errs, err)
		}
	}
	if opts.pagination == pageCursor && len(opts.cursorPath) == 0 {
		add("cursor_path", "required with pagination: cursor")
	}
	if opts.pagination == pageNextLink && len(opts.nextPath) == 0 {
		add("next_path", "required with pagination: next_link")
	}
	if opts.fields, err = parseFields("fields", o.Fields); err != nil {
		errs = append(errs, err)
	}
	if len(opts.success) == 0 {
		add("success", "name at least one code")
	}
	if opts.keyFields, err = parseFields("key_fields", o.KeyFields); err != nil {
		errs = append(errs, err)
	}
	if o.Gave("key_fields") && err == nil && len(opts.keyFields) == 0 {
		add("key_fields", "name at least one key, or leave it unset to count whole records")
	}
	paged := opts.pagination == pagePage || opts.pagination == pageOffset
	// Offset paging reads with overlap (each page from the last record of
	// the one before), which shows records moving: no verify pass.
	// Without overlap it is checked as page paging is.
	if o.Gave("overlap") && opts.pagination != pageOffset {
		add("overlap", "only used with pagination offset")
		opts.overlap = true
	}
	opts.verify = (opts.pagination == pagePage || opts.pagination == pageOffset && !opts.overlap) && opts.watermarkParam != ""
	if o.Gave("verify") {
		if o.Verify && !paged {
			add("verify", "only used with pagination page or offset (cursor and next_link paging do not shift when records change)")
		} else {
			opts.verify = o.Verify
		}
	}
	opts.reread = 1
	if opts.verify || opts.pagination == pageOffset {
		opts.reread = 3 // up to four passes: a quiet source needs two that agree
	}
	if o.Gave("reread") {
		opts.reread = o.Reread
	}
	if opts.verify && opts.reread == 0 {
		add("reread", "0 leaves no pass for verify; set verify: false to read the source once")
	}
	if opts.totalPath == nil && !opts.verify && opts.pagination != pageOffset {
		for _, name := range []string{"key_fields", "reread"} {
			if o.Gave(name) {
				add(name, "only used with total_path, verify or offset paging")
			}
		}
	}
	if name := o.Timezone; name != "" {
		if loc, err := time.LoadLocation(name); err != nil || strings.TrimSpace(name) != name || name == "Local" {
			add("timezone", "%q is not an IANA time zone name such as Asia/Shanghai or UTC", name)
		} else {
			opts.zone = loc
		}
	}

	for _, p := range []struct {
		name string
		v    string
	}{{"page_param", opts.pageParam}, {"size_param", opts.sizeParam}, {"offset_param", opts.offsetParam}, {"cursor_param", opts.cursorParam}} {
		if strings.TrimSpace(p.v) == "" {
			add(p.name, "must not be empty")
		}
	}

	switch opts.auth {
	case authBearer:
		if (opts.tokenEnv == "") == (opts.tokenFile == "") {
			add("auth", "bearer needs exactly one of token_env and token_file")
		}
	case authBasic:
		if strings.TrimSpace(opts.username) == "" {
			add("username", "required with auth: basic")
		}
		if (opts.passwordEnv == "") == (opts.passwordFile == "") {
			add("auth", "basic needs exactly one of password_env and password_file")
		}
	}

	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"timeout", opts.timeout}, {"backoff", opts.backoff}} {
		if d.v == 0 {
			add(d.name, "want a positive duration, got 0")
		}
	}

	switch {
	case opts.watermarkParam != "" && opts.watermarkField == "":
		add("watermark_param", "goes with watermark_field: the parameter sends the saved watermark, the field gives the next one")
	case opts.watermarkParam == "" && opts.watermarkField != "":
		add("watermark_field", "goes with watermark_param: the parameter sends the saved watermark, the field gives the next one")
	}
	if o.Gave("lookback") && opts.watermarkParam == "" {
		add("lookback", "only used with watermark_param")
	}
	return opts, errors.Join(errs...)
}

// parseURL checks the endpoint: absolute, http or https, and free of
// credentials, which belong in the environment or a file.
func parseURL(s string) (*url.URL, error) {
	if strings.TrimSpace(s) == "" {
		return nil, connectors.OptionErrorf("url", "required for kind http")
	}
	u, err := url.Parse(s)
	if err != nil {
		// url.Parse quotes the input, which may be a secret: say less.
		return nil, connectors.OptionErrorf("url", "not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, connectors.OptionErrorf("url", "want an absolute http:// or https:// URL")
	}
	if u.User != nil {
		return nil, connectors.OptionErrorf("url", "must not contain a user name or password; use auth: basic with password_env or password_file")
	}
	for name := range u.Query() {
		lower := strings.ToLower(name)
		for _, w := range secretWords {
			if strings.Contains(lower, w) {
				return nil, connectors.OptionErrorf("url", "query parameter %q looks like a secret; secrets come only from token_env/token_file or password_env/password_file", name)
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
		return nil, connectors.OptionErrorf(name, "%q has an empty step; write keys separated by single dots, e.g. data.items", s)
	}
	return parts, nil
}

// parseFields checks a list of record keys: none empty or repeated.
func parseFields(name string, fields []string) ([]string, error) {
	seen := map[string]bool{}
	for _, f := range fields {
		if f == "" {
			return nil, connectors.OptionErrorf(name, "a name is empty")
		}
		if seen[f] {
			return nil, connectors.OptionErrorf(name, "%q is listed twice", f)
		}
		seen[f] = true
	}
	return fields, nil
}
