package gen

import (
	"bufio"
	"fmt"
	"io"
	"time"

	"github.com/lipwatch/lipwatch/engine/idnum"
)

// streamPatients is the size of WriteMedicalCSV's patient pool: fixed, so
// memory does not grow with the number of rows.
const streamPatients = 20000

// WriteMedicalCSV writes a large medical settlements file for benchmarks:
// UTF-8 without BOM, the header and dirt of the county's medical files
// (mixed date formats, "1,234.50元" amounts, some legacy, lowercase-x,
// full-width or spaced IDs) but no bad rows and no repeated claim ids.
// Claims are dated over the 12 months up to asOf, oldest first. It streams
// in constant memory; the same arguments give the same bytes.
func WriteMedicalCSV(w io.Writer, rows int, seed int64, asOf time.Time) error {
	if rows < 0 {
		return fmt.Errorf("%w: rows must not be negative", ErrOptions)
	}
	asOf = dateOf(asOf)
	r := newRand(seed, "medical-stream")
	pool := make([]*person, streamPatients)
	for i := range pool {
		male := r.IntN(2) == 0
		birth := asOf.AddDate(-between(r, 1, 90), 0, -r.IntN(365))
		seq := r.IntN(500) * 2
		if male {
			seq++
		}
		id, err := idnum.Build(countyCode, birth, seq)
		if err != nil {
			return fmt.Errorf("build ID: %w", err)
		}
		name := string(pickRune(r, surnames)) + givenName(r, male, birth.Year())
		pool[i] = &person{id: string(id), name: name, birth: birth, male: male}
	}
	bw := bufio.NewWriterSize(w, 256<<10)
	cw := &csvWriter{w: bw}
	headers := make([]string, len(medicalCols))
	for i, c := range medicalCols {
		headers[i] = c.header
	}
	cw.write(headers)
	start := asOf.AddDate(-1, 0, 1)
	span := int64(asOf.Sub(start)/(24*time.Hour)) + 1
	for i := range rows {
		d := start.Add(days(int(int64(i) * span / int64(max(rows, 1)))))
		p := pool[r.IntN(len(pool))]
		var c *claim
		if r.IntN(100) < 12 {
			c = newClaim(p, d, pickHospital(r, true), int64(between(r, 2000_00, 30000_00)), 0.55+r.Float64()*0.2, 0, 0)
		} else {
			c = newClaim(p, d, pickHospital(r, false), int64(between(r, 30_00, 1500_00)), 0.3+r.Float64()*0.3, 0, 0)
		}
		c.id = fmt.Sprintf("BM%s%s%09d", countyCode, d.Format("20060102"), i+1)
		cells := claimCells(r, c)
		vals := make([]string, len(cells))
		for j, x := range cells {
			vals[j] = x.text
		}
		cw.write(vals)
		if i%4096 == 0 {
			// A write error is sticky in bufio: stop early rather than
			// formatting rows nobody will see.
			if _, err := bw.Write(nil); err != nil {
				return err
			}
		}
	}
	return bw.Flush()
}
