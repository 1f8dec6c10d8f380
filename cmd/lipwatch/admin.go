package main

// The CLI while serve runs. `lipwatch serve` holds the store from start to
// stop (DuckDB: one process per file), so a command that uses the store
// asks serve to run it: it finds serve's admin socket beside the store
// (<store>.sock), sends its command line, and serve runs the same cobra
// command in its own process on its open store, streaming stdout and
// stderr back and then the exit status. One code path for every command
// (globals.route, from the root's pre-run): a command says how it uses the
// store (storeUse), and which of its arguments are file paths.

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/redact"
	"github.com/lipwatch/lipwatch/engine/store"
	"github.com/lipwatch/lipwatch/internal/adminsock"
)

// How a command uses the store: storeRead and storeWrite commands go
// through a running serve; a writing one waits for serve's job lock, so
// that it never overlaps the nightly run or a source's sync.
const (
	storeNone  = "none"
	storeRead  = "read"
	storeWrite = "write"
)

// Annotations a command may carry instead of an entry in the tables
// below: annStore is storeNone, storeRead or storeWrite; annPaths lists,
// comma-separated, the flags whose values are file paths, and "args" when
// the positional arguments are.
const (
	annStore = "lipwatch.store"
	annPaths = "lipwatch.paths"
)

// storeCommands says how each command uses the store, by its path under
// lipwatch. A command added without an entry (or the annotation) fails
// TestEveryCommandSaysHowItUsesTheStore.
var storeCommands = map[string]string{
	"run":                  storeWrite,
	"sync":                 storeWrite,
	"evaluate":             storeWrite,
	"dispatch":             storeWrite,
	"feedback import":      storeWrite,
	"cases extend":         storeWrite,
	"cases reopen":         storeWrite,
	"quarantine retry":     storeWrite,
	"users add":            storeWrite,
	"users disable":        storeWrite,
	"users enable":         storeWrite,
	"users reset-password": storeWrite,
	"users grant":          storeWrite,
	"users list":           storeRead,
	"notify list":          storeRead,
	"notify send":          storeWrite,
	"notify retry":         storeWrite,
	"notify test":          storeNone, // sends a test message; the store is not opened
	"sources":              storeRead,
	"sources check":        storeRead,
	"sources report":       storeRead,
	"cases list":           storeRead,
	"cases show":           storeRead,
	"rules explain":        storeRead,
	"rules diff":           storeRead,
	"rules backtest":       storeRead,
	"rules yield":          storeRead,
	"quarantine list":      storeRead,
	"quarantine export":    storeRead,
	"audit":                storeWrite, // reads the log, and records that it did
	"gen":                  storeNone,
	"bench":                storeNone, // its own county and store, in --dir; lipwatch runs as its children
	"rules check":          storeNone,
	"rules test":           storeNone,
	"fakeapi":              storeNone,
	"serve":                storeNone, // never forwarded: it is the one that holds the store
	"runs":                 storeRead,
	"runs show":            storeRead,
	"links run":            storeWrite,
	"links confirm":        storeWrite, // changes a dataset row's id_number: never during the nightly run
	"links reject":         storeWrite,
	"links review":         storeRead, // reads, and records in the audit log that it did (as cases list)
	"links explain":        storeRead,
	"links list":           storeRead,
	"backup":               storeWrite, // one snapshot; the job lock puts it between two jobs
	"restore":              storeNone,  // never forwarded: it replaces the store, and refuses while serve runs
}

// pathParams names the file-path parameters of the commands that take
// some: resolved against the client's working directory before they are
// sent, since serve has its own.
var pathParams = map[string][]string{
	"feedback import":   {"args"},
	"quarantine export": {"out"},
	"backup":            {"out"},
	// A flag named with "?" is a path when it names one that exists here,
	// else something else (--live HEAD: a git revision).
	"rules diff":     {"working", "live?"},
	"rules backtest": {"rules?"},
}

// commandKey is cmd's path under the root: "cases show".
func commandKey(cmd *cobra.Command) string {
	_, key, _ := strings.Cut(cmd.CommandPath(), " ")
	return key
}

// storeUse is how cmd uses the store; "" when it does not say.
func storeUse(cmd *cobra.Command) string {
	if a, ok := cmd.Annotations[annStore]; ok {
		return a
	}
	return storeCommands[commandKey(cmd)]
}

func pathParamsOf(cmd *cobra.Command) []string {
	if a, ok := cmd.Annotations[annPaths]; ok {
		return strings.Split(a, ",")
	}
	return pathParams[commandKey(cmd)]
}

