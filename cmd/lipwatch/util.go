package main

import (
	"bufio"
	"os"
	"path/filepath"
	"time"

	"github.com/lipwatch/lipwatch/engine/gen"
)

// shanghai is the county's time zone, the default for dates on the command line.
func shanghai() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		return time.FixedZone("CST", 8*3600)
	}
	return loc
}

func writeMedical(path string, rows int, seed int64, asOf time.Time) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := gen.WriteMedicalCSV(w, rows, seed, asOf); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
