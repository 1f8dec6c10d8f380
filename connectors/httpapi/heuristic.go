package httpapi

import (
	"fmt"
	"strings"

	"github.com/lipwatch/lipwatch/connectors/internal/jsonscan"
)

// Without status_path, a page with no records may be a platform's error
// answered with HTTP 200 ({"code":401,"msg":"令牌已过期","data":{"list":[]}},
// {"success":false,...}, {"msg":"token无效","data":{"list":[]}}): read as
// the end of the data it would end the read early, status ok, with the
// records after it never loaded. An empty page is judged on evidence and
// against a baseline, not by lists of names that pass or fail:
//
//   - the baseline is the status-like and message leaves (scalar values
//     outside the records array, to depth 3) of the pages with records,
//     kept across the passes of one read;
//   - after a page with records, an empty page fails only when a
//     status-like leaf of the baseline has another value (code 200, then
//     401 or 0), or a leaf carries positive evidence of an error (below);
//     a key echoed from the request (appCode, townCode, encode) never
//     changes, so it never fails a page;
//   - an empty page before any page with records (a quiet night's first
//     page) fails only on positive evidence of an error. A read that ends
//     there has read nothing, so its watermark does not move and the next
//     sync asks again: nothing is lost for good.

// leafKind is what a leaf's key says it holds.
type leafKind uint8

const (
	leafOther   leafKind = iota
	leafStatus           // a key containing code, status, state, result, ret, errno, flag, success or ok
	leafFlag             // success, ok, isSuccess, succeeded, succ
	leafMessage          // msg, message, resultMsg, desc, reason, info, ...
	leafError            // error, err, errmsg, errorMsg, ...: any text but success or no data is an error
)

// leafDepth is how deep leaves are looked for: head.code, data.code,
// header.rtnCode, status.code, error.code, data.result.code.
const leafDepth = 3

// leaf is one scalar value outside the records array.
type leaf struct {
	path string // dotted
	kind leafKind
	s, e int
}

var flagWords = map[string]bool{"success": true, "ok": true, "issuccess": true, "succeeded": true, "succ": true,
	"issucceed": true, "issucc": true}

// statusParts make a key status-like when it contains one of them.
var statusParts = []string{"code", "status", "state", "result", "ret", "errno", "flag", "success", "ok"}

// notStatusParts keep a key out of the status-like ones: paging, counts,
// times and tokens change from page to page without saying anything
// about the call.
var notStatusParts = []string{"page", "last", "next", "more", "total", "count", "size", "time", "date", "trace",
	"seq", "token", "sign", "nonce", "cookie", "id"}

var messageNames = map[string]bool{"msg": true, "message": true, "desc": true, "description": true, "reason": true,
	"info": true, "tip": true, "tips": true, "detail": true, "details": true, "hint": true, "remark": true}

var messageSuffixes = []string{"msg", "message", "desc", "description", "reason", "info", "tip", "tips", "detail"}

// keyKind classifies a key, ignoring case.
func keyKind(key string) leafKind {
	k := strings.ToLower(key)
	if flagWords[k] {
		return leafFlag
	}
	msgLike := messageNames[k]
	for _, s := range messageSuffixes {
		msgLike = msgLike || strings.HasSuffix(k, s)
	}
	if k == "error" || k == "err" || msgLike && strings.HasPrefix(k, "err") {
		return leafError
	}
	if msgLike {
		return leafMessage
	}
	for _, p := range notStatusParts {
		if strings.Contains(k, p) {
			return leafOther
		}
	}
	for _, p := range statusParts {
		if strings.Contains(k, p) {
			return leafStatus
		}
	}
	return leafOther
}

