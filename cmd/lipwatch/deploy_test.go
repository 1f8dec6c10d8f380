package main

import (
	"bufio"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/config"
)

// TestDeployFiles keeps deploy/ honest: the unit runs a command line the
// CLI accepts, with the settings an operator relies on (reload by SIGHUP,
// restart on failure, its own user, umask 077, the hardening, a stop
// timeout above what serve may take); every path it names is in the
// README; every lipwatch command the README shows exists with its flags;
// and the proxy sends the portal's address X-Forwarded-For and keeps
// /metrics and the health checks to itself.
func TestDeployFiles(t *testing.T) {
	unit := readUnit(t, "../../deploy/lipwatch.service")
	readmeB, err := os.ReadFile("../../deploy/README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(readmeB)

	for key, want := range map[string]string{
		"User":                     "lipwatch",
		"Restart":                  "on-failure",
		"ExecReload":               "/bin/kill -HUP $MAINPID",
		"UMask":                    "0077",
		"NoNewPrivileges":          "yes",
		"ProtectSystem":            "strict",
		"PrivateTmp":               "yes",
		"ProtectHome":              "yes",
		"RestartPreventExitStatus": "2",
	} {
		if got := unit[key]; len(got) != 1 || got[0] != want {
			t.Errorf("lipwatch.service %s=%v, want %s", key, got, want)
		}
	}
	for _, key := range []string{"EnvironmentFile", "ReadWritePaths", "ExecStart", "TimeoutStopSec", "WorkingDirectory"} {
		if len(unit[key]) != 1 {
			t.Fatalf("lipwatch.service: want one %s, got %v", key, unit[key])
		}
	}

	// ExecStart: a command line of this CLI that runs serve.
	argv := strings.Fields(unit["ExecStart"][0])
	root := newRootCmd()
	cmd, rest, err := root.Find(argv[1:])
	if err != nil || cmd.Name() != "serve" {
		t.Fatalf("ExecStart %q does not run serve: %v", argv, err)
	}
	if err := cmd.ParseFlags(rest); err != nil {
		t.Errorf("ExecStart %q: %v", argv, err)
	} else if args := cmd.Flags().Args(); len(args) > 0 {
		t.Errorf("ExecStart %q: serve takes no arguments, given %v", argv, args)
	}
	if f := cmd.Flags().Lookup("config"); f == nil || !f.Changed {
		t.Errorf("ExecStart %q names no --config", argv)
	}

	// Stop: serve lets the job, the portal, then forwarded commands finish,
	// each within the grace.
	if stop := systemdDuration(t, unit["TimeoutStopSec"][0]); stop <= 3*time.Duration(config.DefaultShutdownGrace) {
		t.Errorf("TimeoutStopSec=%s: want more than three times schedule.shutdown_grace (%s)", unit["TimeoutStopSec"][0], time.Duration(config.DefaultShutdownGrace))
	}

	// Every path of the unit is the README's.
	paths := []string{argv[0], unit["WorkingDirectory"][0], strings.TrimPrefix(unit["EnvironmentFile"][0], "-")}
	paths = append(paths, strings.Fields(unit["ReadWritePaths"][0])...)
	if f := cmd.Flags().Lookup("config"); f != nil {
		paths = append(paths, f.Value.String())
	}
	for _, env := range unit["Environment"] {
		if _, v, ok := strings.Cut(env, "="); ok && strings.HasPrefix(v, "/") {
			paths = append(paths, v)
		}
	}
	for _, p := range paths {
		if !strings.Contains(readme, "`"+p+"`") && !strings.Contains(readme, " "+p+" ") && !strings.Contains(readme, " "+p+"\n") {
			t.Errorf("lipwatch.service names %s, which deploy/README.md does not", p)
		}
	}
	// The store and the lists the README configures are where the unit lets serve write.
	for _, key := range []string{"path", "dir"} {
		m := regexp.MustCompile(`(?m)^  `+key+`: (/\S+)`).FindAllStringSubmatch(readme, -1)
		for _, g := range m {
			if strings.HasPrefix(g[1], "/etc/") {
				continue // rules: read only
			}
			ok := false
			for _, rw := range strings.Fields(unit["ReadWritePaths"][0]) {
				ok = ok || strings.HasPrefix(g[1], rw+"/")
			}
			if !ok {
				t.Errorf("deploy/README.md puts %s outside the unit's ReadWritePaths %s", g[1], unit["ReadWritePaths"][0])
			}
		}
	}

	// Every lipwatch command line the README shows is one the CLI has.
	var shown int
	for _, line := range strings.Split(readme, "\n") {
		i := strings.Index(line, "lipwatch --config")
		if i < 0 {
			continue
		}
		fields := strings.Fields(line[i+len("lipwatch "):])
		root := newRootCmd()
		cmd, rest, err := root.Find(fields)
		if err != nil || cmd == root {
			t.Errorf("deploy/README.md: %q is not a lipwatch command: %v", line, err)
			continue
		}
		if err := cmd.ParseFlags(rest); err != nil {
			t.Errorf("deploy/README.md: %q: %v", line, err)
		} else if !strings.Contains(line, "$(") { // a shell substitution is one argument to the shell, not to Fields
			if err := cmd.ValidateArgs(cmd.Flags().Args()); err != nil {
				t.Errorf("deploy/README.md: %q: %v", line, err)
			}
		}
		shown++
	}
	if shown < 5 {
		t.Errorf("found %d lipwatch command lines in deploy/README.md", shown)
	}

	// The proxy: the portal's address, X-Forwarded-For, no public metrics.
	nginx, err := os.ReadFile("../../deploy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	listen := regexp.MustCompile(`(?m)^  listen: (\S+)`).FindStringSubmatch(readme)
	if listen == nil || !strings.Contains(string(nginx), "proxy_pass http://"+listen[1]+";") {
		t.Errorf("nginx.conf does not proxy to the portal.listen deploy/README.md sets (%v)", listen)
	}
	for _, want := range []string{"proxy_set_header X-Forwarded-For", "ssl_certificate ", "location = /metrics { return 404; }",
		"location = /healthz { return 404; }", "location = /readyz  { return 404; }"} {
		if !strings.Contains(string(nginx), want) {
			t.Errorf("nginx.conf has no %q", want)
		}
	}
}

// readUnit reads a systemd unit's Key=Value lines (all sections), each
// key's values in order.
func readUnit(t *testing.T, path string) map[string][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' || line[0] == '[' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("%s: %q is not Key=Value", path, line)
		}
		out[k] = append(out[k], v)
	}
	return out
}

// systemdDuration reads a systemd time span of one unit ("90", "90s",
// "16min", "1h").
func systemdDuration(t *testing.T, s string) time.Duration {
	t.Helper()
	m := regexp.MustCompile(`^(\d+)(s|min|h)?$`).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("time span %q: want N, Ns, Nmin or Nh", s)
	}
	n, _ := strconv.Atoi(m[1])
	unit := map[string]time.Duration{"": time.Second, "s": time.Second, "min": time.Minute, "h": time.Hour}[m[2]]
	return time.Duration(n) * unit
}
