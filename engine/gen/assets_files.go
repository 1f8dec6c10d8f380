package gen

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"
)

// The five asset files. Names, sheets and headers are contracts with
// config.yaml: change them together.

var (
	vehicleCols = []column{
		{"号牌号码", "plate"}, {"所有人", "name"}, {"所有人身份证号", "id_number"}, {"车辆类型", "vehicle_type"},
		{"初次登记日期", "registered_date"}, {"机动车状态", "status"}, {"注销日期", "cancelled_date"},
	}
	propertyCols = []column{
		{"不动产权证号", "cert_number"}, {"权利人", "name"}, {"权利人证件号", "id_number"}, {"规划用途", "purpose"},
		{"建筑面积", "area"}, {"登记日期", "registered_date"}, {"登记状态", "status"}, {"注销日期", "cancelled_date"},
	}
	businessCols = []column{
		{"统一社会信用代码", "credit_code"}, {"主体名称", ""}, {"主体类型", "entity_type"}, {"法定代表人（经营者）", "name"},
		{"证件号码", "id_number"}, {"从业人数", "employees"}, {"登记状态", "status"}, {"成立日期", "established_date"},
		{"注销日期", "cancelled_date"},
	}
	contributionCols = []column{
		{"身份证号", "id_number"}, {"姓名", "name"}, {"险种", "scheme"}, {"单位名称", "employer"},
		{"费款所属期", "month"}, {"缴费基数", "base_monthly"},
	}
	publicEmployeeCols = []column{
		{"身份证号", "id_number"}, {"姓名", "name"}, {"工作单位", "employer"}, {"入职日期", "start_date"}, {"离职日期", "end_date"},
	}
)

// assetFiles builds the five asset files from the asset records.
func (w *world) assetFiles() []*file {
	return []*file{w.vehiclesFile(), w.propertyFile(), w.businessFile(), w.contributionsFile(), w.publicEmployeesFile()}
}

// sheetDateCell is a date as a date cell, or for some rows as text
// ("2025年3月1日"); a zero date is an empty cell.
func sheetDateCell(r *rand.Rand, d time.Time) cell {
	if d.IsZero() {
		return txt("")
	}
	if r.IntN(10) < 3 {
		return txt(chineseDate(d))
	}
	return dateValue(d)
}

// csvDate is a date in one of the text formats, or "" for none.
func csvDate(r *rand.Rand, d time.Time) string {
	if d.IsZero() {
		return ""
	}
	return dirtyDate(r, d)
}

func (w *world) vehiclesFile() *file {
	r := w.rng("file:vehicles")
	f := &file{name: "vehicles.xlsx", dataset: "vehicles", format: "xlsx", sheet: "机动车登记信息", cols: vehicleCols}
	vs := slices.Clone(w.vehicles)
	slices.SortStableFunc(vs, func(a, b *vehicle) int {
		return cmp.Or(a.registered.Compare(b.registered), cmp.Compare(a.plate, b.plate))
	})
	for _, v := range vs {
		f.rows = append(f.rows, row{cells: []cell{txt(v.plate), txt(v.p.name), txt(dirtyID(r, v.p.id)), txt(vehicleTypeText(r, v.vtype)),
			sheetDateCell(r, v.registered), txt(vehicleStatusText(r, v.status)), sheetDateCell(r, v.cancelled)}})
	}
	return f
}

func (w *world) propertyFile() *file {
	r := w.rng("file:property")
	f := &file{name: "property.csv", dataset: "property", format: "csv", encoding: "gbk", crlf: true, cols: propertyCols}
	ps := slices.Clone(w.properties)
	slices.SortStableFunc(ps, func(a, b *property) int {
		return cmp.Or(a.registered.Compare(b.registered), cmp.Compare(a.cert, b.cert))
	})
	for _, pr := range ps {
		// Co-owners' rows share how the certificate was written.
		purpose, area, status := propertyPurposeText(r, pr), areaText(r, pr.area), propertyStatusText(r, pr.status)
		for _, p := range pr.owners {
			f.rows = append(f.rows, row{cells: []cell{txt(pr.cert), txt(p.name), txt(dirtyID(r, p.id)), txt(purpose), txt(area),
				txt(dirtyDate(r, pr.registered)), txt(status), txt(csvDate(r, pr.cancelled))}})
		}
	}
	return f
}