// walkLeaves appends the status, flag, message and error leaves of body
// (an object) to out, in document order, to leafDepth. The value starting
// at skip (the records array, which ends at skipEnd) is passed over
// without being scanned again; arrays and nulls are not looked into.
func walkLeaves(body []byte, skip, skipEnd int, out []leaf) []leaf {
	i := jsonscan.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return out
	}
	var key []byte
	// walk reads the object at body[i] and returns where it ends. An
	// object within the depth is walked, not scanned first, so that the
	// records array inside it (at skip) is passed over, never scanned.
	var walk func(i, depth int, prefix string) int
	walk = func(i, depth int, prefix string) int {
		i = jsonscan.SkipSpace(body, i+1)
		if body[i] == '}' {
			return i + 1
		}
		for {
			kEnd := jsonscan.StringEnd(body, i)
			key = appendUnquoted(key[:0], body[i+1:kEnd-1])
			i = jsonscan.SkipSpace(body, kEnd)
			i = jsonscan.SkipSpace(body, i+1) // past ':'
			var end int
			switch {
			case i == skip:
				end = skipEnd
			case body[i] == '{' && depth < leafDepth:
				end = walk(i, depth+1, join(prefix, string(key)))
			default:
				end = jsonscan.ValueEnd(body, i)
				switch body[i] {
				case '{', '[', 'n':
				default:
					if kind := keyKind(string(key)); kind != leafOther {
						out = append(out, leaf{path: join(prefix, string(key)), kind: kind, s: i, e: end})
					}
				}
			}
			i = jsonscan.SkipSpace(body, end)
			if body[i] == '}' {
				return i + 1
			}
			i = jsonscan.SkipSpace(body, i+1) // past ','
		}
	}
	walk(i, 1, "")
	return out
}

func join(prefix, key string) string {
	if prefix == "" {
		return key
	}
	return prefix + "." + key
}

// baseLeaf is a leaf of the pages with records: the values it had (at
// most baseValues; more, and it varies from page to page and says
// nothing).
type baseLeaf struct {
	kind    leafKind
	vals    []string // codeText
	lits    []string // as written, for advice
	varying bool
}

const baseValues = 4

func (b *baseLeaf) has(text string) bool {
	for _, v := range b.vals {
		if sameCode(v, text) {
			return true
		}
	}
	return false
}

// rememberBaseline adds the leaves of a page with records (the records
// array between start and end) to the read's baseline.
func (r *reader) rememberBaseline(body []byte, start, end int) {
	if r.o.statusPath != nil {
		return
	}
	if r.baseline == nil {
		r.baseline = map[string]*baseLeaf{}
	}
	r.leafBuf = walkLeaves(body, start, end, r.leafBuf[:0])
	for _, l := range r.leafBuf {
		text := codeText(body, l.s, l.e)
		b := r.baseline[l.path]
		if b == nil {
			b = &baseLeaf{kind: l.kind}
			r.baseline[l.path] = b
		}
		if b.varying || b.has(text) {
			continue
		}
		if len(b.vals) == baseValues {
			b.varying = true
			continue
		}
		b.vals = append(b.vals, text)
		b.lits = append(b.lits, strings.TrimSpace(string(body[l.s:l.e])))
	}
}

// failWords are words of a failure in a status or message text.
var failWords = []string{"fail", "error", "invalid", "expire", "denied", "deny", "unauthori", "forbidden", "token",
	"exception", "illegal", "timeout", "timed out", "refuse", "reject", "not allowed", "permission", "busy", "exceed",
	"失败", "错误", "过期", "无效", "异常", "拒绝", "未授权", "无权", "权限", "非法", "超时", "禁止", "令牌", "失效",
	"繁忙", "频繁", "限流", "鉴权", "签名", "未登录", "重新登录", "密钥"}

