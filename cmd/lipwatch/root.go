package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/lipwatch/lipwatch"
	_ "github.com/lipwatch/lipwatch/connectors/all"
	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/pipeline"
	"github.com/lipwatch/lipwatch/engine/redact"
	"github.com/lipwatch/lipwatch/engine/rule"
	"github.com/lipwatch/lipwatch/engine/store"
)

// globals are the flags every command shares, and the masked stderr the
// logs go to.
type globals struct {
	asOf       string
	configPath string
	logLevel   string
	logFormat  string
	stderr     io.Writer // set by mask; os.Stderr, masked, before

	// server is set for a command that `lipwatch serve` runs for the CLI
	// (see admin.go): the command uses serve's config and open store
	// instead of its own, and touches no process-wide state.
	server *served
	// cfg is the config once loaded, for the command and the forwarding
	// check before it.
	cfg *config.Config
}

func newRootCmd() *cobra.Command {
	root, _ := newRoot()
	return root
}

// newRoot builds the command tree, fresh for every command line (serve
// runs several side by side), with the globals its commands share.
func newRoot() (*cobra.Command, *globals) {
	g := &globals{}
	root := &cobra.Command{
		Use:   "lipwatch",
		Short: "Low-income population monitoring and early warning (低收入人口动态监测预警)",
		Long: `Low-income population monitoring and early warning (低收入人口动态监测预警).

Exit statuses (the same for every command):
  0    done, nothing to report
  1    the job failed, or a check's verdict is no: rules check found errors (warnings with
       --strict), rules test a failing test, rules diff a change (as diff(1)), sources check a
       source that cannot be read, notify send a message not delivered
  2    nothing was done: a bad config, rule file, command, flag or argument (every problem
       listed): a misspelt command, an unknown flag, a wrong number of arguments, an id that
       names nothing (cases show, runs show), a feedback import that imported nothing
  3    done, but partly: a source failed or is degraded (run, sync; the rules it feeds held),
       a fact group failed on the data (run, evaluate; its rules held), feedback import
       rejected rows or refused a list (the run ledger: partial), sources check a stream
       that fails
  75   the store is held by another lipwatch process (named in the message): nothing was
       done, try again later (EX_TEMPFAIL)
  130  interrupted`,
		SilenceUsage:  true,
		SilenceErrors: true,
		// No subcommand may set its own PersistentPreRun(E): cobra would
		// run that one instead of this.
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			g.mask(cmd)
			// A command that uses the store goes through the serve that
			// holds it, if one answers (admin.go).
			return g.route(cmd, args)
		},
		PersistentPostRunE: func(cmd *cobra.Command, args []string) error {
			flushMasked(cmd.Root())
			return nil
		},
	}
	def := os.Getenv("LIPWATCH_CONFIG")
	if def == "" {
		def = "config.yaml"
	}
	root.PersistentFlags().StringVar(&g.configPath, "config", def, "config file (env LIPWATCH_CONFIG)")
	root.PersistentFlags().StringVar(&g.logLevel, "log-level", "", "debug, info, warn or error (overrides log.level)")
	root.PersistentFlags().StringVar(&g.logFormat, "log-format", "", "text or json (overrides log.format)")
	root.PersistentFlags().StringVar(&g.asOf, "as-of", "", "evaluation date YYYY-MM-DD (default: today in the county's time zone)")
	root.AddCommand(newRunCmd(g), newSyncCmd(g), newSourcesCmd(g), newGenCmd(), newEvaluateCmd(g), newDispatchCmd(g),
		newFeedbackCmd(g), newCasesCmd(g), newRulesCmd(g), newServeCmd(g), newQuarantineCmd(g), newFakeAPICmd(), newUsersCmd(g), newAuditCmd(g))
	root.AddCommand(newRunsCmd(g), newBackupCmd(g), newRestoreCmd(g)) // operations (issue 11)
	root.AddCommand(newNotifyCmd(g))
	root.AddCommand(newLinksCmd(g)) // identity resolution (issue 15)
	root.AddCommand(newBenchCmd())  // issue 14's figures
	guardCommandLine(root)
	return root, g
}