func (w *world) businessFile() *file {
	r := w.rng("file:business")
	f := &file{name: "business.csv", dataset: "business", format: "csv", encoding: "utf-8", bom: true, cols: businessCols}
	bs := slices.Clone(w.businesses)
	slices.SortStableFunc(bs, func(a, b *business) int {
		return cmp.Or(a.established.Compare(b.established), cmp.Compare(a.code, b.code))
	})
	for _, b := range bs {
		f.rows = append(f.rows, row{cells: []cell{txt(b.code), txt(b.name), txt(businessTypeText(r, b.etype)), txt(b.p.name),
			txt(dirtyID(r, b.p.id)), txt(employeesText(r, b.employees)), txt(businessStatusText(r, b.status)),
			txt(dirtyDate(r, b.established)), txt(csvDate(r, b.cancelled))}})
	}
	return f
}

// contributionsFile has one row per person, scheme and month, in the
// order of a 人社 export: by person, scheme, month.
func (w *world) contributionsFile() *file {
	f := &file{name: "contributions.csv", dataset: "contributions", format: "csv", encoding: "gb18030", crlf: true, cols: contributionCols}
	runs := slices.Clone(w.contribs)
	slices.SortStableFunc(runs, func(a, b *contribRun) int {
		return cmp.Or(cmp.Compare(a.p.id, b.p.id), cmp.Compare(a.scheme, b.scheme), a.first.Compare(b.first))
	})
	for _, c := range runs {
		f.produced += c.months
	}
	// The largest file of the county: its rows are drawn as it is written
	// (the runs do not change once the asset files are built).
	f.produce = func(yield func([]cell) bool) {
		r := w.rng("file:contributions")
		for _, c := range runs {
			stop := false
			c.each(func(m time.Time, base int64) {
				if stop {
					return
				}
				baseText := ""
				if base > 0 {
					baseText = dirtyMoney(r, base)
				}
				stop = !yield([]cell{txt(dirtyID(r, c.p.id)), txt(c.p.name), txt(schemeText(r, c.scheme)),
					txt(c.employer), txt(monthText(r, m)), txt(baseText)})
			})
			if stop {
				return
			}
		}
	}
	return f
}

func (w *world) publicEmployeesFile() *file {
	r := w.rng("file:public_employees")
	f := &file{name: "public_employees.xlsx", dataset: "public_employees", format: "xlsx", sheet: "财政供养人员", cols: publicEmployeeCols}
	js := slices.Clone(w.publicJobs)
	slices.SortStableFunc(js, func(a, b *publicJob) int {
		return cmp.Or(cmp.Compare(a.employer, b.employer), a.start.Compare(b.start), cmp.Compare(a.p.id, b.p.id))
	})
	for _, j := range js {
		f.rows = append(f.rows, row{cells: []cell{txt(dirtyID(r, j.p.id)), txt(j.p.name), txt(j.employer),
			sheetDateCell(r, j.start), sheetDateCell(r, j.end)}})
	}
	return f
}

