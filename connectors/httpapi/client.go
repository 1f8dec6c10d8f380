package httpapi

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// request is one page's request, before auth.
type request struct {
	method string
	url    *url.URL
	body   []byte // nil: none
}

// statusError is a response the connector did not accept: its status and
// the start of its body, with any secret masked.
type statusError struct {
	code    int
	status  string
	snippet string
	hint    string
}

func (e *statusError) Error() string {
	msg := "HTTP " + e.status
	if e.hint != "" {
		msg += " (" + e.hint + ")"
	}
	if e.snippet != "" {
		msg += ": " + e.snippet
	}
	return msg
}

// retryable reports whether a status is worth another attempt: the
// server is overloaded or briefly broken, not refusing the request.
func retryable(code int) bool {
	return code == http.StatusTooManyRequests || code >= 500
}

// fetcher sends requests with auth, a per-request timeout, a rate limit
// and retries. It is shared by the streams of one connector.
type fetcher struct {
	client  *http.Client
	opts    *options
	limiter *limiter
}

// creds are the secrets of one sync, read when its streams are listed.
type creds struct {
	header  string   // the Authorization header's value; "" for none
	secrets []string // texts to mask in anything shown
	hint    string   // where the secret came from, for a 401 message
}

// get fetches one page: the whole body of a 2xx response and its
// Content-Type, after retries. Errors never contain the request's query
// (a watermark is harmless, but a future option could put a key there)
// nor any secret.
func (f *fetcher) get(ctx context.Context, req request, cr *creds) ([]byte, string, error) {
	attempts := f.opts.retries + 1
	var last error
	for attempt := range attempts {
		if err := f.limiter.wait(ctx); err != nil {
			return nil, "", err
		}
		body, ctype, wait, err := f.try(ctx, req, cr)
		if err == nil {
			return body, ctype, nil
		}
		if ctx.Err() != nil {
			return nil, "", context.Cause(ctx)
		}
		if wait < 0 { // not worth retrying
			return nil, "", err
		}
		last = err
		if attempt == attempts-1 {
			break
		}
		if wait == 0 {
			wait = f.backoff(attempt)
		}
		if wait > maxRetryAfter {
			return nil, "", fmt.Errorf("server asks to retry after %s, more than the %s the connector waits: %w", wait.Round(time.Second), maxRetryAfter, err)
		}
		if err := sleepCtx(ctx, wait); err != nil {
			return nil, "", err
		}
	}
	label := "error"
	var se *statusError
	if errors.As(last, &se) {
		label = "status"
	}
	return nil, "", fmt.Errorf("gave up after %d attempts; last %s: %w", attempts, label, last)
}

// try makes one attempt. wait is < 0 when the error is final, > 0 when the
// server said how long to wait (Retry-After), 0 to back off as usual.
func (f *fetcher) try(ctx context.Context, req request, cr *creds) (body []byte, ctype string, wait time.Duration, err error) {
	actx, cancel := context.WithTimeout(ctx, f.opts.timeout)
	defer cancel()
	var rd io.Reader
	if req.body != nil {
		rd = bytes.NewReader(req.body)
	}
	hr, err := http.NewRequestWithContext(actx, req.method, req.url.String(), rd)
	if err != nil {
		return nil, "", -1, errors.New("cannot build the request")
	}
	hr.Header.Set("Accept", "application/json")
	hr.Header.Set("User-Agent", "lipwatch")
	if req.body != nil {
		hr.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	if cr.header != "" {
		hr.Header.Set("Authorization", cr.header)
	}
	resp, err := f.client.Do(hr)
	if err != nil {
		return nil, "", f.transportWait(ctx, actx, err), f.transportError(actx, err, cr)
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		snippet, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		text := string(snippet)
		if dec, err := decodeBody(snippet, resp.Header.Get("Content-Type"), f.opts.encoding); err == nil {
			text = string(dec) // a GBK body in full-width digits is judged as it reads
		}
		se := &statusError{code: resp.StatusCode, status: resp.Status, snippet: shorten(mask(text, cr.secrets), 200)}
		if quotesRecord(text) || quotesRecord(string(snippet)) {
			se.snippet = withheldBody
		}
		if resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden {
			se.hint = cr.hint
		}
		if !retryable(resp.StatusCode) {
			return nil, "", -1, se
		}
		return nil, "", retryAfter(resp.Header.Get("Retry-After"), time.Now()), se
	}
	body, err = readBody(resp, maxPageBytes+1)
	if err != nil {
		// The connection broke mid-body: as transient as a refused one.
		return nil, "", f.transportWait(ctx, actx, err), f.transportError(actx, err, cr)
	}
	if len(body) > maxPageBytes {
		return nil, "", -1, fmt.Errorf("response larger than %d MiB; ask for smaller pages (page_size)", maxPageBytes>>20)
	}
	return body, resp.Header.Get("Content-Type"), 0, nil
}

// readBody reads up to limit bytes of the body, in one allocation when
// the length is announced.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= limit {
		buf := make([]byte, n)
		_, err := io.ReadFull(resp.Body, buf)
		return buf, err
	}
	return io.ReadAll(io.LimitReader(resp.Body, limit))
}

