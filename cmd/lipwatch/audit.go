package main

import (
	"fmt"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/store"
)

func newAuditCmd(g *globals) *cobra.Command {
	var f store.AuditFilter
	var from, to string
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log: who viewed, exported, changed what (filters: --account, --action, --subject, --from, --to)",
		Long: `Reads the audit log (the audit table): every list written, returned list read, case listed,
shown or unmasked, outcome, extension, login and account change, with who did it — an OS user
(user@host) or a portal account (portal:NAME). Newest first. ID numbers in subjects are masked
like all output. Reading the log is itself audited (audit_read).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			// Filters are checked, never read as "nothing matches".
			if f.Action != "" && !slices.Contains(store.AuditActions, f.Action) {
				return choiceError("--action", f.Action, store.AuditActions)
			}
			if f.Limit < 0 {
				return &exitError{code: 2, msg: fmt.Sprintf("--limit %d: want 0 (the newest 1000) or more", f.Limit)}
			}
			for _, d := range []struct {
				flag, v string
				t       *time.Time
				next    bool
			}{{"--from", from, &f.From, false}, {"--to", to, &f.To, true}} {
				if d.v == "" {
					continue
				}
				t, err := time.Parse(time.DateOnly, d.v)
				if err != nil {
					return &exitError{code: 2, msg: fmt.Sprintf("%s %q: want YYYY-MM-DD", d.flag, d.v)}
				}
				if d.next {
					t = t.AddDate(0, 0, 1) // --to is inclusive
				}
				*d.t = t
			}
			e, err := g.load()
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context(), "lipwatch audit")
			if err != nil {
				return err
			}
			defer st.Close()
			rows, err := st.AuditRows(cmd.Context(), f)
			if err != nil {
				return err
			}
			if err := st.Audit(cmd.Context(), g.actor(), "audit_read", f.Subject, map[string]any{
				"account": f.Actor, "action": f.Action, "from": from, "to": to, "rows": len(rows)}); err != nil {
				return err
			}
			tw := newTable(cmd.OutOrStdout())
			fmt.Fprintln(tw, "TIME (UTC)\tACTOR\tACTION\tSUBJECT\tDETAIL")
			for _, r := range rows {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.At.UTC().Format("2006-01-02 15:04:05"), r.Actor, r.Action, r.Subject, r.Detail)
			}
			tw.Flush()
			fmt.Fprintf(cmd.OutOrStdout(), "%d rows\n", len(rows))
			return nil
		},
	}
	cmd.Flags().StringVar(&f.Actor, "account", "", "only rows whose actor contains this (e.g. portal:zhangmin)")
	cmd.Flags().StringVar(&f.Action, "action", "", "only this action (e.g. cases_show, login_failed, portal_outcome; engine/store AuditActions lists them)")
	cmd.Flags().StringVar(&f.Subject, "subject", "", "only this subject (a case id, a file)")
	cmd.Flags().StringVar(&from, "from", "", "from this day (YYYY-MM-DD, UTC)")
	cmd.Flags().StringVar(&to, "to", "", "to this day inclusive (YYYY-MM-DD, UTC)")
	cmd.Flags().IntVar(&f.Limit, "limit", 100, "at most this many rows, newest first")
	return cmd
}
