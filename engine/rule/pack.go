package rule

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"

	"github.com/lipwatch/lipwatch/engine/internal/yamldiag"
)

// File names in the rules directory with a fixed role.
const (
	// FactsFile defines the facts; it is read first.
	FactsFile = "facts.yaml"
	// HolidaysFile is the working-day calendar, read by another package;
	// Load skips it.
	HolidaysFile = "holidays.yaml"
)

// Pack is a loaded rules directory: facts, params and rules, type-checked
// and compiled. It is safe for concurrent use; Envs are not.
type Pack struct {
	Groups     []*Group
	Params     map[string]*Param
	Rules      []*Rule // in file order, files by name
	Escalation Escalation
	// Version identifies the content of the rule files: "sha256:" and the
	// hex digest of every file read, in the order of Files, with its name.
	// Record it with results: same Version, same rules.
	Version string
	// Files are the paths read: facts.yaml, then the rule files by name.
	Files []string
	// Warnings are problems that do not stop the rules from loading but
	// deserve an analyst's look (a division whose divisor may be 0), in
	// file order, each with its place and a caret snippet.
	Warnings []*Warning

	fields    []Field
	groupIdx  map[string]map[string]int // group -> field -> index in fields
	fieldPath [][2]int                  // index in fields -> (group, field) in the env struct
	paramList []*Param                  // by name; index = place in the params struct
	paramsAt  int                       // the params struct's place in the env struct
	envType   reflect.Type
	typeNames *strings.Replacer // Go struct type names -> "facts group X" in messages
	opts      []expr.Option
	rulesByID map[string]*Rule
	sites     []site              // the checked arithmetic of every expression, by index
	files     *yamldiag.Collector // the load's: the files' order and lines, for FactError
}

// Load reads and compiles the rules directory dir: dir/facts.yaml, then
// every other dir/*.yaml by name (skipping holidays.yaml). It reports
// every problem it finds, not just the first, as Errors with file:line:col
// and a caret snippet each.
func Load(dir string) (*Pack, error) {
	if dir == "" {
		return nil, fmt.Errorf("read rules directory: no path given")
	}
	return load(os.DirFS(dir), dir)
}

// load is Load reading the files from fsys, naming them in messages as
// under dir.
func load(fsys fs.FS, dir string) (*Pack, error) {
	c := newCollector()
	p := &Pack{Params: map[string]*Param{}, groupIdx: map[string]map[string]int{}, rulesByID: map[string]*Rule{}}

	names, err := ruleFiles(fsys)
	if err != nil {
		return nil, err
	}
	hash := sha256.New()
	read := func(name string) ([]byte, bool) {
		path := filepath.Join(dir, name)
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				err = pe.Err // the path is in the position already
			}
			c.add(Pos{File: path}, "cannot read: %v", err)
			return nil, false
		}
		p.Files = append(p.Files, path)
		fmt.Fprintf(hash, "%s\x00%d\x00", name, len(data))
		hash.Write(data)
		return data, true
	}

	broken := brokenNames{facts: map[string]bool{}, params: map[string]bool{}}
	if data, ok := read(FactsFile); ok {
		f := &yfile{name: filepath.Join(dir, FactsFile), c: c}
		root := f.parseYAML(data)
		if f.syntaxErr {
			broken.facts = nil // reported; rules are not checked against facts that did not parse
		} else {
			p.Groups, broken.facts = parseFacts(f, root, p.Params, broken.params)
		}
	} else {
		broken.facts = nil // nothing can be checked against missing facts
	}
	for _, g := range p.Groups {
		p.groupIdx[g.Name] = map[string]int{}
		for i := range g.Fields {
			g.Fields[i].Index = len(p.fields)
			p.groupIdx[g.Name][g.Fields[i].Name] = len(p.fields)
			p.fields = append(p.fields, g.Fields[i])
		}
	}

	var rules []*parsedRule
	var escPos *Pos
	for _, name := range names {
		data, ok := read(name)
		if !ok {
			continue
		}
		f := &yfile{name: filepath.Join(dir, name), c: c}
		root := f.parseYAML(data)
		if root == nil {
			continue
		}
		top, _ := f.keys(root, "", "a mapping with params, rules and escalation", "params", "rules", "escalation", "facts")
		if fp, has := top["facts"]; has {
			f.errf(fp.key, "", "facts are defined in %s only", FactsFile)
		}
		if pp, has := top["params"]; has {
			parseParams(f, pp.val, p.Params, broken.params)
		}
		if rp, has := top["rules"]; has {
			rules = append(rules, parseRules(f, rp.val)...)
		}
		if ep, has := top["escalation"]; has {
			if escPos != nil {
				f.errf(ep.key, "escalation", "declared twice (first at %s)", *escPos)
			} else if e, ok := parseEscalation(f, ep.val); ok {
				p.Escalation = e
			}
			at := f.pos(ep.key)
			escPos = &at
		}
	}
	p.Version = "sha256:" + hex.EncodeToString(hash.Sum(nil))
	for _, name := range slices.Sorted(maps.Keys(p.Params)) {
		p.paramList = append(p.paramList, p.Params[name])
	}
	p.files = c.Collector
	if broken.facts != nil {
		p.resolveFactParams(c, broken.facts, broken.params)
	}
	if broken.facts == nil {
		return nil, c.err()
	}
	p.layout()
	for _, pr := range rules {
		p.compileRule(c, pr, broken)
	}
	if err := c.err(); err != nil {
		return nil, err
	}
	p.Warnings = c.sortedWarnings()
	return p, nil
}

