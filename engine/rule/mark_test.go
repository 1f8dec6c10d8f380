package rule

import "testing"

// A mark (mark: true) has no level and may route its case (route: county);
// the mistakes are placed at the key or value like every rule-file problem.
func TestMarkRules(t *testing.T) {
	const head = "rules:\n  - id: EXTRA\n    title: 测试\n"
	const tail = "    when: medical.oop_12m > 0\n    tests:\n      - {name: a, as_of: 2026-11-28, given: {medical: {oop_12m: 1}}, expect: hit}\n"
	copyRules(t)
	write(t, "extra.yaml", head+"    mark: true\n    route: county\n"+tail)
	p, err := Load("rules")
	if err != nil {
		t.Fatal(err)
	}
	r := p.Rule("EXTRA")
	if r == nil || !r.Mark || r.Route != RouteCounty || r.Level != "" {
		t.Fatalf("EXTRA: %+v", r)
	}
	for _, id := range []string{"RECUSAL-ROUTE-COUNTY", "RECUSAL-NOTE"} {
		if r := p.Rule(id); r == nil || !r.Mark {
			t.Errorf("%s is not a mark: %+v", id, r)
		}
	}

	cases := []struct{ name, rule, want string }{
		{"a mark with a level", head + "    mark: true\n    level: yellow\n" + tail, `
rules/extra.yaml:5:5: rule EXTRA: a mark (mark: true) has no level: it never sets a case's level; remove level
    5 |     level: yellow
      |     ^`},
		{"mark not a bool", head + "    mark: 是\n    level: yellow\n" + tail, `
rules/extra.yaml:4:11: rule EXTRA: mark must be true or false, not "是"
    4 |     mark: 是
      |           ^`},
		{"route misspelt", head + "    level: yellow\n    route: countty\n" + tail, `
rules/extra.yaml:5:12: rule EXTRA: route must be county (the county's own queue), not countty (did you mean county?)
    5 |     route: countty
      |            ^`},
		{"no level and no mark", head + tail, `
rules/extra.yaml:2:5: rule EXTRA: missing level (red, orange or yellow)
    2 |   - id: EXTRA
      |     ^`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { wantLoadError(t, []breakage{{"extra.yaml", "", tc.rule}}, tc.want) })
	}
}
