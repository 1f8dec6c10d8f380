package gen

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"

	"github.com/longbridgeapp/opencc"

	"github.com/lipwatch/lipwatch/engine/dataset"
)

// Identity resolution's ground truth (issue 15): rows of the departments'
// files whose ID number is damaged the ways real files damage it, each
// about a known person of the registry, sometimes under a variant of the
// name. The loader keeps such a row (or loads it under a wrong or unknown
// ID); the linker must find the person. truth.json lists every one under
// "unresolved" with the person's ID number, the damage (Reason) and the
// name variant.

// Damage an ID number can carry, as named in truth.json's unresolved rows
// (besides bad_check_digit and missing_required of the bad rows).
const (
	// ReasonMissingID: the ID cell is blank; the row has the name and
	// what the file carries beside it (birth date and gender, 户号).
	ReasonMissingID = "missing_id"
	// ReasonWrongDigit: one digit of the first 17 typed wrong, the check
	// character as it was (so usually wrong: one time in eleven the
	// result is a valid ID number of nobody).
	ReasonWrongDigit = "wrong_digit"
	// ReasonTransposedDigits: two neighbouring digits of the first 17
	// swapped, check character as it was.
	ReasonTransposedDigits = "transposed_digits"
	// ReasonExcel15Digits: the number Excel kept of an 18-digit ID typed
	// into a number cell: 15 significant digits and three zeros.
	ReasonExcel15Digits = "excel_15_digits"
	// ReasonZeroPadded: a fixed-width export's leading zero before the ID.
	ReasonZeroPadded = "zero_padded"
	// ReasonLegacyTypo: the 15-digit legacy form (before 1999) with one
	// digit of its birth date or sequence typed wrong.
	ReasonLegacyTypo = "legacy_15_typo"
	// ReasonFamilyMemberID: another member's ID number of the person's
	// household (a parent's on a child's claim): a valid ID number of
	// someone else.
	ReasonFamilyMemberID = "family_member_id"
)

// Name variants a damaged row's name can carry, as truth.json names them.
const (
	VariantTraditional = "traditional" // 繁体: 陈伟 as 陳偉
	VariantSpace       = "space"       // a space between surname and given name
	VariantHomophone   = "homophone"   // one given-name character by another of the same sound
)

// linkShare is the share of a file's rows added as rows with a damaged ID;
// each file that carries names gets at least linkMin.
const (
	linkShare = 0.01
	linkMin   = 3
)

// homophones replace a given-name character by one read the same
// (toneless pinyin), as a clerk typing by sound would: 芳→方. Every
// character here is in GBK. TestHomophones checks the readings.
var homophones = map[rune]rune{
	'伟': '玮', '军': '君', '杰': '洁', '明': '铭', '华': '桦', '静': '晶', '丽': '莉', '英': '瑛',
	'兰': '岚', '梅': '玫', '红': '虹', '芳': '方', '峰': '锋', '平': '萍', '宇': '雨', '浩': '皓',
	'涛': '韬', '斌': '彬', '鹏': '朋', '飞': '菲', '波': '博', '凯': '楷', '健': '建', '俊': '骏',
	'龙': '隆', '林': '琳', '海': '亥', '东': '冬', '良': '亮', '成': '诚', '春': '纯', '德': '得',
	'永': '勇', '金': '津', '山': '珊', '娜': '纳', '敏': '民', '艳': '燕', '娟': '涓', '霞': '侠',
	'秀': '修', '玲': '灵', '凤': '峰', '婷': '亭', '雪': '学', '慧': '惠', '颖': '莹', '欣': '新',
	'悦': '月', '怡': '宜', '佳': '嘉', '晶': '精', '琴': '勤', '云': '芸', '珍': '真', '翠': '萃',
	'花': '华', '国': '果', '福': '富', '生': '升', '才': '财', '宝': '保', '文': '雯', '志': '智',
	'子': '紫', '轩': '萱', '涵': '含', '诺': '挪', '辰': '晨', '远': '媛', '桐': '彤', '汐': '夕',
	'若': '弱', '萱': '轩', '馨': '新', '强': '墙', '磊': '蕾', '勇': '永', '超': '潮', '刚': '钢',
	'辉': '徽', '帆': '凡', '旭': '序', '宁': '凝', '兴': '星', '发': '法', '庆': '青', '顺': '舜',
	'胜': '盛', '财': '才', '树': '书', '素': '苏', '芬': '分', '玉': '育', '淑': '舒', '守': '首',
	'长': '章', '大': '达', '有': '友', '家': '佳', '保': '宝', '一': '依', '熙': '希', '宸': '晨',
	'睿': '瑞', '墨': '默', '皓': '浩', '奕': '义', '航': '杭', '博': '波', '思': '斯', '语': '雨',
	'诗': '师', '雨': '语', '可': '珂', '紫': '子', '依': '伊', '芷': '止', '梓': '子', '沐': '木',
	'莉': '丽', '倩': '茜', '洁': '杰', '燕': '艳', '萍': '平', '桂': '贵', '鑫': '新',
}

