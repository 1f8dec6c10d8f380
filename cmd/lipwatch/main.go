// Command lipwatch is the county's low-income population monitoring and
// early-warning engine. See README.md for the commands.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/lipwatch/lipwatch/engine/redact"
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
	if err := root.ExecuteContext(ctx); err != nil {
		var ex *exitError
		if errors.As(err, &ex) {
			if ex.msg != "" {
				fmt.Fprintln(stderr, "lipwatch:", ex.msg)
			}
			return ex.code
		}
		fmt.Fprintln(stderr, "lipwatch:", err)
		return 1
	}
	return 0
}

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }
