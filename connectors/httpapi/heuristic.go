package httpapi

import (
	"fmt"
	"strings"

	"github.com/lipwatch/lipwatch/connectors/internal/jsonscan"
)

// Without status_path, a page with no records may be a platform's error
// answered with HTTP 200 ({"code":401,"msg":"令牌已过期","data":{"list":[]}},
// {"head":{"rtnCode":"9999"}}, {"msg":"token无效","data":{"list":[]}}):
// read as the end of the data it would end the read early, status ok,
// with the records after it never loaded. looksFailed judges such a page
// by the scalar values around the records (its leaves), by their key
// names; pages with records are never judged, but their status leaves are
// kept to compare with a later empty page.

// leafKind is what a leaf's key says it holds.
type leafKind uint8

const (
	leafOther   leafKind = iota
	leafStatus           // code, errcode, returnCode, status, state, result, ret, errno, rc, ...
	leafFlag             // success, ok, flag, isSuccess, succeeded, succ
	leafMessage          // msg, message, resultMsg, desc, reason, ...
	leafError            // error, errmsg, errorMsg: any text but a success word is an error
)

// leafDepth is how deep leaves are looked for: head.code, data.code,
// header.rtnCode, status.code, error.code, data.result.code.
const leafDepth = 3

// leaf is one scalar value outside the records array.
type leaf struct {
	path string // dotted
	kind leafKind
	// status/state/result: "normal" looks like success too.
	state bool
	s, e  int
}

// statusWords are the status keys that are not codes; a key equal to or
// ending in "code" is one too, unless it is one of notStatusCodes.
var statusWords = map[string]bool{"status": true, "state": true, "result": true, "ret": true, "errno": true, "rc": true}

// notStatusCodes are keys ending in "code" that name a code of a thing,
// not of the call (a request echoed in the envelope).
var notStatusCodes = map[string]bool{"areacode": true, "regioncode": true, "citycode": true, "countycode": true,
	"provincecode": true, "districtcode": true, "divisioncode": true, "orgcode": true, "deptcode": true,
	"zipcode": true, "postcode": true, "postalcode": true, "qrcode": true, "barcode": true}

var flagWords = map[string]bool{"success": true, "ok": true, "flag": true, "issuccess": true, "succeeded": true, "succ": true}

var messageWords = map[string]leafKind{"msg": leafMessage, "message": leafMessage, "resultmsg": leafMessage,
	"result_msg": leafMessage, "retmsg": leafMessage, "ret_msg": leafMessage, "respmsg": leafMessage, "rtnmsg": leafMessage,
	"rspmsg": leafMessage, "returnmsg": leafMessage, "desc": leafMessage, "reason": leafMessage,
	"error": leafError, "errmsg": leafError, "errormsg": leafError, "error_msg": leafError, "errmessage": leafError,
	"errormessage": leafError}

// keyKind classifies a key, ignoring case.
func keyKind(key string) (leafKind, bool) {
	k := strings.ToLower(key)
	switch {
	case flagWords[k]:
		return leafFlag, false
	case statusWords[k]:
		return leafStatus, k == "status" || k == "state" || k == "result"
	case strings.HasSuffix(k, "code") && !notStatusCodes[k]:
		return leafStatus, false
	}
	if kind, ok := messageWords[k]; ok {
		return kind, false
	}
	return leafOther, false
}

