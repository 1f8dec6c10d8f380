package main

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/rule"
)

// diffExamples is how many households each township's change lists.
const diffExamples = 3

func newRulesDiffCmd(g *globals) *cobra.Command {
	var live, working string
	cmd := &cobra.Command{
		Use:   "diff [--live DIR|REV]",
		Short: "What the working rule files would change tonight against the live ones, per township and rule; writes nothing",
		Long: `Evaluates the store at --as-of twice, writing nothing — with the live rule files and with
the working ones (rules.dir of the config) — as the night would (the same held rules, data gaps,
suppressions and escalation), and lists, per township and per rule, the households whose case
would open, would no longer open, change level, or whose hits would start or stop firing, with a
few examples each.

--live is a directory of rule files, or a git revision of the rules directory (default HEAD: the
rule files as last committed), read with git archive. --working is a directory of candidate rule
files to compare instead of rules.dir: while serve runs (and rules.dir is what tonight uses), an
analyst edits a copy and previews it with --working COPY --live <rules.dir or HEAD>.

Exit status: 0 nothing would change, 1 something would (as diff(1)), 2 a rule file or the
command line is wrong.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			e, p, day, err := g.openPipeline(cmd, "lipwatch rules diff")
			if err != nil {
				return err
			}
			defer p.Close()
			workDir := e.cfg.Resolve(e.cfg.Rules.Dir)
			livePack, from, err := loadLiveRules(workDir, live, "--live")
			if err != nil {
				return &exitError{code: 2, msg: err.Error()}
			}
			workPack := p.Pack
			if working != "" {
				if workPack, err = rule.Load(working); err != nil {
					return &exitError{code: 2, msg: fmt.Sprintf("--working %s: %v", working, err)}
				}
				workDir = working
			}
			d, err := p.DiffPacks(cmd.Context(), day, livePack, workPack)
			if err != nil {
				return err
			}
			printDiff(cmd.OutOrStdout(), p, d, from, workDir)
			if len(d.Changes) > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("%d households would change", countSubjects(d))}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&live, "live", "HEAD", "the live rules: a directory, or a git revision of the rules directory")
	cmd.Flags().StringVar(&working, "working", "", "the candidate rules: a directory (default rules.dir)")
	return cmd
}

// loadLiveRules loads rule files named by flag: a directory, or rules at a
// git revision of the repository holding workDir. It says where they came
// from.
func loadLiveRules(workDir, live, flag string) (*rule.Pack, string, error) {
	if st, err := os.Stat(live); err == nil && st.IsDir() {
		pack, err := rule.Load(live)
		if err != nil {
			return nil, "", fmt.Errorf("%s %s: %w", flag, live, err)
		}
		return pack, live, nil
	} else if err == nil {
		return nil, "", fmt.Errorf("%s %s: a file, not a directory of rule files", flag, live)
	}
	top, err := exec.Command("git", "-C", workDir, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: not a directory, and %s is not in a git repository to take a revision from", flag, live, workDir)
	}
	root := strings.TrimSpace(string(top))
	real, err := filepath.EvalSymlinks(workDir)
	if err != nil {
		return nil, "", err
	}
	rel, err := filepath.Rel(root, real)
	if err != nil {
		return nil, "", err
	}
	var out, stderr bytes.Buffer
	git := exec.Command("git", "-C", root, "archive", "--format=tar", live, "--", filepath.ToSlash(rel))
	git.Stdout, git.Stderr = &out, &stderr
	if err := git.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		switch {
		case strings.Contains(msg, "not a valid object name"):
			msg = "no such directory, and no such git revision"
		case strings.Contains(msg, "did not match any files"):
			msg = fmt.Sprintf("the rules directory %s is not committed to git at that revision (commit it, or give a directory)", rel)
		}
		return nil, "", fmt.Errorf("%s %s: %s", flag, live, msg)
	}
	tmp, err := os.MkdirTemp("", "lipwatch-live-rules-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(tmp)
	tr := tar.NewReader(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, "", err
		}
		if h.Typeflag != tar.TypeReg || strings.Contains(h.Name, "..") {
			continue
		}
		dst := filepath.Join(tmp, filepath.FromSlash(h.Name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
			return nil, "", err
		}
		b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return nil, "", err
		}
		if err := os.WriteFile(dst, b, 0o600); err != nil {
			return nil, "", err
		}
	}
	pack, err := rule.Load(filepath.Join(tmp, rel))
	if err != nil {
		return nil, "", fmt.Errorf("%s %s: %w", flag, live, err)
	}
	return pack, "git " + live + ":" + filepath.ToSlash(rel), nil
}

var diffWords = map[string]string{
	pipeline.DiffOpens:    "would open",
	pipeline.DiffNotOpens: "would no longer open",
	pipeline.DiffLevel:    "would change level",
	pipeline.DiffStarts:   "hits would start",
	pipeline.DiffStops:    "hits would stop",
}

func countSubjects(d *pipeline.RulesDiff) int {
	seen := map[string]bool{}
	for _, c := range d.Changes {
		seen[c.Subject] = true
	}
	return len(seen)
}

// printDiff writes the diff per township (counts and examples) and per rule.
func printDiff(w io.Writer, p *pipeline.Pipeline, d *pipeline.RulesDiff, from, to string) {
	fmt.Fprintf(w, "rules diff at %s: live %s -> working %s\n", d.AsOf.Format(time.DateOnly), from, to)
	if len(d.Changes) == 0 {
		fmt.Fprintln(w, "no household's case would change")
		return
	}
	type key struct{ town, kind string }
	count := map[key]int{}
	var order []key
	byRule := map[string]map[string]int{}
	var rules []string
	for _, c := range d.Changes {
		k := key{c.Township, c.Kind}
		if count[k] == 0 {
			order = append(order, k)
		}
		count[k]++
		for _, r := range c.Rules {
			if byRule[r] == nil {
				byRule[r] = map[string]int{}
				rules = append(rules, r)
			}
			byRule[r][c.Kind]++
		}
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "TOWNSHIP\tCHANGE\tHOUSEHOLDS\tEXAMPLES")
	for _, k := range order {
		var ex []string
		for _, c := range d.Changes {
			if c.Township != k.town || c.Kind != k.kind || len(ex) == diffExamples {
				continue
			}
			s := c.Subject
			if c.CaseID != "" {
				s += " (" + c.CaseID + ")"
			}
			switch {
			case c.Kind == pipeline.DiffLevel:
				s += " " + c.From + "->" + c.To
			case len(c.Rules) > 0:
				s += " " + strings.Join(c.Rules, ",")
			}
			ex = append(ex, s)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\n", p.Router.Name(k.town), diffWords[k.kind], count[k], strings.Join(ex, "; "))
	}
	tw.Flush()
	fmt.Fprintln(w)
	tw = newTable(w)
	fmt.Fprintln(tw, "RULE\tOPENS\tNO LONGER OPENS\tSTARTS\tSTOPS")
	for _, r := range rules {
		n := byRule[r]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\n", r, n[pipeline.DiffOpens], n[pipeline.DiffNotOpens], n[pipeline.DiffStarts], n[pipeline.DiffStops])
	}
	tw.Flush()
}
