package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/lipwatch/lipwatch/engine/store"
)

// backup and restore. A backup is read in one DuckDB transaction (one
// snapshot of every table; see engine/store/backup.go), so it is
// consistent while serve runs and the portal writes; through serve it also
// takes serve's job lock, so that it falls between two jobs and a restored
// store never starts in the middle of a night. restore is never forwarded
// to serve: it replaces the store serve holds, so it refuses while serve
// runs (exit 75) and keeps serve from starting until it is done.

func newBackupCmd(g *globals) *cobra.Command {
	var out string
	cmd := &cobra.Command{
		Use:   "backup --out DIR",
		Short: "Write a consistent copy of the store (every table, a manifest and SHA256SUMS) into a new directory; works while serve runs",
		Long: `Writes a consistent copy of the store into DIR (created owner-only; it must not exist or
be empty): one file per table (gzip'd JSON lines), manifest.json (the store's id, schema version,
time, lipwatch and DuckDB versions, per table its columns, rows and the SHA-256 of its contents,
the sequences) and SHA256SUMS (sha256sum -c reads it). Every table is read in one transaction, so
the copy is of one moment even while serve runs and the portal writes; through serve, the backup
waits for serve's running job (the nightly run, a sync) and says so. The backup holds personal
data like the store: keep it as safe. It is audited (action backup).

'lipwatch restore --from DIR' puts it back.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return &exitError{code: 2, msg: "--out DIR: the directory to write the backup into"}
			}
			e, err := g.load()
			if err != nil {
				return err
			}
			st, err := e.openStore(cmd.Context(), "lipwatch backup")
			if err != nil {
				return err
			}
			defer st.Close()
			begin := time.Now()
			m, err := st.Backup(cmd.Context(), out, lipwatchVersion())
			if err != nil {
				return err
			}
			var bytes int64
			for _, f := range m.Files {
				bytes += f.Bytes
			}
			if err := st.Audit(cmd.Context(), g.actor(), "backup", out, map[string]any{"store_id": m.StoreID,
				"schema_version": m.SchemaVersion, "tables": len(m.Tables), "rows": m.Rows(), "bytes": bytes}); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			printTables(w, m)
			fmt.Fprintf(w, "backup of store %s (schema %d) in %s: %d tables, %d rows, %s, in %s\n", m.StoreID, m.SchemaVersion, out,
				len(m.Tables), m.Rows(), humanBytes(bytes), time.Since(begin).Round(time.Millisecond))
			return nil
		},
	}
	cmd.Flags().StringVar(&out, "out", "", "the directory to write the backup into (new or empty)")
	return cmd
}

func newRestoreCmd(g *globals) *cobra.Command {
	var from string
	var force bool
	cmd := &cobra.Command{
		Use:   "restore --from DIR [--force]",
		Short: "Verify a backup, then restore it into the config's store path (refused while serve runs: exit 75)",
		Long: `Restores a backup made by 'lipwatch backup' into store.path. First the backup is verified in
full, before anything is touched: every file against SHA256SUMS and the manifest, every table's
rows against the manifest's count and content hash; a damaged or incomplete backup is refused
naming the file. A store already at store.path is refused unless --force; with --force it is
moved aside to <store>.before-restore-<time> (with its WAL), never deleted. The backup is restored
into a new file beside the store, read back and compared with the backup (contents, then counts),
and only then takes the store's name. Refused, with nothing done, while lipwatch serve runs for
the store or another lipwatch process holds it (exit 75): stop serve first (systemctl stop
lipwatch). serve cannot start while a restore runs. Audited in the restored store (restore).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if from == "" {
				return &exitError{code: 2, msg: "--from DIR: the backup to restore"}
			}
			e, err := g.load()
			if err != nil {
				return err
			}
			path := e.cfg.Resolve(e.cfg.Store.Path)
			w := cmd.OutOrStdout()
			m, err := store.VerifyBackup(from)
			if err != nil {
				return &exitError{code: 1, msg: err.Error() + "; nothing was restored", err: err}
			}
			fmt.Fprintf(w, "backup %s verified: store %s, schema %d, made %s, %d tables, %d rows\n", from, m.StoreID, m.SchemaVersion,
				m.CreatedAt.In(e.cfg.Location()).Format(time.DateTime), len(m.Tables), m.Rows())
			res, err := store.Restore(cmd.Context(), store.RestoreOptions{Dir: from, Path: path, Force: force, Actor: g.actor(), Verified: m})
			switch {
			case errors.Is(err, store.ErrServing):
				who := ""
				if pid, ok := store.ServePID(path); ok {
					who = fmt.Sprintf(" (pid %d)", pid)
				}
				return &exitError{code: exitBusy, err: err, msg: fmt.Sprintf(
					"lipwatch serve%s runs for the store %s: stop it first (systemctl stop lipwatch), then restore; nothing was done (%v)", who, path, err)}
			case errors.Is(err, store.ErrLocked):
				return &exitError{code: exitBusy, err: err, msg: err.Error() + "; nothing was done"}
			case err != nil:
				return &exitError{code: 1, err: err, msg: err.Error() + "; nothing was done"}
			}
			printTables(w, m)
			fmt.Fprintf(w, "restored store %s into %s: %d tables, %d rows, contents compared with the backup\n", m.StoreID, path, len(m.Tables), m.Rows())
			if res.Aside != "" {
				fmt.Fprintf(w, "the store that was there is kept at %s\n", res.Aside)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the backup directory (made by lipwatch backup)")
	cmd.Flags().BoolVar(&force, "force", false, "replace a store at store.path, moving it aside (never deleted)")
	return cmd
}

func printTables(w io.Writer, m *store.Manifest) {
	tw := newTable(w)
	fmt.Fprintln(tw, "TABLE\tROWS\t")
	for _, t := range m.Tables {
		fmt.Fprintf(tw, "%s\t%d\t\n", t.Name, t.Rows)
	}
	tw.Flush()
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}

// lipwatchVersion is this binary's version as the Go toolchain recorded
// it: the module version, or the commit it was built from.
func lipwatchVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	v := bi.Main.Version
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "+dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v = strings.TrimSpace(v + " " + rev + dirty)
	}
	return v
}
