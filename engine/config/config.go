// Package config loads and validates lipwatch's configuration file.
//
// A configuration is one YAML file (config.yaml by default) read with viper.
// Environment variables LIPWATCH_* override any leaf key, even one the file
// does not mention: LIPWATCH_STORE_PATH sets store.path and
// LIPWATCH_SOURCES_MEDICAL_OPTIONS_PATH sets sources.medical.options.path.
// The variable's name is EnvPrefix followed by the key's path in upper case
// with "_" for ".". Sources can only be overridden, not added, this way: the
// keys bound for a source are its own, the options of its connector kind
// and the columns of its dataset, for each source the file names. Other
// mappings (county.townships) cannot be set this way either. A list key
// takes a comma-separated value: LIPWATCH_DISPATCH_FORMATS=xlsx,csv. An
// empty variable counts as unset.
// Load checks everything it can without touching the store or a source and
// reports every problem at once, each with the file, line and column (or the
// environment variable) it came from, so a bad configuration is never applied.
package config

import (
	"path/filepath"
	"sort"
	"time"

	"github.com/lipwatch/lipwatch/engine/dataset"

	// The county's time zone must load on hosts without a zoneinfo database
	// (Windows desktops, minimal containers).
	_ "time/tzdata"
)

// Config is a loaded and validated configuration.
type Config struct {
	County   County            `mapstructure:"county"`
	Store    Store             `mapstructure:"store"`
	Log      Log               `mapstructure:"log"`
	Sync     Sync              `mapstructure:"sync"`
	Rules    Rules             `mapstructure:"rules"`
	Cases    Cases             `mapstructure:"cases"`
	Dispatch Dispatch          `mapstructure:"dispatch"`
	Schedule Schedule          `mapstructure:"schedule"`
	Quality  Quality           `mapstructure:"quality"`
	Link     Link              `mapstructure:"link"`
	Portal   Portal            `mapstructure:"portal"`
	Ops      Ops               `mapstructure:"ops"`
	Notify   Notify            `mapstructure:"notify"`
	Sources  map[string]Source `mapstructure:"sources"` // key = source name, [a-z][a-z0-9_]*

	// EnvWarnings name the LIPWATCH_ environment variables set that no
	// key takes (misspelt, most likely), for the caller to log.
	EnvWarnings []string `mapstructure:"-"`

	// Path is the absolute path of the file loaded.
	Path string `mapstructure:"-"`
	// Dir is Path's directory; relative paths in the configuration resolve
	// against it, not against the working directory, so a nightly job started
	// from anywhere reads the same files.
	Dir string `mapstructure:"-"`

	loc *time.Location
	// sourceOrder is the sources' names in the order the file gives them.
	sourceOrder []string
}

// County identifies the county the tool runs for.
type County struct {
	// Code is the county's six-digit administrative division code.
	Code string `mapstructure:"code"`
	// Name is the county's name, for reports.
	Name string `mapstructure:"name"`
	// Timezone is an IANA zone name; dates (as-of, deadlines, schedules)
	// are days in this zone. Default Asia/Shanghai.
	Timezone string `mapstructure:"timezone"`
	// Townships maps a township's nine-digit division code, which starts
	// with Code, to its name; township lists are named after it. Optional:
	// a township not listed goes by its code. It is a mapping, so it can
	// only be written in the file, not set from the environment.
	Townships map[string]string `mapstructure:"townships"`
	// Divisions is an optional file (UTF-8 CSV: 代码,名称) naming the
	// county's townships and villages, so that lists show 西关社区 rather
	// than 340799001004; `lipwatch gen` writes one. Names in Townships win.
	Divisions string `mapstructure:"divisions"`
}

// Store configures the DuckDB file.
type Store struct {
	// Path of the database file, relative to the config file's directory
	// unless absolute. Default lipwatch.duckdb.
	Path string `mapstructure:"path"`
	// Threads caps DuckDB's worker threads; 0 leaves DuckDB's default.
	Threads int `mapstructure:"threads"`
	// MemoryLimit is DuckDB's memory_limit, e.g. "2GB"; "" leaves the default.
	MemoryLimit string `mapstructure:"memory_limit"`
	// TempDirectory is where DuckDB spills what does not fit in
	// memory_limit (large joins and sorts at province scale), relative to
	// the config file's directory unless absolute; "" leaves DuckDB's
	// default, the store's path with .tmp. It holds the same personal data
	// as the store: keep it on the same protected disk.
	TempDirectory string `mapstructure:"temp_directory"`
	// CheckpointThreshold is the size of the write-ahead log past which a
	// commit writes it into the store's file (DuckDB's checkpoint_threshold),
	// e.g. "64MB"; "" is lipwatch's default, 64MB (store.DefaultCheckpointThreshold).
	CheckpointThreshold string `mapstructure:"checkpoint_threshold"`
}