// assetBaseRow is a clean extra row of an asset file for a bad row: about
// a background adult with no asset role, and harmless if a loader wrongly
// accepted it (a motorcycle, things cancelled or ended long ago, a
// resident pension).
func (w *world) assetBaseRow(r *rand.Rand, f *file) []cell {
	p := w.somebody(r)
	for i := 0; i < 100 && p.hh.asset.kind != ""; i++ {
		p = w.somebody(r)
	}
	old := w.asOf.AddDate(-between(r, 3, 8), 0, -r.IntN(300))
	switch f.dataset {
	case "vehicles":
		return []cell{txt(w.newPlate(r)), txt(p.name), txt(p.id), txt("普通二轮摩托车"), dateValue(old), txt("正常"), txt("")}
	case "property":
		w.certSeq++
		cert := fmt.Sprintf("皖(%d)%s不动产权第%07d号", max(old.Year(), 2016), countyName, w.certSeq)
		return []cell{txt(cert), txt(p.name), txt(p.id), txt("住宅"), txt("89.50"), txt(old.Format(time.DateOnly)),
			txt("注销"), txt(old.AddDate(1, 0, 0).Format(time.DateOnly))}
	case "business":
		code := creditCode(r, '9', '2', countyCode)
		return []cell{txt(code), txt(businessName(r, p, "individual")), txt("个体工商户"), txt(p.name), txt(p.id), txt("0"),
			txt("注销"), txt(old.Format(time.DateOnly)), txt(old.AddDate(1, 0, 0).Format(time.DateOnly))}
	case "contributions":
		return []cell{txt(p.id), txt(p.name), txt("城乡居民基本养老保险"), txt(""), txt(old.Format("200601")), txt("")}
	case "public_employees":
		return []cell{txt(p.id), txt(p.name), txt(publicEmployers[0]), dateValue(old), dateValue(old.AddDate(1, 0, 0))}
	}
	panic("gen: no base row for " + f.dataset)
}

// Enumerated values of the asset files, canonical to what departments
// write: GA 802 names and codes, certificate and register words.

func vehicleTypeText(r *rand.Rand, vt string) string {
	switch vt {
	case "car":
		return pickText(r, "小型轿车", "小型轿车", "K33", "小型普通客车", "小型普通客车", "K31", "小型越野客车", "微型普通客车")
	case "truck":
		return pickText(r, "轻型普通货车", "轻型普通货车", "H31", "轻型厢式货车", "微型货车", "中型货车")
	case "motorcycle":
		return pickText(r, "普通二轮摩托车", "普通二轮摩托车", "M21", "轻便二轮摩托车", "普通正三轮摩托车")
	case "disabled_mobility":
		return pickText(r, "残疾人机动轮椅车", "残疾人机动轮椅车", "机动轮椅车", "残疾人专用车")
	case "farm":
		return pickText(r, "三轮汽车", "三轮汽车", "低速货车", "N11", "变型拖拉机")
	}
	return "其他"
}

func vehicleStatusText(r *rand.Rand, s string) string {
	switch s {
	case "cancelled":
		return pickText(r, "注销", "注销", "E", "已注销")
	case "scrapped":
		return pickText(r, "达到报废标准", "P", "报废", "已报废")
	}
	return pickText(r, "正常", "正常", "正常", "A")
}

func propertyPurposeText(r *rand.Rand, pr *property) string {
	switch pr.purpose {
	case "residential":
		if pr.rural {
			return pickText(r, "宅基地", "宅基地", "农村宅基地", "住宅")
		}
		return pickText(r, "成套住宅", "成套住宅", "住宅", "住宅", "普通住宅")
	case "shop":
		return pickText(r, "商业", "商铺", "商业服务", "商业用房")
	case "garage":
		return pickText(r, "车库", "车位", "车位", "地下车库")
	case "office":
		return pickText(r, "办公", "办公", "办公用房")
	case "industrial":
		return pickText(r, "工业", "厂房")
	}
	return "其他"
}

func propertyStatusText(r *rand.Rand, s string) string {
	if s == "cancelled" {
		return pickText(r, "注销", "注销", "已注销")
	}
	return pickText(r, "现势", "现势", "现势", "有效")
}

// areaText writes a building area (hundredths of m²): "89.56", "89.5",
// "120.00", with a unit after it for some ("89.56㎡", "120平方米").
func areaText(r *rand.Rand, area int64) string {
	v := plainMoney(area)
	if r.IntN(2) == 0 {
		v = shortMoney(area)
	}
	switch n := r.IntN(100); {
	case n < 55:
		return v
	case n < 75:
		return v + "㎡"
	case n < 95:
		return v + "平方米"
	default:
		return v + "平米"
	}
}

func businessTypeText(r *rand.Rand, etype string) string {
	switch etype {
	case "enterprise":
		return pickText(r, "有限责任公司", "有限责任公司", "有限责任公司(自然人独资)", "有限责任公司（自然人独资）")
	case "cooperative":
		return pickText(r, "农民专业合作社", "农民专业合作社", "专业合作社")
	}
	return pickText(r, "个体工商户", "个体工商户", "个体工商户", "个体户")
}