// guardCommandLine makes every mistake on the command line exit 2
// ("nothing was done"), in the house style, before anything runs: a
// misspelt command or subcommand (with the closest one, instead of a help
// page with exit 0 or the group's own command run with the word ignored:
// `sources chek` listing the sources), a flag no command has, a flag's bad
// value, a wrong number of arguments (with the usage line), and arguments
// given to a command that takes none (which cobra would ignore: `dispatch
// foo` dispatched).
func guardCommandLine(root *cobra.Command) {
	root.SetFlagErrorFunc(flagError)
	guardArgs(root)
}

// guardArgs gives every command below c (and c) an Args validator whose
// errors are exit status 2: a group refuses any word that is not one of
// its subcommands; a command without a validator takes no arguments.
func guardArgs(c *cobra.Command) {
	for _, sub := range c.Commands() {
		guardArgs(sub)
	}
	if c.HasSubCommands() {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return nil
		}
		if c.RunE == nil && c.Run == nil {
			// A group: its help; it never opens the store.
			if c.Annotations == nil {
				c.Annotations = map[string]string{}
			}
			c.Annotations[annStore] = storeNone
			c.RunE = func(cmd *cobra.Command, args []string) error { return cmd.Help() }
		}
		return
	}
	valid := c.Args
	if valid == nil {
		valid = cobra.NoArgs
	}
	c.Args = func(cmd *cobra.Command, args []string) error {
		err := valid(cmd, args)
		var ex *exitError
		if err == nil || errors.As(err, &ex) {
			return err
		}
		msg := commandKey(cmd) + ": " + err.Error()
		if len(args) > 0 && strings.HasPrefix(err.Error(), "unknown command ") { // cobra.NoArgs's words
			quoted := make([]string, len(args))
			for i, a := range args {
				quoted[i] = strconv.Quote(a)
			}
			msg = commandKey(cmd) + " takes no arguments, got " + strings.Join(quoted, " ")
		}
		return &exitError{code: 2, msg: msg + "; usage: " + cmd.UseLine()}
	}
}

// unknownCommand is the error for a word that is none of cmd's
// subcommands, with the closest one, or the choices of a group.
func unknownCommand(cmd *cobra.Command, word string) error {
	var names []string
	for _, sub := range cmd.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
			names = append(names, sub.Aliases...)
		}
	}
	msg := fmt.Sprintf("unknown command %q for %q", word, cmd.CommandPath())
	switch best := config.Closest(word, names); {
	case best != "":
		msg += "; did you mean " + best + "?"
	case cmd.HasParent():
		msg += "; its commands: " + strings.Join(names, ", ")
	}
	return &exitError{code: 2, msg: msg + " (see " + cmd.CommandPath() + " --help)"}
}

// flagError is every command's flag error (cobra: the root's is
// inherited): exit status 2, with the closest flag for an unknown one. In
// a group, a word before the bad flag is the mistake to report: `rules chek
// --strict` is a misspelt subcommand, not a flag the group lacks.
func flagError(cmd *cobra.Command, err error) error {
	if cmd.HasSubCommands() {
		if args := cmd.Flags().Args(); len(args) > 0 {
			return unknownCommand(cmd, args[0])
		}
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "unknown flag: --"); ok {
		var names []string
		cmd.Flags().VisitAll(func(f *pflag.Flag) {
			if !f.Hidden {
				names = append(names, f.Name)
			}
		})
		if best := config.Closest(name, names); best != "" {
			msg += "; did you mean --" + best + "?"
		}
	}
	if cmd.HasParent() {
		msg = commandKey(cmd) + ": " + msg
	}
	return &exitError{code: 2, msg: msg + " (see " + cmd.CommandPath() + " --help)", err: err}
}

