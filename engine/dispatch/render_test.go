package dispatch

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestRenderWithLibreOffice converts a written list to PDF and PNG with
// LibreOffice, when it is installed, to catch a workbook that Excel-like
// programs refuse or lay out badly. Set LIPWATCH_RENDER_DIR to keep the
// output for a look.
func TestRenderWithLibreOffice(t *testing.T) {
	soffice := ""
	for _, name := range []string{"soffice", "libreoffice"} {
		if p, err := exec.LookPath(name); err == nil {
			soffice = p
			break
		}
	}
	if soffice == "" {
		t.Skip("LibreOffice is not installed")
	}
	if testing.Short() {
		t.Skip("slow: starts LibreOffice")
	}
	dir := os.Getenv("LIPWATCH_RENDER_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	fx := newFixture(t)
	list := filepath.Join(dir, "list.xlsx")
	if err := WriteTownshipXLSX(list, fx.items, testOptions()); err != nil {
		t.Fatal(err)
	}
	profile := "file://" + filepath.ToSlash(t.TempDir())
	for _, format := range []string{"pdf", "png"} {
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
		out, err := exec.CommandContext(ctx, soffice, "-env:UserInstallation="+profile,
			"--headless", "--convert-to", format, "--outdir", dir, list).CombinedOutput()
		cancel()
		if err != nil {
			t.Fatalf("soffice --convert-to %s: %v\n%s", format, err, out)
		}
		fi, err := os.Stat(filepath.Join(dir, "list."+format))
		if err != nil || fi.Size() == 0 {
			t.Fatalf("no %s written: %v\n%s", format, err, out)
		}
		t.Logf("rendered %s (%d bytes)", fi.Name(), fi.Size())
	}
}
