package dispatch

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// libreOffice is LibreOffice's command, or skips the test: without it, or
// in -short runs (it is slow to start).
func libreOffice(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(name); err == nil {
			if testing.Short() {
				t.Skip("slow: starts LibreOffice")
			}
			return p
		}
	}
	t.Skip("LibreOffice is not installed")
	return ""
}

// TestRenderWithLibreOffice converts a written list to PDF and PNG with
// LibreOffice, when it is installed, to catch a workbook that Excel-like
// programs refuse or lay out badly. Set LIPWATCH_RENDER_DIR to keep the
// output for a look.
func TestRenderWithLibreOffice(t *testing.T) {
	soffice := libreOffice(t)
	dir := os.Getenv("LIPWATCH_RENDER_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	fx := newFixture(t)
	list := filepath.Join(dir, "list.xlsx")
	if err := WriteTownshipXLSX(list, fx.items, markedOptions()); err != nil { // as sent: with its mark
		t.Fatal(err)
	}
	profile := "file://" + filepath.ToSlash(t.TempDir())
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, soffice, "-env:UserInstallation="+profile,
		"--headless", "--convert-to", "pdf", "--outdir", dir, list).CombinedOutput()
	if err != nil {
		t.Fatalf("soffice --convert-to pdf: %v\n%s", err, out)
	}
	pdf := filepath.Join(dir, "list.pdf")
	fi, err := os.Stat(pdf)
	if err != nil || fi.Size() == 0 {
		t.Fatalf("no pdf written: %v\n%s", err, out)
	}
	t.Logf("rendered %s (%d bytes)", fi.Name(), fi.Size())
	// Pages as PNG for a person to look at, when poppler is installed
	// (LibreOffice itself exports only a spreadsheet's first page as PNG).
	if pdftoppm, err := exec.LookPath("pdftoppm"); err == nil {
		if out, err := exec.CommandContext(ctx, pdftoppm, "-png", "-r", "80", pdf, filepath.Join(dir, "list")).CombinedOutput(); err != nil {
			t.Fatalf("pdftoppm: %v\n%s", err, out)
		}
	}
}

// TestMarkSurvivesLibreOffice saves a marked list again with LibreOffice,
// as a township using it would, and reads the mark back: LibreOffice keeps
// the custom document properties and the mark sheet (very hidden becomes
// hidden, which is still out of sight).
func TestMarkSurvivesLibreOffice(t *testing.T) {
	soffice := libreOffice(t)
	dir := t.TempDir()
	fx := newFixture(t)
	list := filepath.Join(dir, "list.xlsx")
	if err := WriteTownshipXLSX(list, fx.items, markedOptions()); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out")
	profile := "file://" + filepath.ToSlash(t.TempDir())
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	if b, err := exec.CommandContext(ctx, soffice, "-env:UserInstallation="+profile, "--headless",
		"--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", out, list).CombinedOutput(); err != nil {
		t.Fatalf("soffice: %v\n%s", err, b)
	}
	r, err := ReadFeedback(filepath.Join(out, "list.xlsx"), readOptions())
	if err != nil {
		t.Fatal(err)
	}
	if r.Mark != markedOptions().Mark || r.Sheet != SheetName {
		t.Errorf("after LibreOffice: mark %+v, sheet %q", r.Mark, r.Sheet)
	}
}