var (
	s2tOnce sync.Once
	s2t     *opencc.OpenCC
	s2tErr  error
)

// traditional is name in traditional characters (OpenCC s2t), or "" when
// it reads the same in both (王芳).
func traditional(name string) string {
	s2tOnce.Do(func() { s2t, s2tErr = opencc.New("s2t") })
	if s2tErr != nil {
		panic(fmt.Sprintf("gen: opencc s2t: %v", s2tErr)) // embedded dictionaries: cannot fail
	}
	t, err := s2t.Convert(name)
	if err != nil || t == name {
		return ""
	}
	return t
}

// homophone is name with its last given-name character read the same
// but written another way, or "" when none of its characters has one.
func homophone(name string) string {
	rs := []rune(name)
	for i := len(rs) - 1; i >= 1; i-- {
		if h, ok := homophones[rs[i]]; ok {
			rs[i] = h
			return string(rs)
		}
	}
	return ""
}

// nameVariant writes p's name the way variant says; when the name has no
// such form (王芳 in traditional characters) it falls back to a space,
// which every name has. It returns the name and the variant used.
func nameVariant(p *person, variant string) (string, string) {
	switch variant {
	case VariantTraditional:
		if t := traditional(p.name); t != "" {
			return t, variant
		}
	case VariantHomophone:
		if h := homophone(p.name); h != "" {
			return h, variant
		}
	}
	rs := []rune(p.name)
	return string(rs[:1]) + " " + string(rs[1:]), VariantSpace
}

// linkKinds are the damages a file's rows can carry: a row with no ID
// number is identifiable only where the file gives more than the name
// (birth date, gender, 户号), so files with the name alone get no such
// row: no method could link it without guessing.
func linkKinds(f *file) []string {
	kinds := []string{ReasonWrongDigit, ReasonTransposedDigits, ReasonExcel15Digits, ReasonZeroPadded,
		ReasonLegacyTypo, ReasonFamilyMemberID}
	if f.col("birth_date") >= 0 || f.col("household_id") >= 0 {
		kinds = append(kinds, ReasonMissingID)
	}
	return kinds
}

// linkPeople are the people damaged rows are about: the active adults of
// the households the bad rows are about already (Truth.BadRows), which
// no role of the later files takes (freeForRigid, assets), so that a row
// linked to its person changes no planted warning. In household order.
func (w *world) linkPeople() []*person {
	var out []*person
	for _, h := range w.households {
		if !w.badTouched[h] || h.role.special() {
			continue
		}
		for _, p := range h.members {
			if p.status == active && p.age(w.asOf) >= 18 {
				out = append(out, p)
			}
		}
	}
	return out
}

