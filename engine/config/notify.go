package config

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Notify configures notifications (issue 11): who is told what, and how
// delivery is retried. Messages carry counts, levels, deadlines and a
// link to the portal (portal.public_url), never a name or ID number.
type Notify struct {
	// Receivers are the places messages go, by name ([a-z][a-z0-9_]*).
	Receivers map[string]Receiver `mapstructure:"receivers"`
	// ReminderDays are the working days before a deadline on which a
	// township is reminded of its cases due then (with the holiday
	// calendar's 调休). Default [3, 1].
	ReminderDays []int `mapstructure:"reminder_days"`
	// EscalateAfter is how many working days past its deadline an
	// overdue case is escalated a second time (二级督办) to the county;
	// the first escalation is on the first working day it is overdue.
	// Default 5.
	EscalateAfter int `mapstructure:"escalate_after"`
	// Digest is the county's summary: daily (each working day), weekly
	// (the first working day of the week) or off. Default weekly.
	Digest string `mapstructure:"digest"`
	// MaxAttempts is how many times a message is tried before it is
	// given up (failed; `lipwatch notify retry` tries it again). Tries
	// are 30 s apart at first, doubling up to an hour. Default 12.
	MaxAttempts int `mapstructure:"max_attempts"`
	// Poll is how often serve looks for messages to send. Default 15s.
	Poll Duration `mapstructure:"poll"`
	// CommandWait bounds how long a command run without serve (`lipwatch
	// run`) spends sending after its work is recorded; what is not sent
	// by then waits for the next run, `notify retry` or serve; 0 sends
	// nothing (a county whose serve sends). Default 20s.
	CommandWait Duration `mapstructure:"command_wait"`
}

// Receiver is one place messages go. Secrets (a WeCom robot's key, a
// DingTalk robot's token and 加签 secret, a webhook's signing secret, an
// SMTP password) come only from an environment variable (…_env) or a
// file (…_file), never from this file.
type Receiver struct {
	// Kind is webhook, wecom, dingtalk or email.
	Kind string `mapstructure:"kind"`
	// URL: the webhook's address (required for webhook); for wecom and
	// dingtalk the robot's address without its key or token (default
	// the public one).
	URL        string `mapstructure:"url"`
	KeyEnv     string `mapstructure:"key_env"`
	KeyFile    string `mapstructure:"key_file"`
	TokenEnv   string `mapstructure:"token_env"`
	TokenFile  string `mapstructure:"token_file"`
	SecretEnv  string `mapstructure:"secret_env"`
	SecretFile string `mapstructure:"secret_file"`
	// Email over SMTP with STARTTLS (required).
	SMTPHost     string   `mapstructure:"smtp_host"`
	SMTPPort     int      `mapstructure:"smtp_port"` // default 587
	From         string   `mapstructure:"from"`
	To           []string `mapstructure:"to"`
	Username     string   `mapstructure:"username"`
	PasswordEnv  string   `mapstructure:"password_env"`
	PasswordFile string   `mapstructure:"password_file"`
	CAFile       string   `mapstructure:"ca_file"` // a county's own CA for its mail server
	// What it hears: the events of these townships (9-digit codes, or
	// "all" for every township), the county's (overdue escalations,
	// digests, every dispatch's summary), the operators' (a source failed
	// or degraded, a run failed, a holiday-calendar year missing).
	Townships []string `mapstructure:"townships"`
	County    bool     `mapstructure:"county"`
	Ops       bool     `mapstructure:"ops"`
	// PerMinute bounds messages a minute; default 20 for wecom and
	// dingtalk robots (their limit), none for webhook and email.
	PerMinute int `mapstructure:"per_minute"`
	// Timeout bounds one send. Default 15s.
	Timeout Duration `mapstructure:"timeout"`
}

// Notify defaults.
const (
	DefaultEscalateAfter = 5
	DefaultDigest        = "weekly"
	DefaultMaxAttempts   = 12
	DefaultNotifyPoll    = 15 * time.Second
	DefaultCommandWait   = 20 * time.Second
	DefaultSMTPPort      = 587
)

// DefaultReminderDays are the working days before a deadline a township
// is reminded on.
var DefaultReminderDays = []int{3, 1}

func notifyDefaults() map[string]any {
	return map[string]any{
		"notify.reminder_days":  []any{DefaultReminderDays[0], DefaultReminderDays[1]},
		"notify.escalate_after": DefaultEscalateAfter,
		"notify.digest":         DefaultDigest,
		"notify.max_attempts":   DefaultMaxAttempts,
		"notify.poll":           DefaultNotifyPoll.String(),
		"notify.command_wait":   DefaultCommandWait.String(),
	}
}

var receiverName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)