// Log configures the process log.
type Log struct {
	// Level is debug, info, warn or error. Default info.
	Level string `mapstructure:"level"`
	// Format is text or json. Default text.
	Format string `mapstructure:"format"`
}

// Sync configures pulling sources into the store.
type Sync struct {
	// SourceTimeout bounds one source's sync. Default 15m.
	SourceTimeout Duration `mapstructure:"source_timeout"`
	// QuarantineKeep is how long quarantined rows are kept. Default 180d.
	QuarantineKeep Duration `mapstructure:"quarantine_keep"`
	// XLSXMaxUnzipped bounds what the parts of a source's workbook that
	// are read (its sheet, shared strings, styles and workbook part) may
	// inflate to, added up, as the zip archive declares them: a workbook
	// past it fails, naming the file and the part, before anything is
	// inflated (a zip bomb: 195 KB that inflate to gigabytes). At least
	// MinXLSXLimit; default 1GiB (a county's 350,000-row registry inflates
	// to some 150 MB).
	XLSXMaxUnzipped Size `mapstructure:"xlsx_max_unzipped"`
	// XLSXMaxSharedStrings bounds the memory a source's workbook's shared
	// strings table may take (it is held whole while the sheet is read): a
	// workbook past it fails, naming the file. At least MinXLSXLimit;
	// default 256MiB (a county's 350,000-row registry needs some 40 MB).
	XLSXMaxSharedStrings Size `mapstructure:"xlsx_max_shared_strings"`
	// Workers is how many sources load at once (ingest.Syncer.Workers),
	// 1 to MaxSyncWorkers; default DefaultSyncWorkers. The sources of one
	// dataset load one after another whatever it is. Each load in flight
	// holds its own transaction's rows in DuckDB's memory until it
	// commits, so a store.memory_limit is shared among them.
	Workers int `mapstructure:"workers"`
}

// DefaultSyncWorkers loads two sources at once, which fills a county
// server's two cores better than one load (it keeps about 1.5 busy).
// Measured for issue 14 on the 2-core machine, 2026-12-03, each on a fresh
// store: the 10m night (run --full, memory_limit 5GB) took 569.7 s with
// two against 649.8 s with one, peak RSS 7.05 GB against 7.01 GB (DuckDB's
// share is bounded by store.memory_limit, which the loads in flight
// share); the 1m county's sync of every source 28.6 s against 33.2 s, peak
// RSS 1.36 GB against 1.03 GB. Set 1 on a one-core server. MaxSyncWorkers
// bounds the setting.
const (
	DefaultSyncWorkers = 2
	MaxSyncWorkers     = 16
)

// MinXLSXLimit is the least sync.xlsx_max_unzipped and
// sync.xlsx_max_shared_strings may be: below it, ordinary workbooks would
// fail.
const MinXLSXLimit = MiB

// Rules configures where the screening rules are read from.
type Rules struct {
	// Dir holds the rule files, relative to the config file's directory
	// unless absolute (see Config.Resolve). Default rules.
	Dir string `mapstructure:"dir"`
}

// Cases configures how long a dispatched case may stay open and when a
// closed one may be raised again.
type Cases struct {
	// DeadlineDays is how many working days a township has to close a case
	// from the day it is dispatched: the county's own promise, within the
	// national rule of 30. 1 to 365; default 15.
	DeadlineDays int `mapstructure:"deadline_days"`
	// ExtensionDays is the deadline, in working days from dispatch, of a
	// case whose deadline was extended. At least DeadlineDays; default 25.
	ExtensionDays int `mapstructure:"extension_days"`
	// Calendar is the holiday calendar that says which days are working
	// days (adjusted weekends included), relative to the config file's
	// directory unless absolute. Default rules/holidays.yaml.
	Calendar string `mapstructure:"calendar"`
	// Cooldown is how long, after a case is closed as not eligible, the
	// same rule raises no new case for it unless the evidence worsens.
	// 0 turns this off; default 180d.
	Cooldown Duration `mapstructure:"cooldown"`
	// ReopenAfter is the same for a case closed with any other outcome.
	// 0 turns this off; default 30d.
	ReopenAfter Duration `mapstructure:"reopen_after"`
}

