package rule

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// copyRules copies the shipped rules/ into a temporary directory named
// rules and changes into its parent, so that errors name files as
// "rules/medical.yaml", as analysts see them.
func copyRules(t *testing.T) {
	t.Helper()
	src := rulesDir(t)
	tmp := t.TempDir()
	dst := filepath.Join(tmp, "rules")
	if err := os.Mkdir(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".yaml") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(tmp)
}

// edit replaces the one occurrence of old in rules/name with new.
func edit(t *testing.T, name, old, new string) {
	t.Helper()
	path := filepath.Join("rules", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(data), old); n != 1 {
		t.Fatalf("%s: %q occurs %d times, want once", name, old, n)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// write replaces rules/name (or creates it).
func write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join("rules", name), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

type breakage struct {
	file, old, new string
}

// TestLoadErrors breaks a copy of the shipped rules one way per case and
// checks the exact message: position, wording and caret. Line numbers are
// left as _ and looked up (see expandLines), so that analysts' edits to
// the shipped files do not break these tests.
func TestLoadErrors(t *testing.T) {
	cases := []struct {
		name   string
		breaks []breakage
		want   string
	}{
		{name: "several files at once, in file order", breaks: []breakage{
			{"medical.yaml", "when: medical.oop_12m", "when: medcal.oop_12m"},
			{"disability.yaml", "level: orange", "level: purple"},
			{"facts.yaml", "claims_12m: {type: int,", "claims_12m: {type: integer,"},
		}, want: `
rules/facts.yaml:_:26: group medical: field claims_12m: unknown type integer (want number, int, bool or string)
    _ |       claims_12m: {type: integer,    default: 0, doc: 近12个月结算次数}
      |                          ^
rules/disability.yaml:_:12: rule DIS-NEW-SEVERE-UNCOVERED: level must be red, orange or yellow, not purple
    _ |     level: purple
      |            ^
rules/medical.yaml:_:11: rule MED-OOP-UNCOVERED: when: unknown name medcal (did you mean medical?)
    _ |     when: medcal.oop_12m >= params.medical_oop_threshold && !household.covered
      |           ^`},
		{name: "misspelt group", breaks: []breakage{{"medical.yaml", "when: medical.oop_12m", "when: medcal.oop_12m"}}, want: `
rules/medical.yaml:_:11: rule MED-OOP-UNCOVERED: when: unknown name medcal (did you mean medical?)
    _ |     when: medcal.oop_12m >= params.medical_oop_threshold && !household.covered
      |           ^`},
		{name: "misspelt fact in folded block", breaks: []breakage{{"disability.yaml", "disability.level in 1..2", "disability.levl in 1..2"}}, want: `
rules/disability.yaml:_:18: rule DIS-NEW-SEVERE-UNCOVERED: when: unknown fact disability.levl (did you mean disability.level?)
    _ |       disability.levl in 1..2
      |                  ^`},
		{name: "unknown param in reason", breaks: []breakage{{"employment.yaml", "+ yuan(params.low_income_line)", "+ yuan(params.low_incom_line)"}}, want: `
rules/employment.yaml:_:21: rule UNEMP-LOWINC-UNCOVERED: reason: unknown param low_incom_line (did you mean low_income_line?)
    _ |       + yuan(params.low_incom_line) + " 元"
      |                     ^`},
		{name: "bool compared with number", breaks: []breakage{{"medical.yaml", "&& !household.covered\n", "&& household.covered > 3\n"}}, want: `
rules/medical.yaml:_:80: rule MED-OOP-UNCOVERED: when: invalid operation: > (mismatched types bool and int)
    _ |     when: medical.oop_12m >= params.medical_oop_threshold && household.covered > 3
      |                                                                                ^`},
		{name: "two type errors at once", breaks: []breakage{{"medical.yaml", "when: medical.oop_12m >= params.medical_oop_threshold && !household.covered", `when: medical.oop_12m > "a" && person.age + "x" > 1`}}, want: `
rules/medical.yaml:_:27: rule MED-OOP-UNCOVERED: when: invalid operation: > (mismatched types number and string)
    _ |     when: medical.oop_12m > "a" && person.age + "x" > 1
      |                           ^
rules/medical.yaml:_:47: rule MED-OOP-UNCOVERED: when: invalid operation: + (mismatched types int and string)
    _ |     when: medical.oop_12m > "a" && person.age + "x" > 1
      |                                               ^`},
		{name: "three type errors over lines, inside brackets and ||", breaks: []breakage{{"disability.yaml", "      disability.level in 1..2\n      && disability.days_since_issued <= params.new_disability_days\n      && !household.covered\n", "      disability.level in 1..2\n      && (disability.days_since_issued <= \"90\" || household.covered > 1)\n      && !household.covered\n      && (person.status == 1) && 1 < disability.level < 3\n"}}, want: `
rules/disability.yaml:_:40: rule DIS-NEW-SEVERE-UNCOVERED: when: invalid operation: <= (mismatched types int and string)
    _ |       && (disability.days_since_issued <= "90" || household.covered > 1)
      |                                        ^
rules/disability.yaml:_:69: rule DIS-NEW-SEVERE-UNCOVERED: when: invalid operation: > (mismatched types bool and int)
    _ |       && (disability.days_since_issued <= "90" || household.covered > 1)
      |                                                                     ^
rules/disability.yaml:_:25: rule DIS-NEW-SEVERE-UNCOVERED: when: invalid operation: == (mismatched types string and int)
    _ |       && (person.status == 1) && 1 < disability.level < 3
      |                         ^`},
		{name: "one type error, twice in a part", breaks: []breakage{{"medical.yaml", "when: medical.oop_12m >= params.medical_oop_threshold && !household.covered", `when: medical.oop_12m > "a" && !household.covered`}}, want: `
rules/medical.yaml:_:27: rule MED-OOP-UNCOVERED: when: invalid operation: > (mismatched types number and string)
    _ |     when: medical.oop_12m > "a" && !household.covered
      |                           ^`},
		{name: "condition not bool", breaks: []breakage{{"medical.yaml", "when: medical.oop_12m >= params.medical_oop_threshold && !household.covered", "when: medical.oop_12m"}}, want: `
rules/medical.yaml:_:11: rule MED-OOP-UNCOVERED: when: a condition must be true or false, not number
    _ |     when: medical.oop_12m
      |           ^`},
		{name: "reason not text", breaks: []breakage{{"fishers.yaml", "    reason: >-\n      \"退捕渔民，安置去向：\" + resettlement_name(fisher.resettlement) + \"，未参加养老保险\"", "    reason: fisher.retired"}}, want: `
rules/fishers.yaml:_:13: rule FISHER-UNRESETTLED: reason: a reason must be text, not bool (format numbers with yuan(x), days(n) or string(x))
    _ |     reason: fisher.retired
      |             ^`},
		{name: "reason without quotes", breaks: []breakage{{"fishers.yaml", "    reason: >-\n      \"退捕渔民，安置去向：\" + resettlement_name(fisher.resettlement) + \"，未参加养老保险\"", "    reason: 退捕渔民未安置"}}, want: `
rules/fishers.yaml:_:13: rule FISHER-UNRESETTLED: reason: unknown name 退捕渔民未安置 (a reason is an expression: put its text in quotes, e.g. "新办残疾人证：" + level_name(disability.level))
    _ |     reason: 退捕渔民未安置
      |             ^`},
		{name: "unknown helper after Chinese text", breaks: []breakage{{"fishers.yaml", "+ resettlement_name(", "+ resettlment_name("}}, want: `
rules/fishers.yaml:_:22: rule FISHER-UNRESETTLED: reason: unknown name resettlment_name (did you mean resettlement_name?)
    _ |       "退捕渔民，安置去向：" + resettlment_name(fisher.resettlement) + "，未参加养老保险"
      |                                ^`},
		{name: "helper given the wrong type", breaks: []breakage{{"integrity.yaml", "status_name(person.status)", "status_name(person.age)"}}, want: `
rules/integrity.yaml:_:36: rule INTEGRITY-DECEASED-RECIPIENT: reason: cannot use int as argument (type string) to call status_name
    _ |       "户籍状态为" + status_name(person.age) + "，仍在享受" + aid_names(assistance.categories)
      |                                         ^`},
		{name: "single equals", breaks: []breakage{{"fishers.yaml", "fisher.resettlement == \"unemployed\"", "fisher.resettlement = \"unemployed\""}}, want: `
rules/fishers.yaml:_:49: rule FISHER-UNRESETTLED: when: unexpected token Operator("=") (compare with ==)
    _ |     when: fisher.retired && fisher.resettlement = "unemployed" && !fisher.pension_insured && !household.covered && person.status == "active"
      |                                                 ^`},
		{name: "syntax error in double-quoted condition", breaks: []breakage{{"medical.yaml", "when: medical.oop_12m >= params.medical_oop_threshold && !household.covered", "when: \"medical.oop_12m >= \\\"x\\\" && (household.covered\""}}, want: `
rules/medical.yaml:_:57: rule MED-OOP-UNCOVERED: when: unexpected token EOF
    _ |     when: "medical.oop_12m >= \"x\" && (household.covered"
      |                                                         ^`},
		{name: "condition starting with !", breaks: []breakage{{"medical.yaml", "when: medical.oop_12m >= params.medical_oop_threshold && !household.covered", "when: !household.covered"}}, want: `
rules/medical.yaml:_:11: rule MED-OOP-UNCOVERED: when: YAML reads the leading !household.covered as a tag: put the whole value in quotes (or write "not x" for "!x")
    _ |     when: !household.covered
      |           ^`},
		{name: "unknown key in a rule", breaks: []breakage{{"medical.yaml", "    when: medical", "    whne: medical"}}, want: `
rules/medical.yaml:_:5: rule MED-OOP-UNCOVERED: unknown key whne (did you mean when?)
    _ |     whne: medical.oop_12m >= params.medical_oop_threshold && !household.covered
      |     ^`},
		{name: "duplicate rule id", breaks: []breakage{{"fishers.yaml", "id: FISHER-UNRESETTLED", "id: MED-OOP-UNCOVERED"}}, want: `
rules/medical.yaml:_:9: rule MED-OOP-UNCOVERED: id already used (first at rules/fishers.yaml:{L fishers.yaml|id: MED-OOP-UNCOVERED}:9)
    _ |   - id: MED-OOP-UNCOVERED
      |         ^`},
		{name: "bad level", breaks: []breakage{{"medical.yaml", "level: orange", "level: organe"}}, want: `
rules/medical.yaml:_:12: rule MED-OOP-UNCOVERED: level must be red, orange or yellow, not organe (did you mean orange?)
    _ |     level: organe
      |            ^`},
		{name: "missing title", breaks: []breakage{{"medical.yaml", "    title: 个人医疗自付费用较大，家庭未纳入社会救助\n", ""}}, want: `
rules/medical.yaml:_:5: rule MED-OOP-UNCOVERED: missing title (Chinese, shown to townships)
    _ |   - id: MED-OOP-UNCOVERED
      |     ^`},
		{name: "missing id", breaks: []breakage{{"integrity.yaml", "  - id: INTEGRITY-DECEASED-RECIPIENT\n    title:", "  - title:"}}, want: `
rules/integrity.yaml:_:5: rule #1: missing id (e.g. MED-OOP-UNCOVERED)
    _ |   - title: 救助对象已死亡或户籍注销，仍在享受救助（应退尽退）
      |     ^`},
		{name: "bad id", breaks: []breakage{{"integrity.yaml", "id: INTEGRITY-DECEASED-RECIPIENT", "id: integrity deceased"}}, want: `
rules/integrity.yaml:_:9: rule integrity deceased: id must be upper-case letters and digits joined by -, like MED-OOP-UNCOVERED
    _ |   - id: integrity deceased
      |         ^`},
		{name: "param date not a date", breaks: []breakage{{"params.yaml", "      2026-01-01: 1170", "      2026-13-01: 1170"}}, want: `
rules/params.yaml:_:7: param low_income_line: 2026-13-01 is not a date (write YYYY-MM-DD)
    _ |       2026-13-01: 1170
      |       ^`},
		{name: "param date twice", breaks: []breakage{{"params.yaml", "      2026-01-01: 1170", "      2024-01-01: 1170"}}, want: `
rules/params.yaml:_:7: param low_income_line: values: duplicate key 2024-01-01 (first at line {L params.yaml|      2024-01-01: 1125})
    _ |       2024-01-01: 1170
      |       ^`},
		{name: "param of two types", breaks: []breakage{{"params.yaml", "      2026-01-01: 1170", "      2026-01-01: 一千一百七十"}}, want: `
rules/params.yaml:_:19: param low_income_line: 2026-01-01: value is string but the earlier values are int; all values of a param have one type
    _ |       2026-01-01: 一千一百七十
      |                   ^`},
		{name: "param values without dates", breaks: []breakage{{"params.yaml", "    values:\n      2024-01-01: 20000", "    values: 20000"}}, want: `
rules/params.yaml:_:13: param medical_oop_threshold: values: want dated values, e.g. "2025-01-01: 20000" on the next line, indented
    _ |     values: 20000
      |             ^`},
		{name: "param defined twice", breaks: []breakage{{"medical.yaml", "rules:", "params:\n  new_disability_days:\n    2025-01-01: 60\n\nrules:"}}, want: `
rules/params.yaml:_:3: param new_disability_days: defined twice (first at rules/medical.yaml:{L medical.yaml|new_disability_days:}:3)
    _ |   new_disability_days:
      |   ^`},
		{name: "test without as_of", breaks: []breakage{{"medical.yaml", "      - name: 恰好达到预警线\n        as_of: 2026-11-28\n", "      - name: 恰好达到预警线\n"}}, want: `
rules/medical.yaml:_:9: rule MED-OOP-UNCOVERED: test "恰好达到预警线": missing as_of (the date the test asserts at, YYYY-MM-DD: params change on dates)
    _ |       - name: 恰好达到预警线
      |         ^`},
		{name: "test given an unknown fact", breaks: []breakage{{"medical.yaml", "given: {medical: {oop_12m: 20000}}", "given: {medical: {oop12m: 20000}}"}}, want: `
rules/medical.yaml:_:27: rule MED-OOP-UNCOVERED: test "恰好达到预警线": given: unknown fact medical.oop12m (did you mean medical.oop_12m?)
    _ |         given: {medical: {oop12m: 20000}}
      |                           ^`},
		{name: "test given a param", breaks: []breakage{{"medical.yaml", "given: {medical: {oop_12m: 20000}}", "given: {params: {medical_oop_threshold: 100}}"}}, want: `
rules/medical.yaml:_:17: rule MED-OOP-UNCOVERED: test "恰好达到预警线": given: params cannot be given: they take their values on as_of
    _ |         given: {params: {medical_oop_threshold: 100}}
      |                 ^`},
		{name: "test given a wrong type", breaks: []breakage{{"disability.yaml", "given: {disability: {level: 3, category: 4, days_since_issued: 10}}", "given: {disability: {level: 3.5, category: 4, days_since_issued: 10}}"}}, want: `
rules/disability.yaml:_:37: rule DIS-NEW-SEVERE-UNCOVERED: test "三级（非重度）": given: disability.level: want int, got 3.5 (not a whole number)
    _ |         given: {disability: {level: 3.5, category: 4, days_since_issued: 10}}
      |                                     ^`},
		{name: "test expect not hit or miss", breaks: []breakage{{"fishers.yaml", "        given: {fisher: {retired: true, resettlement: employed}}\n        expect: miss", "        given: {fisher: {retired: true, resettlement: employed}}\n        expect: no"}}, want: `
rules/fishers.yaml:_:17: rule FISHER-UNRESETTLED: test "已安置就业": expect must be hit, miss or error, not no
    _ |         expect: no
      |                 ^`},
		{name: "test as_of not a date", breaks: []breakage{{"fishers.yaml", "      - name: 已安置就业\n        as_of: 2026-11-28", "      - name: 已安置就业\n        as_of: 2026/11/28"}}, want: `
rules/fishers.yaml:_:16: rule FISHER-UNRESETTLED: test "已安置就业": as_of: 2026/11/28 is not a date (write YYYY-MM-DD)
    _ |         as_of: 2026/11/28
      |                ^`},
		{name: "escalation twice", breaks: []breakage{{"medical.yaml", "rules:", "escalation: {min_rules: 3, level: red}\n\nrules:"}}, want: `
rules/params.yaml:_:1: escalation: declared twice (first at rules/medical.yaml:{L medical.yaml|escalation: {min_rules: 3}:1)
    _ | escalation:
      | ^`},
		{name: "escalation level", breaks: []breakage{{"params.yaml", "  level: red", "  level: crimson"}}, want: `
rules/params.yaml:_:10: escalation: level must be red, orange or yellow, not crimson
    _ |   level: crimson
      |          ^`},
		{name: "unknown top-level key", breaks: []breakage{{"medical.yaml", "rules:", "rule:"}}, want: `
rules/medical.yaml:_:1: unknown key rule (did you mean rules?)
    _ | rule:
      | ^`},
		{name: "YAML syntax", breaks: []breakage{{"medical.yaml", "    level: orange", "    level: orange\n   oops: ["}}, want: `
rules/medical.yaml:_:4: YAML syntax: this line is indented 3 spaces but level on line {L medical.yaml|    level: orange} is indented 4; indent it like level (the keys of one mapping start in the same column)
    _ |    oops: [
      |    ^`},
		{name: "YAML syntax in facts", breaks: []breakage{{"facts.yaml", "    doc: 人员（户籍与各部门数据中出现的所有人）", "    doc: 人员: 户籍与各部门数据中出现的所有人"}}, want: `
rules/facts.yaml:_:12: YAML syntax: the value of doc holds ": ", which YAML reads as the start of another key; put the whole value in quotes, or write the colon as "："
    _ |     doc: 人员: 户籍与各部门数据中出现的所有人
      |              ^`},
		{name: "facts: unknown type", breaks: []breakage{{"facts.yaml", "oop_12m:    {type: number,", "oop_12m:    {type: float,"}}, want: `
rules/facts.yaml:_:26: group medical: field oop_12m: unknown type float (want number, int, bool or string)
    _ |       oop_12m:    {type: float, default: 0, doc: 近12个月个人自付合计（元）}
      |                          ^`},
		{name: "facts: counts what is not days", breaks: []breakage{{"facts.yaml", "default: 99999, counts: days, doc: 发证至今天数", "default: 99999, counts: months, doc: 发证至今天数"}}, want: `
rules/facts.yaml:_:62: group disability: field days_since_issued: counts: unknown months (want days: a count of days since a date, which grows by one a day)
    _ |       days_since_issued: {type: int, default: 99999, counts: months, doc: 发证至今天数}
      |                                                              ^`},
		{name: "facts: counts days of a number", breaks: []breakage{{"facts.yaml", "days_since_issued: {type: int,", "days_since_issued: {type: number,"}}, want: `
rules/facts.yaml:_:65: group disability: field days_since_issued: counts: days needs type int, not number
    _ |       days_since_issued: {type: number, default: 99999, counts: days, doc: 发证至今天数}
      |                                                                 ^`},
		{name: "facts: field without type", breaks: []breakage{{"facts.yaml", "claims_12m: {type: int,    default: 0,", "claims_12m: {default: 0,"}}, want: `
rules/facts.yaml:_:7: group medical: field claims_12m: missing type (number, int, bool or string)
    _ |       claims_12m: {default: 0, doc: 近12个月结算次数}
      |       ^`},
		{name: "facts: group without scope", breaks: []breakage{{"facts.yaml", "  fisher:\n    scope: person\n", "  fisher:\n"}}, want: `
rules/facts.yaml:_:3: group fisher: missing scope (person or household)
    _ |   fisher:
      |   ^`},
		{name: "facts: group without sql", breaks: []breakage{{"facts.yaml", "      - employment.event_date         # a registration dated ahead counts from its day\n    sql: |\n", "      - employment.event_date         # a registration dated ahead counts from its day\n    query: |\n"}}, want: `
rules/facts.yaml:_:3: group employment: missing sql (the query computing the fields)
    _ |   employment:
      |   ^
rules/facts.yaml:_:5: group employment: unknown key query
    _ |     query: |
      |     ^`},
		{name: "facts: bad scope", breaks: []breakage{{"facts.yaml", "  household:\n    scope: household", "  household:\n    scope: family"}}, want: `
rules/facts.yaml:_:12: group household: scope must be person or household, not family
    _ |     scope: family
      |            ^`},
		{name: "facts: no person group", breaks: []breakage{{"facts.yaml", "  person:\n    scope: person", "  people:\n    scope: person"}}, want: `
rules/facts.yaml:_:1: facts: missing group person (its rows are the people rules are evaluated for)
    _ | facts:
      | ^`},
		{name: "facts: field name not an identifier", breaks: []breakage{{"facts.yaml", "      oop_12m:    {type: number", "      12m_oop:    {type: number"}}, want: `
rules/facts.yaml:_:7: group medical: field "12m_oop" is not a valid name (letters, digits and _, not starting with a digit)
    _ |       12m_oop:    {type: number, default: 0, doc: 近12个月个人自付合计（元）}
      |       ^`},
		{name: "facts: default of the wrong type", breaks: []breakage{{"facts.yaml", "claims_12m: {type: int,    default: 0,", "claims_12m: {type: int,    default: none,"}}, want: `
rules/facts.yaml:_:43: group medical: field claims_12m: default: want int, got text "none"
    _ |       claims_12m: {type: int,    default: none, doc: 近12个月结算次数}
      |                                           ^`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantLoadError(t, tc.breaks, tc.want) })
	}
}

// wantLoadError breaks a copy of rules/ and checks that Load fails with
// exactly want (its line numbers filled in by expandLines).
func wantLoadError(t *testing.T, breaks []breakage, want string) {
	t.Helper()
	copyRules(t)
	for _, b := range breaks {
		if b.old == "" {
			write(t, b.file, b.new)
		} else {
			edit(t, b.file, b.old, b.new)
		}
	}
	p, err := Load("rules")
	if err == nil {
		t.Fatalf("Load succeeded (%d rules), want:\n%s", len(p.Rules), want)
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error is %T, want Errors: %v", err, err)
	}
	want = expandLines(t, strings.TrimPrefix(want, "\n"))
	if got := err.Error(); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", got, want)
	}
}