func businessStatusText(r *rand.Rand, s string) string {
	switch s {
	case "cancelled":
		return pickText(r, "注销", "注销", "已注销")
	case "revoked":
		return pickText(r, "吊销", "吊销", "已吊销")
	case "suspended":
		return pickText(r, "歇业", "停业")
	}
	return pickText(r, "存续", "存续", "在业", "开业", "存续（在营、开业、在册）")
}

// employeesText is 从业人数: a count, "3人" now and then, empty when not
// reported; a shop of the family alone is "0".
func employeesText(r *rand.Rand, n int) string {
	switch {
	case n < 0:
		return ""
	case n > 0 && r.IntN(10) == 0:
		return strconv.Itoa(n) + "人"
	}
	return strconv.Itoa(n)
}

func schemeText(r *rand.Rand, scheme string) string {
	switch scheme {
	case "employee_pension":
		return pickText(r, "企业职工基本养老保险", "企业职工基本养老保险", "企业职工基本养老保险", "职工养老保险", "城镇职工基本养老保险", "110")
	case "housing_fund":
		return pickText(r, "住房公积金", "住房公积金", "住房公积金", "公积金")
	case "employee_medical":
		return pickText(r, "职工基本医疗保险", "职工基本医疗保险", "职工医保", "310")
	case "resident_pension":
		return pickText(r, "城乡居民基本养老保险", "城乡居民基本养老保险", "城乡居民养老保险", "170")
	}
	panic("gen: unknown scheme " + scheme)
}

// monthText writes a 费款所属期: "202611", "2026-11" or "2026年11月".
func monthText(r *rand.Rand, m time.Time) string {
	switch n := r.IntN(100); {
	case n < 45:
		return m.Format("200601")
	case n < 80:
		return m.Format("2006-01")
	}
	return fmt.Sprintf("%d年%d月", m.Year(), m.Month())
}

// Employers of the county.
var companies = []string{
	"安徽示例建设工程有限公司", "示例县恒达商贸有限公司", "示例县宏远建材有限公司", "安徽皖示农业科技有限公司",
	"示例县城市建设投资有限公司", "示例县顺风物流有限公司", "示例县华兴纺织有限公司", "示例县金桥电子有限公司",
	"示例县康泰食品有限公司", "示例县天宇机械制造有限公司", "示例县新世纪超市有限公司", "示例县安居物业管理有限公司",
	"示例县自来水有限公司", "示例县农村商业银行股份有限公司",
}

var publicEmployers = []string{
	"示例县教育局", "示例县第一中学", "示例县实验小学", "示例县人民医院", "示例县中医院", "示例县财政局",
	"示例县公安局", "示例县民政局", "示例县自然资源和规划局", "示例县农业农村局", "示例县市场监督管理局", "示例县人民法院",
}

var (
	bizWords  = []string{"恒达", "宏远", "顺发", "金源", "鑫盛", "华兴", "永安", "天成", "瑞丰", "德润", "兴旺", "聚福"}
	bizTrades = []string{"商贸有限公司", "建材有限公司", "农业科技有限公司", "建筑劳务有限公司", "物流有限公司", "食品有限公司", "汽车维修有限公司"}
	shopKinds = []string{"小吃店", "便利店", "理发店", "五金店", "农资店", "修车铺", "服装店", "水果店", "早餐店", "日用品商店", "电动车维修部", "养殖场"}
	coopKinds = []string{"种植", "养殖", "农机", "水产", "蔬菜", "茶叶"}
)

// businessName is a 主体名称 fitting the entity's type and place.
func businessName(r *rand.Rand, p *person, etype string) string {
	v := p.hh.village
	switch etype {
	case "enterprise":
		return countyName + pickText(r, bizWords...) + pickText(r, bizTrades...)
	case "cooperative":
		return countyName + v.Name + pickText(r, coopKinds...) + "专业合作社"
	}
	return countyName + v.Town.Name + surnameOf(p) + "记" + pickText(r, shopKinds...)
}