// walkLeaves appends the status, flag and message leaves of body (an
// object) to out, in document order, to leafDepth. The value starting at
// skip (the records array, which ends at skipEnd) is passed over without
// being scanned again; other arrays are not looked into.
func walkLeaves(body []byte, skip, skipEnd int, out []leaf) []leaf {
	i := jsonscan.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return out
	}
	var key []byte
	var walk func(i, depth int, prefix string)
	walk = func(i, depth int, prefix string) {
		i = jsonscan.SkipSpace(body, i+1)
		if body[i] == '}' {
			return
		}
		for {
			kEnd := jsonscan.StringEnd(body, i)
			key = appendUnquoted(key[:0], body[i+1:kEnd-1])
			i = jsonscan.SkipSpace(body, kEnd)
			i = jsonscan.SkipSpace(body, i+1) // past ':'
			var end int
			if i == skip {
				end = skipEnd
			} else {
				end = jsonscan.ValueEnd(body, i)
			}
			switch body[i] {
			case '{':
				if depth < leafDepth {
					walk(i, depth+1, join(prefix, string(key)))
				}
			case '[', 'n':
			default:
				if kind, state := keyKind(string(key)); kind != leafOther {
					out = append(out, leaf{path: join(prefix, string(key)), kind: kind, state: state, s: i, e: end})
				}
			}
			i = jsonscan.SkipSpace(body, end)
			if body[i] == '}' {
				return
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

// successWords are texts of a status or a message that look like success.
var successWords = map[string]bool{"success": true, "ok": true, "true": true, "y": true, "yes": true,
	"succeed": true, "succeeded": true, "成功": true}

// noDataWords are messages of an empty last page: no data, or success.
var noDataWords = map[string]bool{"暂无数据": true, "无数据": true, "没有数据": true, "查询结果为空": true, "数据为空": true,
	"暂无记录": true, "无记录": true, "没有记录": true, "no data": true, "no records": true, "no data found": true,
	"no records found": true, "empty": true, "查询成功": true, "操作成功": true, "请求成功": true, "处理成功": true,
	"执行成功": true, "调用成功": true, "获取成功": true}

// statusSucceeded reports whether a status value looks like success:
// numerically 0 or 200 ("0000" is 0, 200.0 is 200), or a success word;
// for status, state and result also "normal".
func statusSucceeded(text string, state bool) bool {
	if x, ok := decimal(text); ok {
		return x.Sign() == 0 || x.IsInt() && x.Num().IsInt64() && x.Num().Int64() == 200
	}
	t := strings.ToLower(strings.TrimSpace(text))
	return successWords[t] || state && t == "normal"
}

// flagFailed reports whether a flag says the call failed.
func flagFailed(text string) bool {
	switch strings.ToLower(strings.TrimSpace(text)) {
	case "false", "0", "n", "no", "fail":
		return true
	}
	x, ok := decimal(text)
	return ok && x.Sign() == 0
}

// messageFine reports whether a message says success or no data: every
// part of it, between punctuation, is a success word or a no-data phrase
// ("查询成功，暂无数据").
func messageFine(text string) bool {
	parts := strings.FieldsFunc(text, func(c rune) bool {
		return strings.ContainsRune(",，.。;；:：!！、()（）[]【】", c)
	})
	if len(parts) == 0 {
		return true
	}
	for _, p := range parts {
		p = strings.ToLower(strings.TrimSpace(p))
		if p != "" && !successWords[p] && !noDataWords[p] {
			return false
		}
	}
	return true
}

// statusLeaves keeps the status and flag values of a page with records
// (as "path=text"), for looksFailed to compare an empty page with.
func (r *reader) rememberStatus(body []byte, start, end int) {
	if r.o.statusPath != nil {
		return
	}
	r.leafBuf = walkLeaves(body, start, end, r.leafBuf[:0])
	r.lastStatus = r.lastStatus[:0]
	for _, l := range r.leafBuf {
		if l.kind == leafStatus || l.kind == leafFlag {
			r.lastStatus = append(r.lastStatus, statusValue{path: l.path, text: codeText(body, l.s, l.e), lit: strings.TrimSpace(string(body[l.s:l.e]))})
		}
	}
}

// statusValue is a status leaf of the last page with records.
type statusValue struct{ path, text, lit string }

// looksFailed is the check for a page with no records when status_path
// is not set. Looking at the scalar leaves outside the records array (to
// depth 3), in this order, it fails the page on:
//
//   - a status leaf (a key equal to or ending in "code", or status, state,
//     result, ret, errno, rc) whose value does not look like success
//     (numerically 0 or 200, success, ok, true, y, yes, succeed(ed), 成功,
//     and normal for status, state and result);
//   - a flag (success, ok, flag, isSuccess, succeeded, succ) that is
//     false, 0, "0", n, no or fail;
//   - a status or flag leaf whose value differs from the last page with
//     records (code 200, then 401);
//   - an error leaf (error, errmsg, errorMsg) with any text but a success
//     word, even beside a success code ({"code":"SUCCESS","error":"token
//     expired"}; {"errcode":0,"errmsg":"ok"} is success);
//   - a message leaf (msg, message, resultMsg, retMsg, respMsg, desc,
//     reason...) whose text is neither success nor "no data" (暂无数据,
//     查询成功, no data...).
//
// Anything else, and a bare array, ends the read as the end of the data.
func (r *reader) looksFailed(body []byte) error {
	if r.o.statusPath != nil {
		return nil
	}
	leaves := walkLeaves(body, -1, -1, r.leafBuf[:0])
	r.leafBuf = leaves
	const taken = ", with no records: taken for the platform's error, not the end of the data. "
	var firstStatus *leaf
	for k := range leaves {
		l := &leaves[k]
		text := codeText(body, l.s, l.e)
		switch l.kind {
		case leafStatus:
			if firstStatus == nil {
				firstStatus = l
			}
			if text != "" && !statusSucceeded(text, l.state) {
				lit := r.lit(body[l.s:l.e])
				return fmt.Errorf("the API answered %s%s"+taken+"If %s %s means success here, set status_path: %s and success: [%s]",
					r.shown(l.path, body[l.s:l.e]), r.message(body), l.path, lit, l.path, lit)
			}
		case leafFlag:
			if flagFailed(text) {
				return fmt.Errorf("the API answered %s%s"+taken+"If the platform's status code says otherwise, set status_path to it and success to its success codes",
					r.shown(l.path, body[l.s:l.e]), r.message(body))
			}
		}
	}
	for k := range leaves {
		l := &leaves[k]
		if l.kind != leafStatus && l.kind != leafFlag {
			continue
		}
		text := codeText(body, l.s, l.e)
		for _, old := range r.lastStatus {
			if old.path == l.path && !sameCode(old.text, text) {
				lit := r.lit(body[l.s:l.e])
				return fmt.Errorf("the API answered %s (%s on the last page with records)%s"+taken+
					"If both mean success here, set status_path: %s and success: [%s, %s]",
					r.shown(l.path, body[l.s:l.e]), r.lit([]byte(old.lit)), r.message(body), l.path, r.lit([]byte(old.lit)), lit)
			}
		}
	}
	advice := "If it is really the end of the data, set status_path to the platform's status code and success to its success codes"
	if firstStatus != nil {
		lit := r.lit(body[firstStatus.s:firstStatus.e])
		advice = fmt.Sprintf("If it is really the end of the data, set status_path: %s and success: [%s]", firstStatus.path, lit)
	}
	for _, kind := range []leafKind{leafError, leafMessage} {
		for k := range leaves {
			l := &leaves[k]
			if l.kind != kind {
				continue
			}
			text := strings.TrimSpace(scalarText(body, l.s, l.e))
			if text == "" || kind == leafError && successWords[strings.ToLower(text)] || kind == leafMessage && messageFine(text) {
				continue
			}
			return fmt.Errorf("the API answered %s"+taken+"%s (and message_path: %s)", r.quoted(l.path, text), advice, l.path)
		}
	}
	return nil
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
