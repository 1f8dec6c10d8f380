package main

// Issue 9: every hostile input an attacker or an odd department file
// brings is refused by the built binary with a clear message, in bounded
// time and memory. Each case runs lipwatch as its own process and reports
// its wall time and peak RSS (getrusage's ru_maxrss): the figures go in the
// log (go test -v -run TestHostileInputs), and a case that takes more than
// a guard far above them (60 s, 1 GiB — the bombs took 94 s and 6 GiB)
// fails, since that is the unbounded behaviour coming back, not a slower
// machine.

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// Guards far above what a bounded run needs.
const (
	hostileTimeGuard = 60 * time.Second
	hostileRSSGuard  = 1 << 30
)

// hostileCase is one hostile input: setup writes it into dir and returns
// the config's sources block (and may write other files), args are the
// command.
type hostileCase struct {
	name    string
	setup   func(t *testing.T, dir string) (sources string, extraConfig string)
	args    []string
	code    int            // expected exit status
	message *regexp.Regexp // expected in stdout+stderr
	after   func(t *testing.T, dir string)
}

// hugeCellXLSX writes a valid workbook whose B2 is one shared string of
// size bytes, compressed to a few hundred KB.
func hugeCellXLSX(t *testing.T, path string, size int) {
	t.Helper()
	x := excelize.NewFile()
	x.SetSheetRow("Sheet1", "A1", &[]any{"公民身份号码", "姓名", "出生日期", "户号", "乡镇街道代码"})
	x.SetSheetRow("Sheet1", "A2", &[]any{"11010519491231002X", "HUGECELL", "1949-12-31", "H1", "340799001"})
	small := filepath.Join(t.TempDir(), "small.xlsx")
	if err := x.SaveAs(small); err != nil {
		t.Fatal(err)
	}
	x.Close()
	src, err := zip.OpenReader(small)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, part := range src.File {
		w, err := zw.Create(part.Name)
		if err != nil {
			t.Fatal(err)
		}
		r, _ := part.Open()
		b, _ := io.ReadAll(r)
		r.Close()
		if part.Name != "xl/sharedStrings.xml" {
			w.Write(b)
			continue
		}
		before, after, ok := strings.Cut(string(b), "HUGECELL")
		if !ok {
			t.Fatal("no placeholder in the shared strings")
		}
		io.WriteString(w, before)
		chunk := strings.Repeat("名", 1<<16)
		for range size / len(chunk) {
			io.WriteString(w, chunk)
		}
		io.WriteString(w, after)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// hostileConfig is a one-township county with the repository's rules.
func hostileConfig(t *testing.T, dir, sources, extra string) string {
	t.Helper()
	rules, _ := filepath.Abs("../../rules")
	cfg := fmt.Sprintf(`county:
  code: "340799"
  townships:
    "340799001": 城关镇
store:
  path: %s
rules:
  dir: %s
cases:
  calendar: %s
dispatch:
  dir: %s
sync:
  source_timeout: 5s
%s
sources:
%s`, filepath.Join(dir, "lw.duckdb"), rules, filepath.Join(rules, "holidays.yaml"), filepath.Join(dir, "lists"), extra, sources)
	path := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// registrySource is a file source of the registry at path.
func registrySource(path string) string {
	return fmt.Sprintf(`  registry:
    kind: file
    dataset: registry
    options:
      path: %s
    columns:
      id_number: 公民身份号码
      name: 姓名
      birth_date: 出生日期
      household_id: 户号
      township_code: 乡镇街道代码
`, path)
}

func TestHostileInputs(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary")
	}
	if privacyBin == "" {
		t.Skip("no binary built")
	}
	const header = "公民身份号码,姓名,出生日期,户号,乡镇街道代码\n"
	cases := []hostileCase{
		{
			name: "config alias bomb",
			setup: func(t *testing.T, dir string) (string, string) {
				var b strings.Builder
				b.WriteString("bomb:\n  a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n")
				for i := 1; i < 10; i++ {
					fmt.Fprintf(&b, "  a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1, i-1)
				}
				return "", b.String()
			},
			args: []string{"sources"}, code: 2, message: regexp.MustCompile(`config\.yaml.*alias`),
		},
		{
			name: "config merge-key bomb",
			setup: func(t *testing.T, dir string) (string, string) {
				var b strings.Builder
				b.WriteString("bomb:\n  m0: &m0 {a: 1, b: 2, c: 3, d: 4}\n")
				for i := 1; i < 40; i++ {
					fmt.Fprintf(&b, "  m%d: &m%d {<<: [*m%d, *m%d, *m%d, *m%d], k%d: 1}\n", i, i, i-1, i-1, i-1, i-1, i)
				}
				return "", b.String()
			},
			args: []string{"sources"}, code: 2, message: regexp.MustCompile(`config\.yaml.*(alias|merge)`),
		},
		{
			name: "source path is a FIFO",
			setup: func(t *testing.T, dir string) (string, string) {
				p := filepath.Join(dir, "registry.csv")
				if err := syscall.Mkfifo(p, 0o600); err != nil {
					t.Fatal(err)
				}
				return registrySource(p), ""
			},
			args: []string{"sync"}, code: 3, message: regexp.MustCompile(`registry\.csv.*named pipe`),
		},
		{
			name: "source path is a symlink to /dev/zero",
			setup: func(t *testing.T, dir string) (string, string) {
				p := filepath.Join(dir, "registry.csv")
				if err := os.Symlink("/dev/zero", p); err != nil {
					t.Fatal(err)
				}
				return registrySource(p), ""
			},
			args: []string{"sync"}, code: 3, message: regexp.MustCompile(`registry\.csv.*device`),
		},
		{
			name: "rule nested 1,000,000 parentheses deep",
			setup: func(t *testing.T, dir string) (string, string) {
				rules := filepath.Join(dir, "rules")
				if err := os.CopyFS(rules, os.DirFS("../../rules")); err != nil {
					t.Fatal(err)
				}
				deep := strings.Repeat("(", 1_000_000) + "true" + strings.Repeat(")", 1_000_000)
				rule := "rules:\n  - id: DEEP\n    title: 嵌套\n    level: yellow\n    when: '" + deep + "'\n    reason: '\"x\"'\n"
				if err := os.WriteFile(filepath.Join(rules, "deep.yaml"), []byte(rule), 0o600); err != nil {
					t.Fatal(err)
				}
				return "", "rules_override: " + rules + "\n"
			},
			args: []string{"rules", "check"}, code: 1, message: regexp.MustCompile(`deep\.yaml:5:12: .*bytes long, more than the 16384`),
		},
		{
			name: "rule nested 8,000 parentheses deep (within the size limit)",
			setup: func(t *testing.T, dir string) (string, string) {
				rules := filepath.Join(dir, "rules")
				if err := os.CopyFS(rules, os.DirFS("../../rules")); err != nil {
					t.Fatal(err)
				}
				deep := strings.Repeat("(", 8000) + "true" + strings.Repeat(")", 8000)
				rule := "rules:\n  - id: DEEP\n    title: 嵌套\n    level: yellow\n    when: '" + deep + "'\n    reason: '\"x\"'\n"
				if err := os.WriteFile(filepath.Join(rules, "deep.yaml"), []byte(rule), 0o600); err != nil {
					t.Fatal(err)
				}
				return "", "rules_override: " + rules + "\n"
			},
			args: []string{"rules", "check"}, code: 1, message: regexp.MustCompile(`deep\.yaml:5:\d+: .*nest`),
		},
		{
			name: "store.path is a department's CSV",
			setup: func(t *testing.T, dir string) (string, string) {
				p := filepath.Join(dir, "lw.duckdb")
				if err := os.WriteFile(p, []byte(header+"x,y,z,w,v\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(p, 0o644); err != nil { // past this binary's umask
					t.Fatal(err)
				}
				return "", ""
			},
			args: []string{"cases", "list"}, code: 1, message: regexp.MustCompile(`lw\.duckdb.*is not a DuckDB`),
			after: func(t *testing.T, dir string) {
				fi, err := os.Stat(filepath.Join(dir, "lw.duckdb"))
				if err != nil || fi.Mode().Perm() != 0o644 || fi.Size() != int64(len(header)+10) {
					t.Errorf("the CSV was touched: %v %v", fi.Mode(), err)
				}
			},
		},
		{
			name: "timestamp dates in year 1 and year 10000",
			setup: func(t *testing.T, dir string) (string, string) {
				p := filepath.Join(dir, "registry.csv")
				body := header +
					"11010519491231002X,甲,0001-01-01 00:00:00,H1,340799001\n" +
					"110105194912310038,乙,10000-01-01T00:00:00,H1,340799001\n"
				if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
					t.Fatal(err)
				}
				return registrySource(p), ""
			},
			args: []string{"sync"}, code: 3, message: regexp.MustCompile(`quarantined=2|2 quarantined|quarantined 2`),
		},
	}
	cases = append(cases,
		hostileCase{
			name: "returned list: 100 KiB xlsx unzipping to 100 MiB",
			setup: func(t *testing.T, dir string) (string, string) {
				f, err := os.Create(filepath.Join(dir, "returned.xlsx"))
				if err != nil {
					t.Fatal(err)
				}
				zw := zip.NewWriter(f)
				w, _ := zw.Create("xl/sharedStrings.xml")
				chunk := strings.Repeat("核", 1<<16)
				for range (100 << 20) / len(chunk) {
					io.WriteString(w, chunk)
				}
				zw.Close()
				f.Close()
				return "", ""
			},
			args: []string{"feedback", "import", "returned.xlsx"}, code: 2, // the one list refused whole: nothing was imported
			message: regexp.MustCompile(`returned\.xlsx.*xl/sharedStrings\.xml is \d+ MiB; a list's parts are at most 16 MiB`),
		},
		hostileCase{
			name: "returned list: two sheets with a 预警编号 header",
			setup: func(t *testing.T, dir string) (string, string) {
				x := excelize.NewFile()
				defer x.Close()
				x.NewSheet("城东街道")
				for _, sh := range []string{"Sheet1", "城东街道"} {
					x.SetSheetRow(sh, "A1", &[]any{"预警编号", "核实结果"})
					x.SetSheetRow(sh, "A2", &[]any{"YJ-20261128-0001", "不符合条件"})
				}
				if err := x.SaveAs(filepath.Join(dir, "returned.xlsx")); err != nil {
					t.Fatal(err)
				}
				return "", ""
			},
			args: []string{"feedback", "import", "returned.xlsx"}, code: 2, // the one list refused whole: nothing was imported
			message: regexp.MustCompile(`“Sheet1”“城东街道”`),
		},
		hostileCase{
			name: "facts.yaml that deletes the audit and copies the registry out",
			setup: func(t *testing.T, dir string) (string, string) {
				rules := filepath.Join(dir, "rules")
				if err := os.CopyFS(rules, os.DirFS("../../rules")); err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(rules, "facts.yaml")
				b, _ := os.ReadFile(path)
				const at = "      FROM ids LEFT JOIN reg USING (id_number)\n"
				evil := "      FROM ids LEFT JOIN reg USING (id_number); DELETE FROM audit; COPY (SELECT * FROM registry) TO '" + filepath.Join(dir, "stolen.csv") + "'\n"
				os.WriteFile(path, []byte(strings.Replace(string(b), at, evil, 1)), 0o600)
				return "", "rules_override: " + rules + "\n"
			},
			args: []string{"rules", "check"}, code: 1, message: regexp.MustCompile(`facts\.yaml:\d+:\d+: group person: sql: .*may only read`),
			after: func(t *testing.T, dir string) {
				if _, err := os.Stat(filepath.Join(dir, "stolen.csv")); err == nil {
					t.Error("the registry was copied out")
				}
			},
		},
	)
	cases = append(cases,
		hostileCase{
			name: "registry.xlsx: 200 KB holding one 190 MiB cell",
			setup: func(t *testing.T, dir string) (string, string) {
				p := filepath.Join(dir, "registry.xlsx")
				hugeCellXLSX(t, p, 190<<20)
				return registrySource(p), ""
			},
			args: []string{"sync"}, code: 3, message: regexp.MustCompile(`registry\.xlsx.*(32,?767|limit|damaged or crafted)`),
		},
		hostileCase{
			name: "registry.csv: 1,000,000 blank lines",
			setup: func(t *testing.T, dir string) (string, string) {
				p := filepath.Join(dir, "registry.csv")
				if err := os.WriteFile(p, []byte(header+strings.Repeat("\n", 1_000_000)), 0o600); err != nil {
					t.Fatal(err)
				}
				return registrySource(p), ""
			},
			args: []string{"sync"}, code: 3, message: regexp.MustCompile(`1,000,000 blank rows`),
			after: func(t *testing.T, dir string) {
				out, err := exec.Command(privacyBin, "--config", filepath.Join(dir, "config.yaml"), "quarantine", "list").CombinedOutput()
				if err != nil || !strings.Contains(string(out), "\n100 rows\n") {
					t.Errorf("quarantine list: %v\n%.500s", err, out)
				}
			},
		},
		hostileCase{
			name: "registry.csv: a 50 GiB sparse file of zeros",
			setup: func(t *testing.T, dir string) (string, string) {
				p := filepath.Join(dir, "registry.csv")
				if err := os.WriteFile(p, []byte(header), 0o600); err != nil {
					t.Fatal(err)
				}
				if err := os.Truncate(p, 50<<30); err != nil {
					t.Fatal(err)
				}
				return registrySource(p), ""
			},
			args: []string{"sync"}, code: 3, message: regexp.MustCompile(`registry\.csv.*timed out after 5s \(sync\.source_timeout\)`),
		},
	)
	type figure struct {
		name    string
		elapsed time.Duration
		rss     int64
	}
	var figures []figure
	for _, hc := range cases {
		t.Run(hc.name, func(t *testing.T) {
			dir := t.TempDir()
			sources, extra := hc.setup(t, dir)
			rulesDir := ""
			if r, ok := strings.CutPrefix(extra, "rules_override: "); ok {
				rulesDir, extra = strings.TrimSpace(r), ""
			}
			config := hostileConfig(t, dir, sources, extra)
			ctx, cancel := context.WithTimeout(context.Background(), 3*hostileTimeGuard)
			defer cancel()
			cmd := exec.CommandContext(ctx, privacyBin, append([]string{"--config", config, "--as-of", "2026-11-28"}, hc.args...)...)
			cmd.Dir = dir
			cmd.Env = environWithoutLipwatch()
			if rulesDir != "" {
				cmd.Env = append(cmd.Env, "LIPWATCH_RULES_DIR="+rulesDir)
			}
			var out strings.Builder
			cmd.Stdout, cmd.Stderr = &out, &out
			start := time.Now()
			err := cmd.Run()
			elapsed := time.Since(start)
			code := 0
			var exit *exec.ExitError
			if errors.As(err, &exit) {
				code = exit.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			rss := int64(0)
			if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
				rss = ru.Maxrss * 1024 // kilobytes on Linux
			}
			figures = append(figures, figure{hc.name, elapsed, rss})
			text := out.String()
			if len(text) > 2000 {
				text = text[:2000] + "…"
			}
			if code != hc.code || !hc.message.MatchString(out.String()) {
				t.Errorf("exit %d, want %d with %q:\n%s", code, hc.code, hc.message, text)
			}
			if elapsed > hostileTimeGuard || rss > hostileRSSGuard {
				t.Errorf("unbounded: %v, %d MiB peak RSS", elapsed, rss>>20)
			}
			if hc.after != nil {
				hc.after(t, dir)
			}
		})
	}
	var b strings.Builder
	for _, f := range figures {
		fmt.Fprintf(&b, "\n  %-62s %6.2fs %5d MiB", f.name, f.elapsed.Seconds(), f.rss>>20)
	}
	t.Logf("hostile inputs (wall time, peak RSS):%s", b.String())
}
