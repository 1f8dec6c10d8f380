package main

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/config"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/ingest"
	"github.com/lipwatch/lipwatch/engine/store"
)

func newQuarantineCmd(g *globals) *cobra.Command {
	qc := &cobra.Command{Use: "quarantine", Short: "Rows that failed validation: list, export, retry after a mapping fix"}
	var source, code string
	var limit int
	list := &cobra.Command{
		Use:   "list",
		Short: "List quarantined rows: source, file:position, reason (raw rows only in export)",
		RunE: func(cmd *cobra.Command, args []string) error {
			st, rows, err := quarantined(cmd, g, "lipwatch quarantine list", source, code, limit)
			if err != nil {
				return err
			}
			defer st.Close()
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "SOURCE\tWHERE\tCODE\tREASON")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s:%d\t%s\t%s\n", r.Source, r.Stream, r.Position, r.Code, r.Reason)
			}
			tw.Flush()
			fmt.Fprintf(cmd.OutOrStdout(), "%d rows\n", len(rows))
			return nil
		},
	}
	var out string
	export := &cobra.Command{
		Use:   "export --out FILE.csv",
		Short: "Write quarantined rows with their raw content to a CSV (UTF-8 with BOM) for the department to correct; audited",
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" || out == "-" {
				return &exitError{code: 2, msg: "--out FILE.csv is required: the raw rows go to a private file (0600), never to the terminal"}
			}
			st, rows, err := quarantined(cmd, g, "lipwatch quarantine export", source, code, limit)
			if err != nil {
				return err
			}
			defer st.Close()
			if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
				return err
			}
			f, err := os.OpenFile(out, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
			if err != nil {
				return err
			}
			// Raw rows hold personal data: owner-only, also when the file existed.
			if err := f.Chmod(0o600); err != nil {
				f.Close()
				return err
			}
			f.WriteString("\ufeff")
			w := csv.NewWriter(f)
			w.Write([]string{"来源 source", "文件 file", "行号 position", "原因代码 code", "列 column", "原因 reason", "原始数据 raw", "隔离时间 quarantined_at"})
			for _, r := range rows {
				w.Write([]string{r.Source, r.Stream, fmt.Sprint(r.Position), r.Code, r.Column, r.Reason, r.Raw, r.At.Format(time.DateTime)})
			}
			w.Flush()
			if err := w.Error(); err != nil {
				f.Close()
				return err
			}
			if err := f.Close(); err != nil {
				return err
			}
			if err := st.Audit(cmd.Context(), g.actor(), "quarantine_export", out, map[string]any{
				"source": source, "code": code, "rows": len(rows)}); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "wrote %d rows to %s\n", len(rows), out)
			return nil
		},
	}
	export.Flags().StringVar(&out, "out", "", "CSV file to write")
	retry := &cobra.Command{
		Use:   "retry SOURCE",
		Short: "Validate a source's quarantined rows again with the current mapping; load those that now pass",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			e, err := g.load()
			if err != nil {
				return err
			}
			srcs, failed, err := ingest.FromConfig(e.cfg, args)
			if err != nil {
				return &exitError{code: 2, msg: err.Error()}
			}
			if len(failed) > 0 {
				return failed[0].Err
			}
			st, err := e.openStore(cmd.Context(), "lipwatch quarantine retry")
			if err != nil {
				return err
			}
			defer st.Close()
			sy := &ingest.Syncer{Store: st, Logger: e.logger}
			r := sy.Retry(cmd.Context(), srcs[0])
			srcs[0].Connector.Close(cmd.Context())
			if r.Err != nil {
				return r.Err
			}
			read, loaded, dup, quar := r.Totals()
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d quarantined rows retried: %d loaded, %d already loaded, %d still bad\n",
				r.Source, read, loaded, dup, quar)
			return nil
		},
	}
	for _, c := range []*cobra.Command{list, export} {
		c.Flags().StringVar(&source, "source", "", "only this source")
		c.Flags().StringVar(&code, "reason", "", "only this reason code: "+strings.Join(quarantineCodes, ", "))
		c.Flags().IntVar(&limit, "limit", 0, "at most this many rows (0: all)")
	}
	qc.AddCommand(list, export, retry)
	return qc
}

// quarantineCodes are the reason codes a row goes to quarantine with: the
// problem codes of engine/dataset (TestQuarantineCodesAreDatasets keeps
// the two the same).
var quarantineCodes = []string{
	dataset.BadCheckDigit, dataset.BadID, dataset.DamagedNumber, dataset.MissingRequired,
	dataset.ImpossibleDate, dataset.BadDate, dataset.BadNumber, dataset.BadValue, dataset.BadCode,
	dataset.BadEncoding, dataset.ControlChar, dataset.ExcelError, dataset.FormulaNotComputed,
	dataset.BadShape, dataset.BadHeader, dataset.BlankRow, dataset.HeaderRepeat,
}

// quarantined opens the store and reads the quarantine entries matching
// the filters; the caller closes the store.
func quarantined(cmd *cobra.Command, g *globals, holder, source, code string, limit int) (*store.Store, []store.Quarantined, error) {
	e, err := g.load()
	if err != nil {
		return nil, nil, err
	}
	st, err := e.openStore(cmd.Context(), holder)
	if err != nil {
		return nil, nil, err
	}
	rows, err := st.QuarantineRows(cmd.Context(), source, code, limit)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	// A source that is neither configured nor in the quarantine is a
	// mistake, not "0 rows"; so is a reason code no check writes.
	if names := e.cfg.SourceNames(); source != "" && len(rows) == 0 && !slices.Contains(names, source) {
		st.Close()
		return nil, nil, &exitError{code: 2, msg: fmt.Sprintf("--source %q: no such source%s", source, config.Hint(source, names))}
	}
	if code != "" && len(rows) == 0 && !slices.Contains(quarantineCodes, code) {
		st.Close()
		return nil, nil, choiceError("--reason", code, quarantineCodes)
	}
	return st, rows, nil
}
