package calendar

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/lipwatch/lipwatch/engine/internal/yamldiag"
	"github.com/lipwatch/lipwatch/engine/internal/yamlguard"
)

// Load reads and parses the holiday file at path (see Parse). Errors name
// the file as path.
func Load(path string) (*Calendar, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load holiday calendar: %w", err)
	}
	return Parse(path, data)
}

// Parse builds a Calendar from the YAML text of a holiday file; name is how
// error messages refer to the file. The file has one section per year,
// transcribing that year's State Council notice:
//
//	years:
//	  2025:
//	    source: 国办发明电〔2024〕12号   # the notice; required unless provisional
//	    holidays:                       # days off: dates or inclusive ranges
//	      - 2025-01-01
//	      - 2025-01-28..2025-02-04
//	    workdays:                       # weekend days worked (调休)
//	      - 2025-01-26
//	  2027:
//	    provisional: true               # notice not yet published
//	    holidays: [2027-01-01]
//
// A holiday range may include weekend days (the notice's spans do). Parse
// checks the whole file and reports every problem at once, in file order,
// each as "name:line:col: message" followed by the line of the file and a
// caret under the column (as rule files' problems are): a date that is not
// a date, a range that ends before it starts, a date outside its year's
// section, a workday that is not a Saturday or Sunday, a day listed both as
// holiday and as workday, unknown keys, a year given twice, and YAML syntax
// errors, explained where the mistake is (a tab in the indentation, a line
// indented unlike its neighbours, an unclosed quote or bracket).
func Parse(name string, data []byte) (*Calendar, error) {
	p := &parser{name: name, c: yamldiag.NewCollector()}
	doc, ok := p.c.Parse(name, data)
	if !ok {
		return nil, p.err()
	}
	var bomb *yamlguard.Error
	if err := yamlguard.Check(doc); errors.As(err, &bomb) {
		p.c.Addf(yamldiag.Pos{File: name, Line: bomb.Line, Col: bomb.Col}, "%s", bomb.Error())
		return nil, p.err()
	}
	c := p.document(doc)
	if err := p.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// yearKeys are the keys of a year's section, in the order the docs give.
var yearKeys = []string{"source", "provisional", "holidays", "workdays"}

// parser walks the YAML node tree, collecting problems as it goes so that
// one run reports them all.
type parser struct {
	name string
	c    *yamldiag.Collector
}

// addf records a problem at n, or of the whole file when n is nil.
func (p *parser) addf(n *yaml.Node, format string, args ...any) {
	pos := yamldiag.Pos{File: p.name}
	if n != nil {
		pos = yamldiag.NodePos(p.name, n)
	}
	p.c.Addf(pos, format, args...)
}

// err returns every problem in file order, each with its line of the file
// and a caret (problems of the whole file last); nil when there is none.
func (p *parser) err() error {
	if ps := p.c.Problems(); ps != nil {
		return yamldiag.List(ps)
	}
	return nil
}

// document checks the top level, which holds only "years".
func (p *parser) document(doc *yaml.Node) *Calendar {
	if len(doc.Content) == 0 {
		p.addf(nil, "no years: the file is empty (want a years: mapping with one section per year)")
		return nil
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		p.addf(root, "want a mapping with a years: key, got %s", kind(root))
		return nil
	}
	var years *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], deref(root.Content[i+1])
		switch {
		case k.Value != "years":
			p.addf(k, "unknown key %q (known: years)", k.Value)
		case years != nil:
			p.addf(k, "years: defined twice (first at line %d)", years.Line)
		default:
			years = v
		}
	}
	if years == nil {
		p.addf(nil, "no years: want a years: mapping with one section per year")
		return nil
	}
	return p.years(years)
}

// years checks the years mapping and builds the calendar from its sections.
func (p *parser) years(n *yaml.Node) *Calendar {
	if n.Kind != yaml.MappingNode || len(n.Content) == 0 {
		p.addf(n, "years: want a mapping with one section per year (e.g. 2026:), got %s", kind(n))
		return nil
	}
	built := map[int]*year{}
	seen := map[int]int{} // year -> line of its key
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], deref(n.Content[i+1])
		y, ok := parseYear(k.Value)
		if !ok {
			p.addf(k, "%q is not a year (want four digits, e.g. 2026)", k.Value)
			continue
		}
		if line, dup := seen[y]; dup {
			p.addf(k, "year %d defined twice (first at line %d)", y, line)
			continue
		}
		seen[y] = k.Line
		if yc := p.year(y, k, v); yc != nil {
			built[y] = yc
		}
	}
	if len(built) == 0 {
		return nil
	}
	c := &Calendar{name: p.name}
	ys := make([]int, 0, len(built))
	for y := range built {
		ys = append(ys, y)
	}
	slices.Sort(ys)
	c.first = ys[0]
	c.years = make([]*year, ys[len(ys)-1]-ys[0]+1)
	for _, y := range ys {
		c.years[y-c.first] = built[y]
	}
	return c
}

