package rule

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the generated tables of rules/README.md")

// TestREADME keeps rules/README.md true: its tables of facts, params and
// rules are regenerated from the shipped files and must match (run with
// -update to rewrite them), and every yaml block in it is executed.
func TestREADME(t *testing.T) {
	path := filepath.Join(rulesDir(t), "README.md")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p := loadShipped(t)
	doc := string(data)
	want := doc
	for name, gen := range map[string]func(*Pack) string{"facts": factsTable, "params": paramsTable, "rules": rulesTable} {
		want, err = replaceSection(want, name, gen(p))
		if err != nil {
			t.Fatal(err)
		}
	}
	if want != doc {
		if *update {
			if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Log("rewrote the generated tables of rules/README.md")
		} else {
			t.Errorf("rules/README.md's tables differ from the rule files; run go test ./engine/rule -run TestREADME -update")
		}
	}
	t.Run("examples", func(t *testing.T) { testExamples(t, doc) })
}

// replaceSection puts body between the lines <!-- name:begin ... --> and
// <!-- name:end -->.
func replaceSection(doc, name, body string) (string, error) {
	begin := regexp.MustCompile(`(?m)^<!-- ` + name + `:begin.*-->\n`)
	loc := begin.FindStringIndex(doc)
	end := "<!-- " + name + ":end -->"
	if loc == nil || !strings.Contains(doc[loc[1]:], end) {
		return "", fmt.Errorf("README.md: no section <!-- %s:begin --> ... %s", name, end)
	}
	rest := doc[loc[1]:]
	return doc[:loc[1]] + body + rest[strings.Index(rest, end):], nil
}

