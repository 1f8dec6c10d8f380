package rule

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/expr-lang/expr"
)

// Helper functions analysts call in conditions and reasons. Each is
// documented in rules/README.md; keep the two in step.
var helpers = []struct {
	name  string
	fn    func(args ...any) (any, error)
	types []any
}{
	{"yuan", numeric(Yuan), numberTypes},
	{"days", numeric(Days), numberTypes},
	{"level_name", numeric(func(x float64) string { return LevelName(int64(x)) }), numberTypes},
	{"category_name", numeric(func(x float64) string { return CategoryName(int64(x)) }), numberTypes},
	{"status_name", text(StatusName), stringTypes},
	{"resettlement_name", text(ResettlementName), stringTypes},
	{"aid_names", text(AidNames), stringTypes},
}

var (
	numberTypes = []any{new(func(float64) string), new(func(int64) string), new(func(int) string)}
	stringTypes = []any{new(func(string) string)}
)

// helperNames are the helpers' names, which no group may take.
var helperNames = func() map[string]bool {
	m := map[string]bool{}
	for _, h := range helpers {
		m[h.name] = true
	}
	return m
}()

// helperOptions declares the helpers to expr, typed, so that a call with
// the wrong kind of argument is an error at load.
func helperOptions() []expr.Option {
	var opts []expr.Option
	for _, h := range helpers {
		opts = append(opts, expr.Function(h.name, h.fn, h.types...))
	}
	return opts
}

func numeric(f func(float64) string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("want one argument, got %d", len(args))
		}
		switch x := args[0].(type) {
		case float64:
			if !finite(x) {
				return nil, errNotFinite
			}
			return f(x), nil
		case int64:
			return f(float64(x)), nil
		case int:
			return f(float64(x)), nil
		}
		return nil, fmt.Errorf("want a number, got %T", args[0])
	}
}

func text(f func(string) string) func(args ...any) (any, error) {
	return func(args ...any) (any, error) {
		if len(args) != 1 {
			return nil, fmt.Errorf("want one argument, got %d", len(args))
		}
		s, ok := args[0].(string)
		if !ok {
			return nil, fmt.Errorf("want text, got %T", args[0])
		}
		return f(s), nil
	}
}

// Yuan formats an amount of money with two decimals and thousands
// separators: 25300.5 -> "25,300.50", -1234 -> "-1,234.00".
func Yuan(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "—"
	}
	s := strconv.FormatFloat(math.Abs(x), 'f', 2, 64)
	whole, frac := s[:len(s)-3], s[len(s)-3:]
	var b strings.Builder
	if x < 0 && s != "0.00" {
		b.WriteByte('-')
	}
	for i, d := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(d)
	}
	b.WriteString(frac)
	return b.String()
}

// Days formats a number of days: 45 -> "45 天". The facts' "no date"
// default (99999 and above) reads "—".
func Days(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0) || x >= 99999:
		return "—"
	case x == math.Trunc(x):
		return strconv.FormatFloat(x, 'f', 0, 64) + " 天"
	}
	return strconv.FormatFloat(x, 'f', 1, 64) + " 天"
}

// LevelName names a disability level: 1 -> "一级" … 4 -> "四级";
// anything else "等级不详".
func LevelName(n int64) string {
	if n >= 1 && n <= 4 {
		return [...]string{"一级", "二级", "三级", "四级"}[n-1]
	}
	return "等级不详"
}

// CategoryName names a disability category by its certificate digit:
// 1 视力残疾, 2 听力残疾, 3 言语残疾, 4 肢体残疾, 5 智力残疾, 6 精神残疾,
// 7 多重残疾; anything else "类别不详".
func CategoryName(n int64) string {
	if n >= 1 && n <= 7 {
		return [...]string{"视力残疾", "听力残疾", "言语残疾", "肢体残疾", "智力残疾", "精神残疾", "多重残疾"}[n-1]
	}
	return "类别不详"
}

// StatusName names a registry status: active 正常, deceased 死亡,
// cancelled 注销; others are returned as they are.
func StatusName(s string) string {
	switch s {
	case "active":
		return "正常"
	case "deceased":
		return "死亡"
	case "cancelled":
		return "注销"
	}
	return s
}

// ResettlementName names a retired fisher's resettlement (去向):
// employed 就业, self_employed 自主创业, welfare_job 公益性岗位,
// unemployed 未就业, retired 退休; others as they are.
func ResettlementName(s string) string {
	switch s {
	case "employed":
		return "就业"
	case "self_employed":
		return "自主创业"
	case "welfare_job":
		return "公益性岗位"
	case "unemployed":
		return "未就业"
	case "retired":
		return "退休"
	}
	return s
}

var aidNames = map[string]string{
	"dibao": "低保", "tekun": "特困供养", "dibian": "低保边缘", "rigid": "刚性支出困难救助",
	"fangfan": "防止返贫监测帮扶", "other": "其他救助",
}

// AidNames names comma-separated assistance categories, joined with "、":
// "dibao,tekun" -> "低保、特困供养"; "" -> "社会救助".
func AidNames(s string) string {
	var out []string
	for c := range strings.SplitSeq(s, ",") {
		if c = strings.TrimSpace(c); c == "" {
			continue
		}
		if n, ok := aidNames[c]; ok {
			c = n
		}
		out = append(out, c)
	}
	if len(out) == 0 {
		return "社会救助"
	}
	return strings.Join(out, "、")
}
