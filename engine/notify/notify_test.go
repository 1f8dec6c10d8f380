package notify

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	netmail "net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

var sample = Message{Event: "dispatch:PD-20261128-1:340799001", Kind: "dispatch", Title: "城关镇：新下发预警 3 户",
	Lines: []string{"新增 2 户（红色 1、橙色 1），变化 1 户", "最早办结期限 2026-12-18"}, Link: "https://jiuzhu.example.gov.cn/cases",
	Township: "340799001", Counts: map[string]int{"new": 2, "changed": 1}, At: time.Date(2026, 11, 28, 2, 0, 0, 0, time.UTC)}

// The webhook gets the message as JSON with the event as idempotency key
// and an HMAC signature a receiver can check.
func TestWebhook(t *testing.T) {
	var got Message
	var sig, key string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mac := hmac.New(sha256.New, []byte("s3cret"))
		mac.Write(body)
		if r.Header.Get("X-Lipwatch-Signature") != "sha256="+hex.EncodeToString(mac.Sum(nil)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		sig, key = r.Header.Get("X-Lipwatch-Signature"), r.Header.Get("Idempotency-Key")
		json.Unmarshal(body, &got)
	}))
	defer srv.Close()
	r := Receiver{Name: "hook", Kind: Webhook, URL: srv.URL, Secret: "s3cret"}
	if err := Send(context.Background(), nil, r, sample); err != nil {
		t.Fatal(err)
	}
	if key != sample.Event || sig == "" || got.Title != sample.Title || got.Counts["new"] != 2 {
		t.Errorf("webhook got %+v (key %q)", got, key)
	}
	// A wrong secret: refused, and the error says the status.
	r.Secret = "other"
	if err := Send(context.Background(), nil, r, sample); err == nil || !strings.Contains(err.Error(), "HTTP 401") {
		t.Errorf("refused webhook: %v", err)
	}
}

// A WeCom group robot gets a markdown message at ?key=; its errcode
// decides, 45009 is throttling; the key never appears in an error.
func TestWeCom(t *testing.T) {
	var content string
	code := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			MsgType  string `json:"msgtype"`
			Markdown struct {
				Content string `json:"content"`
			} `json:"markdown"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		if r.URL.Query().Get("key") != "wecom-key-123" || body.MsgType != "markdown" {
			w.Write([]byte(`{"errcode":93000,"errmsg":"invalid webhook url"}`))
			return
		}
		content = body.Markdown.Content
		w.Write([]byte(`{"errcode":` + strconv.Itoa(code) + `,"errmsg":"x"}`))
	}))
	defer srv.Close()
	r := Receiver{Name: "chengguan", Kind: WeCom, URL: srv.URL, Key: "wecom-key-123"}
	if err := Send(context.Background(), nil, r, sample); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(content, "### 城关镇：新下发预警 3 户\n> 新增 2 户") || !strings.Contains(content, "[在工作台查看](https://jiuzhu.example.gov.cn/cases)") {
		t.Errorf("markdown:\n%s", content)
	}
	code = 45009
	if err := Send(context.Background(), nil, r, sample); !errors.Is(err, ErrThrottled) {
		t.Errorf("throttled: %v", err)
	}
	r.Key = "wrong"
	err := Send(context.Background(), nil, r, sample)
	if err == nil || !strings.Contains(err.Error(), "errcode 93000") {
		t.Errorf("wrong key: %v", err)
	}
	// A robot that cannot be reached: the error names the receiver, not the key.
	r.URL, r.Key = "http://127.0.0.1:1/send", "wecom-key-123"
	if err := Send(context.Background(), nil, r, sample); err == nil || strings.Contains(err.Error(), "wecom-key-123") {
		t.Errorf("unreachable robot: %v", err)
	}
}

// A DingTalk robot with 加签 checks the timestamp and signature as
// DingTalk documents them.
func TestDingTalk(t *testing.T) {
	const secret = "SECabc123"
	var title string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		ts, _ := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write([]byte(q.Get("timestamp") + "\n" + secret))
		want := mac.Sum(nil)
		if q.Get("access_token") != "tok" || time.Since(time.UnixMilli(ts)).Abs() > time.Hour || q.Get("sign") == "" {
			w.Write([]byte(`{"errcode":310000,"errmsg":"sign not match"}`))
			return
		}
		got, err := decodeB64(q.Get("sign"))
		if err != nil || !hmac.Equal(got, want) {
			w.Write([]byte(`{"errcode":310000,"errmsg":"sign not match"}`))
			return
		}
		var body struct {
			Markdown struct{ Title, Text string } `json:"markdown"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		title = body.Markdown.Title
		w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	defer srv.Close()
	r := Receiver{Name: "county", Kind: DingTalk, URL: srv.URL, Token: "tok", Secret: secret}
	if err := Send(context.Background(), nil, r, sample); err != nil {
		t.Fatal(err)
	}
	if title != sample.Title {
		t.Errorf("title %q", title)
	}
	r.Secret = "wrong"
	if err := Send(context.Background(), nil, r, sample); err == nil || !strings.Contains(err.Error(), "310000") {
		t.Errorf("wrong secret: %v", err)
	}
}

