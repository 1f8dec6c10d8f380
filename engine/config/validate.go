package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/dataset"
)

var (
	countyCode = regexp.MustCompile(`^[0-9]{6}$`)
	township   = regexp.MustCompile(`^[0-9]{9}$`)
	sourceName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	duckdbSize = regexp.MustCompile(`(?i)^[0-9]+(\.[0-9]+)?\s*(b|bytes?|kb|mb|gb|tb|kib|mib|gib|tib)$`)
	// badPick is a column pick that counts from 0 or below ("身份证号#0",
	// "身份证号#-1"): "name#N" picks the N-th column of that name, from 1.
	badPick = regexp.MustCompile(`#(0+|-[0-9]+)$`)
)

var (
	logLevels  = []string{"debug", "info", "warn", "error"}
	logFormats = []string{"text", "json"}
)

// validate checks what decoding cannot: values, and how sources fit the
// registered connector kinds and datasets. Keys that failed to decode are
// skipped, so each mistake is reported once.
func (c *collector) validate(cfg *Config) {
	ok := func(path string) bool { return !c.failed(path) }

	if ok("county.code") {
		switch code := cfg.County.Code; {
		case code == "":
			c.add("county.code", "required: the county's six-digit division code")
		case !countyCode.MatchString(code):
			c.add("county.code", "%q is not a six-digit division code", code)
		}
	}
	if ok("county.timezone") {
		loc, err := time.LoadLocation(cfg.County.Timezone)
		if err != nil || cfg.County.Timezone == "" {
			c.add("county.timezone", "unknown time zone %q (e.g. %s)", cfg.County.Timezone, DefaultTimezone)
		} else {
			cfg.loc = loc
		}
	}

	if ok("county.townships") {
		c.townships(cfg.County, ok("county.code") && countyCode.MatchString(cfg.County.Code))
	}

	if ok("store.path") && strings.TrimSpace(cfg.Store.Path) == "" {
		c.add("store.path", "must not be empty")
	}
	if ok("store.threads") && cfg.Store.Threads < 0 {
		c.add("store.threads", "must be 0 (DuckDB's default) or more, got %d", cfg.Store.Threads)
	}
	if ok("store.memory_limit") && cfg.Store.MemoryLimit != "" && !duckdbSize.MatchString(cfg.Store.MemoryLimit) {
		c.add("store.memory_limit", "%q is not a size such as \"2GB\" or \"512MB\"", cfg.Store.MemoryLimit)
	}
	if ok("store.checkpoint_threshold") && cfg.Store.CheckpointThreshold != "" && !duckdbSize.MatchString(cfg.Store.CheckpointThreshold) {
		c.add("store.checkpoint_threshold", "%q is not a size such as \"64MB\" or \"1GB\"", cfg.Store.CheckpointThreshold)
	}

	if ok("log.level") {
		cfg.Log.Level = c.oneOf("log.level", cfg.Log.Level, logLevels)
	}
	if ok("log.format") {
		cfg.Log.Format = c.oneOf("log.format", cfg.Log.Format, logFormats)
	}

	if ok("sync.source_timeout") && cfg.Sync.SourceTimeout <= 0 {
		c.add("sync.source_timeout", "must be positive, got %s", cfg.Sync.SourceTimeout)
	}
	if ok("sync.quarantine_keep") && cfg.Sync.QuarantineKeep <= 0 {
		c.add("sync.quarantine_keep", "must be positive, got %s", cfg.Sync.QuarantineKeep)
	}
	if ok("sync.workers") && (cfg.Sync.Workers < 1 || cfg.Sync.Workers > MaxSyncWorkers) {
		c.add("sync.workers", "must be 1 to %d (sources loading at once), got %d", MaxSyncWorkers, cfg.Sync.Workers)
	}
	for _, l := range []struct {
		key string
		v   Size
	}{{"sync.xlsx_max_unzipped", cfg.Sync.XLSXMaxUnzipped}, {"sync.xlsx_max_shared_strings", cfg.Sync.XLSXMaxSharedStrings}} {
		if ok(l.key) && l.v < MinXLSXLimit {
			c.add(l.key, "must be at least %s (below it, ordinary workbooks fail), got %s", MinXLSXLimit, l.v)
		}
	}

	c.quality(cfg.Quality)
	c.link(cfg.Link)

	if ok("rules.dir") && strings.TrimSpace(cfg.Rules.Dir) == "" {
		c.add("rules.dir", "must not be empty")
	}

	deadlineOK := false
	if ok("cases.deadline_days") {
		if d := cfg.Cases.DeadlineDays; d < 1 || d > MaxDeadlineDays {
			c.add("cases.deadline_days", "must be 1 to %d working days, got %d", MaxDeadlineDays, d)
		} else {
			deadlineOK = true
		}
	}
	if ok("cases.extension_days") && deadlineOK && cfg.Cases.ExtensionDays < cfg.Cases.DeadlineDays {
		c.add("cases.extension_days", "must be at least cases.deadline_days (%d), got %d", cfg.Cases.DeadlineDays, cfg.Cases.ExtensionDays)
	}
	if ok("cases.calendar") && strings.TrimSpace(cfg.Cases.Calendar) == "" {
		c.add("cases.calendar", "must not be empty")
	}
	if ok("cases.cooldown") && cfg.Cases.Cooldown < 0 {
		c.add("cases.cooldown", "must not be negative, got %s", cfg.Cases.Cooldown)
	}
	if ok("cases.reopen_after") && cfg.Cases.ReopenAfter < 0 {
		c.add("cases.reopen_after", "must not be negative, got %s", cfg.Cases.ReopenAfter)
	}

	if ok("dispatch.dir") && strings.TrimSpace(cfg.Dispatch.Dir) == "" {
		c.add("dispatch.dir", "must not be empty")
	}
	if ok("dispatch.formats") {
		c.formats(cfg.Dispatch.Formats)
	}

	zone := cfg.loc // for cron messages; nil if unknown
	if ok("schedule.nightly") {
		if n := cfg.Schedule.Nightly; strings.TrimSpace(n) == "" {
			c.add("schedule.nightly", "required: a cron schedule such as %q", DefaultNightly)
		} else {
			c.cron("schedule.nightly", n, zone)
		}
	}
	if ok("schedule.shutdown_grace") && cfg.Schedule.ShutdownGrace <= 0 {
		c.add("schedule.shutdown_grace", "must be positive, got %s", cfg.Schedule.ShutdownGrace)
	}
	if u := cfg.Portal.PublicURL; u != "" {
		if pu, err := url.Parse(u); err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Host == "" || (pu.Path != "" && pu.Path != "/") {
			c.add("portal.public_url", "want the portal's address as townships type it, e.g. https://jiuzhu.example.gov.cn, got %q", u)
		}
	}
	for _, tp := range cfg.Portal.TrustedProxies {
		if _, _, err := net.ParseCIDR(tp); err != nil && net.ParseIP(tp) == nil {
			c.add("portal.trusted_proxies", "%q is neither an IP address nor a CIDR such as 10.0.0.0/24", tp)
		}
	}
	if (cfg.Portal.TLSCert == "") != (cfg.Portal.TLSKey == "") {
		c.add("portal.tls_cert", "portal.tls_cert and portal.tls_key go together: give both or neither")
	}
	for _, k := range []struct {
		path string
		d    Duration
	}{{"portal.session_lifetime", cfg.Portal.SessionLifetime}, {"portal.idle_timeout", cfg.Portal.IdleTimeout}, {"portal.lockout", cfg.Portal.Lockout}} {
		if ok(k.path) && k.d <= 0 {
			c.add(k.path, "must be positive, got %s", k.d)
		}
	}
	if ok("portal.login_max_failures") && cfg.Portal.LoginMaxFailures < 1 {
		c.add("portal.login_max_failures", "must be at least 1, got %d", cfg.Portal.LoginMaxFailures)
	}
	if ok("portal.password_min_length") && cfg.Portal.PasswordMinLength < 8 {
		c.add("portal.password_min_length", "must be at least 8, got %d", cfg.Portal.PasswordMinLength)
	}
	if ok("schedule.busy_wait") && cfg.Schedule.BusyWait <= 0 {
		c.add("schedule.busy_wait", "must be positive, got %s", cfg.Schedule.BusyWait)
	}
	if ok("schedule.busy_retry") && cfg.Schedule.BusyRetry <= 0 {
		c.add("schedule.busy_retry", "must be positive, got %s", cfg.Schedule.BusyRetry)
	}

	c.validateOps(cfg)
	c.validateNotify(cfg)

	for _, name := range cfg.SourceNames() {
		s := cfg.Sources[name]
		c.source(name, &s, zone)
		cfg.Sources[name] = s
	}
}

