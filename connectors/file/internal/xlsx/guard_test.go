package xlsx

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// TestGuardFastScan holds the guard's quick scan of plain text and tags to
// its byte-by-byte scan: the same failures, for stretches just under,
// at and over the limit, whatever the reads' sizes.
func TestGuardFastScan(t *testing.T) {
	parts := []string{
		"<row r=\"1\"><c><v>1</v></c></row>", strings.Repeat("x", maxRun-1), strings.Repeat("y", maxRun),
		strings.Repeat("z", maxRun/2), "<", "<!-- a > b -->", "<![CDATA[<>]]>", "<?pi x?>", "<!DOCTYPE a>", "中文", ">",
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 300 {
		var b strings.Builder
		for range 1 + rng.IntN(6) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		doc := []byte(b.String())
		fast, slow := &guard{part: "p"}, &guard{part: "p"}
		var ferr, serr error
		for i := 0; i < len(doc) && ferr == nil && serr == nil; {
			size := 1 + rng.IntN(1<<uint(rng.IntN(23)))
			chunk := doc[i:min(len(doc), i+size)]
			ferr, serr = fast.scan(chunk), slow.scanBytes(chunk)
			i += len(chunk)
		}
		if (ferr == nil) != (serr == nil) || fast.run != slow.run && ferr == nil {
			t.Fatalf("case %d: quick scan %v (run %d), byte by byte %v (run %d)", n, ferr, fast.run, serr, slow.run)
		}
	}
}
