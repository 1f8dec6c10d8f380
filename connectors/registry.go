package connectors

import (
	"fmt"
	"sort"
	"sync"
	"time"
)

// Options are a source's kind-specific settings from config, keyed by the
// option's name (e.g. "path", "encoding", "sheet").
type Options map[string]any

// Source is what a connector is built from.
type Source struct {
	// Name is the source's name in config, used in every message.
	Name string
	// BaseDir resolves relative paths (the config file's directory).
	BaseDir string
	// Options are the kind-specific settings.
	Options Options
	// Location is the county's time zone (config county.timezone): the
	// zone of times a source writes without one, unless the source's
	// options name another. nil: see Zone.
	Location *time.Location
}

// Zone is the source's Location, or UTC+8 (China Standard Time, which
// has had no daylight saving since 1991) when none was given.
func (s Source) Zone() *time.Location {
	if s.Location != nil {
		return s.Location
	}
	return chinaTime
}

var chinaTime = time.FixedZone("CST", 8*3600)

// Field describes one option of a connector kind, derived from the tags
// of the kind's options struct (see KindSpec): for the config's
// environment variables, the docs and their checks.
type Field struct {
	Name string
	// Type is "string", "int", "bool", "duration", "list", or an
	// OptionValue's own (OptionTyper: "lookback").
	Type string
	// Default is the value when the option is not given, as one writes it
	// ("30m", "1", "0,200"); "" when there is none. When Computed, it says
	// how the kind works the default out from other options.
	Default  string
	Computed bool
	Required bool
	Enum     []string
	Doc      string
	Example  string
}

// Spec is a registered connector kind: its options and how to build it.
// Make it with KindSpec.Spec.
type Spec struct {
	Kind string
	Doc  string
	// Fields are the kind's options, in the order its struct declares
	// them.
	Fields []Field
	// Incremental: see KindSpec.
	Incremental bool

	fields *fields
	decode func(Options) (any, error)
	build  func(Source, any) (Connector, error)
}

var (
	mu    sync.RWMutex
	specs = map[string]Spec{}
)

// Register makes a connector kind available. It panics on a duplicate kind
// and on a Spec not made by KindSpec.Spec, as those are programming errors
// found at start-up.
func Register(s Spec) {
	mu.Lock()
	defer mu.Unlock()
	if s.decode == nil {
		panic("connectors: kind " + s.Kind + " has no options struct: make its Spec with KindSpec")
	}
	if _, dup := specs[s.Kind]; dup {
		panic("connectors: kind registered twice: " + s.Kind)
	}
	specs[s.Kind] = s
}

// Lookup returns the spec of a kind.
func Lookup(kind string) (Spec, bool) {
	mu.RLock()
	defer mu.RUnlock()
	s, ok := specs[kind]
	return s, ok
}

// Kinds lists the registered kinds, sorted.
func Kinds() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, 0, len(specs))
	for k := range specs {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// New builds a connector for src with the registered kind, from its
// options decoded and checked as Spec.Check does; their problems are
// OptionErrors, joined, under "source NAME: ".
func New(kind string, src Source) (Connector, error) {
	s, ok := Lookup(kind)
	if !ok {
		return nil, fmt.Errorf("source %s: unknown connector kind %q (known: %v)", src.Name, kind, Kinds())
	}
	opts, err := s.decode(src.Options)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	return s.build(src, opts)
}
