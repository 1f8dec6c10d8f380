package file

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lipwatch/lipwatch/connectors"
)

func TestCSVReportsProgress(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	b.WriteString("a,b\n")
	for i := 0; i < 50000; i++ {
		fmt.Fprintf(&b, "%d,值%d\n", i, i)
	}
	path := filepath.Join(dir, "big.csv")
	os.WriteFile(path, []byte(b.String()), 0o644)
	c, err := connectors.New("file", connectors.Source{Name: "p", BaseDir: dir, Options: connectors.Options{"path": "big.csv"}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	ss, _ := c.Streams(context.Background())
	rr, err := ss[0].Open(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Close()
	p, ok := rr.(connectors.Progresser)
	if !ok {
		t.Fatal("the CSV reader does not report progress")
	}
	for i := 0; i < 10; i++ {
		rr.Next()
	}
	done, total := p.Progress()
	if total != int64(b.Len()) || done <= 0 || done > total {
		t.Errorf("progress %d of %d (file is %d bytes)", done, total, b.Len())
	}
}
