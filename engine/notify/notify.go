// Package notify tells people: it formats a Message for each kind of
// receiver townships and the county bureau use — a generic JSON webhook, a
// WeCom (企业微信) group robot, a DingTalk (钉钉) group robot with its
// signed timestamp, and email over SMTP with STARTTLS — and sends it.
//
// A Message carries counts, levels, deadlines and a link to the portal,
// never a name or an ID number: chat groups are not a place for personal
// data (the portal is, behind its login and scope). Messages are built
// by the pipeline from counts only; Scan is the check tests use on every
// message sent.
//
// The package keeps no state and touches no store: the outbox (what must
// be sent to whom, attempts, retries) is the pipeline's.
package notify

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
)

// Kinds of receivers.
const (
	Webhook  = "webhook"
	WeCom    = "wecom"
	DingTalk = "dingtalk"
	Email    = "email"
)

// Kinds lists the receiver kinds.
var Kinds = []string{Webhook, WeCom, DingTalk, Email}

// Message is one notification. Its JSON form is the generic webhook's
// body.
type Message struct {
	// Event is the event's key, unique per event (e.g.
	// dispatch:PD-20261128-1:340799001); webhooks get it as an
	// idempotency key.
	Event string `json:"event"`
	// Kind is dispatch, reminder, overdue, escalation, digest, source,
	// run, calendar or test.
	Kind     string   `json:"kind"`
	Title    string   `json:"title"`
	Lines    []string `json:"lines"`
	Link     string   `json:"link,omitempty"`     // the portal page to open
	Township string   `json:"township,omitempty"` // 9-digit code, for a township's event
	// Counts are the figures the lines say, by name (new, changed, red,
	// overdue …), for a webhook's program to read.
	Counts map[string]int `json:"counts,omitempty"`
	At     time.Time      `json:"at"`
	// Resent marks a copy sent again after a crash that may have come
	// after the first copy was received.
	Resent bool `json:"resent,omitempty"`
}

// Markdown is the message as WeCom and DingTalk markdown.
func (m Message) Markdown() string {
	var b strings.Builder
	b.WriteString("### " + m.Title + "\n")
	for _, l := range m.Lines {
		b.WriteString("> " + l + "\n")
	}
	if m.Link != "" {
		b.WriteString("\n[在工作台查看](" + m.Link + ")\n")
	}
	if m.Resent {
		b.WriteString("\n（系统重启后补发，如已收到请忽略）\n")
	}
	return b.String()
}

// Text is the message as plain text (email).
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Title + "\n\n")
	for _, l := range m.Lines {
		b.WriteString(l + "\n")
	}
	if m.Link != "" {
		b.WriteString("\n在工作台查看：" + m.Link + "\n")
	}
	if m.Resent {
		b.WriteString("\n（系统重启后补发，如已收到请忽略）\n")
	}
	b.WriteString("\n—— 低收入人口动态监测预警系统（本邮件由系统自动发送）\n")
	return b.String()
}

// Receiver is one configured place messages go, with its secrets read.
type Receiver struct {
	Name string
	Kind string // one of Kinds
	// URL is the webhook's address; for WeCom and DingTalk the robot's
	// address without its key or token (the defaults when empty).
	URL string
	// Key is WeCom's robot key, Token DingTalk's access_token; Secret
	// signs: DingTalk's 加签 secret, a webhook's HMAC-SHA256 key
	// (X-Lipwatch-Signature).
	Key, Token, Secret string
	// Email.
	SMTPHost string
	SMTPPort int
	From     string
	To       []string
	Username string
	Password string
	// CAFile, when set, is the only CA trusted for the SMTP server's
	// certificate (a county's own mail server); else the system's.
	CAFile string
	// PerMinute bounds messages a minute (WeCom and DingTalk robots
	// allow 20); 0 is no bound.
	PerMinute int
	// Timeout bounds one send; 0 means DefaultTimeout.
	Timeout time.Duration
}

// DefaultTimeout bounds one send.
const DefaultTimeout = 15 * time.Second

// RobotPerMinute is the rate WeCom and DingTalk group robots accept: 20
// messages a minute per robot (WeCom 群机器人配置说明; DingTalk 自定义机器人
// 安全设置 — past it the robot is throttled for ten minutes).
const RobotPerMinute = 20

// Default robot addresses.
const (
	WeComURL    = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send"
	DingTalkURL = "https://oapi.dingtalk.com/robot/send"
)

// ErrThrottled is a receiver saying "too many messages": retried later.
var ErrThrottled = errors.New("receiver throttled the message")

// Backoff is how long to wait before attempt n+1 after n failed ones:
// 30 s doubling up to an hour, with full jitter in its upper half (so
// that twelve townships' retries do not arrive together).
func Backoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return d/2 + rand.N(d/2+1)
}

// Scan reports the first thing in text that looks like personal data: an
// 18- or 15-digit run (an ID number, 公民身份号码) or any of names. Tests
// run it over every message a receiver got.
func Scan(text string, names []string) error {
	run := 0
	for i, r := range text + " " {
		if r >= '0' && r <= '9' || (run >= 17 && (r == 'X' || r == 'x')) {
			run++
			continue
		}
		if run == 18 || run == 15 {
			return fmt.Errorf("an ID-like number at byte %d", i-run)
		}
		run = 0
	}
	for _, n := range names {
		if len([]rune(n)) >= 2 && strings.Contains(text, n) {
			return fmt.Errorf("a registry name at byte %d", strings.Index(text, n))
		}
	}
	return nil
}
