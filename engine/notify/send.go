package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/wneessen/go-mail"
)

// Send sends m to r with client (nil: a client with r's timeout). An
// error never contains a secret: robot addresses are named without
// their key or token.
func Send(ctx context.Context, client *http.Client, r Receiver, m Message) error {
	timeout := cmpDuration(r.Timeout, DefaultTimeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	switch r.Kind {
	case Webhook:
		return sendWebhook(ctx, client, r, m)
	case WeCom:
		return sendWeCom(ctx, client, r, m)
	case DingTalk:
		return sendDingTalk(ctx, client, r, m, time.Now())
	case Email:
		return sendEmail(ctx, r, m)
	}
	return fmt.Errorf("receiver %s: unknown kind %q", r.Name, r.Kind)
}

func cmpDuration(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// sendWebhook posts the message as JSON; Idempotency-Key and
// X-Lipwatch-Event carry the event's key (a copy resent after a crash has
// the same one), X-Lipwatch-Signature "sha256=" the body's HMAC-SHA256
// under the receiver's secret, when it has one. Any 2xx is delivered.
func sendWebhook(ctx context.Context, client *http.Client, r Receiver, m Message) error {
	body, err := json.Marshal(m)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("receiver %s: %w", r.Name, err)
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "lipwatch")
	req.Header.Set("Idempotency-Key", m.Event)
	req.Header.Set("X-Lipwatch-Event", m.Event)
	if r.Secret != "" {
		mac := hmac.New(sha256.New, []byte(r.Secret))
		mac.Write(body)
		req.Header.Set("X-Lipwatch-Signature", "sha256="+hex.EncodeToString(mac.Sum(nil)))
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("receiver %s: %w", r.Name, redactErr(err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		return fmt.Errorf("receiver %s: HTTP %d: %w", r.Name, resp.StatusCode, ErrThrottled)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return fmt.Errorf("receiver %s: HTTP %d", r.Name, resp.StatusCode)
	}
	return nil
}

// robotAnswer is what WeCom and DingTalk robots answer: errcode 0 is
// delivered.
type robotAnswer struct {
	ErrCode int    `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// Throttling codes: WeCom 45009 (接口调用超过限制), DingTalk 130101 (发送
// 速度太快而限流) and 660026.
var throttled = map[int]bool{45009: true, 130101: true, 660026: true}

// sendWeCom posts a markdown message to a WeCom group robot
// (POST {URL}?key=KEY, {"msgtype":"markdown","markdown":{"content":…}};
// content at most 4096 bytes).
func sendWeCom(ctx context.Context, client *http.Client, r Receiver, m Message) error {
	base := r.URL
	if base == "" {
		base = WeComURL
	}
	content := clip(m.Markdown(), 4096)
	body, _ := json.Marshal(map[string]any{"msgtype": "markdown", "markdown": map[string]string{"content": content}})
	return postRobot(ctx, client, r, base, url.Values{"key": {r.Key}}, body)
}

// sendDingTalk posts a markdown message to a DingTalk group robot
// (POST {URL}?access_token=TOKEN&timestamp=MS&sign=SIGN, where SIGN is
// base64(HMAC-SHA256(secret, MS+"\n"+secret)) when the robot has a 加签
// secret).
func sendDingTalk(ctx context.Context, client *http.Client, r Receiver, m Message, now time.Time) error {
	base := r.URL
	if base == "" {
		base = DingTalkURL
	}
	q := url.Values{"access_token": {r.Token}}
	if r.Secret != "" {
		ts := strconv.FormatInt(now.UnixMilli(), 10)
		q.Set("timestamp", ts)
		q.Set("sign", DingTalkSign(ts, r.Secret))
	}
	body, _ := json.Marshal(map[string]any{"msgtype": "markdown",
		"markdown": map[string]string{"title": m.Title, "text": clip(m.Markdown(), 20000)}})
	return postRobot(ctx, client, r, base, q, body)
}

// DingTalkSign is DingTalk's 加签: base64 of HMAC-SHA256 over
// timestamp+"\n"+secret keyed by secret (timestamp in milliseconds; the
// robot refuses one more than an hour off).
func DingTalkSign(timestamp, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func postRobot(ctx context.Context, client *http.Client, r Receiver, base string, q url.Values, body []byte) error {
	u, err := url.Parse(base)
	if err != nil {
		return fmt.Errorf("receiver %s: bad url: %w", r.Name, err)
	}
	uq := u.Query()
	for k, v := range q {
		uq[k] = v
	}
	u.RawQuery = uq.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("receiver %s: %w", r.Name, redactErr(err))
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("receiver %s: %w", r.Name, redactErr(err))
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode == http.StatusTooManyRequests {
		return fmt.Errorf("receiver %s: HTTP %d: %w", r.Name, resp.StatusCode, ErrThrottled)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("receiver %s: HTTP %d", r.Name, resp.StatusCode)
	}
	var a robotAnswer
	if err := json.Unmarshal(raw, &a); err != nil {
		return fmt.Errorf("receiver %s: the robot's answer is not JSON", r.Name)
	}
	if a.ErrCode != 0 {
		err := fmt.Errorf("receiver %s: robot errcode %d: %s", r.Name, a.ErrCode, clip(a.ErrMsg, 200))
		if throttled[a.ErrCode] {
			err = fmt.Errorf("%w (%w)", err, ErrThrottled)
		}
		return err
	}
	return nil
}

// redactErr drops the URL (which holds a robot's key or token) from a
// client error.
func redactErr(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// sendEmail sends the message as plain UTF-8 text over SMTP with
// STARTTLS required (a server that does not offer it is refused), with
// PLAIN/LOGIN auth when a username is set.
func sendEmail(ctx context.Context, r Receiver, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(r.From); err != nil {
		return fmt.Errorf("receiver %s: from: %w", r.Name, err)
	}
	if err := msg.To(r.To...); err != nil {
		return fmt.Errorf("receiver %s: to: %w", r.Name, err)
	}
	subject := m.Title
	if m.Resent {
		subject += "（补发）"
	}
	msg.Subject(subject)
	msg.SetMessageID()
	msg.SetGenHeader("X-Lipwatch-Event", m.Event)
	msg.SetBodyString(mail.TypeTextPlain, m.Text())
	opts := []mail.Option{mail.WithPort(r.SMTPPort), mail.WithTLSPortPolicy(mail.TLSMandatory),
		mail.WithTimeout(cmpDuration(r.Timeout, DefaultTimeout))}
	tc := &tls.Config{ServerName: r.SMTPHost, MinVersion: tls.VersionTLS12}
	if r.CAFile != "" {
		pem, err := os.ReadFile(r.CAFile)
		if err != nil {
			return fmt.Errorf("receiver %s: ca_file: %w", r.Name, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("receiver %s: ca_file %s holds no PEM certificate", r.Name, r.CAFile)
		}
		tc.RootCAs = pool
	}
	opts = append(opts, mail.WithTLSConfig(tc))
	if r.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(r.Username), mail.WithPassword(r.Password))
	}
	c, err := mail.NewClient(r.SMTPHost, opts...)
	if err != nil {
		return fmt.Errorf("receiver %s: %w", r.Name, err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("receiver %s: smtp %s:%d: %w", r.Name, r.SMTPHost, r.SMTPPort, err)
	}
	return nil
}

// clip cuts s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
