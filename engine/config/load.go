package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"

	"github.com/lipwatch/lipwatch/engine/internal/yamldiag"
	"github.com/lipwatch/lipwatch/engine/internal/yamlguard"
)

// EnvPrefix starts every environment variable that overrides a key.
const EnvPrefix = "LIPWATCH_"

// delim separates viper key segments. It is not "." because keys under
// values: are the departments' own values, and "1.0" or "No.1" must stay
// one key instead of being split into nested maps.
const delim = "::"

// Load reads the configuration file at path, applies LIPWATCH_* overrides
// from the environment and the defaults, and validates the result. A file
// that cannot be read gives a wrapped *fs.PathError (errors.Is(err,
// fs.ErrNotExist) works); a file with problems gives an *Error listing them
// all.
func Load(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read config: %w", err)
	}
	return Parse(path, data)
}

// Parse is Load for a file already read, such as an embedded default.
// name is used in messages and, made absolute, as Config.Path; relative
// paths in the configuration resolve against its directory.
func Parse(name string, data []byte) (*Config, error) {
	abs, err := filepath.Abs(name)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	c := newCollector(name)

	// The file is parsed once, into yaml.Node: the nodes give every key's
	// line and column. Its values, decoded from the nodes, are what viper
	// merges with the defaults and the environment.
	doc, ok := c.diag.Parse(name, data)
	if !ok {
		return nil, c.err()
	}
	var bomb *yamlguard.Error
	if err := yamlguard.Check(doc); errors.As(err, &bomb) {
		c.diag.Addf(yamldiag.Pos{File: name, Line: bomb.Line, Col: bomb.Col}, "%s", bomb.Error())
		return nil, c.err()
	}
	if len(doc.Content) > 0 && doc.Content[0].Kind != yaml.MappingNode {
		c.diag.Addf(yamldiag.NodePos(name, doc.Content[0]), "want a mapping of keys (county:, store:, sources:, ...) at the top level")
		return nil, c.err()
	}
	c.index(doc, "", 0)
	// Decoding catches what the parser lets through, such as a key
	// written twice in one mapping.
	var raw map[string]any
	if err := doc.Decode(&raw); err != nil {
		c.diag.DecodeError(name, doc, err)
		return nil, c.err()
	}
	lower, _ := lowerKeys(raw).(map[string]any) // before viper lower-cases raw in place

	v := viper.NewWithOptions(viper.KeyDelimiter(delim))
	if raw != nil {
		_ = v.MergeConfigMap(raw) // never fails
	}
	setDefaults(v)
	c.bindEnv(v)

	cfg := &Config{Path: abs, Dir: filepath.Dir(abs)}
	d := decoder{c: c}
	// AllSettings drops keys whose value is null or an empty mapping; put
	// them back so that a misspelt "sourcs: {}" is still reported.
	settings := v.AllSettings()
	fillMissing(settings, lower)
	d.decode("", settings, reflect.ValueOf(cfg).Elem(), false)
	cfg.sourceOrder = mappingKeys(doc, "sources")
	c.validate(cfg)
	if err := c.err(); err != nil {
		return nil, err
	}
	cfg.EnvWarnings = c.unknownEnv(cfg)
	return cfg, nil // cfg.loc was set while validating the zone
}

