package main

import (
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"slices"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/connectors/httpapi/fakeapi"
)

// newFakeAPICmd serves a county CSV as a paged JSON API on loopback, for
// demos of the http connector (testdata/examples/connectors.yaml).
func newFakeAPICmd() *cobra.Command {
	var csvPath, addr, tokenEnv, pagination string
	var pageSize int
	cmd := &cobra.Command{
		Use:   "fakeapi --csv FILE",
		Short: "Serve a county CSV as a fake department API (paged JSON, bearer auth) on loopback, for demos",
		RunE: func(cmd *cobra.Command, args []string) error {
			// Every mistake in the flags is exit 2, before anything listens.
			styles := []string{fakeapi.Page, fakeapi.Offset, fakeapi.Cursor, fakeapi.NextLink, fakeapi.None}
			if !slices.Contains(styles, pagination) {
				return choiceError("--pagination", pagination, styles)
			}
			if pageSize <= 0 {
				return &exitError{code: 2, msg: fmt.Sprintf("--page-size %d: want 1 or more", pageSize)}
			}
			if err := loopbackAddr(addr); err != nil {
				return &exitError{code: 2, msg: "--addr " + err.Error()}
			}
			opts := fakeapi.Options{Pagination: pagination, PageSize: pageSize, Addr: addr, UpdatedField: ""}
			if tokenEnv != "" {
				if opts.Token = os.Getenv(tokenEnv); opts.Token == "" {
					return &exitError{code: 2, msg: fmt.Sprintf("--token-env %s is empty", tokenEnv)}
				}
			}
			srv, err := fakeapi.NewFromCSV(csvPath, opts)
			switch {
			case errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission):
				return &exitError{code: 2, msg: "--csv: " + err.Error(), err: err}
			case errors.Is(err, syscall.EADDRINUSE) || errors.Is(err, syscall.EADDRNOTAVAIL):
				return &exitError{code: 2, msg: "--addr: " + err.Error() + " (give another port, or 127.0.0.1:0 for any free one)", err: err}
			case err != nil:
				return err
			}
			defer srv.Close()
			fmt.Fprintf(cmd.OutOrStdout(), "serving %d records of %s at %s/ (records under data.items); Ctrl-C to stop\n",
				srv.Len(), csvPath, srv.URL)
			<-cmd.Context().Done()
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&csvPath, "csv", "testdata/county/employment.csv", "county CSV to serve")
	f.StringVar(&addr, "addr", "127.0.0.1:8089", "loopback address to listen on (127.0.0.1:PORT, [::1]:PORT or localhost:PORT; port 0 for any free one)")
	f.StringVar(&tokenEnv, "token-env", "", "require this environment variable's value as the bearer token")
	f.StringVar(&pagination, "pagination", "page", "page, offset, cursor, next_link or none")
	f.IntVar(&pageSize, "page-size", 200, "records per page when a request names none")
	return cmd
}

// loopbackAddr checks that addr is HOST:PORT on the loopback interface:
// the fake API serves only this machine.
func loopbackAddr(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q: want HOST:PORT on loopback, e.g. 127.0.0.1:8089", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: the port %q is not a number from 0 to 65535", addr, port)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%q is not a loopback address: the fake API serves only this machine (127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}