// oneOf checks an enumerated value case-insensitively and returns it in
// its canonical (lower) case.
func (c *collector) oneOf(path, v string, allowed []string) string {
	lv := strings.ToLower(strings.TrimSpace(v))
	if !slices.Contains(allowed, lv) {
		c.add(path, "%q is not one of %s", v, strings.Join(allowed, ", "))
		return v
	}
	return lv
}

// townships checks the township codes and names; codes are checked
// against the county's when checkCounty (its code is valid).
func (c *collector) townships(county County, checkCounty bool) {
	for _, code := range sortedKeys(county.Townships) {
		path := "county.townships." + code
		if c.failed(path) {
			continue
		}
		written := code
		if at, found := c.pos[path]; found {
			written = at.key
		}
		switch {
		case !township.MatchString(code):
			c.add(path, "%q is not a nine-digit township code", written)
		case checkCounty && !strings.HasPrefix(code, county.Code):
			c.add(path, "township %s is not in county %s: its code must start with %s", written, county.Code, county.Code)
		}
		if strings.TrimSpace(county.Townships[code]) == "" {
			c.add(path, "empty township name")
		}
	}
}

// formats checks dispatch.formats and puts its elements in canonical
// (lower) case.
func (c *collector) formats(formats []string) {
	allowed := DispatchFormats()
	if len(formats) == 0 {
		c.add("dispatch.formats", "must name at least one of %s", strings.Join(allowed, ", "))
		return
	}
	seen := map[string]bool{}
	for i, f := range formats {
		path := elemPath("dispatch.formats", i)
		if c.failed(path) {
			continue
		}
		f = c.oneOf(path, f, allowed)
		formats[i] = f
		if !slices.Contains(allowed, f) {
			continue
		}
		if seen[f] {
			c.add(path, "%s is listed twice", f)
		}
		seen[f] = true
	}
}

func (c *collector) source(name string, s *Source, zone *time.Location) {
	ok := func(key string) bool { return !c.failed("sources." + name + "." + key) }
	path := func(key ...string) string { return strings.Join(append([]string{"sources", name}, key...), ".") }

	written := name
	if at, found := c.pos[path()]; found {
		written = at.key // viper has lower-cased it
	}
	if !sourceName.MatchString(written) {
		c.add(path(), "source name %q must be lower-case letters, digits and _, starting with a letter", written)
	}
	if s.Enabled == nil && ok("enabled") {
		s.Enabled = new(true)
	}
	switch {
	case s.OnConflict == "" && ok("on_conflict"):
		s.OnConflict = "keep"
	case s.OnConflict != "keep" && s.OnConflict != "replace" && ok("on_conflict"):
		c.add(path("on_conflict"), "%q is not one of keep, replace", s.OnConflict)
	}
	if ok("reconcile") && s.Reconcile < 0 {
		c.add(path("reconcile"), "must be positive, got %s", s.Reconcile)
	}
	if ok("missing_values") {
		for i, v := range s.MissingValues {
			if strings.TrimSpace(v) == "" && ok(elemPath("missing_values", i)) {
				c.add(elemPath(path("missing_values"), i), "empty value: an empty cell is missing already")
			}
		}
	}
	if s.Schedule != "" && ok("schedule") {
		c.cron(path("schedule"), s.Schedule, zone)
	}

	if ok("kind") {
		spec, found := connectors.Lookup(s.Kind)
		switch {
		case s.Kind == "":
			c.add(path("kind"), "required (known: %s)", list(connectors.Kinds()))
		case !found:
			c.add(path("kind"), "unknown connector kind %q (known: %s)", s.Kind, list(connectors.Kinds()))
		case ok("options"):
			c.options(name, spec, s)
		}
		if found && s.Reconcile > 0 && !spec.Incremental && ok("reconcile") {
			c.add(path("reconcile"), "applies to incremental sources (a watermark: kind http or sql); a %s source is read in full whenever its content changes", s.Kind)
		}
	}

	if !ok("dataset") {
		return
	}
	ds, found := dataset.Lookup(s.Dataset)
	switch {
	case s.Dataset == "":
		c.add(path("dataset"), "required (known: %s)", list(dataset.Names()))
		return
	case !found:
		c.add(path("dataset"), "unknown dataset %q (known: %s)", s.Dataset, list(dataset.Names()))
		return
	}
	fields := ds.FieldNames()
	if ok("columns") {
		for _, f := range sortedKeys(s.Columns) {
			if _, isField := ds.Field(f); !isField {
				c.add(path("columns", f), "%s is not a field of dataset %s%s", f, ds.Name, hint(f, fields))
			} else if ok("columns."+f) && strings.TrimSpace(s.Columns[f]) == "" {
				c.add(path("columns", f), "empty column header")
			} else if m := badPick.FindStringSubmatch(s.Columns[f]); m != nil && ok("columns."+f) {
				c.add(path("columns", f), "%q: the column pick #%s counts from 1 (#1 is the first column of that name)", s.Columns[f], m[1])
			}
		}
		for _, f := range ds.Fields {
			if _, mapped := s.Columns[f.Name]; f.Required && !mapped {
				c.add(path("columns"), "required field %s is not mapped", f.Name)
			}
		}
	}
	if ok("values") {
		for _, f := range sortedKeys(s.Values) {
			field, isField := ds.Field(f)
			if !isField {
				c.add(path("values", f), "%s is not a field of dataset %s%s", f, ds.Name, hint(f, fields))
				continue
			}
			var allowed []string
			switch field.Type {
			case dataset.Enum:
				allowed = field.Values
			case dataset.Bool:
				allowed = []string{"true", "false"}
			default:
				continue // e.g. township names -> codes: any value may do
			}
			for _, from := range sortedKeys(s.Values[f]) {
				if to := s.Values[f][from]; ok("values."+f+"."+from) && !slices.Contains(allowed, to) {
					c.add(path("values", f, from), "%q is not a value of %s.%s (%s)", to, ds.Name, f, strings.Join(allowed, ", "))
				}
			}
		}
	}
	if ok("formats") {
		for _, f := range sortedKeys(s.Formats) {
			if _, isField := ds.Field(f); !isField {
				c.add(path("formats", f), "%s is not a field of dataset %s%s", f, ds.Name, hint(f, fields))
			} else if err := dataset.CheckFormat(ds, f, s.Formats[f]); err != nil && ok("formats."+f) {
				c.add(path("formats", f), "%v", err)
			}
		}
	}
}

