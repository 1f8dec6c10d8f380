package gen

import (
	"cmp"
	"context"
	"fmt"
	"iter"
	"math/rand/v2"
	"slices"
	"time"
)

// The files of the county as rows of cells, before encoding. Names, sheets
// and headers are contracts with config.yaml: change them together.

// cellKind is how a spreadsheet stores a cell; CSV only has text.
type cellKind uint8

const (
	textCell   cellKind = iota
	numberCell          // a number
	dateCell            // a date serial number with a date format
)

// cell is one value of a row (32 bytes: a county holds millions of them).
type cell struct {
	kind cellKind
	text string
	num  float64 // a number, or a date's serial number (excelSerial)
}

func txt(s string) cell          { return cell{kind: textCell, text: s} }
func number(v float64) cell      { return cell{kind: numberCell, num: v} }
func dateValue(d time.Time) cell { return cell{kind: dateCell, num: excelSerial(d)} }

// row is one line of a CSV file or row of a sheet.
type row struct {
	cells []cell
	// emptyLine is a CSV line with nothing on it, not even commas.
	emptyLine bool
	// bad is set on an injected bad row.
	bad *BadRow
	// dup is the claim id of a re-sent claim; from, in a lazy file, the
	// claim whose cells it repeats.
	dup  string
	from *claim
}

// column maps a file's header onto a dataset field ("" if the loader
// ignores the column).
type column struct{ header, field string }

// file is one output file.
type file struct {
	name     string // relative to the output directory, forward slashes
	dataset  string
	format   string // "csv" or "xlsx"
	encoding string // CSV: "gbk", "gb18030" or "utf-8"
	bom      bool
	crlf     bool
	sheet    string
	title    string // xlsx: a title row above the header
	cols     []column
	// rows are the file's rows, held in memory; or, for a file whose rows
	// are drawn as it is written, produce yields its own rows (produced of
	// them) and layers the rows put between them, one layer after another
	// (re-sent claims, then bad rows).
	rows     []row
	produce  func(yield func([]cell) bool)
	produced int
	layers   [][]placedRow
}

// lazy reports a file whose rows are drawn as it is written. produce must
// give the same rows each time it runs: it draws from a stream of its own
// and reads only what stays unchanged until the file is written.
func (f *file) lazy() bool { return f.produce != nil }

// len is the number of data rows.
func (f *file) len() int {
	if !f.lazy() {
		return len(f.rows)
	}
	n := f.produced
	for _, l := range f.layers {
		n += len(l)
	}
	return n
}

// all yields the data rows in order: a lazy file's own rows, drawn now,
// with the rows of each layer in their slots.
func (f *file) all() iter.Seq[row] {
	if !f.lazy() {
		return slices.Values(f.rows)
	}
	return f.merged(func(yield func(row) bool) {
		n := 0
		f.produce(func(cells []cell) bool {
			n++
			return yield(row{cells: cells})
		})
		if n != f.produced {
			panic(fmt.Sprintf("gen: %s produced %d rows, counted %d", f.name, n, f.produced))
		}
	})
}

// placedRows yields the final index and row of every row a layer put in a
// lazy file, drawing none of its own rows.
func (f *file) placedRows() iter.Seq2[int, row] {
	return func(yield func(int, row) bool) {
		i := 0
		for rw := range f.merged(func(yield func(row) bool) {
			for range f.produced {
				if !yield(row{}) {
					return
				}
			}
		}) {
			if rw.bad != nil || rw.dup != "" || rw.emptyLine || rw.cells != nil {
				if !yield(i, rw) {
					return
				}
			}
			i++
		}
	}
}

// merged is base with the layers' rows in their slots.
func (f *file) merged(base iter.Seq[row]) iter.Seq[row] {
	seq := base
	for _, l := range f.layers {
		seq = mergePlaced(seq, l)
	}
	return seq
}

// mergePlaced yields base's rows with the placed rows (in slot order) at
// their slots. A placed row that repeats a claim (from) takes its cells,
// which the claim's own row has set by then.
func mergePlaced(base iter.Seq[row], placed []placedRow) iter.Seq[row] {
	return func(yield func(row) bool) {
		slot, next := 0, 0
		flush := func() bool {
			for next < len(placed) && placed[next].slot == slot {
				rw := placed[next].row
				if rw.from != nil {
					rw.cells = rw.from.cells
				}
				if !yield(rw) {
					return false
				}
				next++
				slot++
			}
			return true
		}
		if !flush() {
			return
		}
		for rw := range base {
			if !yield(rw) {
				return
			}
			slot++
			if !flush() {
				return
			}
		}
		if next != len(placed) {
			panic(fmt.Sprintf("gen: %d rows placed past the end", len(placed)-next))
		}
	}
}

