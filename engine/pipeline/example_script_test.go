package pipeline

import (
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/lipwatch/lipwatch/internal/pgtest"
)

// The README's connectors example is runnable as written: its script puts
// the fishers register into PostgreSQL the way the example config reads
// it, and gives the same rows, in file order, as the test's own loader.
func TestLoadFishersScript(t *testing.T) {
	url := pgtest.URL(t)
	if _, err := exec.LookPath("psql"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("psql is not installed (Debian: postgresql-client)")
		}
		t.Skip("psql is not installed")
	}
	out, err := exec.Command("bash", "../../testdata/examples/load-fishers.sh", url).CombinedOutput()
	if err != nil {
		t.Fatalf("load-fishers.sh: %v\n%s", err, out)
	}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n, first, last int
	var firstID string
	if err := conn.QueryRow(ctx, `SELECT count(*), min(行号), max(行号) FROM fishers_register`).Scan(&n, &first, &last); err != nil {
		t.Fatal(err)
	}
	if err := conn.QueryRow(ctx, `SELECT "身份证号" FROM fishers_register ORDER BY 行号 LIMIT 1`).Scan(&firstID); err != nil {
		t.Fatal(err)
	}
	loadFishersIntoPostgres(t, url) // the test's own loader, for comparison
	var n2 int
	var firstID2 string
	conn.QueryRow(ctx, `SELECT count(*) FROM fishers_register`).Scan(&n2)
	conn.QueryRow(ctx, `SELECT "身份证号" FROM fishers_register ORDER BY 行号 LIMIT 1`).Scan(&firstID2)
	if n != n2 || firstID != firstID2 || last-first+1 != n {
		t.Errorf("script: %d rows (行号 %d..%d, first %s); loader: %d rows (first %s)", n, first, last, firstID, n2, firstID2)
	}
}
