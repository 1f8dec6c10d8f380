package file_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/connectors"
	"github.com/lipwatch/lipwatch/connectors/connectortest"
)

func streamNames(t *testing.T, c connectors.Connector) []string {
	t.Helper()
	streams, err := c.Streams(context.Background())
	if err != nil {
		t.Fatalf("streams: %v", err)
	}
	var names []string
	for _, s := range streams {
		names = append(names, s.Name())
	}
	return names
}

func TestGlobSortedStreams(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{
		"medical/medical_2026-03.csv",
		"medical/medical_2026-01.csv",
		"medical/medical_2026-02.CSV",
		"medical/~$medical_2026-03.xlsx", // Excel's lock file
		"medical/readme.md",
		"other/medical_2026-01.csv",
	} {
		writeFile(t, dir, name, []byte("a\n"))
	}
	if err := os.Mkdir(filepath.Join(dir, "medical", "medical_old.csv"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		pattern string
		want    []string
	}{
		{"medical/medical_*.csv", []string{"medical/medical_2026-01.csv", "medical/medical_2026-03.csv"}},
		{"medical/medical_2026-0[12].*", []string{"medical/medical_2026-01.csv", "medical/medical_2026-02.CSV"}},
		{"medical/*", []string{"medical/medical_2026-01.csv", "medical/medical_2026-02.CSV", "medical/medical_2026-03.csv", "medical/readme.md"}},
		{"*/medical_2026-01.csv", []string{"medical/medical_2026-01.csv", "other/medical_2026-01.csv"}},
		{"./medical/../other/*.csv", []string{"other/medical_2026-01.csv"}},
		{"medical/medical_2026-03.csv", []string{"medical/medical_2026-03.csv"}},
		{filepath.Join(dir, "other", "*.csv"), []string{"other/medical_2026-01.csv"}},
	}
	for _, tt := range tests {
		t.Run(tt.pattern, func(t *testing.T) {
			got := streamNames(t, newSource(t, dir, connectors.Options{"path": tt.pattern}))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// A file outside the base directory is named by its absolute path.
func TestStreamNameOutsideBaseDir(t *testing.T) {
	root := t.TempDir()
	base := filepath.Join(root, "config")
	p := writeFile(t, root, "shared/registry.csv", []byte("a\n"))
	if err := os.Mkdir(base, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{"../shared/*.csv", p} {
		got := streamNames(t, newSource(t, base, connectors.Options{"path": pattern}))
		if want := []string{filepath.ToSlash(p)}; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: got %q, want %q", pattern, got, want)
		}
	}
}

// Glob characters in the base directory's own name are not a pattern.
func TestBaseDirWithGlobCharacters(t *testing.T) {
	base := filepath.Join(t.TempDir(), "[2026]*县")
	writeFile(t, base, "a.csv", []byte("a\n"))
	got := streamNames(t, newSource(t, base, connectors.Options{"path": "*.csv"}))
	if want := []string{"a.csv"}; !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestNoMatchIsNotFound(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "medical/~$lock.csv", []byte("a\n"))
	for _, pattern := range []string{"medical/*.csv", "medical/medical_2026-03.csv", "nowhere/*.csv"} {
		c, err := connectors.New("file", connectors.Source{Name: "medical", BaseDir: dir, Options: connectors.Options{"path": pattern}})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Streams(context.Background())
		if !errors.Is(err, connectors.ErrNotFound) {
			t.Fatalf("%s: got %v, want ErrNotFound", pattern, err)
		}
		for _, part := range []string{"source medical", pattern} {
			if !strings.Contains(err.Error(), part) {
				t.Errorf("%q does not name %q", err, part)
			}
		}
	}
}

func TestPathIsDirectory(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "medical/a.csv", []byte("a\n"))
	c := newSource(t, dir, connectors.Options{"path": "medical"})
	_, err := c.Streams(context.Background())
	want := `source test: path "medical" is a directory; match its files with a glob such as "medical/*.csv"`
	if err == nil || err.Error() != want {
		t.Errorf("got %v, want %q", err, want)
	}
}

func TestBadPattern(t *testing.T) {
	c := newSource(t, t.TempDir(), connectors.Options{"path": "a[.csv"})
	if _, err := c.Streams(context.Background()); err == nil || errors.Is(err, connectors.ErrNotFound) {
		t.Errorf("got %v, want a bad pattern error", err)
	}
}

func TestFingerprint(t *testing.T) {
	dir := t.TempDir()
	p := writeFile(t, dir, "a.csv", []byte("姓名\n张三\n"))
	c := newSource(t, dir, connectors.Options{"path": "a.csv"})
	fingerprint := func() string {
		t.Helper()
		streams, err := c.Streams(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		fp, err := streams[0].Fingerprint(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return fp
	}
	sum := sha256.Sum256([]byte("姓名\n张三\n"))
	first := fingerprint()
	if want := "sha256:" + hex.EncodeToString(sum[:]); first != want {
		t.Errorf("got %s, want %s", first, want)
	}
	if again := fingerprint(); again != first {
		t.Errorf("fingerprint of unchanged file changed: %s, then %s", first, again)
	}
	if err := os.WriteFile(p, []byte("姓名\n李四\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if changed := fingerprint(); changed == first {
		t.Error("fingerprint did not change with the content")
	}
}

func TestCloseTwice(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte("a\n1\n"))
	c := newSource(t, dir, connectors.Options{"path": "a.csv"})
	rr := connectortest.OpenOnly(t, c)
	for i := range 2 {
		if err := rr.Close(); err != nil {
			t.Errorf("reader close %d: %v", i+1, err)
		}
		if err := c.Close(context.Background()); err != nil {
			t.Errorf("connector close %d: %v", i+1, err)
		}
	}
	if _, err := rr.Next(); err == nil {
		t.Error("Next after Close returned no error")
	}
}

func TestCancelledContext(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "a.csv", []byte("a\n1\n"))
	writeWorkbook(t, filepath.Join(dir, "b.xlsx"))
	c := newSource(t, dir, connectors.Options{"path": "*"})
	streams, err := c.Streams(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Streams(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Streams: got %v, want context.Canceled", err)
	}
	for _, s := range streams {
		if _, err := s.Open(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: Open: got %v, want context.Canceled", s.Name(), err)
		}
		if _, err := s.Fingerprint(ctx); !errors.Is(err, context.Canceled) {
			t.Errorf("%s: Fingerprint: got %v, want context.Canceled", s.Name(), err)
		}
	}
}

func TestUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	dir := t.TempDir()
	p := writeFile(t, dir, "a.csv", []byte("a\n"))
	if err := os.Chmod(p, 0); err != nil {
		t.Fatal(err)
	}
	err := openErr(t, newSource(t, dir, connectors.Options{"path": "a.csv"}))
	if want := "a.csv: open: permission denied"; err.Error() != want {
		t.Errorf("got %q, want %q", err, want)
	}
	if !errors.Is(err, os.ErrPermission) {
		t.Error("the cause is lost")
	}
}

// Files are read in the order a person reads their names: months by their
// number, so that a registry's October file (户籍2026年10月) loads after
// September's and its states win.
func TestNaturalFileOrder(t *testing.T) {
	dir := t.TempDir()
	names := []string{"户籍2026年10月.csv", "户籍2026年9月.csv", "户籍2026年11月.csv", "户籍2025年12月.csv", "户籍2026年1月.csv",
		"户籍2026年10月-更正.csv", "户籍2026年10月 (2).csv", "户籍２０２６年１２月.csv"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("a\n1\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	c := newSource(t, dir, connectors.Options{"path": "户籍*.csv"})
	streams, err := c.Streams(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range streams {
		got = append(got, s.Name())
	}
	want := []string{"户籍2025年12月.csv", "户籍2026年1月.csv", "户籍2026年9月.csv", "户籍2026年10月.csv",
		"户籍2026年10月 (2).csv", "户籍2026年10月-更正.csv", "户籍2026年11月.csv", "户籍２０２６年１２月.csv"}
	if !slices.Equal(got, want) {
		t.Errorf("order %q, want %q", got, want)
	}
}

// Issue 9: a FIFO matched by a source's path used to hang the sync for
// ever, and a symbolic link to /dev/zero until the source timeout. A path
// naming one is refused at once, naming it; a glob matching one lists it
// as a stream that fails alone (TestSpecialFileAmongMatchesFailsAlone).
func TestSpecialFilesRefused(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "medical_1.csv"), []byte("结算单号\nC1\n"), 0o644)
	if err := syscall.Mkfifo(filepath.Join(dir, "medical_2.csv"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.csv")); err != nil {
		t.Fatal(err)
	}
	for pattern, want := range map[string]string{
		"medical_2.csv": "medical_2.csv is a named pipe (FIFO), not a file",
		"zero.csv":      "zero.csv is a device, not a file",
	} {
		c, err := connectors.New("file", connectors.Source{Name: "medical", BaseDir: dir, Options: connectors.Options{"path": pattern}})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { _, err := c.Streams(context.Background()); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: %v, want %q", pattern, err, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Streams did not return", pattern)
		}
	}
}

// Issue 9 (tester's finding B): with path in/*.csv, a real a.csv and a
// b.csv linked to /dev/zero, the whole source failed and a.csv was not
// loaded. Each special file a glob matches — a named pipe, a device, a
// socket, a link to one or to nothing — is now a stream of its own that
// the sync reads as it reads any file: its fingerprint is taken without
// reading it (nothing to hash, and the sync must not block), and opening
// it fails, naming it and what it is. The regular files read as usual.
func TestSpecialFileAmongMatchesFailsAlone(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in")
	writeFile(t, in, "a.csv", []byte("结算单号\nC1\nC2\n"))
	for name, mk := range map[string]func(string) error{
		"b.csv": func(p string) error { return os.Symlink("/dev/zero", p) },
		"c.csv": func(p string) error { return syscall.Mkfifo(p, 0o600) },
		"d.csv": func(p string) error {
			l, err := net.Listen("unix", p)
			if err == nil {
				t.Cleanup(func() { l.Close() })
			}
			return err
		},
		"e.csv": func(p string) error { return os.Symlink(filepath.Join(dir, "gone.csv"), p) },
	} {
		if err := mk(filepath.Join(in, name)); err != nil {
			t.Fatal(err)
		}
	}
	want := map[string]string{
		"in/b.csv": "in/b.csv is a device, not a file",
		"in/c.csv": "in/c.csv is a named pipe (FIFO), not a file",
		"in/d.csv": "in/d.csv is a socket, not a file",
		"in/e.csv": "in/e.csv: stat: no such file or directory",
	}
	c := newSource(t, dir, connectors.Options{"path": "in/*.csv"})
	streams, err := c.Streams(t.Context())
	if err != nil {
		t.Fatalf("one special file failed the source: %v", err)
	}
	var names []string
	for _, s := range streams {
		names = append(names, s.Name())
		done := make(chan struct{})
		var fp string
		var fpErr, openErr error
		var rows []connectors.Row
		go func() {
			defer close(done)
			if fp, fpErr = s.Fingerprint(t.Context()); fpErr != nil {
				return
			}
			var rr connectors.RowReader
			if rr, openErr = s.Open(t.Context()); openErr == nil {
				rows = connectortest.ReadAll(t, rr)
				rr.Close()
			}
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second): // a hang guard, not a timing
			t.Fatalf("%s: blocked", s.Name())
		}
		if fpErr != nil {
			t.Errorf("%s: fingerprint: %v (a fingerprint error fails the whole source)", s.Name(), fpErr)
			continue
		}
		if w, special := want[s.Name()]; special {
			if strings.HasPrefix(fp, "sha256:") {
				t.Errorf("%s: fingerprint %s, want one saying it was not read", s.Name(), fp)
			}
			if openErr == nil || !strings.Contains(openErr.Error(), w) {
				t.Errorf("%s: open: %v, want %q", s.Name(), openErr, w)
			}
			continue
		}
		if openErr != nil || len(rows) != 2 || !strings.HasPrefix(fp, "sha256:") {
			t.Errorf("%s: %s, %d rows, %v: want the file read", s.Name(), fp, len(rows), openErr)
		}
	}
	if !slices.Equal(names, []string{"in/a.csv", "in/b.csv", "in/c.csv", "in/d.csv", "in/e.csv"}) {
		t.Errorf("streams %q", names)
	}
}

// A file named alone with its numbered parts beside it (an export split
// past Excel's row limit) says the parts are not read; a glob reading them
// all, or a file without parts, says nothing.
func TestPartsBesideAFileNamedAlone(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"households.xlsx", "households-2.xlsx", "households_3.XLSX", "households (1).xlsx",
		"households_old.xlsx", "households-2.csv", "registry.csv"} {
		writeFile(t, dir, name, []byte("a\n"))
	}
	notes := func(path string) []connectors.Note {
		streams, err := newSource(t, dir, connectors.Options{"path": path}).Streams(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var out []connectors.Note
		for _, s := range streams {
			if sn, ok := s.(connectors.StreamNoter); ok {
				out = append(out, sn.StreamNotes()...)
			}
		}
		return out
	}
	got := notes("households.xlsx")
	if len(got) != 1 || got[0].Code != connectors.NotePartsNotRead || got[0].Count != 2 ||
		!strings.Contains(got[0].Text, "households-2.xlsx, households_3.XLSX beside it are not read") ||
		!strings.Contains(got[0].Text, "households*.xlsx") {
		t.Errorf("households.xlsx alone: notes %+v", got)
	}
	for _, path := range []string{"households*.xlsx", "registry.csv"} {
		if got := notes(path); len(got) != 0 {
			t.Errorf("%s: notes %+v, want none", path, got)
		}
	}
}
