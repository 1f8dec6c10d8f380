package main

import (
	"fmt"
	"os"

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
			opts := fakeapi.Options{Pagination: pagination, PageSize: pageSize, Addr: addr, UpdatedField: ""}
			if tokenEnv != "" {
				if opts.Token = os.Getenv(tokenEnv); opts.Token == "" {
					return &exitError{code: 2, msg: fmt.Sprintf("--token-env %s is empty", tokenEnv)}
				}
			}
			srv, err := fakeapi.NewFromCSV(csvPath, opts)
			if err != nil {
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
	f.StringVar(&addr, "addr", "127.0.0.1:8089", "loopback address to listen on")
	f.StringVar(&tokenEnv, "token-env", "", "require this environment variable's value as the bearer token")
	f.StringVar(&pagination, "pagination", "page", "page, offset, cursor, next_link or none")
	f.IntVar(&pageSize, "page-size", 200, "records per page when a request names none")
	return cmd
}