var (
	headerRE = regexp.MustCompile(`^(rules/[^:]+):_:(\d+): `)
	gutterRE = regexp.MustCompile(`^    _ \| (.*)$`)
	lineRE   = regexp.MustCompile(`\{L ([^|]+)\|([^}]*\}?)\}`)
)

// expandLines fills in the line numbers of an expected message. An error
// written "rules/FILE:_:COL: ..." followed by its snippet "    _ | TEXT"
// gets the number of the first line of FILE that reads TEXT; "{L FILE|S}"
// becomes the number of the first line of rules/FILE containing S.
func expandLines(t *testing.T, want string) string {
	t.Helper()
	find := func(file string, match func(string) bool) int {
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			if match(line) {
				return i + 1
			}
		}
		t.Fatalf("expected message refers to a line not in %s", file)
		return 0
	}
	lines := strings.Split(want, "\n")
	for i := 0; i+1 < len(lines); i++ {
		h, g := headerRE.FindStringSubmatch(lines[i]), gutterRE.FindStringSubmatch(lines[i+1])
		if h == nil || g == nil {
			continue
		}
		n := find(h[1], func(line string) bool { return strings.TrimRight(line, " ") == g[1] })
		lines[i] = strings.Replace(lines[i], ":_:", fmt.Sprintf(":%d:", n), 1)
		lines[i+1] = fmt.Sprintf("%5d | %s", n, g[1])
	}
	return lineRE.ReplaceAllStringFunc(strings.Join(lines, "\n"), func(tok string) string {
		m := lineRE.FindStringSubmatch(tok)
		return fmt.Sprint(find(filepath.Join("rules", m[1]), func(line string) bool { return strings.Contains(line, m[2]) }))
	})
}

func TestLoadMissingFacts(t *testing.T) {
	copyRules(t)
	if err := os.Remove(filepath.Join("rules", FactsFile)); err != nil {
		t.Fatal(err)
	}
	_, err := Load("rules")
	want := "rules/facts.yaml: cannot read: no such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
}
