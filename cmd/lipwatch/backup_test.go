package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/store"
)

// TestBackupRestore: a store with cases, hits, an outcome from a returned
// list, audit rows, an account and a portal session is backed up directly
// and through a running serve (over its admin socket); restore is refused
// while serve runs (75); the backup made through serve is restored into a
// fresh directory and every table holds what the original held (the
// audit rows of the backup and the restore themselves aside); a store in
// the way needs --force and is kept; a damaged backup is refused naming
// the file, with nothing done.
func TestBackupRestore(t *testing.T) {
	tempStore(t)
	t.Setenv("LIPWATCH_SCHEDULE_NIGHTLY", farNightly)
	orig := os.Getenv("LIPWATCH_STORE_PATH")
	dir := filepath.Dir(orig)
	if _, err := runCLI(t, "run"); err != nil {
		t.Fatal(err)
	}
	returned := returnedList(t, &privacyEnv{t: t, dir: dir})
	out, err := runCLI(t, "--as-of", "2026-12-01", "feedback", "import", returned)
	if !strings.Contains(out, "closed 1 cases") {
		t.Fatalf("feedback import: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "cases", "extend", "YJ-20261128-0003"); err != nil {
		t.Fatalf("cases extend: %v\n%s", err, out)
	}
	if out, err := runCLI(t, "users", "add", "zhangmin", "--role", "township", "--township", "340799001"); err != nil {
		t.Fatalf("users add: %v\n%s", err, out)
	}
	st, err := store.Open(context.Background(), store.Options{Path: orig})
	if err != nil {
		t.Fatal(err)
	}
	// A session's data is a BLOB: bytes no text form keeps by accident.
	if err := st.Sessions().Commit("token-1", []byte{0, 1, '\\', 'x', 0xff, '\n', '"'}, time.Date(2026, 12, 1, 8, 0, 0, 123456000, time.UTC)); err != nil {
		t.Fatal(err)
	}
	st.Close()

	direct := filepath.Join(t.TempDir(), "direct")
	out, err = runCLI(t, "backup", "--out", direct)
	if err != nil || !strings.Contains(out, "backup of store ") {
		t.Fatalf("backup: %v\n%s", err, out)
	}
	if fi, err := os.Stat(direct); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("backup dir: %v %v, want mode 0700", fi, err)
	}
	if out, err := runCLI(t, "backup", "--out", direct); err == nil || !strings.Contains(err.Error(), "is not empty") {
		t.Errorf("a second backup into the same directory: %v\n%s", err, out)
	}

	// Through serve: the backup runs in serve, on its open store; a
	// restore into serve's store is refused, naming serve.
	sv := startServe(t)
	sv.await(t, `msg="holding the store until serve stops`, 1)
	viaServe := filepath.Join(t.TempDir(), "via-serve")
	out, err = runCLI(t, "backup", "--out", viaServe)
	if err != nil || !strings.Contains(out, "backup of store ") {
		t.Fatalf("backup through serve: %v\n%s", err, out)
	}
	sv.await(t, `msg="forwarded command" command="lipwatch backup"`, 1)
	out, err = runCLI(t, "restore", "--from", viaServe, "--force")
	var ex *exitError
	if !errors.As(err, &ex) || ex.code != exitBusy || !strings.Contains(ex.msg, "lipwatch serve") || !strings.Contains(ex.msg, "stop it first") {
		t.Fatalf("restore while serve runs: %v\n%s", err, out)
	}
	sv.stop(t)
	if entries, _ := filepath.Glob(orig + ".before-restore-*"); len(entries) > 0 {
		t.Fatalf("a refused restore moved the store: %v", entries)
	}

	// Restore into a fresh directory.
	fresh := filepath.Join(t.TempDir(), "fresh", "lw.duckdb")
	t.Setenv("LIPWATCH_STORE_PATH", fresh)
	out, err = runCLI(t, "restore", "--from", viaServe)
	if err != nil || !strings.Contains(out, "verified") || !strings.Contains(out, "restored store ") {
		t.Fatalf("restore: %v\n%s", err, out)
	}
	if fi, err := os.Stat(fresh); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("restored store: %v %v, want mode 0600", fi, err)
	}
	tables := sameStores(t, orig, fresh)
	t.Logf("compared %d tables: %v", len(tables), tables)
	var closed int
	withStoreAt(t, fresh, func(st *store.Store) {
		st.DB().QueryRow(`SELECT count(*) FROM cases WHERE state = 'closed' AND outcome IS NOT NULL`).Scan(&closed)
	})
	if closed != 1 {
		t.Errorf("the restored store has %d closed cases with an outcome, want the 1 the returned list closed", closed)
	}
	for _, want := range []string{"cases", "case_hits", "audit", "users", "sessions", "runs", "store_meta", "dispatch_batches", "registry"} {
		if !slices.Contains(tables, want) {
			t.Errorf("table %s not compared (compared %v)", want, tables)
		}
	}
	// The restored store works on: the next night adds to it.
	if out, err := runCLI(t, "--as-of", "2026-11-29", "run"); err != nil {
		t.Errorf("run on the restored store: %v\n%s", err, out)
	}

	// A store in the way: refused without --force; with it, kept aside.
	out, err = runCLI(t, "restore", "--from", direct)
	if !errors.As(err, &ex) || ex.code != 1 || !strings.Contains(ex.msg, "a store exists there") {
		t.Fatalf("restore over a store without --force: %v\n%s", err, out)
	}
	if out, err = runCLI(t, "restore", "--from", direct, "--force"); err != nil || !strings.Contains(out, "is kept at "+fresh+".before-restore-") {
		t.Fatalf("restore --force: %v\n%s", err, out)
	}
	aside, _ := filepath.Glob(fresh + ".before-restore-*")
	if len(aside) != 1 {
		t.Fatalf("the replaced store is not kept: %v", aside)
	}
	var nights int
	withStoreAt(t, aside[0], func(st *store.Store) {
		st.DB().QueryRow(`SELECT count(*) FROM runs WHERE kind = 'run' AND as_of = '2026-11-29'`).Scan(&nights)
	})
	if nights != 1 {
		t.Errorf("the store kept aside is not the one replaced: %d runs of the 29th", nights)
	}

	// Damaged backups: nothing is done, the file is named.
	for _, tc := range []struct {
		name, file string
		damage     func(path string)
	}{
		{"a changed byte", "cases.jsonl.gz", func(p string) {
			b, _ := os.ReadFile(p)
			b[len(b)/2] ^= 0x01
			os.WriteFile(p, b, 0o600)
		}},
		{"a missing file", "audit.jsonl.gz", func(p string) { os.Remove(p) }},
		{"a changed manifest", "manifest.json", func(p string) {
			b, _ := os.ReadFile(p)
			changed := regexp.MustCompile(`"rows": \d+`).ReplaceAllStringFunc(string(b), func(m string) string { return m + "1" })
			if changed == string(b) {
				t.Fatal("the manifest has no row counts to change")
			}
			os.WriteFile(p, []byte(changed), 0o600)
		}},
		{"no SHA256SUMS", "SHA256SUMS", func(p string) { os.Remove(p) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(t.TempDir(), "bad")
			if err := os.CopyFS(bad, os.DirFS(direct)); err != nil {
				t.Fatal(err)
			}
			tc.damage(filepath.Join(bad, tc.file))
			target := filepath.Join(t.TempDir(), "lw.duckdb")
			t.Setenv("LIPWATCH_STORE_PATH", target)
			out, err := runCLI(t, "restore", "--from", bad)
			var ex *exitError
			if !errors.As(err, &ex) || ex.code != 1 || !strings.Contains(ex.msg, filepath.Join(bad, tc.file)) || !strings.Contains(ex.msg, "nothing was restored") {
				t.Fatalf("restore of a backup with %s: %v\n%s", tc.name, err, out)
			}
			if entries, _ := os.ReadDir(filepath.Dir(target)); len(entries) > 0 {
				t.Errorf("a refused restore left files: %v", entries)
			}
		})
	}
}