// headerRow is the line or sheet row of the header.
func (f *file) headerRow() int {
	if f.title != "" {
		return 2
	}
	return 1
}

func (f *file) headers() []string {
	out := make([]string, len(f.cols))
	for i, c := range f.cols {
		out[i] = c.header
	}
	return out
}

func (f *file) col(field string) int {
	for i, c := range f.cols {
		if c.field == field {
			return i
		}
	}
	return -1
}

// written is what truth.json keeps of a file once its rows are written and
// dropped: its description and where its bad and re-sent rows are.
type written struct {
	info       FileInfo
	bad        []BadRow
	unresolved []Unresolved
	dups       []Duplicate
}

// writeFiles builds every file and writes it into dir as soon as its rows
// are final, then drops the rows: the rows of all files are never held at
// once. The files are built, and their rows drawn, in the same order as
// when they were all written at the end, so the bytes are the same. The
// medical files are written before the late batch of claims (rigid.go),
// which is appended to them afterwards.
func (w *world) writeFiles(ctx context.Context, dir string) ([]*written, error) {
	var done []*written
	emit := func(f *file) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.writeFile(f, dir); err != nil {
			return err
		}
		done = append(done, f.summary())
		f.rows, f.produce, f.layers = nil, nil, nil
		return nil
	}
	w.bgPeople = nil
	for _, h := range w.households {
		if h.role.special() {
			continue
		}
		for _, p := range h.members {
			if p.status == active && p.age(w.asOf) >= 18 {
				w.bgPeople = append(w.bgPeople, p)
			}
		}
	}
	out := []*file{w.registryFile(), w.householdsFile(), w.assistanceFile()}
	out = append(out, w.medicalFiles()...)
	out = append(out, w.disabilityFile(), w.employmentFile(), w.fishersFile())
	if err := checkSizes(out); err != nil {
		return nil, err
	}
	w.badTouched = map[*household]bool{}
	for _, f := range out {
		w.injectBad(w.rng("bad:"+f.name), f, f.name == "employment.csv")
	}
	// Rows with a damaged ID, for identity resolution: about the people
	// of the households the bad rows above took, which later roles avoid.
	people := w.linkPeople()
	for _, f := range out {
		if linkableFile(f) {
			w.injectLinkage(w.rng("link:"+f.name), f, people)
		}
	}
	var medical []*file
	medicalDone := map[*file]*written{}
	for _, f := range out {
		switch f.dataset {
		case "households", "assistance":
			// Built again below: this version only placed its bad rows.
			f.rows = nil
			continue
		case "medical":
			medical = append(medical, f)
		}
		if err := emit(f); err != nil {
			return nil, err
		}
		if f.dataset == "medical" {
			medicalDone[f] = done[len(done)-1]
		}
	}
	// The asset files come after, from streams of their own: their roles
	// avoid the households the bad rows above are about.
	w.assets()
	// So do the rest of issue 13's (rigid.go). They change values of the
	// assessments and the roster in place: those two files are built again
	// from their streams, the same rows with the changed values; their
	// medical claims are a late batch at the end of the month files.
	w.rigid()
	for _, f := range []*file{w.householdsFile(), w.assistanceFile()} {
		w.injectBad(w.rng("bad:"+f.name), f, false)
		if err := emit(f); err != nil {
			return nil, err
		}
	}
	if err := w.appendLateClaims(dir, medical, medicalDone); err != nil {
		return nil, err
	}
	for _, group := range []func() []*file{w.assetFiles, w.rigidFiles} {
		files := group()
		if err := checkSizes(files); err != nil {
			return nil, err
		}
		for _, f := range files {
			w.injectBad(w.rng("bad:"+f.name), f, false)
		}
		for _, f := range files {
			if err := emit(f); err != nil {
				return nil, err
			}
		}
	}
	return done, nil
}