// cell escapes text for a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func factsTable(p *Pack) string {
	var b strings.Builder
	for _, g := range p.Groups {
		fmt.Fprintf(&b, "**`%s`** — %s · scope: %s\n\n", g.Name, cell(g.Doc), g.Scope)
		b.WriteString("| 事实 fact | 类型 type | 默认 default | 说明 doc |\n|---|---|---|---|\n")
		for _, f := range g.Fields {
			fmt.Fprintf(&b, "| `%s.%s` | %s | `%s` | %s |\n", g.Name, f.Name, f.Type, cell(FormatValue(f.Default)), cell(f.Doc))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func paramsTable(p *Pack) string {
	var b strings.Builder
	b.WriteString("| 参数 param | 类型 type | 自 from | 值 value | 复核 review by | 来源 source | 说明 doc |\n|---|---|---|---|---|---|---|\n")
	for _, prm := range p.paramList {
		doc, _, _ := strings.Cut(prm.Doc, "\n")
		name, typ, source, review := "`params."+prm.Name+"`", string(prm.Type), prm.Source, ""
		if !prm.ReviewBy.IsZero() {
			review = prm.ReviewBy.Format(time.DateOnly)
		}
		for _, v := range prm.Values {
			fmt.Fprintf(&b, "| %s | %s | %s | `%s` | %s | %s | %s |\n", name, typ, v.From.Format(time.DateOnly), cell(FormatValue(v.Value)), review, cell(source), cell(doc))
			name, typ, review, source, doc = "", "", "", "", "" // later values of the same param
		}
	}
	return b.String() + "\n"
}

func rulesTable(p *Pack) string {
	var b strings.Builder
	b.WriteString("默认规则 · The default rules:\n\n")
	b.WriteString("| ID | 等级 level | 标题 title | 文件 file | 版本 version | 启用 enabled | 测试 tests |\n|---|---|---|---|---|---|---|\n")
	for _, r := range p.Rules {
		lv := r.Level
		if r.Mark {
			lv = "mark" // a mark has no level (提示)
			if r.Route != "" {
				lv += ", route: " + r.Route
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | `%s` | %d | %v | %d |\n", r.ID, lv, cell(r.Title), filepath.Base(r.Pos.File), r.Version, r.Enabled, len(r.Tests))
	}
	if p.Escalation.MinRules > 0 {
		fmt.Fprintf(&b, "\n分级预警 · escalation: %d 条及以上规则命中同一家庭 → `%s` · %d or more rules on one household → `%s`.\n",
			p.Escalation.MinRules, p.Escalation.Level, p.Escalation.MinRules, p.Escalation.Level)
	}
	return b.String() + "\n"
}

// block is a fenced code block of the README.
type block struct {
	info string // what follows the opening ```
	body string
	line int // of the opening fence
}

func fencedBlocks(doc string) []block {
	var out []block
	var cur *block
	for i, line := range strings.Split(doc, "\n") {
		switch {
		case cur == nil && strings.HasPrefix(line, "```"):
			cur = &block{info: strings.TrimSpace(strings.TrimPrefix(line, "```")), line: i + 1}
		case cur != nil && strings.TrimSpace(line) == "```":
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.body += line + "\n"
		}
	}
	return out
}

// testExamples loads every ```yaml block of the README as a rule file
// beside the shipped facts.yaml: "yaml example FILE" must load with no
// warning and pass its tests; "yaml warning FILE" must load, pass its
// tests and warn exactly the ```text block after it; "yaml broken FILE"
// must fail with exactly the message of the ```text block after it. A yaml block marked neither is an error, so no
// example escapes the test.
func testExamples(t *testing.T, doc string) {
	facts, err := os.ReadFile(filepath.Join(rulesDir(t), FactsFile))
	if err != nil {
		t.Fatal(err)
	}
	blocks := fencedBlocks(doc)
	ran := 0
	for i, b := range blocks {
		fields := strings.Fields(b.info)
		if len(fields) == 0 || fields[0] != "yaml" {
			continue
		}
		if len(fields) != 3 || fields[1] != "example" && fields[1] != "broken" && fields[1] != "warning" {
			t.Errorf("README.md:%d: a yaml block must be marked \"yaml example FILE\", \"yaml warning FILE\" or \"yaml broken FILE\", got %q", b.line, b.info)
			continue
		}
		kind, name := fields[1], fields[2]
		ran++
		t.Run(fmt.Sprintf("line%d", b.line), func(t *testing.T) {
			dir := t.TempDir()
			if err := os.Mkdir(filepath.Join(dir, "rules"), 0o755); err != nil {
				t.Fatal(err)
			}
			for file, content := range map[string][]byte{FactsFile: facts, name: []byte(b.body)} {
				if err := os.WriteFile(filepath.Join(dir, "rules", file), content, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			t.Chdir(dir)
			p, err := Load("rules")
			if kind == "example" || kind == "warning" {
				if err != nil {
					t.Fatalf("README.md:%d: example does not load:\n%v", b.line, err)
				}
				var warnings []string
				for _, w := range p.Warnings {
					warnings = append(warnings, w.String())
				}
				got := strings.Join(warnings, "\n")
				switch {
				case kind == "example" && got != "":
					t.Errorf("README.md:%d: example has warnings (mark it \"yaml warning\"):\n%s", b.line, got)
				case kind == "warning" && (i+1 >= len(blocks) || blocks[i+1].info != "text"):
					t.Errorf("README.md:%d: a warning example must be followed by a ```text block with its warnings", b.line)
				case kind == "warning" && got != strings.TrimSuffix(blocks[i+1].body, "\n"):
					t.Errorf("README.md:%d: got warnings:\n%s\nwant (README.md:%d):\n%s", b.line, got, blocks[i+1].line, blocks[i+1].body)
				}
				results := p.Test(nil)
				for _, r := range results {
					if r.Status != StatusPass {
						t.Errorf("README.md:%d: %s", b.line, r)
					}
				}
				if len(results) == 0 || len(p.Untested()) > 0 {
					t.Errorf("README.md:%d: example rules must have tests (untested: %v)", b.line, p.Untested())
				}
				return
			}
			if i+1 >= len(blocks) || blocks[i+1].info != "text" {
				t.Fatalf("README.md:%d: a broken example must be followed by a ```text block with its errors", b.line)
			}
			want := strings.TrimSuffix(blocks[i+1].body, "\n")
			if err == nil {
				t.Fatalf("README.md:%d: broken example loads without error, want:\n%s", b.line, want)
			}
			if err.Error() != want {
				t.Errorf("README.md:%d: got:\n%s\nwant (README.md:%d):\n%s", b.line, err, blocks[i+1].line, want)
			}
		})
	}
	if ran == 0 {
		t.Error("README.md has no yaml examples")
	}
}