// validateNotify checks the notify section: each receiver's kind, address,
// where its secrets come from, and what it hears.
func (c *collector) validateNotify(cfg *Config) {
	n := cfg.Notify
	for _, d := range n.ReminderDays {
		if d < 0 || d > 60 {
			c.add("notify.reminder_days", "working days before a deadline, 0 to 60, got %d", d)
		}
	}
	if n.EscalateAfter < 1 {
		c.add("notify.escalate_after", "must be at least 1 working day, got %d", n.EscalateAfter)
	}
	if !slices.Contains([]string{"daily", "weekly", "off"}, n.Digest) {
		c.add("notify.digest", "want daily, weekly or off, got %q", n.Digest)
	}
	if n.MaxAttempts < 1 {
		c.add("notify.max_attempts", "must be at least 1, got %d", n.MaxAttempts)
	}
	if n.Poll <= 0 {
		c.add("notify.poll", "must be positive, got %s", n.Poll)
	}
	if n.CommandWait < 0 {
		c.add("notify.command_wait", "must not be negative, got %s", n.CommandWait)
	}
	names := make([]string, 0, len(n.Receivers))
	for name := range n.Receivers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		c.receiver(cfg, name, n.Receivers[name])
	}
}

func (c *collector) receiver(cfg *Config, name string, r Receiver) {
	at := "notify.receivers." + name
	if !receiverName.MatchString(name) {
		c.add(at, "a receiver's name is lower-case letters, digits and _, starting with a letter, got %q", name)
	}
	secret := func(what, env, file string, required bool) {
		switch {
		case env != "" && file != "":
			c.add(at+"."+what+"_env", "give %s_env or %s_file, not both", what, what)
		case env == "" && file == "" && required:
			c.add(at, "%s receiver needs its %s from %s_env (an environment variable's name) or %s_file", r.Kind, what, what, what)
		}
	}
	checkURL := func(required bool) {
		if r.URL == "" {
			if required {
				c.add(at+".url", "required for a %s receiver", r.Kind)
			}
			return
		}
		u, err := url.Parse(r.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.add(at+".url", "want an http(s) address, got %q", redactURL(r.URL))
			return
		}
		for _, k := range []string{"key", "access_token", "sign", "token"} {
			if u.Query().Has(k) {
				c.add(at+".url", "the address holds its %s, a secret: give the address without it and the %s in key_env/token_env or a file", k, k)
			}
		}
	}
	switch r.Kind {
	case "webhook":
		checkURL(true)
		secret("secret", r.SecretEnv, r.SecretFile, false)
	case "wecom":
		checkURL(false)
		secret("key", r.KeyEnv, r.KeyFile, true)
	case "dingtalk":
		checkURL(false)
		secret("token", r.TokenEnv, r.TokenFile, true)
		secret("secret", r.SecretEnv, r.SecretFile, false)
	case "email":
		if r.SMTPHost == "" {
			c.add(at+".smtp_host", "required for an email receiver")
		}
		if r.SMTPPort < 0 || r.SMTPPort > 65535 {
			c.add(at+".smtp_port", "not a port: %d", r.SMTPPort)
		}
		if !strings.Contains(r.From, "@") {
			c.add(at+".from", "want the sender's address, got %q", r.From)
		}
		if len(r.To) == 0 {
			c.add(at+".to", "required: the addresses to send to")
		}
		for _, to := range r.To {
			if !strings.Contains(to, "@") {
				c.add(at+".to", "not an address: %q", to)
			}
		}
		secret("password", r.PasswordEnv, r.PasswordFile, r.Username != "")
	default:
		c.add(at+".kind", "want webhook, wecom, dingtalk or email, got %q", r.Kind)
	}
	for _, t := range r.Townships {
		if t == "all" {
			continue
		}
		if !township.MatchString(t) || (cfg.County.Code != "" && !strings.HasPrefix(t, cfg.County.Code)) {
			c.add(at+".townships", "want 9-digit township codes of county %s or \"all\", got %q", cfg.County.Code, t)
		}
	}
	if len(r.Townships) == 0 && !r.County && !r.Ops {
		c.add(at, "hears nothing: give townships, county: true or ops: true")
	}
	if r.PerMinute < 0 {
		c.add(at+".per_minute", "must not be negative, got %d", r.PerMinute)
	}
}

// redactURL drops an address's query (it may hold a key) for a message.
func redactURL(s string) string {
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		return s[:i] + "?…"
	}
	return s
}

// SecretOf reads a receiver's secret from the environment variable or
// file the config names ("" when it names neither). The error names the
// variable or file, never a value.
func (c *Config) SecretOf(env, file string) (string, error) {
	switch {
	case env != "":
		v, ok := os.LookupEnv(env)
		if !ok || v == "" {
			return "", fmt.Errorf("environment variable %s is not set", env)
		}
		return v, nil
	case file != "":
		b, err := os.ReadFile(c.Resolve(file))
		if err != nil {
			return "", fmt.Errorf("secret file: %w", err)
		}
		v := strings.TrimSpace(string(b))
		if v == "" {
			return "", fmt.Errorf("secret file %s is empty", c.Resolve(file))
		}
		return v, nil
	}
	return "", nil
}