// route runs cmd through the serve that holds its store when one answers
// on the store's admin socket; otherwise cmd runs here, and if it then
// finds the store held by a serve that was starting, through that serve
// after all.
func (g *globals) route(cmd *cobra.Command, args []string) error {
	use := storeUse(cmd)
	if g.server != nil || (use != storeRead && use != storeWrite) || cmd.RunE == nil {
		return nil
	}
	code, ok, err := g.forward(cmd, args)
	if err != nil {
		return err
	}
	if ok {
		return forwarded(cmd, code)
	}
	run := cmd.RunE
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		err := run(cmd, args)
		if !errors.Is(err, store.ErrLocked) || g.cfg == nil {
			return err
		}
		// A serve that took the store between the look for its socket and
		// the open: it listens a moment after.
		path := g.cfg.Resolve(g.cfg.Store.Path)
		holder, pid, held := store.HeldBy(path)
		if servePID, ok := store.ServePID(path); !held || !ok || pid != servePID || !strings.HasPrefix(holder, "lipwatch serve") {
			return err
		}
		for range 20 {
			time.Sleep(100 * time.Millisecond)
			code, ok, ferr := g.forward(cmd, args)
			if ferr != nil {
				return ferr
			}
			if ok {
				return forwarded(cmd, code)
			}
		}
		return err
	}
	return nil
}

// forwarded ends cmd once serve ran it, with serve's exit status.
func forwarded(cmd *cobra.Command, code int) error {
	cmd.RunE = func(*cobra.Command, []string) error { return nil }
	if code == 0 {
		return nil
	}
	flushMasked(cmd.Root())
	return &exitError{code: code}
}

// cancelWait is how long a client waits for serve to end a command the
// user interrupted before it gives up on it.
const cancelWait = time.Minute

// forward sends cmd to the serve that holds the store, if one answers:
// ok false when none does (no socket, a stale one, or serve stopping
// before it ran the command), and cmd is to run here.
func (g *globals) forward(cmd *cobra.Command, args []string) (code int, ok bool, err error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return 0, false, &exitError{code: 2, msg: err.Error()}
	}
	storePath := cfg.Resolve(cfg.Store.Path)
	sock := adminsock.Path(storePath)
	conn, err := adminsock.Dial(sock)
	if err != nil {
		if adminsock.NoServer(err) {
			return 0, false, nil
		}
		return 0, false, &exitError{code: 1, msg: fmt.Sprintf("%v: a serve holds the store %s and its admin socket does not let you in; run lipwatch as the user serve runs as", err, storePath)}
	}
	defer conn.Close()
	argv, err := forwardArgs(cmd, args)
	if err != nil {
		return 0, false, &exitError{code: 2, msg: err.Error()}
	}
	dir, _ := os.Getwd()
	req, _ := json.Marshal(adminsock.Request{Version: adminsock.Version, Args: argv, Store: storePath, Env: forwardEnv(), Dir: dir})
	// A failed write still reads: serve may have answered (refused) and
	// closed; a serve gone without a word lets the command run here.
	conn.WriteFrame(adminsock.KindRequest, req)
	ctx := cmd.Context()
	stop := context.AfterFunc(ctx, func() {
		conn.WriteFrame(adminsock.KindCancel, nil)
		conn.SetReadDeadline(time.Now().Add(cancelWait))
	})
	defer stop()
	out, errw := cmd.OutOrStdout(), cmd.ErrOrStderr()
	started := false
	for {
		kind, p, err := conn.ReadFrame()
		switch {
		case err != nil && ctx.Err() != nil:
			return 0, false, &exitError{code: 130, msg: fmt.Sprintf("interrupted; serve did not confirm it stopped the command within %s", cancelWait)}
		case err != nil && !started:
			return 0, false, nil // serve stopped before it ran the command
		case err != nil:
			return 0, false, &exitError{code: 1, msg: fmt.Sprintf("serve stopped while it ran the command (%v); what it did is in the run ledger (lipwatch sources report) and the audit log: run the command again", err)}
		}
		switch kind {
		case adminsock.KindStarted:
			started = true
		case adminsock.KindStdout:
			out.Write(p)
		case adminsock.KindStderr:
			errw.Write(p)
		case adminsock.KindNotice:
			fmt.Fprintf(errw, "lipwatch: %s\n", p)
		case adminsock.KindExit:
			code, err := strconv.Atoi(string(p))
			if err != nil {
				return 0, false, &exitError{code: 1, msg: fmt.Sprintf("serve answered an exit status %q", p)}
			}
			return code, true, nil
		}
	}
}

