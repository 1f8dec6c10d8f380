package portal

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

// BenchmarkCaseList measures the time to the whole answer (the portal
// renders a page before it writes a byte, so it is the time to first
// byte) of the case list with many open cases: the night's 150 cases of
// the synthetic county copied under new ids to the size given, for the
// county admin (every case) and a township officer (her township's).
//
//	go test ./engine/portal -run '^$' -bench CaseList -benchtime 5x
func BenchmarkCaseList(b *testing.B) {
	for _, n := range []int{150, 10000} {
		c, err := buildCounty()
		if err != nil {
			b.Fatal(err)
		}
		if n > 150 {
			// Copies of the night's cases and their hits, with new ids
			// (the households repeat: their registry lookups are real).
			copies := n/150 - 1
			_, err := c.p.Store.DB().ExecContext(context.Background(), fmt.Sprintf(`
				INSERT INTO case_hits SELECT h.* REPLACE (h.case_id || '-' || k AS case_id) FROM case_hits h, range(1, %d + 1) r(k);
				INSERT INTO cases SELECT c.* REPLACE (c.case_id || '-' || k AS case_id) FROM cases c, range(1, %d + 1) r(k);`, copies, copies))
			if err != nil {
				b.Fatal(err)
			}
		}
		for _, acct := range []string{"admin", "officer_a"} {
			b.Run(fmt.Sprintf("cases=%d/%s", n, acct), func(b *testing.B) {
				cl := c.client(b).login(acct)
				b.ResetTimer()
				for range b.N {
					start := time.Now()
					code, body, _ := cl.get("/cases")
					if code != http.StatusOK {
						b.Fatalf("%d", code)
					}
					b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/page")
					b.SetBytes(int64(len(body)))
				}
			})
		}
		c.srv.Close()
		c.p.Close()
	}
}
