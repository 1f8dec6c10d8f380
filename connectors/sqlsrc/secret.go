package sqlsrc

import (
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// dsn is a connection string and where it came from. Only where appears in
// messages; the string itself never does.
type dsn struct {
	value string
	where string // "environment variable X" or "file F"
}

// loadDSN reads the connection string from the environment variable or the
// file the options name. It is read at every connect, so a rotated
// password is picked up without a restart.
func (c *connector) loadDSN() (dsn, error) {
	if c.opts.dsnEnv != "" {
		d := dsn{value: strings.TrimSpace(os.Getenv(c.opts.dsnEnv)), where: "environment variable " + c.opts.dsnEnv}
		if d.value == "" {
			return d, fmt.Errorf("source %s: %s is not set or empty; it must hold the connection string", c.src.Name, d.where)
		}
		return d, nil
	}
	p := c.opts.dsnFile
	if !filepath.IsAbs(p) && c.src.BaseDir != "" {
		p = filepath.Join(c.src.BaseDir, p)
	}
	d := dsn{where: "file " + c.opts.dsnFile}
	data, err := os.ReadFile(p)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return d, fmt.Errorf("source %s: read the connection string from %s: %w", c.src.Name, d.where, err)
	}
	d.value = strings.TrimSpace(string(data))
	if d.value == "" {
		return d, fmt.Errorf("source %s: %s is empty; it must hold the connection string", c.src.Name, d.where)
	}
	return d, nil
}

// secrets lists what must never appear in a message: the whole string and
// every password found in it, longest first so that a password containing
// another is replaced whole. Finding them is best effort on a string that
// may not parse, so it errs on the side of finding too much.
func (d dsn) secrets() []string {
	found := map[string]bool{}
	add := func(s string) {
		if s = strings.TrimSpace(s); len(s) >= 3 {
			found[s] = true
		}
	}
	add(d.value)
	if u, err := url.Parse(d.value); err == nil {
		if pw, ok := u.User.Password(); ok {
			add(pw)
		}
		for k, vs := range u.Query() {
			if strings.Contains(strings.ToLower(k), "password") {
				for _, v := range vs {
					add(v)
				}
			}
		}
	}
	for _, m := range userinfoPassword.FindAllStringSubmatch(d.value, -1) {
		add(m[1])
		if un, err := url.PathUnescape(m[1]); err == nil {
			add(un)
		}
	}
	for _, m := range kvPassword.FindAllStringSubmatch(d.value, -1) {
		add(strings.Trim(m[1], "'"))
	}
	out := make([]string, 0, len(found))
	for s := range found {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return out
}

var (
	// userinfoPassword finds user:password@ in a URL, even a broken one.
	userinfoPassword = regexp.MustCompile(`://[^:/@\s]*:([^@\s]*)@`)
	// kvPassword finds password=... and sslpassword=... in key=value form
	// and in a URL's query.
	kvPassword = regexp.MustCompile(`(?i)password=('(?:[^'\\]|\\.)*'|[^\s&]+)`)
	// backticked is how pgconn quotes the (partly redacted) connection
	// string in its parse errors.
	backticked = regexp.MustCompile("`[^`]*`")
)

// redact removes the connection string and its passwords from a message.
func (d dsn) redact(msg string) string {
	msg = backticked.ReplaceAllLiteralString(msg, "the connection string")
	for _, s := range d.secrets() {
		msg = strings.ReplaceAll(msg, s, "xxxxx")
	}
	return msg
}

// safeError is an error whose message has been redacted. It does not unwrap:
// the errors beneath (pgconn's ConnectError holds the whole config,
// password included) must not be reachable from what leaves the package.
type safeError struct {
	msg string
}

// Error is the redacted message.
func (e *safeError) Error() string { return e.msg }