// summary describes a file whose rows are final: truth.json's entry and
// the positions of its bad and re-sent rows.
func (f *file) summary() *written {
	s := &written{info: FileInfo{File: f.name, Dataset: f.dataset, Format: f.format, Encoding: f.encoding, BOM: f.bom,
		Sheet: f.sheet, HeaderRow: f.headerRow(), DataRows: f.len()}}
	if f.format == "xlsx" {
		s.info.Encoding = "xlsx"
	}
	for _, c := range f.cols {
		s.info.Columns = append(s.info.Columns, ColumnInfo{Header: c.header, Field: c.field})
	}
	rows := slices.All(f.rows)
	if f.lazy() {
		rows = f.placedRows() // a lazy file's own rows are never bad nor re-sent
	}
	for i, rw := range rows {
		pos := f.headerRow() + 1 + i
		switch {
		case rw.bad != nil && rw.bad.trueID != "":
			s.unresolved = append(s.unresolved, Unresolved{File: f.name, Position: pos, Reason: rw.bad.Reason,
				Column: rw.bad.Column, IDNumber: rw.bad.trueID, NameVariant: rw.bad.variant})
		case rw.bad != nil:
			b := *rw.bad
			b.File, b.Position = f.name, pos
			s.bad = append(s.bad, b)
		}
		if rw.dup != "" {
			s.dups = append(s.dups, Duplicate{File: f.name, Position: pos, ClaimID: rw.dup})
		}
	}
	return s
}

// checkSizes refuses files with fewer than two rows: bad rows go between
// data rows.
func checkSizes(files []*file) error {
	for _, f := range files {
		if f.len() < 2 {
			return fmt.Errorf("%w: county too small: %s has %d rows", ErrOptions, f.name, f.len())
		}
	}
	return nil
}

func (w *world) somebody(r *rand.Rand) *person { return w.bgPeople[r.IntN(len(w.bgPeople))] }

// Column layouts.
var (
	registryCols = []column{
		{"公民身份号码", "id_number"}, {"姓名", "name"}, {"性别", "gender"}, {"出生日期", "birth_date"},
		{"户号", "household_id"}, {"与户主关系", "relation"}, {"乡镇街道代码", "township_code"},
		{"村社区代码", "village_code"}, {"住址", "address"}, {"人员状态", "status"}, {"状态变更日期", "status_date"},
	}
	householdCols = []column{
		{"户号", "household_id"}, {"家庭年收入", "annual_income"}, {"家庭人口", "members"}, {"收入核定日期", "income_assessed_date"},
	}
	assistanceCols = []column{
		{"身份证号", "id_number"}, {"户号", "household_id"}, {"救助类别", "category"},
		{"开始日期", "start_date"}, {"结束日期", "end_date"}, {"月救助金额", "amount_monthly"},
	}
	medicalCols = []column{
		{"结算单号", "claim_id"}, {"身份证号", "id_number"}, {"姓名", "name"}, {"性别", "gender"}, {"出生日期", "birth_date"},
		{"结算日期", "settle_date"}, {"医疗机构", "hospital"},
		{"医疗总费用", "total_cost"}, {"统筹基金支付", "fund_paid"}, {"大病保险支付", "critical_illness_paid"},
		{"医疗救助支付", "assistance_paid"}, {"个人自付", "out_of_pocket"},
	}
	disabilityCols = []column{
		{"身份证号", "id_number"}, {"残疾人证号", "cert_number"}, {"残疾类别", "category"},
		{"残疾等级", "level"}, {"发证日期", "issued_date"}, {"证件状态", "status"},
	}
	employmentCols = []column{
		{"身份证号", "id_number"}, {"姓名", "name"}, {"业务类型", "event"}, {"业务日期", "event_date"}, {"经办机构", ""},
	}
	fisherCols = []column{
		{"身份证号", "id_number"}, {"姓名", "name"}, {"户号", "household_id"}, {"渔船证号", "boat_cert"},
		{"退捕日期", "retired_date"}, {"安置去向", "resettlement"}, {"是否参加养老保险", "pension_insured"},
	}
)

func (w *world) registryFile() *file {
	f := &file{name: "registry.csv", dataset: "registry", format: "csv", encoding: "gbk", crlf: true, cols: registryCols}
	f.produced = len(w.people)
	f.produce = func(yield func([]cell) bool) {
		r := w.rng("file:registry")
		for _, h := range w.householdsByID() {
			for _, p := range h.members {
				if !yield(w.registryCells(r, p, true)) {
					return
				}
			}
		}
	}
	return f
}

// registryCells is a person's registry row, dirty or clean.
func (w *world) registryCells(r *rand.Rand, p *person, dirty bool) []cell {
	id, birth := p.id, p.birth.Format(time.DateOnly)
	status := []string{"正常", "死亡", "注销"}[p.status]
	if dirty {
		id, birth, status = dirtyID(r, p.id), dirtyDate(r, p.birth), statusText(r, p)
	}
	changed := ""
	if p.status != active {
		changed = dirtyDate(r, p.statusDate)
	}
	v := p.hh.village
	return []cell{txt(id), txt(p.name), txt(genderText(p)), txt(birth), txt(p.hh.id), txt(p.relation),
		txt(v.Town.Code), txt(v.Code), txt(p.hh.address), txt(status), txt(changed)}
}

