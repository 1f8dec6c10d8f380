package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
)

// Data-sharing platforms answer most errors with HTTP 200 and an envelope
// whose code says what went wrong, and an empty or null list:
// {"code":401,"msg":"令牌已过期","data":{"list":[]}}. Read as an empty
// page, that ends the read early with status ok: the records after it
// are silently not loaded. The checks here fail such a page instead.

// messageKeys are where a platform's message is looked for, at the top
// level and then next to the records, when message_path is not set.
var messageKeys = []string{"msg", "message", "errmsg", "errMsg", "error_msg", "errorMsg", "resultMsg", "result_msg",
	"retMsg", "ret_msg", "rtnMsg", "error"}

// checkStatus fails a page whose status_path value is not one of the
// success codes. Without status_path it does nothing.
func (r *reader) checkStatus(body []byte) error {
	if r.o.statusPath == nil {
		return nil
	}
	path := strings.Join(r.o.statusPath, ".")
	s, e, found := lookup(body, r.o.statusPath)
	if !found {
		return fmt.Errorf("the response has no %s (status_path; its top-level keys: %s)", path, strings.Join(topKeys(body), ", "))
	}
	code := codeText(body, s, e)
	if slices.ContainsFunc(r.o.success, func(v string) bool { return sameCode(v, code) }) {
		return nil
	}
	return fmt.Errorf("the API answered %s%s: not one of the success codes (%s); nothing after this page is read, and nothing of this read is committed",
		r.shown(path, body[s:e]), r.message(body), strings.Join(r.o.success, ", "))
}

// sameCode compares two status codes: as numbers when both are decimal
// numbers (200, "200" and 200.0 are one code; "0000" is 0), else as text.
func sameCode(a, b string) bool {
	if a == b {
		return true
	}
	x, ok1 := decimal(a)
	y, ok2 := decimal(b)
	return ok1 && ok2 && x.Cmp(y) == 0
}

// decimal reads a plain decimal number: digits, an optional sign,
// fraction and exponent (no hexadecimal, no "Inf").
func decimal(s string) (*big.Rat, bool) {
	s = strings.TrimSpace(s)
	if s == "" || len(s) > 40 {
		return nil, false
	}
	digits := false
	for i, c := range s {
		switch {
		case c >= '0' && c <= '9':
			digits = true
		case c == '.' || c == 'e' || c == 'E' || (c == '-' || c == '+') && (i == 0 || s[i-1] == 'e' || s[i-1] == 'E'):
		default:
			return nil, false
		}
	}
	if !digits {
		return nil, false
	}
	return new(big.Rat).SetString(s)
}

// envelopes are the objects a platform's status and message are looked
// for in: the top level, and the object holding the records array when
// that is deeper (data for data.list).
func (r *reader) envelopes(body []byte) [][]string {
	out := [][]string{nil}
	if len(r.o.records) < 2 {
		return out
	}
	parent := r.o.records[:len(r.o.records)-1]
	if s, _, found := lookup(body, parent); found && body[s] == '{' {
		out = append(out, parent)
	}
	return out
}

// readTotal keeps the greatest total_path value seen. A page without it
// (or with null) is passed over; one with something other than a whole
// number fails.
func (r *reader) readTotal(body []byte) error {
	if r.o.totalPath == nil {
		return nil
	}
	s, e, found := lookup(body, r.o.totalPath)
	if !found || body[s] == 'n' {
		return nil
	}
	t, ok := wholeCount(codeText(body, s, e))
	if !ok {
		return fmt.Errorf("%s is %s, not a count of records (total_path)", strings.Join(r.o.totalPath, "."), r.lit(body[s:e]))
	}
	if !r.hasTotal || t > r.total {
		r.total, r.hasTotal = t, true
	}
	return nil
}

// wholeCount reads a count: a whole number, not negative, written as an
// integer or with a zero fraction or an exponent (6, "6", 6.0, 6e0), as
// success codes are compared numerically.
func wholeCount(text string) (int64, bool) {
	text = strings.TrimSpace(text)
	if t, err := strconv.ParseInt(text, 10, 64); err == nil {
		return t, t >= 0
	}
	x, ok := decimal(text)
	if !ok || !x.IsInt() || x.Sign() < 0 || !x.Num().IsInt64() {
		return 0, false
	}
	return x.Num().Int64(), true
}

// codeText is a status value as text: a string's contents, a number or
// boolean as written, null as "null".
func codeText(body []byte, s, e int) string {
	if body[s] == 'n' {
		return "null"
	}
	return strings.TrimSpace(scalarText(body, s, e))
}

// shown writes "name value" for a message, the value as the JSON
// literal it is (a string quoted), masked and cut short.
func (r *reader) shown(name string, lit []byte) string {
	if quotesRecord(string(lit)) {
		return name + " (withheld: it quotes a record's data)"
	}
	return name + " " + shorten(r.mask(string(lit)), 60)
}

// message is ", <key> \"<text>\"" for the platform's message: at
// message_path, else the first of messageKeys at the top level or next to
// the records; "" when there is none. It is masked (an error may echo the
// token) and cut short; a message that quotes a record (quotesRecord) is
// withheld whole: ", <key> (withheld: it quotes a record's data)".
func (r *reader) message(body []byte) string {
	paths := [][]string{r.o.messagePath}
	if r.o.messagePath == nil {
		paths = paths[:0]
		for _, prefix := range r.envelopes(body) {
			for _, k := range messageKeys {
				paths = append(paths, append(slices.Clip(prefix), k))
			}
		}
	}
	if r.o.messagePath == nil {
		// Then any message deeper in the envelope (error.message).
		for _, l := range walkLeaves(body, -1, -1, nil) {
			if l.kind == leafMessage || l.kind == leafError {
				paths = append(paths, strings.Split(l.path, "."))
			}
		}
	}
	for _, p := range paths {
		s, e, found := lookup(body, p)
		if !found || body[s] == 'n' {
			continue
		}
		var text string
		switch body[s] {
		case '{', '[':
			if r.o.messagePath == nil {
				continue // {"error": {"code": ..., "message": ...}}: its message leaf follows
			}
			var b bytes.Buffer
			if json.Compact(&b, body[s:e]) == nil {
				text = b.String()
			}
		default:
			text = scalarText(body, s, e)
		}
		if strings.TrimSpace(text) == "" {
			continue
		}
		if quotesRecord(text) {
			return fmt.Sprintf(", %s (withheld: it quotes a record's data)", strings.Join(p, "."))
		}
		return fmt.Sprintf(", %s %q", strings.Join(p, "."), shorten(r.mask(text), 200))
	}
	return ""
}

// mask hides the sync's secrets and long digit runs in text shown.
func (r *reader) mask(s string) string {
	var secrets []string
	if r.s.creds != nil {
		secrets = r.s.creds.secrets
	}
	return mask(s, secrets)
}