// hasFailWord reports whether a text says something failed.
func hasFailWord(text string) bool {
	t := strings.ToLower(text)
	for _, w := range failWords {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// noDataParts are parts of a message that says there are no (more)
// records.
var noDataParts = []string{"暂无", "无数据", "没有数据", "没有更多", "无更多", "最后一页", "为空", "查无", "未查询到", "未查到",
	"无符合", "不存在", "无记录", "没有记录", "no data", "no record", "no more", "empty", "nothing"}

// saysNoData reports whether a text says there are no (more) records.
func saysNoData(text string) bool {
	t := strings.ToLower(text)
	for _, w := range noDataParts {
		if strings.Contains(t, w) {
			return true
		}
	}
	return false
}

// successTokens are words of success, found as parts of a text
// ("request:ok", "查询成功，共0条").
var successTokens = []string{"ok", "success", "succeed", "成功", "完成", "正常"}

func saysSuccess(text string) bool {
	parts := strings.FieldsFunc(strings.ToLower(text), func(c rune) bool {
		return strings.ContainsRune(" ,，.。;；:：!！、()（）[]【】_-/", c)
	})
	for _, p := range parts {
		for _, w := range successTokens {
			if p == w || w != "ok" && strings.Contains(p, w) {
				return true
			}
		}
	}
	return false
}

// evidence reports whether a leaf says, by itself, that the call failed:
//
//   - a flag (success, ok, isSuccess, succeeded) that is false, 0, n, no
//     or fail;
//   - a status-like value that is a number from 400 to 599 or below 0,
//     or text with a failure word (fail, error, invalid, expired, token,
//     失败, 错误, 过期, 无效, 令牌, 未授权…);
//   - a message with a failure word;
//   - an error leaf (error, errmsg, errorMsg) that is true, a number
//     other than 0, or text that says neither success nor no data.
func evidence(kind leafKind, text string) bool {
	t := strings.ToLower(strings.TrimSpace(text))
	switch kind {
	case leafFlag:
		switch t {
		case "false", "0", "n", "no", "fail", "failed", "failure":
			return true
		}
		return hasFailWord(t)
	case leafStatus:
		if x, ok := decimal(t); ok {
			if x.Sign() < 0 {
				return true
			}
			if x.IsInt() && x.Num().IsInt64() {
				v := x.Num().Int64()
				return v >= 400 && v <= 599
			}
			return false
		}
		return hasFailWord(t)
	case leafMessage:
		return hasFailWord(t)
	case leafError:
		switch t {
		case "", "false", "null", "none", "ok":
			return false
		case "true":
			return true
		}
		if x, ok := decimal(t); ok {
			return x.Sign() != 0
		}
		return hasFailWord(t) || !saysNoData(t) && !saysSuccess(t)
	}
	return false
}

// taken ends the message of a page judged the platform's error.
const taken = ", with no records: taken for the platform's error, not the end of the data. "

// genericAdvice is what to do when no leaf can be named.
const genericAdvice = "If it is really the end of the data, set status_path to the key of the platform's status code and success to its success values"

// judgeEmpty is the check for a page with no records (an empty or null
// list, or no records path at all) when status_path is not set. Before
// any page with records it fails the page only on positive evidence of
// an error; after one, also when a status-like leaf of the baseline has
// another value here, unless the page's message says there is no more
// data (code 204, "暂无数据") and nothing is evidence of an error.
// Anything else, and a bare array, is the end of the data.
func (r *reader) judgeEmpty(body []byte) error {
	if r.o.statusPath != nil {
		return nil
	}
	leaves := walkLeaves(body, -1, -1, r.leafBuf[:0])
	r.leafBuf = leaves
	var changed, evid *leaf
	var was *baseLeaf
	noData, msgEvid := false, false
	for k := range leaves {
		l := &leaves[k]
		text := codeText(body, l.s, l.e)
		if l.kind == leafMessage || l.kind == leafError {
			noData = noData || saysNoData(text) && !hasFailWord(text)
			msgEvid = msgEvid || evidence(l.kind, text)
		}
		if b := r.baseline[l.path]; b != nil {
			if b.varying || b.has(text) {
				continue // as on the pages with records
			}
			if changed == nil && (l.kind == leafStatus || l.kind == leafFlag) {
				changed, was = l, b
			}
		}
		if evid == nil && evidence(l.kind, text) {
			evid = l
		}
	}
	if evid != nil && noData && !msgEvid {
		// A status or flag of failure beside a message that says there
		// is no data ({"code":404,"msg":"暂无数据"}, {"success":false,
		// "msg":"未查询到数据"}): the platform's way of saying so.
		evid = nil
	}
	switch {
	case evid != nil && (evid.kind == leafStatus || evid.kind == leafFlag):
		lit := r.lit(body[evid.s:evid.e])
		advice, was2 := genericAdvice, ""
		switch {
		case evid == changed:
			was2 = fmt.Sprintf(" (%s on the pages with records)", r.lit([]byte(was.lits[0])))
			if a := r.changeAdvice(body, changed, was); a != "" {
				advice = a
			}
		case lit != "…" && evid.kind == leafStatus:
			advice = fmt.Sprintf("If %s %s means success here, set status_path: %s and success: [%s]", evid.path, lit, evid.path, lit)
		}
		return fmt.Errorf("the API answered %s%s%s"+taken+"%s", r.shown(evid.path, body[evid.s:evid.e]), was2, r.message(body), advice)
	case evid != nil:
		text := strings.TrimSpace(scalarText(body, evid.s, evid.e))
		advice := genericAdvice
		if changed != nil {
			if a := r.changeAdvice(body, changed, was); a != "" {
				advice = a
			}
		}
		ctx := ""
		if c := r.context(body, leaves, evid); c != nil {
			ctx = r.shown(c.path, body[c.s:c.e]) + ", "
		}
		return fmt.Errorf("the API answered %s%s"+taken+"%s (and message_path: %s)", ctx, r.quoted(evid.path, text), advice, evid.path)
	case changed != nil && !noData:
		advice := r.changeAdvice(body, changed, was)
		if advice == "" {
			advice = genericAdvice
		}
		old := r.lit([]byte(was.lits[0]))
		return fmt.Errorf("the API answered %s (%s on the pages with records)%s"+taken+"%s",
			r.shown(changed.path, body[changed.s:changed.e]), old, r.message(body), advice)
	}
	return nil
}

// callCodes are the keys of a call's status code, shown beside a failing
// message (never advised for that alone).
var callCodes = map[string]bool{"code": true, "errcode": true, "error_code": true, "errorcode": true, "err_code": true,
	"retcode": true, "ret_code": true, "rtncode": true, "respcode": true, "rspcode": true, "resultcode": true,
	"result_code": true, "returncode": true, "return_code": true, "statuscode": true, "status_code": true,
	"status": true, "state": true, "result": true, "ret": true, "errno": true}

// context is a status code beside a failing message (in its object),
// shown with it, unless it is as on the pages with records.
func (r *reader) context(body []byte, leaves []leaf, msg *leaf) *leaf {
	prefix := ""
	if i := strings.LastIndexByte(msg.path, '.'); i >= 0 {
		prefix = msg.path[:i+1]
	}
	for k := range leaves {
		l := &leaves[k]
		name, ok := strings.CutPrefix(l.path, prefix)
		if !ok || strings.Contains(name, ".") || l.kind != leafStatus || !callCodes[strings.ToLower(name)] {
			continue
		}
		if b := r.baseline[l.path]; b != nil && (b.varying || b.has(codeText(body, l.s, l.e))) {
			continue
		}
		return l
	}
	return nil
}

// changeAdvice suggests the changed leaf as status_path with both its
// values as success, or "" when a value is withheld.
func (r *reader) changeAdvice(body []byte, l *leaf, was *baseLeaf) string {
	lit := r.lit(body[l.s:l.e])
	var olds []string
	for _, o := range was.lits {
		o = r.lit([]byte(o))
		if o == "…" || lit == "…" {
			return ""
		}
		olds = append(olds, o)
	}
	return fmt.Sprintf("If both mean success here, set status_path: %s and success: [%s, %s]", l.path, strings.Join(olds, ", "), lit)
}

// emptyParent reports whether the records path ends, before the records,
// in a value that holds nothing: null, {}, [] or "" ("data": null for
// data.list), or the records value itself is {} or "".
func emptyParent(body []byte, path []string) bool {
	for k := len(path); k >= 1; k-- {
		s, e, found := lookup(body, path[:k])
		if !found {
			continue
		}
		v := strings.TrimSpace(string(body[s:e]))
		switch {
		case v == "null", v == `""`:
			return true
		case v[0] == '{' || v[0] == '[':
			return jsonscan.SkipSpace(body, s+1) == e-1 // nothing inside
		}
		return false
	}
	return false
}

// hasArray reports whether the value at body[s] is an array or holds one
// within depth levels of objects.
func hasArray(body []byte, s, depth int) bool {
	s = jsonscan.SkipSpace(body, s)
	if s >= len(body) {
		return false
	}
	switch body[s] {
	case '[':
		return true
	case '{':
		if depth == 0 {
			return false
		}
		found := false
		eachMember(body, s, func(m member) bool {
			found = hasArray(body, m.start, depth-1)
			return !found
		})
		return found
	}
	return false
}

// lit is a status value's JSON literal as shown: masked and cut short,
// or "…" when it quotes a record.
func (r *reader) lit(b []byte) string {
	t := strings.TrimSpace(string(b))
	if quotesRecord(t) {
		return "…"
	}
	return shorten(r.mask(t), 40)
}

// quoted is `path "text"`, masked and cut short, or withheld whole when
// the text quotes a record.
func (r *reader) quoted(path, text string) string {
	if quotesRecord(text) {
		return path + " (withheld: it quotes a record's data)"
	}
	return fmt.Sprintf("%s %q", path, shorten(r.mask(text), 200))
}