// options checks a source's options against its kind's spec and places
// each problem (a connectors.OptionError) at its option: the key's line in
// the file, or the environment variable it came from. Strings from the
// environment are first read as the option's type (Spec.FromText), as a
// YAML value of that type would be. An unknown option gets the config's
// "did you mean".
func (c *collector) options(name string, spec connectors.Spec, s *Source) {
	prefix := "sources." + name + ".options"
	skip := map[string]bool{}
	for _, k := range sortedKeys(s.Options) {
		str, isStr := s.Options[k].(string)
		if _, env := c.env[prefix+"."+k]; !env || !isStr {
			continue
		}
		v, err := spec.FromText(k, str)
		if err != nil {
			skip[k] = true
			c.add(prefix+"."+k, "%s", redact(k, s.Options[k], err.Error()))
			continue
		}
		s.Options[k] = v
	}
	for _, e := range connectors.OptionErrors(spec.Check(connectors.Options(s.Options))) {
		switch {
		case e.Option == "":
			c.add(prefix, "%s", e.Err)
		case skip[e.Option]:
		case errors.Is(e, connectors.ErrUnknownOption):
			c.add(prefix+"."+e.Option, "%v%s", e.Err, hint(e.Option, spec.Names()))
		default:
			c.add(prefix+"."+e.Option, "%s", redact(e.Option, s.Options[e.Option], e.Err.Error()))
		}
	}
}

// secretWords mark options whose values must never appear in a message
// (a DSN carries the database password).
var secretWords = []string{"token", "password", "secret", "dsn"}

// IsSecret reports whether an option's value must be kept out of messages
// and logs: its name contains token, password, secret or dsn.
func IsSecret(option string) bool {
	o := strings.ToLower(option)
	for _, w := range secretWords {
		if strings.Contains(o, w) {
			return true
		}
	}
	return false
}

// redact removes the value of a secret option from msg.
func redact(option string, value any, msg string) string {
	if !IsSecret(option) || value == nil {
		return msg
	}
	for _, form := range []string{fmt.Sprintf("%q", value), fmt.Sprintf("%v", value)} {
		if form != "" && form != `""` {
			msg = strings.ReplaceAll(msg, form, "<redacted>")
		}
	}
	return msg
}

func list(names []string) string {
	if len(names) == 0 {
		return "none registered"
	}
	return strings.Join(names, ", ")
}