// Dispatch configures the lists handed to the townships.
type Dispatch struct {
	// Dir is where lists are written, relative to the config file's
	// directory unless absolute. Default out/lists.
	Dir string `mapstructure:"dir"`
	// Formats are the file formats each list is written in, each one of
	// DispatchFormats, at least one and none twice. Read case-insensitively
	// and kept lower-case. From the environment, comma-separated:
	// LIPWATCH_DISPATCH_FORMATS=xlsx,csv. Default xlsx and csv.
	Formats []string `mapstructure:"formats"`
	// Unmasked writes ID numbers in full; by default (false) lists show
	// them masked.
	Unmasked bool `mapstructure:"unmasked"`
}

// Schedule configures the long-running service.
type Schedule struct {
	// Nightly is the standard five-field cron expression ("30 2 * * *")
	// of the nightly run, in the county's time zone, checked as a source's
	// schedule is. Required; default "30 2 * * *".
	Nightly string `mapstructure:"nightly"`
	// ShutdownGrace is how long the service, asked to stop, lets running
	// work finish before cancelling it. Positive; default 5m.
	ShutdownGrace Duration `mapstructure:"shutdown_grace"`
	// BusyWait bounds how long a scheduled run that finds the store held
	// by another lipwatch process (cases list, feedback import, a manual
	// run) keeps trying before it gives up; a nightly run given up is run
	// when the store frees. Positive; default 30m.
	BusyWait Duration `mapstructure:"busy_wait"`
	// BusyRetry is the first wait before trying a busy store again; it
	// doubles up to four times this, each wait jittered (down by up to
	// half). Positive; default 30s.
	BusyRetry Duration `mapstructure:"busy_retry"`
}

// Portal is the township portal `lipwatch serve` runs (issue 10).
type Portal struct {
	// Listen is the portal's address, e.g. "127.0.0.1:8080" behind the
	// county's reverse proxy; "" runs no portal. Default "".
	Listen string `mapstructure:"listen"`
	// PublicURL is the address townships type, e.g.
	// https://jiuzhu.example.gov.cn, when a reverse proxy in front of the
	// portal changes the scheme or host: forms posted from it are taken as
	// the portal's own (the CSRF origin check), and notifications link to
	// it. Optional.
	PublicURL string `mapstructure:"public_url"`
	// TrustedProxies are the addresses (IPs or CIDRs) of the reverse
	// proxies in front of the portal: from them, the client's address is
	// the last one they add to X-Forwarded-For — for the per-address login
	// limit and the audit. From anyone else the header is ignored.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// TLSCert and TLSKey are PEM files; both or neither. Without them the
	// portal speaks plain HTTP (the reverse proxy terminates TLS).
	TLSCert string `mapstructure:"tls_cert"`
	TLSKey  string `mapstructure:"tls_key"`
	// SecureCookies marks the session cookie Secure: browsers send it
	// only over HTTPS (and to localhost). Turn it off only for a portal
	// reached over plain HTTP on a closed network. Default true.
	SecureCookies bool `mapstructure:"secure_cookies"`
	// SessionLifetime is the longest a login lasts; IdleTimeout ends a
	// session not used for that long. Defaults 12h and 30m.
	SessionLifetime Duration `mapstructure:"session_lifetime"`
	IdleTimeout     Duration `mapstructure:"idle_timeout"`
	// LoginMaxFailures wrong passwords in a row lock an account for
	// Lockout. Defaults 5 and 15m (the figures of GB/T 22239-2019 level
	// 3's "login failure handling": lock after a few failures for a while).
	LoginMaxFailures int      `mapstructure:"login_max_failures"`
	Lockout          Duration `mapstructure:"lockout"`
	// PasswordMinLength is the shortest password accepted. Default 10.
	PasswordMinLength int `mapstructure:"password_min_length"`
}

