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
			Doc: "A bound on the pages read in one pass over the source; reaching it fails the sync.", Example: "5000"},
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
			Doc: "Incremental: subtracted from the watermark sent, to catch late-arriving records. " +
				"Records that arrive later than this, or whose watermark_field is empty, are never " +
				"read by an incremental sync: a source-level reconcile re-reads everything periodically.",
			Example: "48h"},
		{Name: "timezone", Type: "string",
			Doc: "Incremental: the IANA zone of watermark_field values written without one " +
				"(YYYY-MM-DD HH:MM:SS, YYYY-MM-DD); default the county's (county.timezone). A value " +
				"after the sync's start in this zone is loaded but never becomes the watermark.",
			Example: "Asia/Shanghai"},
		{Name: "status_path", Type: "string",
			Doc: "Dotted path to the platform's status code in each response; a page whose " +
				"code is not one of success fails the read with the platform's code and message. " +
				"Unset: a page with no records fails on positive evidence of an error (a status-like " +
				"value from 400 to 599 or below 0, a failure word such as error, expired, token, 失败, " +
				"过期, 无效, a success flag that is false) or, after pages with records, when a " +
				"status-like value of those pages changed (200, then 401 or 0); else it is the end.",
			Example: "code"},
		{Name: "success", Type: "list", Default: []any{0, 200},
			Doc: "status_path: the codes that mean success, compared as numbers when both are " +
				"numbers (200, \"200\" and 200.0 are the same; \"0000\" is 0), else as text.",
			Example: `[0, 200, "00000"]`},
		{Name: "message_path", Type: "string",
			Doc: "Dotted path to the platform's message, shown when a page fails; unset: the " +
				"first of msg, message, errmsg, resultMsg, error and the like, at the top level or " +
				"next to the records, else deeper. A message quoting a record (8 or more digits and " +
				"asterisks, full-width too, spaces and dashes passed over, or a digit next to 身份证, " +
				"证件号, 户号, 姓名 or 名字) is withheld.",
			Example: "msg"},
		{Name: "total_path", Type: "string",
			Doc: "Dotted path to the total number of records the API reports. A read that got " +
				"fewer distinct records than the greatest total seen is read again (reread) and " +
				"then fails rather than commit with records missing.",
			Example: "data.total"},
		{Name: "key_fields", Type: "list",
			Doc: "total_path, verify or offset paging: the record keys that identify a record, best a record " +
				"number that an edit never changes and no two records share; unset: the whole record " +
				"as written (an edited record then counts as a new one). A record with any of them " +
				"empty is identified by its whole content. A key no record of the read has, or two " +
				"records with different content share (in one page, or in two passes), fails the read.",
			Example: "[记录编号]"},
		{Name: "reread", Type: "int", Default: "3 with verify or offset paging, else 1",
			Doc: "total_path, verify or offset paging: how many more passes over the source at most: " +
				"the verify passes (until two passes in a row agree on the records read), the passes " +
				"that check again after records were found missing, and those after an offset pass " +
				"saw the list shift; 0 fails at once.",
			Example: "2"},
		{Name: "verify", Type: "bool", Default: "true for page paging (or offset paging with overlap: false) with watermark_param, else false",
			Doc: "page paging, and offset paging with overlap: false (with overlap it needs none, see README): read " +
				"the pages again after the first pass, until two passes " +
				"in a row agree on the records not newer than the first pass's greatest watermark value; " +
				"a record one pass skipped while records moved between pages is loaded. Passes that " +
				"never agree (up to reread) fail the read.",
			Example: "false"},
		{Name: "overlap", Type: "bool", Default: true,
			Doc: "offset paging: ask each page from the previous page's last record, to see the list shift " +
				"(README); false asks offsets that are multiples of page_size, for an API that takes " +
				"only those (it rounds others down, or rejects them), and then verify passes check " +
				"the read as in page paging.",
			Example: "false"},
		{Name: "encoding", Type: "string", Enum: []string{encUTF8, encGBK, encGB18030, encBig5},
			Doc: "The response body's encoding, overriding the charset its Content-Type declares; " +
				"unset: the declared charset, else UTF-8.",
			Example: encGBK},
	},
	Validate: func(o connectors.Options) error {
		_, err := parseOptions(o)
		return err
	},
	New:         newConnector,
	Incremental: true,
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
		if w.value == "" { // another option that must be set
			if _, set := o[w.other]; !set {
				add("options.%s: only used with %s", w.name, w.other)
			}
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
	if opts.fields, err = parseFields("fields", o["fields"]); err != nil {
		errs = append(errs, err)
	}
	for _, p := range []struct {
		name string
		dst  *[]string
	}{{"status_path", &opts.statusPath}, {"message_path", &opts.messagePath}, {"total_path", &opts.totalPath}} {
		if *p.dst, err = parsePath(p.name, o.String(p.name, "")); err != nil {
			errs = append(errs, err)
		}
	}
	if opts.success, err = parseSuccess(o["success"]); err != nil {
		errs = append(errs, err)
	}
	if opts.keyFields, err = parseFields("key_fields", o["key_fields"]); err != nil {
		errs = append(errs, err)
	}
	if _, set := o["key_fields"]; set && err == nil && len(opts.keyFields) == 0 {
		add("options.key_fields: name at least one key, or leave it unset to count whole records")
	}
	paged := opts.pagination == pagePage || opts.pagination == pageOffset
	// Offset paging reads with overlap (each page from the last record of
	// the one before), which shows records moving: no verify pass.
	// Without overlap it is checked as page paging is.
	opts.overlap = true
	if v, set := o["overlap"]; set {
		b, ok := v.(bool)
		switch {
		case !ok:
			add("options.overlap: want true or false, got %v", v)
		case opts.pagination != pageOffset:
			add("options.overlap: only used with pagination offset")
		default:
			opts.overlap = b
		}
	}
	opts.verify = (opts.pagination == pagePage || opts.pagination == pageOffset && !opts.overlap) && opts.watermarkParam != ""
	if v, set := o["verify"]; set {
		b, ok := v.(bool)
		switch {
		case !ok:
			add("options.verify: want true or false, got %v", v)
		case b && !paged:
			add("options.verify: only used with pagination page or offset (cursor and next_link paging do not shift when records change)")
		default:
			opts.verify = b
		}
	}
	defReread := 1
	if opts.verify || opts.pagination == pageOffset {
		defReread = 3 // up to four passes: a quiet source needs two that agree
	}
	opts.reread = o.Int("reread", defReread)
	if opts.reread < 0 || opts.reread > 10 {
		add("options.reread: want 0 to 10 passes, got %d", opts.reread)
	}
	if opts.verify && opts.reread == 0 {
		add("options.reread: 0 leaves no pass for verify; set verify: false to read the source once")
	}
	if opts.totalPath == nil && !opts.verify && opts.pagination != pageOffset {
		for _, name := range []string{"key_fields", "reread"} {
			if _, set := o[name]; set {
				add("options.%s: only used with total_path, verify or offset paging", name)
			}
		}
	}
	if name := o.String("timezone", ""); name != "" {
		if loc, err := time.LoadLocation(name); err != nil || strings.TrimSpace(name) != name || name == "Local" {
			add("options.timezone: %q is not an IANA time zone name such as Asia/Shanghai or UTC", name)
		} else {
			opts.zone = loc
		}
	}
	opts.encoding = strings.ToLower(o.String("encoding", ""))
	switch opts.encoding {
	case "", encUTF8, encGBK, encGB18030, encBig5:
	default:
		add("options.encoding: %q is not one of %s, %s, %s, %s", opts.encoding, encUTF8, encGBK, encGB18030, encBig5)
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

// parseSuccess reads the success codes as text (200 and "200" are the
// same code); unset, 0 and 200.
func parseSuccess(v any) ([]string, error) {
	var l []any
	switch x := v.(type) {
	case nil:
		return []string{"0", "200"}, nil
	case []string:
		for _, s := range x {
			l = append(l, s)
		}
	case []any:
		l = x
	default:
		return nil, fmt.Errorf("options.success: want a list, got %v", v)
	}
	var out []string
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
		case float64:
			out = append(out, strconv.FormatFloat(n, 'f', -1, 64))
		default:
			return nil, fmt.Errorf("options.success: want codes (numbers or strings), got %v", e)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("options.success: name at least one code")
	}
	return out, nil
}

// parseFields reads a list of record keys: names, none empty or repeated.
func parseFields(name string, v any) ([]string, error) {
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
				return nil, fmt.Errorf("options.%s: want names, got %v", name, e)
			}
			out = append(out, s)
		}
	default:
		return nil, fmt.Errorf("options.%s: want a list, got %v", name, v)
	}
	seen := map[string]bool{}
	for _, f := range out {
		if f == "" {
			return nil, fmt.Errorf("options.%s: a name is empty", name)
		}
		if seen[f] {
			return nil, fmt.Errorf("options.%s: %q is listed twice", name, f)
		}
		seen[f] = true
	}
	return out, nil
}