func (w *world) householdsFile() *file {
	f := &file{name: "households.xlsx", dataset: "households", format: "xlsx", sheet: "家庭收入核定",
		title: countyName + "家庭收入核定表", cols: householdCols}
	f.produced = len(w.households)
	f.produce = func(yield func([]cell) bool) {
		r := w.rng("file:households")
		for _, h := range w.householdsByID() {
			if !yield(householdCells(r, h, true)) {
				return
			}
		}
	}
	return f
}

// householdsByID are the households in 户号 order.
func (w *world) householdsByID() []*household {
	hhs := slices.Clone(w.households)
	slices.SortFunc(hhs, func(a, b *household) int { return cmp.Compare(a.id, b.id) })
	return hhs
}

func householdCells(r *rand.Rand, h *household, dirty bool) []cell {
	income := number(float64(h.income) / 100)
	if dirty && r.IntN(10) < 4 {
		income = txt(groupedMoney(h.income) + "元")
	}
	return []cell{txt(h.id), income, number(float64(max(h.activeCount(), 1))), dateValue(h.assessed)}
}

func (w *world) assistanceFile() *file {
	r := w.rng("file:assistance")
	f := &file{name: "assistance.xlsx", dataset: "assistance", format: "xlsx", sheet: "救助对象名册", cols: assistanceCols}
	aids := slices.Clone(w.aids)
	slices.SortStableFunc(aids, func(a, b *aid) int {
		return cmp.Or(cmp.Compare(a.p.hh.id, b.p.hh.id), a.period.Compare(b.period))
	})
	sheetDate := func(d time.Time) cell {
		if d.IsZero() {
			return txt("")
		}
		if r.IntN(10) < 3 {
			return txt(chineseDate(d))
		}
		return dateValue(d)
	}
	// A household's rows of one period share how the category is written.
	catText := map[string]string{}
	for _, a := range aids {
		key := a.p.hh.id + a.category + a.period.String()
		if _, ok := catText[key]; !ok {
			catText[key] = categoryText(r, a.category, a.p.hh.village.Urban)
		}
		amount := txt("")
		switch {
		case a.amount == 0:
		case r.IntN(10) < 3:
			amount = txt(plainMoney(a.amount) + "元")
		default:
			amount = number(float64(a.amount) / 100)
		}
		f.rows = append(f.rows, row{cells: []cell{txt(dirtyID(r, a.p.id)), txt(a.p.hh.id),
			txt(catText[key]), sheetDate(a.start), sheetDate(a.end), amount}})
	}
	return f
}

// medicalFiles writes one file per month; some claims of a month are sent
// again in the next month's file. The files are lazy: a first pass draws
// every claim's cells as the rows will be, to move the stream on to the
// re-sent claims, and keeps only the stream's state at the start of each
// month (the claims are in date order), from which the month's rows are
// drawn again when its file is written. A re-sent claim's row takes the
// cells its own row was given: its month is written before the next.
func (w *world) medicalFiles() []*file {
	pcg := newPCG(w.seed, "file:medical")
	r := rand.New(pcg)
	months := w.months()
	files := make([]*file, len(months))
	for i, m := range months {
		files[i] = &file{name: fmt.Sprintf("medical/medical_%s.csv", m.Format("2006-01")), dataset: "medical",
			format: "csv", encoding: "utf-8", bom: r.IntN(2) == 0, cols: medicalCols}
	}
	claims := w.claims
	first := make([]int, len(months)+1) // claims[first[i]:first[i+1]] are month i's
	states := make([][]byte, len(months))
	month := 0 // the next month to begin
	for j, c := range claims {
		i := w.monthIndex(c.date)
		if i < month-1 {
			panic("gen: claims out of date order")
		}
		for ; month <= i; month++ {
			first[month] = j
			st, err := pcg.MarshalBinary()
			if err != nil {
				panic(err)
			}
			states[month] = st
		}
		claimCells(r, c)
		files[i].produced++
	}
	for ; month <= len(months); month++ {
		first[month] = len(claims)
		if month < len(months) {
			states[month], _ = pcg.MarshalBinary()
		}
	}
	for i, f := range files {
		lo, hi, state := first[i], first[i+1], states[i]
		f.produce = func(yield func([]cell) bool) {
			src := &rand.PCG{}
			if err := src.UnmarshalBinary(state); err != nil {
				panic(err)
			}
			r := rand.New(src)
			for _, c := range claims[lo:hi] {
				cells := claimCells(r, c)
				if c.resent {
					c.cells = cells
				}
				if !yield(cells) {
					return
				}
			}
		}
	}
	// Re-sent claims: small ones of background people, from months that
	// have a next file. Drawn from the pool as a list they are deleted
	// from, through a Fenwick tree (the j-th claim still in the pool).
	var pool []*claim
	for _, c := range claims {
		if c.p.hh != nil && !c.p.hh.role.special() && c.oop < 500_00 && w.monthIndex(c.date) < len(months)-1 {
			pool = append(pool, c)
		}
	}
	left := newFenwick(len(pool))
	resent := make([]*inserter, len(files))
	for i, f := range files {
		resent[i] = &inserter{base: f.produced}
	}
	for n := range w.scaled(5, 3) {
		if n == len(pool) {
			break
		}
		k := left.nth(r.IntN(len(pool) - n))
		left.remove(k)
		c := pool[k]
		c.resent = true
		next := w.monthIndex(c.date) + 1
		in := resent[next]
		in.insertAt(r.IntN(in.base+len(in.at)+1), row{dup: c.id, from: c})
	}
	for i, f := range files {
		if l := resent[i].places(); len(l) > 0 {
			f.layers = append(f.layers, l)
		}
	}
	return files
}

