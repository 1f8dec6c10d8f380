package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/idnum"
)

// Reasons a bad row is bad, as named in truth.json. Each bad row has
// exactly one of them.
const (
	ReasonBadCheckDigit   = "bad_check_digit"  // an 18-digit ID with a wrong check character
	ReasonMissingRequired = "missing_required" // a required field blank
	ReasonImpossibleDate  = "impossible_date"  // a date that cannot exist
	ReasonHeaderRepeat    = "header_repeat"    // the header again, mid-file
	ReasonBlankRow        = "blank_row"        // all cells empty
)

// badShare is the share of a file's rows added as bad rows; every file also
// gets at least one bad row of each reason that applies to it.
const badShare = 0.005

// injectBad adds bad rows to a file, as extra rows between its data rows
// (never the first or last). emptyLine adds one line with nothing on it.
func (w *world) injectBad(r *rand.Rand, f *file, emptyLine bool) {
	ds, ok := dataset.Lookup(f.dataset)
	if !ok {
		panic("gen: unknown dataset " + f.dataset)
	}
	var required []int
	dateCol := -1
	for i, c := range f.cols {
		fd, ok := ds.Field(c.field)
		if !ok {
			continue
		}
		if fd.Required {
			required = append(required, i)
		}
		if fd.Type == dataset.Date && (dateCol < 0 || (fd.Required && !isRequired(ds, f.cols[dateCol].field))) {
			dateCol = i
		}
	}
	var kinds []string
	idCol, nameCol := f.col("id_number"), -1
	if ds.Linkable() { // the registry keeps quarantining bad IDs
		nameCol = f.col("name")
	}
	// unresolved marks a row whose one defect is its ID number in a file
	// whose rows carry the person's name: the loader keeps it, with
	// id_number "?…", for identity resolution (truth.json "unresolved",
	// with the person's true ID number) instead of quarantining it.
	unresolved := func(rw *row, trueID string) {
		if nameCol < 0 || rw.cells[nameCol].text == "" {
			return
		}
		// The county's own IDs always parse (a legacy or dirty form is
		// upgraded); the text as written stands for any other.
		rw.bad.trueID = idnum.Normalize(trueID)
		if id, err := idnum.Parse(trueID); err == nil {
			rw.bad.trueID = string(id)
		}
	}
	if idCol >= 0 {
		kinds = append(kinds, ReasonBadCheckDigit)
	}
	kinds = append(kinds, ReasonMissingRequired)
	if dateCol >= 0 {
		kinds = append(kinds, ReasonImpossibleDate)
	}
	kinds = append(kinds, ReasonHeaderRepeat, ReasonBlankRow)
	n := max(len(kinds), int(math.Round(badShare*float64(f.len()))))
	off := r.IntN(len(kinds))
	ins := &inserter{base: f.len()}
	for i := range n {
		kind := kinds[(off+i)%len(kinds)]
		rw := row{bad: &BadRow{Reason: kind}}
		switch kind {
		case ReasonBadCheckDigit:
			rw.cells = w.baseRow(r, f)
			unresolved(&rw, rw.cells[idCol].text)
			id := wrongCheck(r, rw.cells[idCol].text)
			rw.cells[idCol] = txt(id)
			if c := f.col("cert_number"); c >= 0 && f.dataset == "disability" {
				rw.cells[c] = txt(id + rw.cells[c].text[18:]) // 残疾人证号 begins with the ID
			}
			rw.bad.Column = f.cols[idCol].header
		case ReasonMissingRequired:
			rw.cells = w.baseRow(r, f)
			c := required[r.IntN(len(required))]
			if c == idCol {
				unresolved(&rw, rw.cells[c].text)
			}
			rw.cells[c] = txt("")
			rw.bad.Column = f.cols[c].header
		case ReasonImpossibleDate:
			rw.cells = w.baseRow(r, f)
			rw.cells[dateCol] = txt(impossibleDate(r, w.asOf.Year()-r.IntN(3)))
			rw.bad.Column = f.cols[dateCol].header
		case ReasonHeaderRepeat:
			for _, h := range f.headers() {
				rw.cells = append(rw.cells, txt(h))
			}
		case ReasonBlankRow:
			rw.cells = make([]cell, len(f.cols))
		}
		ins.insert(r, rw)
	}
	if emptyLine {
		ins.insert(r, row{emptyLine: true, bad: &BadRow{Reason: ReasonBlankRow}})
	}
	if f.lazy() {
		f.layers = append(f.layers, ins.places())
		return
	}
	f.rows = ins.apply(f.rows)
}

func isRequired(ds *dataset.Dataset, field string) bool {
	fd, ok := ds.Field(field)
	return ok && fd.Required
}

// inserter puts rows between the rows of a file, each between two rows of
// the file as it stands after the ones before: the k-th row inserted goes
// at 1 + r.IntN(base+k-1), as one slices.Insert after another would put
// it, but apply places them all in one pass, in O((base+k) log(base+k))
// rather than O(base × k).
type inserter struct {
	base int // rows of the file before the first insertion
	at   []int
	rows []row
}

// insert draws the position of one more row.
func (in *inserter) insert(r *rand.Rand, rw row) {
	in.insertAt(1+r.IntN(in.base+len(in.at)-1), rw)
}

// insertAt inserts a row at index at (0 to the current length) of the file
// as it stands after the rows inserted before.
func (in *inserter) insertAt(at int, rw row) {
	in.at = append(in.at, at)
	in.rows = append(in.rows, rw)
}