// sameStores compares every table of two stores, row by row (the audit
// rows of backups and restores aside), and returns the tables compared.
func sameStores(t *testing.T, a, b string) []string {
	t.Helper()
	read := func(path string) map[string][]string {
		out := map[string][]string{}
		withStoreAt(t, path, func(st *store.Store) {
			rows, err := st.DB().Query(`SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal ORDER BY 1`)
			if err != nil {
				t.Fatal(err)
			}
			var tables []string
			for rows.Next() {
				var n string
				rows.Scan(&n)
				tables = append(tables, n)
			}
			rows.Close()
			for _, table := range tables {
				q := `SELECT * FROM "` + table + `"`
				if table == "audit" {
					q += ` WHERE action NOT IN ('backup', 'restore')`
				}
				rows, err := st.DB().Query(q)
				if err != nil {
					t.Fatal(err)
				}
				cols, _ := rows.Columns()
				vals := make([]any, len(cols))
				ptrs := make([]any, len(cols))
				for i := range vals {
					ptrs[i] = &vals[i]
				}
				lines := []string{}
				for rows.Next() {
					if err := rows.Scan(ptrs...); err != nil {
						t.Fatal(err)
					}
					lines = append(lines, fmt.Sprintf("%#v", vals))
				}
				rows.Close()
				slices.Sort(lines)
				out[table] = lines
			}
		})
		return out
	}
	ta, tb := read(a), read(b)
	// link_people (the registry's blocking keys) is not backed up: the
	// next link pass makes it again from the registry (engine/store's
	// TestBackupRoundTrip holds that).
	delete(ta, "link_people")
	var names []string
	for name, rows := range ta {
		names = append(names, name)
		if other, ok := tb[name]; !ok {
			t.Errorf("table %s is not in the restored store", name)
		} else if !slices.Equal(rows, other) {
			t.Errorf("table %s differs: %d rows, restored %d", name, len(rows), len(other))
			for i := range min(len(rows), len(other)) {
				if rows[i] != other[i] {
					t.Errorf("first difference:\n%s\n%s", rows[i], other[i])
					break
				}
			}
		}
	}
	for name := range tb {
		if _, ok := ta[name]; !ok {
			t.Errorf("table %s is only in the restored store", name)
		}
	}
	slices.Sort(names)
	if len(ta["cases"]) == 0 || len(ta["case_hits"]) == 0 || len(ta["sessions"]) == 0 || len(ta["users"]) == 0 {
		t.Errorf("the store compared lacks cases, hits, sessions or users: %d %d %d %d",
			len(ta["cases"]), len(ta["case_hits"]), len(ta["sessions"]), len(ta["users"]))
	}
	return names
}

func withStoreAt(t *testing.T, path string, fn func(*store.Store)) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fn(st)
}