// choiceError refuses a flag's value that is none of choices (exit 2):
// with the closest choice when one is close (and the choices, when they
// are few), else the choices.
func choiceError(flag, value string, choices []string) error {
	want := "want one of " + strings.Join(choices, ", ")
	switch best := config.Closest(value, choices); {
	case best != "" && len(choices) > 8:
		return &exitError{code: 2, msg: fmt.Sprintf("%s %q: did you mean %s?", flag, value, best)}
	case best != "":
		return &exitError{code: 2, msg: fmt.Sprintf("%s %q: did you mean %s? (%s)", flag, value, best, want)}
	}
	return &exitError{code: 2, msg: fmt.Sprintf("%s %q: %s", flag, value, want)}
}

// mask puts everything the command prints through the one masking path
// (engine/redact): its stdout and stderr, which main also wraps, and so
// the logs (env.logger and slog's default) and the progress that go there.
// ID numbers, bank cards and phone numbers are masked; names cannot be
// recognised and must be kept out by the printers themselves.
//
// The one exception is stdout of a command run with --unmasked
// (`cases show --unmasked`): the user asked for full ID numbers and the
// command audits that. Its stderr stays masked.
func (g *globals) mask(cmd *cobra.Command) {
	root := cmd.Root()
	out := redact.Wrap(root.OutOrStdout())
	if f := cmd.Flags().Lookup("unmasked"); f != nil && f.Value.Type() == "bool" && f.Value.String() == "true" {
		root.SetOut(out.Unmasked())
	} else {
		root.SetOut(out)
	}
	errw := redact.Wrap(root.ErrOrStderr())
	root.SetErr(errw)
	g.stderr = errw
	if g.server == nil { // process-wide: not for one of the commands serve runs side by side
		slog.SetDefault(slog.New(redact.NewHandler(slog.NewTextHandler(errw, nil))))
	}
}

// flushMasked writes what root's masking writers hold back (the end of
// output that might be the start of a number); main also closes them.
func flushMasked(root *cobra.Command) {
	for _, w := range []io.Writer{root.OutOrStdout(), root.ErrOrStderr()} {
		if m, ok := w.(*redact.Writer); ok {
			m.Flush()
		}
	}
}

// loadConfig reads --config; when that is the default ./config.yaml and it
// does not exist, the embedded default is used, relative to the working
// directory, so `lipwatch gen --out testdata/county && lipwatch run` works
// in an empty directory.
//
// A command serve runs for the CLI has serve's config; --config only
// found the store (and so serve) for it.
func (g *globals) loadConfig() (*config.Config, error) {
	if g.server != nil {
		return g.server.cfg, nil
	}
	if g.cfg != nil {
		return g.cfg, nil
	}
	var err error
	if g.configPath == "config.yaml" {
		if _, serr := os.Stat(g.configPath); errors.Is(serr, fs.ErrNotExist) {
			slog.Info("no config.yaml here: using the embedded default")
			g.cfg, err = config.Parse("config.yaml", lipwatch.DefaultConfig)
			return g.cfg, err
		}
	}
	g.cfg, err = config.Load(g.configPath)
	return g.cfg, err
}

// env is what a command needs once config is loaded.
type env struct {
	cfg    *config.Config
	logger *slog.Logger
	asOf   string
	// stderr is the command's masked stderr, for what is written there
	// besides logs (the progress bar).
	stderr io.Writer
	// server: the command runs in serve, on serve's open store.
	server *served
}

func (g *globals) load() (*env, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, &exitError{code: 2, msg: err.Error()}
	}
	level := cfg.Log.Level
	if g.logLevel != "" {
		level = g.logLevel
	}
	format := cfg.Log.Format
	if g.logFormat != "" {
		format = g.logFormat
	}
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, &exitError{code: 2, msg: fmt.Sprintf("log level %q: %v", level, err)}
	}
	stderr := g.stderr
	if stderr == nil { // a command run without the root's pre-run
		stderr = redact.Wrap(os.Stderr)
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler = slog.NewTextHandler(stderr, opts)
	if strings.EqualFold(format, "json") {
		h = slog.NewJSONHandler(stderr, opts)
	}
	// Masked twice over: attributes before they are formatted, and the
	// formatted line by the stderr writer.
	logger := slog.New(redact.NewHandler(h))
	if g.server == nil { // process-wide: see mask
		slog.SetDefault(logger)
	}
	if g.server == nil { // serve's own environment was checked when it started
		for _, w := range cfg.EnvWarnings {
			logger.Warn(w)
		}
	}
	return &env{cfg: cfg, logger: logger, asOf: g.asOf, stderr: stderr, server: g.server}, nil
}