// forwardArgs is cmd's command line as serve is to run it: the command's
// path, the flags given (--name=value; --config stays here: serve runs
// with its own config, and the client's only found the store), file paths
// made absolute, then the positional arguments after "--". LIPWATCH_LOG_LEVEL
// and LIPWATCH_LOG_FORMAT travel as the flags they stand for.
func forwardArgs(cmd *cobra.Command, args []string) ([]string, error) {
	argv := strings.Fields(commandKey(cmd))
	paths := pathParamsOf(cmd)
	var err error
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		a, aerr := filepath.Abs(p)
		if aerr != nil && err == nil {
			err = fmt.Errorf("%s: %w", p, aerr)
		}
		return a
	}
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if f.Name == "config" || f.Name == "help" {
			return
		}
		vals := []string{f.Value.String()}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			vals = sv.GetSlice()
		}
		for _, v := range vals {
			if slices.Contains(paths, f.Name) {
				v = abs(v)
			} else if _, serr := os.Stat(v); serr == nil && slices.Contains(paths, f.Name+"?") {
				v = abs(v)
			}
			if f.Value.Type() == "stringSlice" {
				v = csvField(v) // read back as CSV by the flag
			}
			argv = append(argv, "--"+f.Name+"="+v)
		}
	})
	for flag, env := range map[string]string{"log-level": "LIPWATCH_LOG_LEVEL", "log-format": "LIPWATCH_LOG_FORMAT"} {
		if f := cmd.Flags().Lookup(flag); f != nil && !f.Changed && os.Getenv(env) != "" {
			argv = append(argv, "--"+flag+"="+os.Getenv(env))
		}
	}
	if len(args) > 0 {
		argv = append(argv, "--")
		for _, a := range args {
			if slices.Contains(paths, "args") {
				a = abs(a)
			}
			argv = append(argv, a)
		}
	}
	return argv, err
}

// csvField quotes v as one CSV field.
func csvField(v string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	w.Write([]string{v})
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// envTravels are the LIPWATCH_* variables a forwarded command may carry
// whatever serve's are: the config file and the store (they found serve;
// serve checks it is the same store), and the log settings (sent as flags).
var envTravels = map[string]bool{
	"LIPWATCH_CONFIG":     true,
	"LIPWATCH_STORE_PATH": true,
	"LIPWATCH_LOG_LEVEL":  true,
	"LIPWATCH_LOG_FORMAT": true,
}

// forwardEnv is the client's other LIPWATCH_* variables, by name, each
// with the SHA-256 of its value (secrets such as tokens never leave the
// client; serve only compares).
func forwardEnv() map[string]string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		name, val, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(name, config.EnvPrefix) && !envTravels[name] && val != "" {
			env[name] = envHash(val)
		}
	}
	return env
}

func envHash(v string) string {
	sum := sha256.Sum256([]byte(v))
	return hex.EncodeToString(sum[:])
}

// served is what a command serve runs for the CLI uses instead of its own:
// serve's config and open store, and who asked, for the audit log.
type served struct {
	cfg   *config.Config
	store *store.Store
	actor string
}

// jobLock is serve's one job at a time: the nightly run, a source's own
// sync and every forwarded command that writes take it, so that they never
// overlap (DuckDB has one writer; a source must never sync twice at once).
type jobLock struct {
	ch    chan struct{}
	mu    sync.Mutex
	who   string
	since time.Time
}

func newJobLock() *jobLock { return &jobLock{ch: make(chan struct{}, 1)} }

// lock takes the lock for who, waiting for the job that has it (waiting,
// if set, hears which first) until ctx is done.
func (l *jobLock) lock(ctx context.Context, who string, waiting func(holder string, since time.Time)) error {
	select {
	case l.ch <- struct{}{}:
	default:
		if waiting != nil {
			l.mu.Lock()
			holder, since := l.who, l.since
			l.mu.Unlock()
			waiting(holder, since)
		}
		select {
		case l.ch <- struct{}{}:
		case <-ctx.Done(): // a job queued behind a long run gives up on shutdown
			return ctx.Err()
		}
	}
	l.mu.Lock()
	l.who, l.since = who, time.Now()
	l.mu.Unlock()
	return nil
}

func (l *jobLock) unlock() {
	l.mu.Lock()
	l.who = ""
	l.mu.Unlock()
	<-l.ch
}