// ruleFiles lists the rule files by name, facts.yaml and holidays.yaml
// excepted.
func ruleFiles(fsys fs.FS) ([]string, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("read rules directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".yaml") || name == FactsFile || name == HolidaysFile {
			continue
		}
		names = append(names, name)
	}
	slices.Sort(names)
	return names, nil
}

// compileRule compiles a rule's expressions and checks its tests' givens;
// a rule without problems joins the pack.
func (p *Pack) compileRule(c *collector, pr *parsedRule, broken brokenNames) {
	r := pr.rule
	good := !pr.bad
	if r.ID != "" {
		if first, dup := p.rulesByID[r.ID]; dup {
			c.add(r.Pos, "rule %s: id already used (first at %s)", r.ID, first.Pos)
			good = false
		} else if !pr.bad {
			p.rulesByID[r.ID] = r
		}
	}
	var when, reason, severity *compiled
	if pr.when != nil {
		if when = p.compileExpr(c, pr.when, kindCondition, broken); when != nil {
			r.when, r.inputs = newExpression("when", when), when.inputs
			r.parts = p.compileParts(when)
		} else {
			good = false
		}
	}
	if pr.severity != nil {
		if severity = p.compileExpr(c, pr.severity, kindNumber, broken); severity != nil {
			r.severity = newExpression("severity", severity)
		} else {
			good = false
		}
	}
	if pr.reason != nil {
		if reason = p.compileExpr(c, pr.reason, kindReason, broken); reason != nil {
			r.reason = newExpression("reason", reason)
			for _, in := range reason.inputs {
				if !slices.ContainsFunc(r.inputs, func(x input) bool { return x.name == in.name }) {
					r.inputs = append(r.inputs, in)
				}
			}
		} else {
			good = false
		}
	}
	if when != nil {
		good = p.checkDivisions(c, pr, when, reason, severity) && good
		p.checkScope(c, r, when)
	}
	for _, in := range r.inputs {
		if in.param >= 0 {
			r.params = append(r.params, in.param)
		}
	}
	if severity != nil {
		for _, in := range severity.inputs {
			if in.param >= 0 && !slices.Contains(r.params, in.param) {
				r.params = append(r.params, in.param)
			}
		}
	}
	for _, pt := range pr.tests {
		if p.checkGiven(c, pt, pr.file, broken) {
			r.Tests = append(r.Tests, *pt.test)
		} else {
			good = false
		}
	}
	if good {
		r.pack = p
		p.Rules = append(p.Rules, r)
	}
}

