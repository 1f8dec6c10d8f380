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

// Field describes one option of a connector kind, for validation and docs.
type Field struct {
	Name     string
	Type     string // "string", "int", "bool", "duration", "list", "lookback" (a duration or a whole number)
	Default  any
	Required bool
	Enum     []string
	Doc      string
	Example  string
}

// Spec declares a connector kind: its options and how to build it.
type Spec struct {
	Kind   string
	Doc    string
	Fields []Field
	// Validate, when set, checks what the field list cannot express
	// (ranges, options that go together); Check calls it after the
	// per-field checks pass.
	Validate func(Options) error
	New      func(src Source) (Connector, error)
	// Incremental says the kind's streams can read only what changed
	// since a saved watermark (connectors.Incremental), so that a
	// periodic full re-read (config reconcile) means something.
	Incremental bool
}

var (
	mu    sync.RWMutex
	specs = map[string]Spec{}
)

// Register makes a connector kind available. It panics on a duplicate kind,
// as that is a programming error found at start-up.
func Register(s Spec) {
	mu.Lock()
	defer mu.Unlock()
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

// New builds a connector for src with the registered kind, after checking
// the options against the kind's spec.
func New(kind string, src Source) (Connector, error) {
	s, ok := Lookup(kind)
	if !ok {
		return nil, fmt.Errorf("source %s: unknown connector kind %q (known: %v)", src.Name, kind, Kinds())
	}
	if err := s.Check(src.Options); err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	return s.New(src)
}