// Link sets identity resolution (身份识别, engine/link): the department
// rows whose ID number is missing, unusable, of nobody in the registry, or
// a registry person's under another name are linked to registry people by
// probability after every sync of `lipwatch run` (and by `lipwatch links
// run`). Each row gets one of three outcomes from its best candidate's
// match probability: linked at Auto or above (when it also leads the
// second candidate by MarginBits), the review queue from Review, else
// unmatched.
type Link struct {
	// Enabled runs the linking step in `lipwatch run`. Default true.
	Enabled bool `mapstructure:"enabled"`
	// Auto is the match probability from which a row is linked without a
	// person (0 < Review <= Auto < 1). Default 0.99.
	Auto float64 `mapstructure:"auto"`
	// Review is the probability from which a row waits for an analyst.
	// Default 0.5.
	Review float64 `mapstructure:"review"`
	// MarginBits is the match weight, in bits, by which the best candidate
	// must lead the second to be linked automatically (5 bits: 32 times
	// as likely). Default 5.
	MarginBits float64 `mapstructure:"margin_bits"`
	// RefutationExpires is how long an analyst's rejection of a link
	// (links reject: 均不是本人) holds: after it the row is linked again
	// and, whatever the linker finds, waits for review, so that a person
	// renews the refutation or confirms a match (18F piipan's rule for
	// refuted matches). 0: rejections never expire. Default 365d.
	RefutationExpires Duration `mapstructure:"refutation_expires"`
}

// Quality sets when a source counts as degraded (the rules that read it
// raise no new warnings that night) and the thresholds of the cross-source
// data-quality guards shown after every sync and by `lipwatch sources
// report`. Percentages are whole numbers from 0 to 100.
type Quality struct {
	// DegradedQuarantinedPct: a file (stream) with more than this share of
	// its rows quarantined degrades its source; 0 makes any bad row do so,
	// 100 turns the check off (a file without data rows still degrades
	// its source). Default 50.
	DegradedQuarantinedPct int `mapstructure:"degraded_quarantined_pct"`
	// UnmatchedIDsPct: warn when more than this share of a source's
	// distinct ID numbers match no person in the registry (a mistyped or
	// zero-padded ID column, another county's file). Default 20.
	UnmatchedIDsPct int `mapstructure:"unmatched_ids_pct"`
	// UnjoinedHouseholdsPct: warn when more than this share of a source's
	// distinct 户号 join no household of the registry (a 户号 damaged by
	// Excel, padded, or from another numbering). Default 10.
	UnjoinedHouseholdsPct int `mapstructure:"unjoined_households_pct"`
	// SplitHouseholds: warn when more registry households than this have
	// members in several townships or villages. Default 0.
	SplitHouseholds int `mapstructure:"split_households"`
	// RowDropPct: warn when a file brings this share fewer rows than its
	// baseline (the same file's previous version, or the source's typical
	// file). Default 50.
	RowDropPct int `mapstructure:"row_drop_pct"`
}

// Source is one department's data feed: a connector kind with its options,
// the dataset it fills, and how its columns and values map onto the dataset.
type Source struct {
	// Kind is a registered connector kind (see connectors.Kinds).
	Kind string `mapstructure:"kind"`
	// Dataset is the canonical dataset the source fills (see dataset.Names).
	Dataset string `mapstructure:"dataset"`
	// Enabled is nil when the file does not say; use IsEnabled.
	Enabled *bool `mapstructure:"enabled"`
	// Schedule is an optional standard cron expression ("0 2 * * *") in the
	// county's time zone; "" means the source syncs only with the nightly run.
	Schedule string `mapstructure:"schedule"`
	// Options are the connector kind's settings, checked by its Spec.
	// Keys (also of nested maps) are lower-cased by viper.
	Options map[string]any `mapstructure:"options"`
	// Columns maps a dataset field to the source's column header.
	Columns map[string]string `mapstructure:"columns"`
	// Values maps a dataset field to extra aliases: source value ->
	// canonical value. The source values are lower-cased by viper, which
	// is harmless because aliases are matched case-insensitively.
	Values map[string]map[string]string `mapstructure:"values"`
	// Formats says how a field's values are written where the values
	// cannot tell (dataset.CheckFormat), e.g. issued_date: epoch_ms for an
	// API that sends dates as milliseconds since 1970.
	Formats map[string]string `mapstructure:"formats"`
	// OnConflict says what to do with a row whose natural key is already
	// loaded with other values: "keep" (default) keeps the loaded row and
	// quarantines the new one as key_conflict for an analyst; "replace"
	// takes the new one (a source that sends corrections or updates).
	OnConflict string `mapstructure:"on_conflict"`
	// MissingValues are values that mean "no value" in this source, in
	// every column, beyond the built-in marks (dataset.Mapping.Missing):
	// e.g. [暂缺, "-1"] for a department that writes those.
	MissingValues []string `mapstructure:"missing_values"`
	// Reconcile, when set, reads an incremental source (http, sql with a
	// watermark) in full every so often ("7d"), right after that night's
	// incremental read, to find what incremental reads missed: records
	// older than the lookback when they arrived, or with no watermark
	// value. The rows it finds are counted in the ledger (NoteFullRead).
	Reconcile Duration `mapstructure:"reconcile"`
}