// transportWait classifies a failure below HTTP: the caller's context
// ending is final, as is a certificate the connector will never trust;
// timeouts and broken or refused connections are retried.
func (f *fetcher) transportWait(ctx, actx context.Context, err error) time.Duration {
	if ctx.Err() != nil {
		return -1
	}
	var cve *tls.CertificateVerificationError
	var uae x509.UnknownAuthorityError
	var hne x509.HostnameError
	var cie x509.CertificateInvalidError
	if errors.As(err, &cve) || errors.As(err, &uae) || errors.As(err, &hne) || errors.As(err, &cie) {
		return -1
	}
	return 0
}

// transportError drops the URL that *url.Error repeats (its query could
// hold anything) and says "timed out" plainly.
func (f *fetcher) transportError(actx context.Context, err error, cr *creds) error {
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("request timed out after %s", f.opts.timeout)
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return errors.New(mask(err.Error(), cr.secrets))
}

// backoff is the wait before retry n (0-based): backoff·2ⁿ, capped, with
// "equal jitter" (half fixed, half random) so that sources retrying
// together spread out while each still waits a predictable minimum.
func (f *fetcher) backoff(n int) time.Duration {
	d := f.opts.backoff
	for range n {
		d *= 2
		if d >= maxBackoff {
			d = maxBackoff
			break
		}
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// retryAfter reads a Retry-After header: delay-seconds or an HTTP date.
// Absent or unreadable, it returns 0 (back off as usual); a date in the
// past asks for no wait, which is given as 1ns, still "the server said".
func retryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseInt(h, 10, 64); err == nil {
		if n <= 0 {
			return time.Nanosecond
		}
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter + time.Second
		}
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			// The date has whole seconds: round up so as not to come early.
			return d.Truncate(time.Second) + time.Second
		}
		return time.Nanosecond
	}
	return 0
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// limiter spaces requests evenly at a rate per second. A nil limiter
// does not limit.
type limiter struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newLimiter(perSecond int) *limiter {
	if perSecond <= 0 {
		return nil
	}
	return &limiter{interval: time.Second / time.Duration(perSecond)}
}

// wait blocks until the next request may go, or ctx is done.
func (l *limiter) wait(ctx context.Context) error {
	if l == nil {
		return ctx.Err()
	}
	l.mu.Lock()
	now := time.Now()
	at := l.next
	if at.Before(now) {
		at = now
	}
	l.next = at.Add(l.interval)
	l.mu.Unlock()
	if d := at.Sub(now); d > 0 {
		return sleepCtx(ctx, d)
	}
	return ctx.Err()
}

// mask replaces every secret in s.
func mask(s string, secrets []string) string {
	for _, sec := range secrets {
		if sec != "" {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	// An error body may echo the request or a record: long digit runs (ID,
	// phone and account numbers) never reach a log or the ledger.
	return longDigits.ReplaceAllStringFunc(s, func(d string) string { return d[:2] + strings.Repeat("*", len(d)-2) })
}

// longDigits are runs of 8 or more digits (an ID number ends in X or x).
var longDigits = regexp.MustCompile(`[0-9]{8,}[0-9Xx]*`)

// withheldBody stands for a response body (or the part of it shown) that
// quotes a record's data.
const withheldBody = "(body withheld: it quotes a record's data)"

// quotesRecord reports whether text a platform wrote (a message, an
// error body) quotes a record, so that it is withheld whole: masking a
// number would leave what stands around it, such as the person's name
// (身份证号34****************(张三)查询失败). It does when, with full-width
// digits and asterisks (３４, ＊) and the mask signs × and ✱ read as
// ASCII ones, it holds
//
//   - 8 or more digits and asterisks, at least one a digit, in one run in
//     which spaces and dashes between them are passed over (an ID or
//     phone number, masked or not: 138****1234, 3407 9919 7909 2655 11,
//     340799-1979-0926-5511), or
//   - a digit anywhere, and it names an identity field (身份证, 证件号,
//     户号, 姓名, 名字): 身份证尾号5511的赵六.
//
// Dates and times in a message (2026-03-05 10:20) can count as such a
// run: the message is then withheld too, which costs a clue, not a
// person's data.
func quotesRecord(text string) bool {
	run, digits, anyDigit := 0, false, false
	for _, c := range text {
		switch {
		case c >= '０' && c <= '９':
			c = '0' + (c - '０')
		case c == '＊' || c == '×' || c == '✱' || c == '∗':
			c = '*'
		}
		switch {
		case c >= '0' && c <= '9' || c == '*':
			run++
			if c != '*' {
				digits, anyDigit = true, true
			}
			if run >= 8 && digits {
				return true
			}
		case run > 0 && (c == ' ' || c == '-' || c == '\u3000' || c == '－' || c == '\u2010' || c == '\u2013' || c == '\u2014'):
			// passed over: the run goes on
		default:
			run, digits = 0, false
		}
	}
	if !anyDigit {
		return false
	}
	for _, f := range identityFields {
		if strings.Contains(text, f) {
			return true
		}
	}
	return false
}

// identityFields are words that name a person's identifying field; a
// message naming one next to any digit quotes part of a record.
var identityFields = []string{"身份证", "证件号", "户号", "姓名", "名字"}

// shorten cuts s to about n bytes on a rune boundary, on one line.
func shorten(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
