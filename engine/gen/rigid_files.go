package gen

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// The three files of the rest of issue 13, and the late batch of medical
// claims. Names, sheets and headers are contracts with config.yaml: change
// them together.

var (
	// students.xlsx: an export of the 学生资助管理信息系统, a title row
	// above the header.
	studentCols = []column{
		{"学生姓名", "name"}, {"身份证件号", "id_number"}, {"学校名称", "school"}, {"学段", "level"}, {"年级", ""},
		{"入学日期", "enrolled_date"}, {"离校日期", "left_date"}, {"学费和住宿费（元/学年）", "fees_yearly"},
	}
	// rehabilitation.csv: 残联 康复服务结算明细, GBK.
	rehabCols = []column{
		{"身份证号", "id_number"}, {"姓名", "name"}, {"残疾人证号", ""}, {"康复机构", ""}, {"康复项目", "item"},
		{"服务日期", "service_date"}, {"费用合计", "total_cost"}, {"救助金额", ""}, {"个人负担", "self_paid"},
	}
	// staff_relatives.xlsx: 近亲属备案表, a title row above the header.
	staffRelativeCols = []column{
		{"序号", ""}, {"工作人员姓名", ""}, {"工作人员身份证号", "staff_id_number"}, {"人员类别", "staff_role"},
		{"工作单位", ""}, {"单位区划代码", "staff_unit_code"}, {"近亲属姓名", ""}, {"近亲属身份证号", "id_number"},
		{"与本人关系", "relation"}, {"备案日期", "registered_date"}, {"终止日期", "ended_date"},
	}
)

// rigidFiles builds the three files.
func (w *world) rigidFiles() []*file {
	return []*file{w.studentsFile(), w.rehabFile(), w.staffRelativesFile()}
}

// openEndCell writes an end date: empty while open, now and then a word or
// a far date for "no end"; some as text.
func openEndCell(r *rand.Rand, d time.Time) cell {
	if d.IsZero() {
		switch n := r.IntN(100); {
		case n < 80:
			return txt("")
		case n < 90:
			return txt("至今")
		default:
			return txt("长期")
		}
	}
	return sheetDateCell(r, d)
}

var gradeNames = map[string][]string{
	"preschool":  {"小班", "中班", "大班"},
	"primary":    {"一年级", "二年级", "三年级", "四年级", "五年级", "六年级"},
	"junior":     {"初一", "初二", "初三"},
	"senior":     {"高一", "高二", "高三"},
	"vocational": {"一年级", "二年级", "三年级"},
	"college":    {"大一", "大二", "大三", "大四"},
}

func schoolLevelText(r *rand.Rand, level string) string {
	switch level {
	case "preschool":
		return pickText(r, "学前教育", "学前教育", "幼儿园", "学前")
	case "primary":
		return pickText(r, "小学", "小学", "义务教育小学")
	case "junior":
		return pickText(r, "初中", "初中", "初级中学", "义务教育初中")
	case "senior":
		return pickText(r, "普通高中", "普通高中", "高中")
	case "vocational":
		return pickText(r, "中等职业教育", "中职", "中专", "职高")
	}
	return pickText(r, "高等教育", "本科", "专科", "高职（专科）")
}

func (w *world) studentsFile() *file {
	r := w.rng("file:students")
	f := &file{name: "students.xlsx", dataset: "students", format: "xlsx", sheet: "学生信息",
		title: countyName + "学生资助管理信息系统 在校生信息", cols: studentCols}
	ss := slices.Clone(w.studies)
	slices.SortStableFunc(ss, func(a, b *study) int {
		return cmp.Or(cmp.Compare(a.school, b.school), a.enrolled.Compare(b.enrolled), cmp.Compare(a.p.id, b.p.id))
	})
	cells := func(s *study, left time.Time) []cell {
		grade := ""
		if g := gradeNames[s.level]; s.grade < len(g) {
			grade = g[s.grade]
		}
		if s.level == "college" && s.p.age(w.asOf) >= 22 {
			grade = "研究生"
		}
		fees := txt("")
		switch {
		case s.fees < 0:
		case r.IntN(10) < 3:
			fees = txt(dirtyMoney(r, s.fees))
		default:
			fees = number(float64(s.fees) / 100)
		}
		return []cell{txt(s.p.name), txt(dirtyID(r, s.p.id)), txt(s.school), txt(schoolLevelText(r, s.level)), txt(grade),
			sheetDateCell(r, s.enrolled), openEndCell(r, left), fees}
	}
	var later []row
	for _, s := range ss {
		if s.leftLater {
			f.rows = append(f.rows, row{cells: cells(s, time.Time{})})
			later = append(later, row{cells: cells(s, s.left)})
			continue
		}
		f.rows = append(f.rows, row{cells: cells(s, s.left)})
	}
	f.rows = append(f.rows, later...)
	return f
}