// A receiver that hangs is cut at its timeout.
func TestTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	defer srv.Close()
	defer close(release)
	start := time.Now()
	err := Send(context.Background(), nil, Receiver{Name: "slow", Kind: Webhook, URL: srv.URL, Timeout: 300 * time.Millisecond}, sample)
	if err == nil || time.Since(start) > 5*time.Second {
		t.Errorf("slow receiver: %v after %s", err, time.Since(start))
	}
}

// Email goes over SMTP with STARTTLS and auth, the subject and body in
// Chinese; a server without STARTTLS is refused.
func TestEmail(t *testing.T) {
	certPEM, tc := selfSigned(t)
	be := &backend{}
	s := smtp.NewServer(be)
	s.Domain = "localhost"
	s.TLSConfig = tc
	s.AllowInsecureAuth = false
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	defer s.Close()
	ca := filepath.Join(t.TempDir(), "ca.pem")
	os.WriteFile(ca, certPEM, 0o600)
	port := ln.Addr().(*net.TCPAddr).Port
	r := Receiver{Name: "mail", Kind: Email, SMTPHost: "localhost", SMTPPort: port, From: "lipwatch@example.gov.cn",
		To: []string{"mzj@example.gov.cn"}, Username: "lipwatch", Password: "pw", CAFile: ca}
	if err := Send(context.Background(), nil, r, sample); err != nil {
		t.Fatal(err)
	}
	be.mu.Lock()
	got := be.msgs
	be.mu.Unlock()
	if len(got) != 1 || got[0].from != "lipwatch@example.gov.cn" || !got[0].tls || got[0].user != "lipwatch" {
		t.Fatalf("mails: %+v", got)
	}
	parsed, err := netmail.ReadMessage(strings.NewReader(got[0].data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
	if subject != sample.Title || !strings.Contains(got[0].data, "X-Lipwatch-Event: "+sample.Event) {
		t.Errorf("subject %q in\n%s", subject, got[0].data)
	}
	// No STARTTLS offered: refused, nothing sent in clear.
	plain := smtp.NewServer(be)
	plain.Domain = "localhost"
	plain.AllowInsecureAuth = true
	ln2, _ := net.Listen("tcp", "127.0.0.1:0")
	go plain.Serve(ln2)
	defer plain.Close()
	r.SMTPPort = ln2.Addr().(*net.TCPAddr).Port
	if err := Send(context.Background(), nil, r, sample); err == nil {
		t.Error("sent without STARTTLS")
	}
	if len(be.msgs) != 1 {
		t.Errorf("%d mails after the refused one", len(be.msgs))
	}
}

// Backoff doubles from 30 s to an hour, jittered within its upper half.
func TestBackoff(t *testing.T) {
	for n, base := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 4: 4 * time.Minute, 8: time.Hour, 30: time.Hour} {
		for range 50 {
			if d := Backoff(n); d < base/2 || d > base {
				t.Fatalf("Backoff(%d) = %s, want in [%s, %s]", n, d, base/2, base)
			}
		}
	}
}

// Scan finds ID numbers and names, not the codes and dates messages carry.
func TestScan(t *testing.T) {
	if err := Scan(sample.Markdown()+sample.Text(), []string{"王秀英"}); err != nil {
		t.Errorf("sample: %v", err)
	}
	body, _ := json.Marshal(sample)
	if err := Scan(string(body), nil); err != nil {
		t.Errorf("sample JSON: %v", err)
	}
	for _, bad := range []string{"户主 34079919700909055X 住院", "id 340799197009090", "王秀英家"} {
		if Scan(bad, []string{"王秀英"}) == nil {
			t.Errorf("%q passed", bad)
		}
	}
}

type mailGot struct {
	from, user, data string
	tls              bool
}

type backend struct {
	mu   sync.Mutex
	msgs []mailGot
}

func (b *backend) NewSession(c *smtp.Conn) (smtp.Session, error) {
	_, isTLS := c.TLSConnectionState()
	return &session{b: b, tls: isTLS, c: c}, nil
}

type session struct {
	b        *backend
	c        *smtp.Conn
	tls      bool
	from     string
	user     string
	authDone bool
}

func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, username, password string) error {
		if username != "lipwatch" || password != "pw" {
			return errors.New("bad credentials")
		}
		s.user = username
		return nil
	}), nil
}

func (s *session) Mail(from string, opts *smtp.MailOptions) error { s.from = from; return nil }
func (s *session) Rcpt(to string, opts *smtp.RcptOptions) error   { return nil }
func (s *session) Data(r io.Reader) error {
	data, _ := io.ReadAll(r)
	_, isTLS := s.c.TLSConnectionState()
	s.b.mu.Lock()
	s.b.msgs = append(s.b.msgs, mailGot{from: s.from, user: s.user, data: string(data), tls: isTLS})
	s.b.mu.Unlock()
	return nil
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

// selfSigned makes a certificate for localhost, as PEM and as a server
// TLS config.
func selfSigned(t *testing.T) ([]byte, *tls.Config) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	kb, _ := x509.MarshalECPrivateKey(key)
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb})
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	return certPEM, &tls.Config{Certificates: []tls.Certificate{pair}}
}

func decodeB64(s string) ([]byte, error) {
	return base64.StdEncoding.DecodeString(s)
}