// day is the evaluation date: --as-of, or today in the county's zone, as a
// calendar date at UTC midnight.
func (e *env) day() (time.Time, error) {
	if e.asOf == "" {
		now := time.Now().In(e.cfg.Location())
		return time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC), nil
	}
	d, err := time.Parse(time.DateOnly, e.asOf)
	if err != nil {
		return time.Time{}, &exitError{code: 2, msg: fmt.Sprintf("--as-of %q: want YYYY-MM-DD", e.asOf)}
	}
	return d, nil
}

// openPipeline loads the config, the evaluation day, the rules and the
// store: what every command that evaluates, dispatches or reads cases needs.
func (g *globals) openPipeline(cmd *cobra.Command, holder string) (*env, *pipeline.Pipeline, time.Time, error) {
	e, err := g.load()
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	day, err := e.day()
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	p, err := e.open(cmd.Context(), holder)
	if err != nil {
		return nil, nil, time.Time{}, err
	}
	return e, p, day, nil
}

// open loads the rules and opens the store for a command that evaluates,
// dispatches or reads cases.
//
// In serve, the pipeline is on a view of serve's store (its Close leaves
// the store open) and its audit rows name the user who asked.
func (e *env) open(ctx context.Context, holder string) (*pipeline.Pipeline, error) {
	var p *pipeline.Pipeline
	var err error
	if _, err := e.rulesDir(); err != nil {
		return nil, err
	}
	if e.server != nil {
		view := e.server.store.Shared()
		if p, err = pipeline.New(e.cfg, view, e.logger); err != nil {
			view.Close()
		} else {
			p.Actor = e.server.actor
		}
	} else {
		p, err = pipeline.Open(ctx, e.cfg, e.logger, holder)
	}
	if err != nil {
		var rerr rule.Errors
		if errors.As(err, &rerr) {
			return nil, &exitError{code: 2, msg: err.Error()}
		}
		return nil, storeError(err)
	}
	return p, nil
}

// rulesDir is the rules directory, rules.dir resolved against the config
// file's; one that is not there is a mistake in the config (exit 2) named
// with the key that sets it, not "open .: no such file or directory".
func (e *env) rulesDir() (string, error) {
	dir := e.cfg.Resolve(e.cfg.Rules.Dir)
	fi, err := os.Stat(dir)
	switch {
	case err == nil && fi.IsDir():
		return dir, nil
	case err == nil:
		err = errors.New("is not a directory")
	case errors.Is(err, fs.ErrNotExist):
		err = errors.New("does not exist")
	}
	abs, _ := filepath.Abs(dir)
	where := e.cfg.Path
	if _, serr := os.Stat(where); where == "" || serr != nil {
		where = "the embedded default config"
	}
	return dir, &exitError{code: 2, msg: fmt.Sprintf("rules directory %s %v: rules.dir (%q in %s, or LIPWATCH_RULES_DIR) names the directory of the rule files",
		cmp.Or(abs, dir), err, e.cfg.Rules.Dir, where)}
}

// openStore opens the store; one held by another process is an error
// with exit status exitBusy that names the holder (store.ErrLocked). In
// serve, it is a view of serve's store, which its Close leaves open.
func (e *env) openStore(ctx context.Context, holder string) (*store.Store, error) {
	if e.server != nil {
		return e.server.store.Shared(), nil
	}
	st, err := store.Open(ctx, pipeline.StoreOptions(e.cfg, holder))
	if err != nil {
		return nil, storeError(err)
	}
	return st, nil
}