// adminServer runs the commands the CLI forwards, on serve's open store.
type adminServer struct {
	ctx    context.Context // serve's: done when it stops
	cfg    *config.Config
	store  *store.Store
	logger *slog.Logger
	jobs   *jobLock
	ln     *adminsock.Listener
	host   string

	loop    chan struct{} // closed when the accept loop has returned
	running sync.WaitGroup
	mu      sync.Mutex
	active  map[*adminsock.Conn]string // command lines of the commands running
}

// startAdmin listens on the store's admin socket (replacing one a killed
// serve left: the caller holds the serve lock) until ctx is done.
func startAdmin(ctx context.Context, cfg *config.Config, st *store.Store, logger *slog.Logger, jobs *jobLock) (*adminServer, error) {
	ln, err := adminsock.Listen(adminsock.Path(st.Path()))
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	a := &adminServer{ctx: ctx, cfg: cfg, store: st, logger: logger, jobs: jobs, ln: ln, host: host,
		loop: make(chan struct{}), active: map[*adminsock.Conn]string{}}
	context.AfterFunc(ctx, func() { ln.Close() })
	go a.accept()
	return a, nil
}

func (a *adminServer) accept() {
	defer close(a.loop)
	for {
		conn, peer, err := a.ln.Accept()
		switch {
		case errors.Is(err, adminsock.ErrPeer):
			a.logger.Warn("admin socket: refused a peer of another user", "uid", peer.UID, "pid", peer.PID, "err", err)
			go func() {
				defer conn.Close()
				// Read the request first, so that the client's write of it
				// succeeds and it reads why, rather than a closed socket.
				conn.SetReadDeadline(time.Now().Add(5 * time.Second))
				conn.ReadFrame()
				conn.WriteFrame(adminsock.KindStderr, []byte(fmt.Sprintf("lipwatch: serve (pid %d) runs commands only for the user it runs as (uid %d); you are uid %d\n",
					os.Getpid(), os.Geteuid(), peer.UID)))
				conn.Exit(1)
			}()
			continue
		case errors.Is(err, net.ErrClosed):
			return
		case err != nil:
			a.logger.Error("admin socket: accept", "err", err)
			select {
			case <-a.ctx.Done():
				return
			case <-time.After(100 * time.Millisecond): // e.g. out of file descriptors
			}
			continue
		}
		a.running.Add(1)
		go func() {
			defer a.running.Done()
			a.handle(conn, peer)
		}()
	}
}

// close stops accepting (the socket file goes) and waits for the running
// commands, whose ctx is serve's and so done, for at most grace.
func (a *adminServer) close(grace time.Duration) error {
	a.ln.Close()
	<-a.loop
	done := make(chan struct{})
	go func() {
		a.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-time.After(grace):
	}
	a.mu.Lock()
	var still []string
	for _, c := range a.active {
		still = append(still, c)
	}
	a.mu.Unlock()
	slices.Sort(still)
	return fmt.Errorf("forwarded commands still running after the shutdown grace (%s): %s", grace, strings.Join(still, ", "))
}

// refuse answers a request serve does not run: nothing was done.
func refuse(conn *adminsock.Conn, code int, msg string) {
	conn.WriteFrame(adminsock.KindStderr, []byte("lipwatch: "+msg+"\n"))
	conn.Exit(code)
}

