package portal

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dataset"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/store"
)

// pageNames are the templates of templates/, each rendered inside layout.
var pageNames = []string{"login", "password", "cases", "case", "message", "county", "extensions", "stats", "report", "sources", "links"}

var funcs = template.FuncMap{
	"cause":   causeText,
	"who":     who,
	"dataset": datasetName,
	"date": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Format(time.DateOnly)
	},
	"level": dispatch.LevelLabel,
	"state": func(s cases.State) string { return s.Label() },
	"neg":   func(n int) int { return -n },
	"stamp": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02 15:04")
	},
	"kind": func(k string) string {
		switch k {
		case "run":
			return "夜间运行"
		case "sync":
			return "数据同步"
		case "evaluate":
			return "规则评估"
		case "dispatch":
			return "清单下发"
		case "feedback":
			return "回填导入"
		case "link":
			return "身份识别"
		}
		return k
	},
	"health": func(st string) string {
		switch st {
		case "ok":
			return "正常"
		case "degraded":
			return "部分缺失"
		case "failed":
			return "失败"
		case "never":
			return "从未导入"
		case "busy":
			return "数据库被占用"
		case "interrupted":
			return "中断"
		case "partial":
			return "部分完成"
		case "running":
			return "运行中"
		case "unchanged":
			return "无变化"
		}
		return st
	},
	"outcome": outcomeLabel,
}

func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("portal: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

// render writes page with data, inside the layout, which shows the
// account and the CSRF token every form carries. It renders into a
// buffer first, so that a template error never sends half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, q *request, page string, data map[string]any) {
	if data == nil {
		data = map[string]any{}
	}
	data["CSRF"] = csrfToken(r)
	data["County"] = s.p.Cfg.County.Name
	if q != nil && q.user != nil {
		data["User"] = q.user
		data["Role"] = q.user.Role.Chinese()
		data["WhereName"] = s.scopeName(q.scope)
		data["IsCounty"] = q.scope.IsCounty()
		data["IsAdmin"] = q.scope.CanAdmin()
		data["CanReport"] = q.scope.CanReport()
	}
	var buf bytes.Buffer
	if err := s.pages[page].Execute(&buf, data); err != nil {
		s.log.Error("portal render", "page", page, "err", err)
		http.Error(w, "服务器内部错误", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// causeText says in Chinese why a source is not ok. A failure's own
// message (the connector's, naming the file and the field) follows as it
// is: it is for whoever fixes the source.
func causeText(c store.HealthCause) string {
	at := c.Stream
	if at == "" {
		at = "该数据源"
	}
	switch c.Kind {
	case "never_synced":
		return "从未同步"
	case "none_loaded":
		return "已同步，但没有一行数据导入成功"
	case "failed":
		return at + " 读取失败（" + c.Err + "）"
	case "empty":
		return at + " 没有数据行（可能是空表或只有表头）"
	case "quarantine":
		msg := fmt.Sprintf("%s 共 %d 行，其中 %d 行有误，已隔离待核", at, c.Read, c.Bad)
		if c.Unresolved > 0 {
			msg = fmt.Sprintf("%s 共 %d 行，其中 %d 行有误或身份证号无法使用（已隔离 %d 行，身份证号无法使用、待身份识别 %d 行）",
				at, c.Read, c.Bad, c.Bad-c.Unresolved, c.Unresolved)
		}
		if c.Counted > 0 {
			msg += fmt.Sprintf("（另有 %d 行为同一行重复超过100次，只计数）", c.Counted)
		}
		return msg
	}
	return c.Kind
}

// datasetName is a dataset's Chinese name (its doc up to the English), or
// its name.
func datasetName(name string) string {
	ds, ok := dataset.Lookup(name)
	if !ok {
		return name
	}
	zh := strings.TrimSpace(strings.TrimRightFunc(ds.Doc[:strings.IndexFunc(ds.Doc+"a", isASCIILetter)], unicode.IsSpace))
	return cmp.Or(zh, name)
}

func isASCIILetter(r rune) bool { return r < 0x80 && unicode.IsLetter(r) }

// who names an actor of the audit log for a page: a portal account as
// 账号 NAME, the county's command line as 县局; a plain name (a 核实人
// typed in) as it is.
func who(actor string) string {
	switch {
	case strings.HasPrefix(actor, "portal:"):
		return "账号 " + strings.TrimPrefix(actor, "portal:")
	case strings.Contains(actor, "@"):
		return "县局"
	}
	return actor
}
