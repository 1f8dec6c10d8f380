//go:build ignore

// partition times the province's partition step (docs/scale/partition.sql)
// on a lipwatch store opened read-only: each statement of the script, then
// the rows written per dataset and partition, how many went to the
// no-county partition and how many were written more than once (a
// declaration naming people of two counties).
//
//	go run docs/scale/partition.go -store /tmp/scale-sample/county350k.duckdb -out /tmp/scale-sample/parts
//
// Flags: -store, -out (the folder written; emptied first), -level (6: route
// by county code; 9, the default: by township, so that one synthetic county
// fans out), -threads (DuckDB threads, default 2), -script (default
// docs/scale/partition.sql).
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

func main() {
	store := flag.String("store", "", "lipwatch DuckDB store (opened read-only)")
	out := flag.String("out", "", "output folder (emptied first)")
	level := flag.Int("level", 9, "digits of the township code that name a partition (6: county)")
	threads := flag.Int("threads", 2, "DuckDB threads")
	script := flag.String("script", "docs/scale/partition.sql", "the partition script")
	flag.Parse()
	if err := run(*store, *out, *level, *threads, *script); err != nil {
		fmt.Fprintln(os.Stderr, "partition:", err)
		os.Exit(1)
	}
}

func run(store, out string, level, threads int, script string) error {
	if store == "" || out == "" {
		return fmt.Errorf("-store and -out are required")
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	if err := os.MkdirAll(out, 0o700); err != nil {
		return err
	}
	b, err := os.ReadFile(script)
	if err != nil {
		return err
	}
	c, err := duckdb.NewConnector(store+"?access_mode=READ_ONLY&threads="+strconv.Itoa(threads), nil)
	if err != nil {
		return err
	}
	db := sql.OpenDB(c)
	defer db.Close()
	db.SetMaxOpenConns(1)
	text := strings.NewReplacer(":LEVEL", strconv.Itoa(level), ":DIR", strings.ReplaceAll(out, "'", "''")).Replace(string(b))
	var total time.Duration
	for _, stmt := range strings.Split(text, "\n;\n") {
		if strings.TrimSpace(stripComments(stmt)) == "" {
			continue
		}
		start := time.Now()
		if _, err := db.Exec(stmt); err != nil {
			return fmt.Errorf("%s: %w", firstCode(stmt), err)
		}
		d := time.Since(start)
		total += d
		fmt.Printf("%-60s %8.2f s\n", firstCode(stmt), d.Seconds())
	}
	fmt.Printf("%-60s %8.2f s\n", "all statements", total.Seconds())
	entries, err := os.ReadDir(out)
	if err != nil {
		return err
	}
	fmt.Printf("\n%-17s %10s %10s %6s %10s %s\n", "dataset", "rows in", "rows out", "parts", "none", "MB")
	for _, e := range entries {
		ds := e.Name()
		var in, outRows, none, parts int64
		glob := filepath.Join(out, ds, "*", "*.parquet")
		if err := db.QueryRow(`SELECT count(*) FROM "` + ds + `"`).Scan(&in); err != nil {
			return err
		}
		if err := db.QueryRow(`SELECT count(*), count(*) FILTER (WHERE county = 'none'), count(DISTINCT county)
			FROM read_parquet(?, hive_partitioning = true, hive_types_autocast = false)`, glob).Scan(&outRows, &none, &parts); err != nil {
			return err
		}
		size, err := dirSize(filepath.Join(out, ds))
		if err != nil {
			return err
		}
		fmt.Printf("%-17s %10d %10d %6d %10d %.1f\n", ds, in, outRows, parts, none, float64(size)/1e6)
	}
	return nil
}

func dirSize(dir string) (int64, error) {
	var n int64
	err := filepath.Walk(dir, func(_ string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			n += fi.Size()
		}
		return err
	})
	return n, err
}

func stripComments(s string) string {
	var keep []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "--") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}

// firstCode names a statement: the folder a COPY writes, else its first
// line that is not a comment, shortened.
func firstCode(s string) string {
	if i := strings.LastIndex(s, "TO '"); i >= 0 {
		target := s[i+4:]
		if j := strings.IndexByte(target, '\''); j >= 0 {
			return "COPY ... TO " + filepath.Base(target[:j])
		}
	}
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if l != "" && !strings.HasPrefix(l, "--") {
			if len(l) > 60 {
				l = l[:57] + "..."
			}
			return l
		}
	}
	return ""
}