func setDefaults(v *viper.Viper) {
	var formats []any
	for _, f := range DispatchFormats() {
		formats = append(formats, f)
	}
	for k, val := range map[string]any{
		"county.timezone":         DefaultTimezone,
		"store.path":              DefaultStorePath,
		"log.level":               DefaultLogLevel,
		"log.format":              DefaultLogFormat,
		"sync.source_timeout":     DefaultSourceTimeout.String(),
		"sync.quarantine_keep":    DefaultQuarantineKeep.String(),
		"rules.dir":               DefaultRulesDir,
		"cases.deadline_days":     DefaultDeadlineDays,
		"cases.extension_days":    DefaultExtensionDays,
		"cases.calendar":          DefaultCalendar,
		"cases.cooldown":          DefaultCooldown.String(),
		"cases.reopen_after":      DefaultReopenAfter.String(),
		"dispatch.dir":            DefaultDispatchDir,
		"dispatch.formats":        formats, // as a list read from the file
		"schedule.nightly":        DefaultNightly,
		"schedule.shutdown_grace": DefaultShutdownGrace.String(),
		"schedule.busy_wait":      DefaultBusyWait.String(),
		"schedule.busy_retry":     DefaultBusyRetry.String(),

		"quality.degraded_quarantined_pct": DefaultDegradedQuarantinedPct,
		"quality.unmatched_ids_pct":        DefaultUnmatchedIDsPct,
		"quality.unjoined_households_pct":  DefaultUnjoinedHouseholdsPct,
		"quality.split_households":         DefaultSplitHouseholds,
		"quality.row_drop_pct":             DefaultRowDropPct,

		"link.enabled":            true,
		"link.auto":               DefaultLinkAuto,
		"link.review":             DefaultLinkReview,
		"link.margin_bits":        DefaultLinkMarginBits,
		"link.refutation_expires": DefaultLinkRefutationExpires.String(),

		"portal.secure_cookies":      true,
		"portal.session_lifetime":    DefaultSessionLifetime.String(),
		"portal.idle_timeout":        DefaultIdleTimeout.String(),
		"portal.login_max_failures":  DefaultLoginMaxFailures,
		"portal.lockout":             DefaultLockout.String(),
		"portal.password_min_length": DefaultPasswordMinLength,

		"sync.xlsx_max_unzipped":       DefaultXLSXMaxUnzipped.String(),
		"sync.xlsx_max_shared_strings": DefaultXLSXMaxSharedStrings.String(),
		"sync.workers":                 DefaultSyncWorkers,
	} {
		v.SetDefault(strings.ReplaceAll(k, ".", delim), val)
	}
	for _, defaults := range []map[string]any{opsDefaults(), notifyDefaults()} {
		for k, val := range defaults {
			v.SetDefault(strings.ReplaceAll(k, ".", delim), val)
		}
	}
}

// bindEnv binds an environment variable to every leaf key the schema
// knows, so that an override works even for a key the file leaves out
// (viper's AutomaticEnv only consults the environment for keys it already
// knows from the file or defaults). Source keys are bound for the sources
// the file names: their fixed keys, every option of their connector kind
// and a column for every field of their dataset.
func (c *collector) bindEnv(v *viper.Viper) {
	bind := func(parts ...string) {
		key := strings.Join(parts, delim)
		name := EnvPrefix + strings.ToUpper(strings.Join(parts, "_"))
		_ = v.BindEnv(key, name) // only fails without a key
		c.bound[name] = true
		if os.Getenv(name) != "" {
			c.env[strings.Join(parts, ".")] = name
		}
	}
	var top [][]string
	leaves(reflect.TypeFor[Config](), nil, &top)
	for _, p := range top {
		bind(p...)
	}

	sources, _ := v.Get("sources").(map[string]any)
	var own [][]string
	leaves(reflect.TypeFor[Source](), nil, &own)
	for _, name := range sortedKeys(sources) {
		prefix := []string{"sources", name}
		for _, p := range own {
			bind(append(slices.Clone(prefix), p...)...)
		}
		// Read after binding, so that LIPWATCH_SOURCES_X_KIND counts too.
		if kind, ok := v.Get(strings.Join(append(prefix, "kind"), delim)).(string); ok {
			if spec, ok := connectors.Lookup(kind); ok {
				for _, f := range spec.Fields {
					bind("sources", name, "options", strings.ToLower(f.Name))
				}
			}
		}
		if ds, ok := v.Get(strings.Join(append(prefix, "dataset"), delim)).(string); ok {
			if d, ok := dataset.Lookup(ds); ok {
				for _, f := range d.Fields {
					bind("sources", name, "columns", f.Name)
				}
			}
		}
	}
}