// handle runs one forwarded command.
func (a *adminServer) handle(conn *adminsock.Conn, peer adminsock.Peer) {
	defer conn.Close()
	begin := time.Now()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	kind, p, err := conn.ReadFrame()
	if err != nil || kind != adminsock.KindRequest {
		a.logger.Warn("admin socket: no request", "pid", peer.PID, "err", err)
		return
	}
	conn.SetReadDeadline(time.Time{})
	var req adminsock.Request
	if err := json.Unmarshal(p, &req); err != nil {
		refuse(conn, 2, fmt.Sprintf("serve could not read the request: %v", err))
		return
	}
	if code, msg := a.check(&req); code != 0 {
		a.logger.Warn("admin socket: refused a command", "pid", peer.PID, "reason", msg)
		refuse(conn, code, msg)
		return
	}
	actor := peerActor(peer, a.host)
	root, g := newRoot()
	g.server = &served{cfg: a.cfg, store: a.store, actor: actor}
	target, _, err := root.Find(req.Args)
	if err != nil {
		refuse(conn, 2, err.Error())
		return
	}
	name := target.CommandPath()
	use := storeUse(target)
	if use != storeRead && use != storeWrite {
		refuse(conn, 2, fmt.Sprintf("%s does not use the store: run it without serve", name))
		return
	}
	ctx, cancel := context.WithCancel(a.ctx)
	defer cancel()
	go func() { // the client's Ctrl-C, or the client gone
		for {
			if k, _, err := conn.ReadFrame(); err != nil || k == adminsock.KindCancel {
				cancel()
				return
			}
		}
	}()
	user, _, _ := strings.Cut(actor, "@")
	if use == storeWrite {
		err := a.jobs.lock(ctx, fmt.Sprintf("%s for %s (pid %d)", name, user, peer.PID), func(holder string, since time.Time) {
			msg := "serve is running another job"
			if holder != "" {
				msg = fmt.Sprintf("serve is running %s, since %s", holder, since.In(a.cfg.Location()).Format(time.TimeOnly))
			}
			conn.WriteFrame(adminsock.KindNotice, []byte(msg+"; "+name+" waits for it to finish"))
		})
		if err != nil {
			if a.ctx.Err() != nil {
				refuse(conn, exitBusy, "serve is stopping: nothing was done; run the command again")
			} else {
				refuse(conn, 130, "interrupted while waiting for serve's running job: nothing was done")
			}
			return
		}
		defer a.jobs.unlock()
	}
	a.mu.Lock()
	a.active[conn] = name
	a.mu.Unlock()
	defer func() {
		a.mu.Lock()
		delete(a.active, conn)
		a.mu.Unlock()
	}()
	conn.WriteFrame(adminsock.KindStarted, nil)
	// The same masking path as a command run on its own (main's writers,
	// then globals.mask): only `cases show --unmasked` bypasses it, for
	// stdout.
	stdout := redact.Wrap(adminsock.Writer{C: conn, Kind: adminsock.KindStdout})
	stderr := redact.Wrap(adminsock.Writer{C: conn, Kind: adminsock.KindStderr})
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetArgs(req.Args)
	code := func() (code int) {
		defer func() {
			if r := recover(); r != nil {
				a.logger.Error("forwarded command panicked", "command", name, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				fmt.Fprintf(stderr, "lipwatch: serve failed running %s (a bug, in serve's log): %v\n", name, r)
				code = 1
			}
		}()
		return exitCode(root.ExecuteContext(ctx), stderr)
	}()
	stdout.Close()
	stderr.Close()
	a.logger.Info("forwarded command", "command", name, "user", user, "pid", peer.PID, "exit", code,
		"elapsed", time.Since(begin).Round(time.Millisecond))
	conn.Exit(code)
}

// check refuses a request serve cannot run as asked: another protocol,
// another store, or LIPWATCH_* settings that differ from serve's (serve
// runs with the config it started with).
func (a *adminServer) check(req *adminsock.Request) (int, string) {
	if req.Version != adminsock.Version {
		return 1, fmt.Sprintf("serve (pid %d) speaks admin protocol %d, this lipwatch %d: restart serve with this binary, or use serve's",
			os.Getpid(), adminsock.Version, req.Version)
	}
	mine, err1 := os.Stat(a.store.Path())
	theirs, err2 := os.Stat(req.Store)
	if err1 != nil || err2 != nil || !os.SameFile(mine, theirs) {
		return 2, fmt.Sprintf("your config names the store %s; serve (pid %d) holds %s", req.Store, os.Getpid(), a.store.Path())
	}
	var differ []string
	for name, sum := range req.Env {
		if envTravels[name] || !strings.HasPrefix(name, config.EnvPrefix) {
			continue
		}
		if v := os.Getenv(name); v == "" || envHash(v) != sum {
			differ = append(differ, name)
		}
	}
	if len(differ) > 0 {
		slices.Sort(differ)
		return 2, fmt.Sprintf("serve (pid %d) holds the store and runs this command with the config and environment it started with; "+
			"yours sets %s, which serve's does not (or not so): nothing was done. Unset %s to run it with serve's settings, or stop serve to run it with yours",
			os.Getpid(), strings.Join(differ, ", "), map[bool]string{true: "it", false: "them"}[len(differ) == 1])
	}
	return 0, ""
}

// peerActor names the peer for the audit log: its OS user, from the uid
// the kernel gave, on this host, through serve.
func peerActor(p adminsock.Peer, host string) string {
	name := "uid " + strconv.Itoa(p.UID)
	if u, err := user.LookupId(strconv.Itoa(p.UID)); err == nil {
		name = u.Username
	}
	return name + "@" + host + " via serve"
}

// actor is who the audit log names for what this command does: the OS
// user, or for a command serve runs for the CLI, the user who asked.
func (g *globals) actor() string {
	if g.server != nil {
		return g.server.actor
	}
	return store.Actor()
}
