package gen

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/lipwatch/lipwatch/engine/idnum"
)

// How departments write values. Every enumerated value drawn here is a
// canonical value or an alias of engine/dataset, so the loader accepts it.

// dirtyID writes an ID number as a department's export might: a legacy
// 15-digit number for some people born in the 1900s, lowercase x,
// full-width digits or a space inside. It is always a valid ID.
func dirtyID(r *rand.Rand, id string) string {
	n := r.IntN(1000)
	switch {
	case n < 50 && id[6:8] == "19":
		return id[:6] + id[8:17]
	case id[17] == 'X' && r.IntN(100) < 30:
		return id[:17] + "x"
	case n >= 980 && n < 990:
		return fullWidth(id)
	case n >= 990:
		at := []int{6, 14}[r.IntN(2)]
		return id[:at] + " " + id[at:]
	}
	return id
}

// fullWidth maps ASCII digits and X to their full-width forms.
func fullWidth(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= '0' && c <= '9':
			b.WriteRune('０' + c - '0')
		case c == 'X':
			b.WriteRune('Ｘ')
		default:
			b.WriteRune(c)
		}
	}
	return b.String()
}

// wrongCheck replaces an ID's check character with another one, so that
// the number is well formed but fails GB 11643.
func wrongCheck(r *rand.Rand, id string) string {
	const chars = "0123456789X"
	c, err := idnum.CheckChar(id[:17])
	if err != nil {
		panic(fmt.Sprintf("gen: check char: %v", err)) // our own IDs: cannot fail
	}
	for {
		w := chars[r.IntN(len(chars))]
		if w != c {
			return id[:17] + string(w)
		}
	}
}

// Date text formats departments use.
var dateFormats = []func(time.Time) string{
	func(d time.Time) string { return fmt.Sprintf("%d年%d月%d日", d.Year(), d.Month(), d.Day()) },
	func(d time.Time) string { return fmt.Sprintf("%d/%d/%d", d.Year(), d.Month(), d.Day()) },
	func(d time.Time) string { return d.Format("20060102") },
	func(d time.Time) string { return d.Format(time.DateOnly) },
}

// dirtyDate writes a date in one of the four formats.
func dirtyDate(r *rand.Rand, d time.Time) string {
	return dateFormats[r.IntN(len(dateFormats))](d)
}

// chineseDate is "2025年3月1日", the text form in spreadsheets.
func chineseDate(d time.Time) string { return dateFormats[0](d) }

// impossibleDate writes a date that cannot exist, in one of the formats.
func impossibleDate(r *rand.Rand, year int) string {
	switch r.IntN(6) {
	case 0:
		return fmt.Sprintf("%d年2月30日", year)
	case 1:
		return fmt.Sprintf("%d1301", year)
	case 2:
		return fmt.Sprintf("%d/4/31", year)
	case 3:
		if year%4 == 0 {
			year--
		}
		return fmt.Sprintf("%d-02-29", year)
	case 4:
		return fmt.Sprintf("%d年11月31日", year)
	default:
		return fmt.Sprintf("%d-06-31", year)
	}
}

// plainMoney is fen as "1234.50".
func plainMoney(fen int64) string {
	return strconv.FormatInt(fen/100, 10) + "." + fmt.Sprintf("%02d", fen%100)
}

// groupedMoney is fen as "1,234.50".
func groupedMoney(fen int64) string {
	s := strconv.FormatInt(fen/100, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String() + "." + fmt.Sprintf("%02d", fen%100)
}

// shortMoney drops trailing zeros: "1234.5", "1234".
func shortMoney(fen int64) string {
	s := plainMoney(fen)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

// dirtyMoney writes an amount the ways departments do: "1,234.50元",
// "1234.50", "1234.5", "￥856.00".
func dirtyMoney(r *rand.Rand, fen int64) string {
	switch n := r.IntN(100); {
	case n < 35:
		return groupedMoney(fen) + "元"
	case n < 65:
		return plainMoney(fen)
	case n < 85:
		return shortMoney(fen)
	default:
		return "￥" + groupedMoney(fen)
	}
}

// Enumerated values, canonical to what departments write.

func genderText(p *person) string {
	if p.male {
		return "男"
	}
	return "女"
}

func statusText(r *rand.Rand, p *person) string {
	switch p.status {
	case deceased:
		return pickText(r, "死亡", "死亡", "死亡", "已死亡")
	case cancelled:
		return pickText(r, "注销", "注销", "迁出注销")
	}
	return "正常"
}

func categoryText(r *rand.Rand, cat string, urban bool) string {
	switch cat {
	case catDibao:
		if r.IntN(10) < 4 {
			if urban {
				return "城市低保"
			}
			return "农村低保"
		}
		return "低保"
	case catTekun:
		return pickText(r, "特困", "特困", "特困供养人员")
	case catDibian:
		return pickText(r, "低保边缘", "低保边缘", "低边")
	case catRigid:
		return pickText(r, "刚性支出困难", "刚性支出困难", "支出型困难")
	case catFangfan:
		return pickText(r, "防止返贫监测", "防止返贫监测", "监测对象")
	}
	return "其他"
}

var disabilityNames = []string{"", "视力", "听力", "言语", "肢体", "智力", "精神", "多重"}
var levelNames = []string{"", "一级", "二级", "三级", "四级"}

func disabilityCategoryText(r *rand.Rand, c int) string {
	switch n := r.IntN(10); {
	case n < 5:
		return disabilityNames[c] + "残疾"
	case n < 7:
		return disabilityNames[c]
	}
	return strconv.Itoa(c)
}

func levelText(r *rand.Rand, l int) string {
	if r.IntN(10) < 7 {
		return levelNames[l]
	}
	return fmt.Sprintf("%d级", l)
}

func eventText(r *rand.Rand, ev string) string {
	switch ev {
	case evUnemployed:
		return pickText(r, "失业登记", "失业登记", "失业登记", "失业登记", "登记失业")
	case evEmployed:
		return pickText(r, "就业登记", "就业登记", "就业登记", "就业登记", "再就业")
	case evBenefitStart:
		return "领取失业保险金"
	}
	return "停发失业保险金"
}

func resettleText(r *rand.Rand, rs string) string {
	switch rs {
	case rsEmployed:
		return pickText(r, "就业", "就业", "就业", "务工")
	case rsSelfEmployed:
		return "自主创业"
	case rsWelfareJob:
		return "公益性岗位"
	case rsUnemployed:
		return "未就业"
	}
	return "退休"
}

func insuredText(r *rand.Rand, insured bool) string {
	if r.IntN(10) == 0 {
		if insured {
			return "已参保"
		}
		return "未参保"
	}
	if insured {
		return "是"
	}
	return "否"
}

func pickText(r *rand.Rand, options ...string) string { return options[r.IntN(len(options))] }