// injectLinkage adds a file's rows with a damaged ID (linkShare of its
// rows, at least linkMin), each a clean base row of one of people with
// its ID number damaged by the next kind in turn (w.linkSeq, so that the
// county gets every kind) and, one row in three, its name written as the
// next variant in turn (w.variantSeq). The file must carry names. It draws from its own stream and
// adds one layer of rows, after the bad rows.
func (w *world) injectLinkage(r *rand.Rand, f *file, people []*person) {
	idCol, nameCol := f.col("id_number"), f.col("name")
	if idCol < 0 || nameCol < 0 || len(people) == 0 {
		return
	}
	kinds := linkKinds(f)
	variants := []string{VariantTraditional, VariantSpace, VariantHomophone}
	n := max(linkMin, int(math.Round(linkShare*float64(f.len()))))
	ins := &inserter{base: f.len()}
	for range n {
		kind := kinds[w.linkSeq%len(kinds)]
		w.linkSeq++
		p, id, ok := w.damage(r, kind, people)
		if !ok {
			continue // no household of people has two members: no family ID
		}
		rw := row{cells: w.personRow(r, f, p), bad: &BadRow{Reason: kind, Column: f.cols[idCol].header, trueID: p.id}}
		rw.cells[idCol] = txt(id)
		if r.IntN(3) == 0 {
			name, v := nameVariant(p, variants[w.variantSeq%len(variants)])
			w.variantSeq++
			rw.cells[nameCol], rw.bad.variant = txt(name), v
		}
		ins.insert(r, rw)
	}
	if f.lazy() {
		f.layers = append(f.layers, ins.places())
		return
	}
	f.rows = ins.apply(f.rows)
}

// personRow is baseRow's row for p: a clean, harmless row of the file
// about that person, its name cell p's.
func (w *world) personRow(r *rand.Rand, f *file, p *person) []cell {
	w.forced = p
	defer func() { w.forced = nil }()
	return w.baseRow(r, f)
}

// damage draws a person of people and that person's ID number damaged
// as kind says. ok is false when redraw finds no one the damage fits (no
// second active member, no one born in the 1900s, only X check
// characters).
func (w *world) damage(r *rand.Rand, kind string, people []*person) (p *person, id string, ok bool) {
	p = people[r.IntN(len(people))]
	switch kind {
	case ReasonMissingID:
		return p, "", true
	case ReasonWrongDigit:
		i := r.IntN(17)
		d := byte('0' + r.IntN(9))
		if d >= p.id[i] {
			d++ // any digit but the right one
		}
		return p, p.id[:i] + string(d) + p.id[i+1:], true
	case ReasonTransposedDigits:
		for {
			i := r.IntN(16)
			if p.id[i] != p.id[i+1] {
				return p, p.id[:i] + string(p.id[i+1]) + string(p.id[i]) + p.id[i+2:], true
			}
		}
	case ReasonExcel15Digits:
		// Excel keeps 15 significant digits and writes the number out in
		// full: the last three become zeros (an X cannot be typed into a
		// number cell, so such IDs are redrawn).
		if p = redraw(r, people, p, func(q *person) bool { return q.id[17] != 'X' }); p == nil {
			return nil, "", false
		}
		return p, p.id[:15] + "000", true
	case ReasonZeroPadded:
		return p, "0" + p.id, true
	case ReasonLegacyTypo:
		// Only those born in the 1900s had a 15-digit ID.
		if p = redraw(r, people, p, func(q *person) bool { return q.id[6:8] == "19" }); p == nil {
			return nil, "", false
		}
		legacy := []byte(p.id[:6] + p.id[8:17])
		i := 8 + r.IntN(7) // month, day or sequence
		d := byte('0' + r.IntN(9))
		if d >= legacy[i] {
			d++
		}
		legacy[i] = d
		return p, string(legacy), true
	case ReasonFamilyMemberID:
		others := func(q *person) []*person {
			var out []*person
			for _, m := range q.hh.members {
				if m != q && m.status == active && m.name != q.name {
					out = append(out, m)
				}
			}
			return out
		}
		if p = redraw(r, people, people[r.IntN(len(people))], func(q *person) bool { return len(others(q)) > 0 }); p == nil {
			return nil, "", false
		}
		o := others(p)
		return p, o[r.IntN(len(o))].id, true
	}
	panic("gen: unknown damage " + kind)
}

// redraw is first if it fits, else the first of up to 63 more draws
// that does (nil when none: a county too small or too young for the
// damage).
func redraw(r *rand.Rand, people []*person, first *person, fits func(*person) bool) *person {
	p := first
	for i := range 64 {
		if fits(p) {
			return p
		}
		if i < 63 {
			p = people[r.IntN(len(people))]
		}
	}
	return nil
}

// linkableFile is true for a file whose rows the loader keeps when their ID
// number is unusable (a dataset of people, a column mapped to name).
func linkableFile(f *file) bool {
	ds, ok := dataset.Lookup(f.dataset)
	return ok && ds.Linkable() && f.col("name") >= 0 && f.col("id_number") >= 0
}