func (w *world) rehabFile() *file {
	r := w.rng("file:rehabilitation")
	f := &file{name: "rehabilitation.csv", dataset: "rehabilitation", format: "csv", encoding: "gbk", crlf: true, cols: rehabCols}
	xs := slices.Clone(w.rehabs)
	slices.SortStableFunc(xs, func(a, b *rehab) int {
		return cmp.Or(a.date.Compare(b.date), cmp.Compare(a.p.id, b.p.id), cmp.Compare(a.item, b.item))
	})
	money := func(v int64) string {
		if v == 0 {
			return pickText(r, "0", "0.00", "0.00")
		}
		return dirtyMoney(r, v)
	}
	for _, x := range xs {
		f.rows = append(f.rows, row{cells: []cell{txt(dirtyID(r, x.p.id)), txt(x.p.name), txt(x.cert), txt(x.place), txt(x.item),
			txt(dirtyDate(r, x.date)), txt(money(x.total)), txt(money(x.aidAmt)), txt(money(x.self))}})
	}
	return f
}

func (w *world) staffRelativesFile() *file {
	r := w.rng("file:staff_relatives")
	f := &file{name: "staff_relatives.xlsx", dataset: "staff_relatives", format: "xlsx", sheet: "近亲属备案",
		title: countyName + "社会救助经办人员和村（社区）干部近亲属备案表", cols: staffRelativeCols}
	ds := slices.Clone(w.decls)
	slices.SortStableFunc(ds, func(a, b *decl) int {
		return cmp.Or(cmp.Compare(a.s.unit, b.s.unit), cmp.Compare(a.s.p.id, b.s.p.id), a.registered.Compare(b.registered),
			cmp.Compare(a.rel.id, b.rel.id))
	})
	// A staff member's rows share how the role and unit were written.
	roleText := map[*staffer]string{}
	seq := 0
	cells := func(d *decl, ended time.Time) []cell {
		if _, ok := roleText[d.s]; !ok {
			roleText[d.s] = staffRoleText(r, d.s)
		}
		seq++
		reg := txt("")
		if !d.registered.IsZero() {
			reg = sheetDateCell(r, d.registered)
		}
		return []cell{number(float64(seq)), txt(d.s.p.name), txt(dirtyID(r, d.s.p.id)), txt(roleText[d.s]), txt(d.s.unitName),
			txt(d.s.unit), txt(d.rel.name), txt(dirtyID(r, d.rel.id)), txt(relationText(r, d.relation, d.rel, d.s.p, w.asOf)),
			reg, openEndCell(r, ended)}
	}
	var later []*decl
	for _, d := range ds {
		if d.endedLater {
			f.rows = append(f.rows, row{cells: cells(d, time.Time{})})
			later = append(later, d)
			continue
		}
		f.rows = append(f.rows, row{cells: cells(d, d.ended)})
	}
	// The changes reported later (离任, 终止备案), at the end.
	for _, d := range later {
		f.rows = append(f.rows, row{cells: cells(d, d.ended)})
	}
	return f
}

// staffRoleText writes 人员类别 as the unit's forms do.
func staffRoleText(r *rand.Rand, s *staffer) string {
	if s.role == roleCadre {
		if strings.HasSuffix(s.unitName, "居委会") {
			return pickText(r, "社区干部", "村（社区）干部", "村(社区)干部")
		}
		return pickText(r, "村干部", "村干部", "村两委成员", "村“两委”成员", "村委委员", "村主任", "村党支部书记", "村（社区）干部")
	}
	switch len(s.unit) {
	case 6:
		return pickText(r, "民政工作人员", "社会救助工作人员", "民政经办人员")
	case 9:
		return pickText(r, "乡镇民政助理员", "民政助理员", "社会救助经办人员", "社工站工作人员", "民政干部")
	}
	return pickText(r, "社会救助经办人员", "经办人员", "社工站工作人员")
}