// claimCells writes a claim's row with dirty ID, date and amounts.
func claimCells(r *rand.Rand, c *claim) []cell {
	zero := func(v int64) cell {
		if v == 0 {
			return txt(pickText(r, "0", "0.00", "0.00", ""))
		}
		return txt(dirtyMoney(r, v))
	}
	// 姓名, 性别 and 出生日期 as 医保结算清单 exports carry them: drawn
	// without the stream, so the claims' other cells are as before.
	return []cell{txt(c.id), txt(dirtyID(r, c.p.id)), txt(c.p.name), txt(genderText(c.p)), txt(c.p.birth.Format(time.DateOnly)),
		txt(dirtyDate(r, c.date)), txt(c.hospital),
		txt(dirtyMoney(r, c.total)), zero(c.fund), zero(c.critical), zero(c.assist), txt(dirtyMoney(r, c.oop))}
}

func (w *world) disabilityFile() *file {
	r := w.rng("file:disability")
	f := &file{name: "disability.xlsx", dataset: "disability", format: "xlsx", sheet: "持证残疾人", cols: disabilityCols}
	certs := slices.Clone(w.certs)
	slices.SortStableFunc(certs, func(a, b *cert) int { return cmp.Or(a.issued.Compare(b.issued), cmp.Compare(a.p.id, b.p.id)) })
	for _, c := range certs {
		f.rows = append(f.rows, row{cells: []cell{txt(dirtyID(r, c.p.id)), txt(c.number()),
			txt(disabilityCategoryText(r, c.category)), txt(levelText(r, c.level)), dateValue(c.issued), txt("有效")}})
	}
	return f
}

func (w *world) employmentFile() *file {
	r := w.rng("file:employment")
	f := &file{name: "employment.csv", dataset: "employment", format: "csv", encoding: "gb18030", crlf: true, cols: employmentCols}
	evs := slices.Clone(w.events)
	slices.SortStableFunc(evs, func(a, b *empEvent) int { return cmp.Or(a.date.Compare(b.date), cmp.Compare(a.p.id, b.p.id)) })
	for _, e := range evs {
		f.rows = append(f.rows, row{cells: []cell{txt(dirtyID(r, e.p.id)), txt(e.p.name), txt(eventText(r, e.event)),
			txt(dirtyDate(r, e.date)), txt(employmentOffices[r.IntN(len(employmentOffices))])}})
	}
	return f
}

func (w *world) fishersFile() *file {
	r := w.rng("file:fishers")
	f := &file{name: "fishers.csv", dataset: "fishers", format: "csv", encoding: "utf-8", cols: fisherCols}
	fs := slices.Clone(w.fishers)
	slices.SortStableFunc(fs, func(a, b *fisher) int { return cmp.Or(cmp.Compare(a.p.hh.id, b.p.hh.id), cmp.Compare(a.p.id, b.p.id)) })
	for _, x := range fs {
		f.rows = append(f.rows, row{cells: []cell{txt(dirtyID(r, x.p.id)), txt(x.p.name), txt(x.p.hh.id), txt(x.boat),
			txt(dirtyDate(r, x.retired)), txt(resettleText(r, x.resettle)), txt(insuredText(r, x.insured))}})
	}
	return f
}
