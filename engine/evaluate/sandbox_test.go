package evaluate

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/store"
)

// Issue 9: whoever edits rules/facts.yaml must not be able to change the
// store or copy data out. A facts query that writes, deletes, copies to a
// file, reads a file or runs SQL given as text is refused — by CheckFacts
// (what rules check runs) and again before evaluation runs anything — and
// the audit and the files are untouched.
func TestFactQueriesOnlyRead(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, store.Options{Path: filepath.Join(dir, "lw.duckdb")})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.DB().Exec(`INSERT INTO audit VALUES (now()::TIMESTAMP, 'test', 'dispatch', 'x', '{}')`); err != nil {
		t.Fatal(err)
	}
	stolen := filepath.Join(dir, "stolen.csv")
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	const at = "      FROM ids LEFT JOIN reg USING (id_number)\n"
	for name, c := range map[string]struct{ to, want string }{
		"a second statement deletes": {at + "      ; DELETE FROM audit; SELECT 1\n", `may only read`},
		"copy out to a file":         {at + "      ; COPY (SELECT * FROM registry) TO '" + stolen + "'\n", `may only read`},
		"two SELECTs":                {at + "      ; SELECT 1\n", `holds 2 statements`},
		"one statement that writes":  {"", `may only read`},
		"SQL given as text":          {"      FROM ids LEFT JOIN reg USING (id_number), query('DELETE FROM audit') AS q\n", `calls query\(\), which runs SQL given as text`},
		"a file read":                {"      FROM ids LEFT JOIN reg USING (id_number), read_csv('/etc/passwd') AS p\n", `(?i)disabled|external access|file system`},
	} {
		t.Run(name, func(t *testing.T) {
			from, to := at, c.to
			if to == "" { // the whole person query replaced by one that writes
				from, to = "      WITH ids AS (\n", "      DELETE FROM audit RETURNING 1;\n      WITH ids AS (\n"
			}
			pack := packWith(t, "", from, to)
			checkErr := CheckFacts(ctx, st.DB(), pack)
			_, evalErr := (&Evaluator{Store: st, Pack: pack}).Hits(ctx, day)
			want := regexp.MustCompile(c.want)
			if name == "a file read" {
				// A single SELECT: the parser passes it; the store refuses
				// the file when the query runs.
				if checkErr != nil {
					t.Errorf("check: %v", checkErr)
				}
			} else if checkErr == nil || !want.MatchString(checkErr.Error()) || !strings.Contains(checkErr.Error(), "facts group person") {
				t.Errorf("check: %v, want %s naming the group", checkErr, c.want)
			}
			if evalErr == nil || !want.MatchString(evalErr.Error()) {
				t.Errorf("evaluation: %v, want %s", evalErr, c.want)
			}
			var n int
			if err := st.DB().QueryRow(`SELECT count(*) FROM audit`).Scan(&n); err != nil || n != 1 {
				t.Errorf("audit rows %d, %v: want the 1 row untouched", n, err)
			}
			if _, err := os.Stat(stolen); !os.IsNotExist(err) {
				t.Errorf("the copy was written: %v", err)
			}
		})
	}
	// The shipped facts pass the check.
	if err := CheckFacts(ctx, st.DB(), packWith(t, "", "", "")); err != nil {
		t.Fatal(err)
	}
}