// checkGiven converts a test's given facts to their types.
func (p *Pack) checkGiven(c *collector, pt parsedTest, f *yfile, broken brokenNames) bool {
	t := pt.test
	t.Given = map[string]map[string]any{}
	ctx := pt.ctx + ": given"
	gs, ok := f.mapping(pt.given, ctx, "a mapping of groups to {fact: value}")
	good := ok
	for _, gp := range gs {
		group := gp.key.Value
		if group == paramsName {
			f.errf(gp.key, ctx, "params cannot be given: they take their values on as_of")
			good = false
			continue
		}
		if _, known := p.groupIdx[group]; !known {
			if !broken.facts[group] {
				f.errf(gp.key, ctx, "unknown group %s%s", group, hint(group, p.topNames()))
			}
			good = false
			continue
		}
		fs, ok := f.mapping(gp.val, ctx+" "+group, "a mapping {fact: value}")
		good = good && ok
		for _, fp := range fs {
			name := group + "." + fp.key.Value
			i, known := p.groupIdx[group][fp.key.Value]
			if !known {
				if !broken.facts[group] {
					f.errf(fp.key, ctx, "unknown fact %s%s", name, hint(name, p.fieldNames(group)))
				}
				good = false
				continue
			}
			raw, err := scalarValue(fp.val)
			if err == nil && raw == nil {
				err = fmt.Errorf("missing value (leave the fact out to keep its default)")
			}
			var v any
			if err == nil {
				v, err = convert(raw, p.fields[i].Type)
			}
			if err != nil {
				f.errf(fp.val, ctx, "%s: %v", name, err)
				good = false
				continue
			}
			if t.Given[group] == nil {
				t.Given[group] = map[string]any{}
			}
			t.Given[group][fp.key.Value] = v
			t.sets = append(t.sets, set{index: i, value: v})
		}
	}
	return good
}

// Fields lists every fact, group by group in file order; a field's Index
// is its place here.
func (p *Pack) Fields() []Field { return slices.Clone(p.fields) }

// FieldIndex returns the index of group.name in Fields.
func (p *Pack) FieldIndex(group, name string) (int, bool) {
	i, ok := p.groupIdx[group][name]
	return i, ok
}

// Group returns the facts group called name, or nil.
func (p *Pack) Group(name string) *Group {
	for _, g := range p.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// Rule returns the rule with this id, or nil.
func (p *Pack) Rule(id string) *Rule { return p.rulesByID[id] }

// Untested lists the ids of enabled rules that have no test.
func (p *Pack) Untested() []string {
	var ids []string
	for _, r := range p.Rules {
		if r.Enabled && len(r.Tests) == 0 {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// Inputs names the facts and params the rule reads (in its condition and
// its reason), as GROUP.FIELD and params.NAME, in order of first use: the
// evidence to record with a hit.
func (r *Rule) Inputs() []string {
	names := make([]string, len(r.inputs))
	for i, in := range r.inputs {
		names[i] = in.name
	}
	return names
}

// ConditionReads reports whether the rule's condition (when) reads a fact
// of group: a rule whose condition does not read it cannot start or stop
// holding for a key because the group's facts of the key changed (the
// incremental night's narrowing, engine/evaluate). It is true for a rule
// not compiled in a pack.
func (r *Rule) ConditionReads(group string) bool {
	if r.pack == nil || r.when == nil {
		return true
	}
	for _, in := range r.when.facts {
		if r.pack.fields[in.field].Group == group {
			return true
		}
	}
	return false
}

// String is the rule's id and version, as recorded with hits: "ID@v2".
func (r *Rule) String() string { return r.ID + "@v" + strconv.Itoa(r.Version) }

// checkScope warns of a person rule whose condition reads household facts
// and nothing of the person: it holds for every member alike, and lists
// a household once per member. scope: household gives it one hit.
func (p *Pack) checkScope(c *collector, r *Rule, when *compiled) {
	if r.Scope != ScopePerson {
		return
	}
	household := false
	for _, in := range when.inputs {
		if in.field < 0 {
			continue // a param
		}
		f := p.fields[in.field]
		g := p.Group(f.Group)
		if g == nil || g.Scope != ScopeHousehold {
			return // reads something of the person
		}
		household = true
	}
	if household {
		c.warn(r.Pos, "rule %s: its condition reads only household facts, so it holds for every member of a household alike and lists the household once per member; add scope: household for one hit per household", r.ID)
	}
}
