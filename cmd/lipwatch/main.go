// Command lipwatch is the county's low-income population monitoring and
// early-warning engine. See README.md for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/lipwatch/lipwatch/engine/redact"
	"github.com/lipwatch/lipwatch/engine/store"
)

func main() { os.Exit(run()) }

func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// Everything printed goes through the masking path (see globals.mask),
	// the last error line too; closing flushes what the writers hold back.
	stdout, stderr := redact.Wrap(os.Stdout), redact.Wrap(os.Stderr)
	defer stdout.Close()
	defer stderr.Close()
	root := newRootCmd()
	root.SetOut(stdout)
	root.SetErr(stderr)
	return exitCode(root.ExecuteContext(ctx), stderr)
}

// Exit statuses besides 0, 1 (the job failed), 2 (a bad config, rule file
// or command line), exitDegraded (3) and 130 (interrupted).
const (
	// exitBusy: the store is held by another lipwatch process (a serve's
	// nightly run, an import, a listing); nothing was done, and the same
	// command later will work. EX_TEMPFAIL of sysexits.h, which cron
	// wrappers and monitoring read as "try again later", not a failure.
	exitBusy = 75
)

// exitCode prints err's last line to stderr and returns the process's
// exit status for it.
func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ex *exitError
	if errors.As(err, &ex) {
		if ex.msg != "" {
			fmt.Fprintln(stderr, "lipwatch:", ex.msg)
		}
		return ex.code
	}
	fmt.Fprintln(stderr, "lipwatch:", err)
	if errors.Is(err, store.ErrLocked) { // one no command turned into an exitError
		return exitBusy
	}
	return 1
}

// exitError carries an exit code out of a command, and the error it
// stands for, if any (errors.Is sees through it).
type exitError struct {
	code int
	msg  string
	err  error
}

func (e *exitError) Error() string { return e.msg }

func (e *exitError) Unwrap() error { return e.err }

// storeError gives a store held by another process exit status exitBusy;
// its message names the holder. Other errors pass unchanged.
func storeError(err error) error {
	if errors.Is(err, store.ErrLocked) {
		return &exitError{code: exitBusy, msg: err.Error(), err: err}
	}
	return err
}