// placedRow is a row inserted in a file and its final index among the
// file's data rows.
type placedRow struct {
	slot int
	row  row
}

// places are the inserted rows with their final indexes, in order. Walking
// the insertions from the last, the k-th one's final index is the at[k]-th
// (from 0) of the slots no later insertion took; the file's own rows fill
// the remaining slots in order. A Fenwick tree over the slots finds the
// n-th free one: O((base+k) log(base+k)).
func (in *inserter) places() []placedRow {
	if len(in.at) == 0 {
		return nil
	}
	free := newFenwick(in.base + len(in.at))
	out := make([]placedRow, len(in.at))
	for k := len(in.at) - 1; k >= 0; k-- {
		slot := free.nth(in.at[k])
		free.remove(slot)
		out[k] = placedRow{slot: slot, row: in.rows[k]}
	}
	slices.SortFunc(out, func(a, b placedRow) int { return a.slot - b.slot })
	return out
}

// fenwick counts which of n positions remain: nth finds the n-th
// remaining one, remove takes one out, both in O(log n).
type fenwick struct {
	tree []int32 // 1-based
	top  int     // the largest power of two <= n
}

// newFenwick has all n positions remaining.
func newFenwick(n int) *fenwick {
	f := &fenwick{tree: make([]int32, n+1), top: 1}
	for i := 1; i <= n; i++ {
		f.tree[i]++
		if j := i + i&-i; j <= n {
			f.tree[j] += f.tree[i]
		}
	}
	for f.top*2 <= n {
		f.top *= 2
	}
	return f
}

// nth is the index (from 0) of the remaining position with k remaining
// before it.
func (f *fenwick) nth(k int) int {
	// The largest pos with at most k remaining up to it (1-based): the
	// position after it, 0-based pos, is the one.
	pos, rest := 0, int32(k)
	for step := f.top; step > 0; step /= 2 {
		if next := pos + step; next < len(f.tree) && f.tree[next] <= rest {
			pos = next
			rest -= f.tree[next]
		}
	}
	return pos
}

// remove takes position i (from 0) out.
func (f *fenwick) remove(i int) {
	for j := i + 1; j < len(f.tree); j += j & -j {
		f.tree[j]--
	}
}

// apply returns rows (the file's in.base rows) with the inserted rows in
// place.
func (in *inserter) apply(rows []row) []row {
	placed := in.places()
	if len(placed) == 0 {
		return rows
	}
	out := make([]row, 0, len(rows)+len(placed))
	j := 0
	for _, p := range placed {
		for len(out) < p.slot {
			out = append(out, rows[j])
			j++
		}
		out = append(out, p.row)
	}
	return append(out, rows[j:]...)
}

// baseRow is a clean, valid extra row for a file, about a background adult
// and harmless if a loader wrongly accepted it: small amounts, old or mild
// facts, assistance that ended long ago.
func (w *world) baseRow(r *rand.Rand, f *file) []cell {
	switch f.dataset {
	case "vehicles", "property", "business", "contributions", "public_employees":
		return w.assetBaseRow(r, f)
	case "students", "rehabilitation", "staff_relatives":
		return w.rigidBaseRow(r, f)
	}
	p := w.forced
	if p == nil {
		p = w.somebody(r)
	}
	if w.badTouched != nil {
		w.badTouched[p.hh] = true
	}
	old := w.asOf.AddDate(-between(r, 3, 8), 0, -r.IntN(300))
	switch f.dataset {
	case "registry":
		return w.registryCells(r, p, false)
	case "households":
		return householdCells(r, p.hh, false)
	case "assistance":
		return []cell{txt(p.id), txt(p.hh.id), txt("低保"), dateValue(old), dateValue(old.AddDate(1, 0, 0)), number(300)}
	case "medical":
		m := w.months()[w.fileMonth(f)]
		d := m.Add(days(r.IntN(28)))
		if d.After(w.asOf) {
			d = w.asOf
		}
		c := newClaim(p, d, pickHospital(r, false), int64(between(r, 50_00, 800_00)), 0.5, 0, 0)
		return []cell{txt(w.nextClaimID(d)), txt(p.id), txt(p.name), txt(genderText(p)), txt(p.birth.Format(time.DateOnly)),
			txt(d.Format(time.DateOnly)), txt(c.hospital),
			txt(plainMoney(c.total)), txt(plainMoney(c.fund)), txt("0.00"), txt("0.00"), txt(plainMoney(c.oop))}
	case "disability":
		return []cell{txt(p.id), txt(p.id + "44"), txt("肢体残疾"), txt("四级"), dateValue(old), txt("有效")}
	case "employment":
		return []cell{txt(p.id), txt(p.name), txt("就业登记"), txt(old.Format(time.DateOnly)), txt(employmentOffices[0])}
	case "fishers":
		return []cell{txt(p.id), txt(p.name), txt(p.hh.id), txt(w.boatCert(r)), txt("2020-06-01"), txt("就业"), txt("是")}
	}
	panic("gen: no base row for " + f.dataset)
}

// fileMonth is the index of a medical file's month.
func (w *world) fileMonth(f *file) int {
	for i, m := range w.months() {
		if f.name == fmt.Sprintf("medical/medical_%s.csv", m.Format("2006-01")) {
			return i
		}
	}
	panic("gen: not a medical file: " + f.name)
}