// year checks the section of year y (key k, value v) and builds it, or
// returns nil when it has problems.
func (p *parser) year(y int, k, v *yaml.Node) *year {
	before := p.c.Len()
	if v.Kind != yaml.MappingNode {
		p.addf(k, "year %d: want a mapping with %s, got %s", y, strings.Join(yearKeys, ", "), kind(v))
		return nil
	}
	var (
		source      string
		provisional bool
		keyLine     = map[string]int{}
		// Day of the year -> the entry that first listed it, for messages.
		holidays = map[int]*yaml.Node{}
		workdays = map[int]*yaml.Node{}
	)
	for i := 0; i+1 < len(v.Content); i += 2 {
		fk, fv := v.Content[i], deref(v.Content[i+1])
		if !slices.Contains(yearKeys, fk.Value) {
			p.addf(fk, "unknown key %q (known: %s)", fk.Value, strings.Join(yearKeys, ", "))
			continue
		}
		if line, dup := keyLine[fk.Value]; dup {
			p.addf(fk, "%s: defined twice (first at line %d)", fk.Value, line)
			continue
		}
		keyLine[fk.Value] = fk.Line
		switch fk.Value {
		case "source":
			switch {
			case fv.Kind == yaml.ScalarNode && fv.Tag == "!!null":
				// Left empty: reported below unless provisional.
			case fv.Kind != yaml.ScalarNode:
				p.addf(fv, "source: want the notice, e.g. 国办发明电〔2024〕12号, got %s", kind(fv))
			default:
				source = strings.TrimSpace(fv.Value)
			}
		case "provisional":
			if fv.Kind != yaml.ScalarNode || fv.Decode(&provisional) != nil {
				p.addf(fv, "provisional: want true or false, got %s", kind(fv))
			}
		case "holidays":
			for _, e := range p.list(fk, fv) {
				p.days(y, e, func(d int, _ time.Time) {
					if _, ok := holidays[d]; !ok {
						holidays[d] = e
					}
				})
			}
		case "workdays":
			for _, e := range p.list(fk, fv) {
				weekday := true
				p.days(y, e, func(d int, t time.Time) {
					if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday && weekday {
						weekday = false
						p.addf(e, "workday %s is a %s: only a Saturday or Sunday can be a make-up working day", t.Format(time.DateOnly), wd)
					}
					if _, ok := workdays[d]; !ok {
						workdays[d] = e
					}
				})
			}
		}
	}
	// A day both off and worked is a transcription slip: report it at the
	// workday and point at the holiday, whichever the analyst mistyped.
	for _, d := range slices.Sorted(maps.Keys(workdays)) {
		if h, ok := holidays[d]; ok {
			w := workdays[d]
			day := time.Date(y, time.January, d+1, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
			p.addf(w, "%s is listed as a workday and as a holiday (line %d)", day, h.Line)
		}
	}
	if source == "" && !provisional {
		p.addf(k, "year %d: source: required: the notice the dates come from, e.g. 国办发明电〔2024〕12号 (or provisional: true until it is published)", y)
	}
	if p.c.Len() > before {
		return nil
	}
	hd, wd := map[int]bool{}, map[int]bool{}
	for d := range holidays {
		hd[d] = true
	}
	for d := range workdays {
		wd[d] = true
	}
	return newYear(y, source, provisional, hd, wd)
}

// list returns the entries of a holidays or workdays list; an absent
// (null) list is empty.
func (p *parser) list(k, v *yaml.Node) []*yaml.Node {
	switch {
	case v.Kind == yaml.SequenceNode:
		out := make([]*yaml.Node, len(v.Content))
		for i, e := range v.Content {
			out[i] = deref(e)
		}
		return out
	case v.Kind == yaml.ScalarNode && v.Tag == "!!null":
		return nil
	default:
		p.addf(v, "%s: want a list of dates, one \"- YYYY-MM-DD\" per line, got %s", k.Value, kind(v))
		return nil
	}
}

// days parses entry e of year y's lists, a date or an inclusive range
// "YYYY-MM-DD..YYYY-MM-DD", and calls f for each of its days with the day's
// index in the year. It reports a malformed entry and calls f for none.
func (p *parser) days(y int, e *yaml.Node, f func(d int, t time.Time)) {
	if e.Kind != yaml.ScalarNode {
		p.addf(e, "want a date or a range of dates, got %s", kind(e))
		return
	}
	text := strings.TrimSpace(e.Value)
	from, to, isRange := strings.Cut(text, "..")
	a, ok := p.date(e, from)
	if !ok {
		return
	}
	b := a
	if isRange {
		if b, ok = p.date(e, to); !ok {
			return
		}
		if b.Before(a) {
			p.addf(e, "range %s ends before it starts", text)
			return
		}
	}
	for _, t := range []time.Time{a, b} {
		if t.Year() != y {
			p.addf(e, "%s is outside year %d (list it under %d)", t.Format(time.DateOnly), y, t.Year())
			return
		}
	}
	for t := a; !t.After(b); t = t.AddDate(0, 0, 1) {
		f(t.YearDay()-1, t)
	}
}

// date parses one YYYY-MM-DD date of entry e.
func (p *parser) date(e *yaml.Node, s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		p.addf(e, "%q is not a date (want YYYY-MM-DD, or YYYY-MM-DD..YYYY-MM-DD for a range)", s)
		return time.Time{}, false
	}
	return t, true
}

var fourDigits = regexp.MustCompile(`^[0-9]{4}$`)

func parseYear(s string) (int, bool) {
	if !fourDigits.MatchString(s) {
		return 0, false
	}
	y, err := strconv.Atoi(s)
	return y, err == nil && y > 0
}

// deref follows a YAML alias to the node it names.
func deref(n *yaml.Node) *yaml.Node { return yamldiag.Resolve(n) }

// kind names what a node holds, for "want X, got Y" messages.
func kind(n *yaml.Node) string { return yamldiag.Describe(n) }