// Mapping is how the source's columns and values map onto its dataset.
func (s Source) Mapping() dataset.Mapping {
	return dataset.Mapping{Columns: s.Columns, Values: s.Values, Formats: s.Formats, Missing: s.MissingValues}
}

// IsEnabled reports whether the source takes part in syncs; a source is
// enabled unless it says enabled: false.
func (s Source) IsEnabled() bool {
	return s.Enabled == nil || *s.Enabled
}

// Resolve returns p made absolute against the config file's directory.
// An absolute p and "" are returned unchanged.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// Location returns the county's time zone. A Config that was not loaded
// (or names no zone) gets Asia/Shanghai.
func (c *Config) Location() *time.Location {
	if c.loc != nil {
		return c.loc
	}
	name := c.County.Timezone
	if name == "" {
		name = DefaultTimezone
	}
	if loc, err := time.LoadLocation(name); err == nil {
		return loc
	}
	// China has kept UTC+8 without daylight saving since 1991.
	return time.FixedZone("CST", 8*60*60)
}

// SourceOrder lists the configured sources in the order the file gives
// them; any not in the file (set otherwise) follow, sorted. Sources of one
// dataset load in this order, which matters where a later load supersedes
// an earlier one (the registry): the file's order is the analyst's.
func (c *Config) SourceOrder() []string {
	out := make([]string, 0, len(c.Sources))
	seen := map[string]bool{}
	for _, n := range c.sourceOrder {
		if _, ok := c.Sources[n]; ok && !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	for _, n := range c.SourceNames() {
		if !seen[n] {
			out = append(out, n)
		}
	}
	return out
}

// SourceNames lists the configured sources, sorted.
func (c *Config) SourceNames() []string {
	out := make([]string, 0, len(c.Sources))
	for n := range c.Sources {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Defaults of keys the file may leave out.
const (
	DefaultTimezone       = "Asia/Shanghai"
	DefaultStorePath      = "lipwatch.duckdb"
	DefaultLogLevel       = "info"
	DefaultLogFormat      = "text"
	DefaultSourceTimeout  = Duration(15 * time.Minute)
	DefaultQuarantineKeep = Duration(180 * Day)
	DefaultRulesDir       = "rules"
	DefaultDeadlineDays   = 15
	DefaultExtensionDays  = 25
	DefaultCalendar       = "rules/holidays.yaml"
	DefaultCooldown       = Duration(180 * Day)
	DefaultReopenAfter    = Duration(30 * Day)
	DefaultDispatchDir    = "out/lists"
	DefaultNightly        = "30 2 * * *"
	DefaultShutdownGrace  = Duration(5 * time.Minute)
	DefaultBusyWait       = Duration(30 * time.Minute)
	DefaultBusyRetry      = Duration(30 * time.Second)

	DefaultSessionLifetime   = Duration(12 * time.Hour)
	DefaultIdleTimeout       = Duration(30 * time.Minute)
	DefaultLoginMaxFailures  = 5
	DefaultLockout           = Duration(15 * time.Minute)
	DefaultPasswordMinLength = 10

	DefaultDegradedQuarantinedPct = 50
	DefaultUnmatchedIDsPct        = 20
	DefaultUnjoinedHouseholdsPct  = 10
	DefaultSplitHouseholds        = 0
	DefaultRowDropPct             = 50

	DefaultLinkAuto       = 0.99
	DefaultLinkReview     = 0.5
	DefaultLinkMarginBits = 5.0
	// DefaultLinkRefutationExpires is Link.RefutationExpires' default.
	DefaultLinkRefutationExpires = Duration(365 * Day)

	DefaultXLSXMaxUnzipped      = GiB
	DefaultXLSXMaxSharedStrings = 256 * MiB
)

// MaxDeadlineDays bounds cases.deadline_days.
const MaxDeadlineDays = 365

// DispatchFormats lists the formats dispatch.formats may name; all of them,
// in this order, are the default.
func DispatchFormats() []string {
	return []string{"xlsx", "csv"}
}

// StoreTempDirectory is store.temp_directory resolved against the config
// file's directory, "" when unset (DuckDB's default).
func (c *Config) StoreTempDirectory() string {
	if c.Store.TempDirectory == "" {
		return ""
	}
	return c.Resolve(c.Store.TempDirectory)
}
