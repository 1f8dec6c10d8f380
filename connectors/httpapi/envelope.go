package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/lipwatch/lipwatch/connectors/internal/jsonscan"
)

// Data-sharing platforms answer most errors with HTTP 200 and an envelope
// whose code says what went wrong, and an empty or null list:
// {"code":401,"msg":"令牌已过期","data":{"list":[]}}. Read as an empty
// page, that ends the read early with status ok: the records after it
// are silently not loaded. The checks here fail such a page instead.

// codeKeys are the top-level keys that, without status_path, are taken
// for the platform's status code on a page with no records.
var codeKeys = []string{"code", "errcode", "status", "error_code"}

// successLike are the values of codeKeys that look like success, compared
// as text, ignoring case.
var successLike = []string{"0", "200", "success", "ok", "true", "00000"}

// messageKeys are where a platform's message is looked for at the top
// level when message_path is not set.
var messageKeys = []string{"msg", "message", "errmsg", "error"}

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
	if slices.Contains(r.o.success, codeText(body, s, e)) {
		return nil
	}
	return fmt.Errorf("the API answered %s%s: not one of the success codes (%s); nothing after this page is read, and nothing of this read is committed",
		r.shown(path, body[s:e]), r.message(body), strings.Join(r.o.success, ", "))
}

// looksFailed is the check for a page with no records when status_path
// is not set: a top-level code, errcode, status or error_code whose value
// does not look like success (0, 200, "success", "ok", true, "00000")
// fails it, as a platform's error that would otherwise end the read as if
// the data had ended. Pages with records are never judged so.
func (r *reader) looksFailed(body []byte) error {
	if r.o.statusPath != nil {
		return nil
	}
	i := jsonscan.SkipSpace(body, 0)
	if i >= len(body) || body[i] != '{' {
		return nil
	}
	for _, k := range codeKeys {
		s, e, found := lookup(body, []string{k})
		if !found || body[s] == 'n' || body[s] == '{' || body[s] == '[' {
			continue
		}
		code := codeText(body, s, e)
		if code == "" || slices.ContainsFunc(successLike, func(v string) bool { return strings.EqualFold(v, code) }) {
			return nil
		}
		lit := string(body[s:e])
		return fmt.Errorf("the API answered %s%s, with no records: taken for the platform's error, not the end of the data. "+
			"If %s %s means success here, set status_path: %s and success: [%s]",
			r.shown(k, body[s:e]), r.message(body), k, shorten(r.mask(lit), 40), k, shorten(r.mask(lit), 40))
	}
	return nil
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
	t, err := strconv.ParseInt(strings.TrimSpace(codeText(body, s, e)), 10, 64)
	if err != nil || t < 0 {
		return fmt.Errorf("%s is %s, not a count of records (total_path)", strings.Join(r.o.totalPath, "."), shorten(r.mask(string(body[s:e])), 40))
	}
	if !r.hasTotal || t > r.total {
		r.total, r.hasTotal = t, true
	}
	return nil
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
	return name + " " + shorten(r.mask(string(lit)), 60)
}

// message is ", <key> \"<text>\"" for the platform's message: at
// message_path, else the first of msg, message, errmsg and error at the
// top level; "" when there is none. It is masked (an error may echo an ID
// number or the token) and cut short.
func (r *reader) message(body []byte) string {
	paths := [][]string{r.o.messagePath}
	if r.o.messagePath == nil {
		paths = paths[:0]
		for _, k := range messageKeys {
			paths = append(paths, []string{k})
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