// relationText writes 与本人关系 fitting the relative's sex and age.
func relationText(r *rand.Rand, rel string, q, p *person, asOf time.Time) string {
	older := q.age(asOf) > p.age(asOf)
	by := func(male, female string) string {
		if q.male {
			return male
		}
		return female
	}
	switch rel {
	case "spouse":
		return pickText(r, "配偶", "配偶", by("丈夫", "妻子"), by("夫", "妻"))
	case "parent":
		return pickText(r, by("父亲", "母亲"), by("父亲", "母亲"), by("父", "母"), "父母")
	case "child":
		return pickText(r, by("儿子", "女儿"), by("儿子", "女儿"), by("子", "女"), "子女")
	case "sibling":
		if older {
			return pickText(r, by("哥哥", "姐姐"), by("兄弟", "姐妹"), "兄弟姐妹")
		}
		return pickText(r, by("弟弟", "妹妹"), by("兄弟", "姐妹"), "兄弟姐妹")
	case "grandparent":
		return pickText(r, by("祖父", "祖母"), by("外祖父", "外祖母"), "祖父母")
	case "grandchild":
		return pickText(r, by("孙子", "孙女"), by("外孙", "外孙女"), "孙子女")
	case "in_law":
		switch {
		case older && p.male:
			return by("岳父", "岳母")
		case older:
			return by("公公", "婆婆")
		}
		return by("女婿", "儿媳")
	}
	return pickText(r, "其他", "其他近亲属")
}

// rigidBaseRow is a clean extra row of a new file for a bad row: about a
// background adult and harmless if a loader wrongly accepted it (an
// enrolment, a service, a declaration that ended years ago).
func (w *world) rigidBaseRow(r *rand.Rand, f *file) []cell {
	p := w.somebody(r)
	old := w.asOf.AddDate(-between(r, 3, 8), 0, -r.IntN(300))
	switch f.dataset {
	case "students":
		return []cell{txt(p.name), txt(p.id), txt(countyName + "第一中学"), txt("普通高中"), txt("高三"),
			dateValue(old.AddDate(-3, 0, 0)), dateValue(old), number(2400)}
	case "rehabilitation":
		return []cell{txt(p.id), txt(p.name), txt(""), txt(rehabPlaces[0]), txt("肢体康复训练"), txt(old.Format(time.DateOnly)),
			txt("1200.00"), txt("1200.00"), txt("0.00")}
	case "staff_relatives":
		q := w.somebody(r)
		return []cell{number(0), txt(q.name), txt(q.id), txt("村干部"), txt(q.hh.village.Name + villageBody(q.hh.village)),
			txt(q.hh.village.Code), txt(p.name), txt(p.id), txt("其他近亲属"), dateValue(old.AddDate(-1, 0, 0)), dateValue(old)}
	}
	panic("gen: no base row for " + f.dataset)
}

// appendLateClaims numbers the late batch of claims after each month's
// others and writes them at the end of their month's file, dressed from a
// stream of their own.
func (w *world) appendLateClaims(dir string, medical []*file, done map[*file]*written) error {
	r := w.rng("file:medical:late")
	slices.SortStableFunc(w.lateClaims, func(a, b *claim) int {
		return cmp.Or(a.date.Compare(b.date), cmp.Compare(a.p.id, b.p.id), cmp.Compare(a.total, b.total))
	})
	late := make([][]row, len(medical))
	for _, c := range w.lateClaims {
		i := w.monthIndex(c.date)
		if i < 0 {
			panic(fmt.Sprintf("gen: late claim dated %s outside the medical files", c.date.Format(time.DateOnly)))
		}
		c.id = w.nextClaimID(c.date)
		late[i] = append(late[i], row{cells: claimCells(r, c)})
		w.claims = append(w.claims, c)
	}
	for i, f := range medical {
		if len(late[i]) == 0 {
			continue
		}
		if err := f.appendCSV(dir, late[i]); err != nil {
			return err
		}
		done[f].info.DataRows += len(late[i])
	}
	return nil
}