// leaves appends the path of every scalar or list key of struct type t,
// following mapstructure tags. Maps are skipped: their keys are not in the
// schema.
func leaves(t reflect.Type, prefix []string, out *[][]string) {
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("mapstructure")
		if tag == "" || tag == "-" {
			continue
		}
		p := append(slices.Clone(prefix), tag)
		switch {
		case f.Type == durationType, f.Type == sizeType:
			*out = append(*out, p)
		case f.Type.Kind() == reflect.Struct:
			leaves(f.Type, p, out)
		case f.Type.Kind() == reflect.Map:
		default:
			*out = append(*out, p)
		}
	}
}

// fillMissing copies into dst the keys of src that dst lacks.
func fillMissing(dst, src map[string]any) {
	for k, sv := range src {
		dv, ok := dst[k]
		if !ok {
			dst[k] = sv
			continue
		}
		dm, dok := dv.(map[string]any)
		sm, sok := sv.(map[string]any)
		if dok && sok {
			fillMissing(dm, sm)
		}
	}
}

// lowerKeys lower-cases mapping keys as viper does.
func lowerKeys(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[strings.ToLower(k)] = lowerKeys(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = lowerKeys(e)
		}
		return out
	}
	return v
}

// notSettings are LIPWATCH_ variables that are not config keys: the
// config file's path, and the test hooks.
var notSettings = []string{"LIPWATCH_CONFIG", "LIPWATCH_CRASH_AT", "LIPWATCH_SCREENSHOT_DIR", "LIPWATCH_RENDER_DIR", "LIPWATCH_PRIVACY_BIN"}
var notSettingPrefixes = []string{"LIPWATCH_TEST_", "LIPWATCH_KILL_", "LIPWATCH_BENCH_"}

// unknownEnv lists the LIPWATCH_ variables set that no key takes (a
// misspelt LIPWATCH_STORE_PATHH would be ignored in silence), with the
// closest known name; a variable the config names as a secret's source
// (…_env) is not one of them.
func (c *collector) unknownEnv(cfg *Config) []string {
	secrets := map[string]bool{}
	for _, r := range cfg.Notify.Receivers {
		for _, n := range []string{r.KeyEnv, r.TokenEnv, r.SecretEnv, r.PasswordEnv} {
			secrets[n] = true
		}
	}
	for _, src := range cfg.Sources {
		for k, v := range src.Options {
			if s, ok := v.(string); ok && strings.HasSuffix(k, "_env") {
				secrets[s] = true
			}
		}
	}
	known := make([]string, 0, len(c.bound))
	for n := range c.bound {
		known = append(known, n)
	}
	slices.Sort(known)
	var out []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(name, EnvPrefix) || c.bound[name] || secrets[name] || slices.Contains(notSettings, name) ||
			slices.ContainsFunc(notSettingPrefixes, func(p string) bool { return strings.HasPrefix(name, p) }) {
			continue
		}
		out = append(out, name+" is set but is no setting lipwatch knows: it is ignored"+envHint(name, known))
	}
	slices.Sort(out)
	return out
}

// mappingKeys lists, in the file's order and lower-cased as viper keys
// are, the keys of the top-level mapping key of doc; nil when it is
// missing or not a mapping.
func mappingKeys(doc *yaml.Node, key string) []string {
	if doc == nil || len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil
	}
	top := doc.Content[0].Content
	for i := 0; i+1 < len(top); i += 2 {
		if !strings.EqualFold(top[i].Value, key) || top[i+1].Kind != yaml.MappingNode {
			continue
		}
		var out []string
		m := top[i+1].Content
		for j := 0; j+1 < len(m); j += 2 {
			out = append(out, strings.ToLower(m[j].Value))
		}
		return out
	}
	return nil
}
