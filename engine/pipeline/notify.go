package pipeline

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/lipwatch/lipwatch/engine/cases"
	"github.com/lipwatch/lipwatch/engine/dispatch"
	"github.com/lipwatch/lipwatch/engine/internal/crashpoint"
	"github.com/lipwatch/lipwatch/engine/notify"
	"github.com/lipwatch/lipwatch/engine/redact"
	"github.com/lipwatch/lipwatch/engine/route"
	"github.com/lipwatch/lipwatch/engine/store"
)

// Audiences of events besides a township's code.
const (
	AudienceCounty = "county"
	AudienceOps    = "ops"
)

// hearers names the receivers that hear an audience, sorted.
func (p *Pipeline) hearers(audience string) []string {
	var out []string
	for name, r := range p.Cfg.Notify.Receivers {
		switch audience {
		case AudienceCounty:
			if r.County {
				out = append(out, name)
			}
		case AudienceOps:
			if r.Ops {
				out = append(out, name)
			}
		default:
			if slices.Contains(r.Townships, audience) || slices.Contains(r.Townships, "all") && audience != route.CountyQueue {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return out
}

// notifying reports whether any receiver is configured: without one, no
// event is recorded.
func (p *Pipeline) notifying() bool { return len(p.Cfg.Notify.Receivers) > 0 }

// event makes an event of a message for an audience's receivers.
func (p *Pipeline) event(audience string, m notify.Message, marks ...store.NotifyMark) store.Event {
	m.At = time.Now().UTC()
	b, _ := json.Marshal(m)
	return store.Event{Key: m.Event, Kind: m.Kind, Audience: audience, Message: b, Receivers: p.hearers(audience), Marks: marks}
}

// link is a portal page's address, "" without portal.public_url.
func (p *Pipeline) link(path string) string {
	u := strings.TrimSuffix(p.Cfg.Portal.PublicURL, "/")
	if u == "" {
		return ""
	}
	return u + path
}

// townLink is the portal's list for a township's receivers (their
// accounts see their own township) or, for the county, one township's.
func (p *Pipeline) townLink(code string, county bool) string {
	if !county {
		return p.link("/cases")
	}
	if code == route.CountyQueue {
		return p.link("/cases?township=county")
	}
	return p.link("/cases?township=" + code)
}

func levelCounts(items []dispatch.Item) (red, orange, yellow int) {
	for _, it := range items {
		switch it.Level {
		case dispatch.LevelRed:
			red++
		case dispatch.LevelOrange:
			orange++
		default:
			yellow++
		}
	}
	return
}

func levelLine(red, orange, yellow int) string {
	var parts []string
	for _, l := range []struct {
		n     int
		label string
	}{{red, "红色"}, {orange, "橙色"}, {yellow, "黄色"}} {
		if l.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", l.label, l.n))
		}
	}
	return strings.Join(parts, "、")
}

// dispatchEvents are a dispatch batch's notifications: for each township
// on it, "N new / M changed" with their levels and the earliest deadline;
// for the county, the same per township in one message.
func (p *Pipeline) dispatchEvents(batch string, byTownship map[string][]dispatch.Item) []store.Event {
	if !p.notifying() {
		return nil
	}
	var evs []store.Event
	var county []string
	total := map[string]int{}
	for _, code := range slices.Sorted(maps.Keys(byTownship)) {
		items := byTownship[code]
		var fresh, changed int
		var earliest time.Time
		for _, it := range items {
			if it.State == cases.StateNew {
				fresh++
			} else {
				changed++
			}
			if !it.Deadline.IsZero() && (earliest.IsZero() || it.Deadline.Before(earliest)) {
				earliest = it.Deadline
			}
		}
		red, orange, yellow := levelCounts(items)
		name := p.Router.Name(code)
		lines := []string{fmt.Sprintf("新增 %d 户，情况有变化 %d 户（%s）", fresh, changed, levelLine(red, orange, yellow))}
		if !earliest.IsZero() {
			lines = append(lines, "最早办结期限 "+earliest.Format(time.DateOnly)+"，请按期入户核实并在工作台填报结果")
		}
		counts := map[string]int{"new": fresh, "changed": changed, "red": red, "orange": orange, "yellow": yellow}
		if code != route.CountyQueue {
			evs = append(evs, p.event(code, notify.Message{Event: "dispatch:" + batch + ":" + code, Kind: "dispatch",
				Title: name + "：新下发预警 " + fmt.Sprint(len(items)) + " 户", Lines: lines, Link: p.townLink(code, false),
				Township: code, Counts: counts}))
		}
		county = append(county, fmt.Sprintf("%s：新增 %d 户，变化 %d 户（%s）", name, fresh, changed, levelLine(red, orange, yellow)))
		for k, v := range counts {
			total[k] += v
		}
	}
	if len(county) > 0 {
		evs = append(evs, p.event(AudienceCounty, notify.Message{Event: "dispatch:" + batch + ":county", Kind: "dispatch",
			Title: fmt.Sprintf("预警下发 %s：新增 %d 户，变化 %d 户", batch, total["new"], total["changed"]), Lines: county,
			Link: p.link("/county"), Counts: total}))
	}
	return evs
}

// runEvents are the operators' notifications of a run: it failed; a
// source failed or is degraded (once per source, state and day).
func (p *Pipeline) runEvents(kind string, day time.Time, runID int64, runErr error, health *Health) []store.Event {
	if !p.notifying() {
		return nil
	}
	var evs []store.Event
	d := day.Format(time.DateOnly)
	var partial *store.PartialError
	if runErr != nil && !errors.As(runErr, &partial) { // a run done but partly did not fail
		what := map[string]string{"run": "夜间运行", "sync": "数据同步", "evaluate": "规则评估", "dispatch": "清单下发", "link": "身份识别"}[kind]
		first, _, _ := strings.Cut(runErr.Error(), "\n")
		evs = append(evs, p.event(AudienceOps, notify.Message{Event: fmt.Sprintf("run:%d", runID), Kind: "run",
			Title: cmp.Or(what, kind) + "失败（业务日期 " + d + "）",
			Lines: []string{"运行编号 " + fmt.Sprint(runID) + "，请用 lipwatch runs 查看详情", "错误：" + redactLine(first)},
			Link:  p.link("/sources")}))
	}
	if health != nil {
		for _, s := range health.Sources {
			if s.Status != store.HealthFailed && s.Status != store.HealthDegraded {
				continue
			}
			state := map[string]string{store.HealthFailed: "失败", store.HealthDegraded: "数据不完整"}[s.Status]
			var lines []string
			for _, r := range s.Reasons {
				lines = append(lines, redactLine(r))
			}
			evs = append(evs, p.event(AudienceOps, notify.Message{Event: "source:" + s.Source + ":" + s.Status + ":" + d, Kind: "source",
				Title: "数据源 " + s.Source + " " + state + "（" + d + "）", Lines: lines, Link: p.link("/sources")}))
		}
	}
	return evs
}

// redactLine keeps an error's words for operators, its ID-like numbers
// masked (engine/redact, as every log line), and at most 300 characters.
func redactLine(s string) string { return notifyClip(redact.Mask(s), 300) }

func notifyClip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// Chase records the night's chasing of open cases, on working days only
// (a message on a holiday waits for the next working day): reminders to
// a township of its cases due in notify.reminder_days working days (a
// case reminded once per reminder day and deadline), overdue cases
// escalated to the county (on the first working day overdue, and again
// past notify.escalate_after working days: 二级督办), the county's digest,
// and, to operators, a holiday-calendar year missing. It returns the
// events recorded.
func (p *Pipeline) Chase(ctx context.Context, day time.Time) (int, error) {
	if !p.notifying() || p.Router.Calendar == nil {
		return 0, nil
	}
	cal := p.Router.Calendar
	var evs []store.Event
	// The calendar first: a year missing is what makes the rest wrong.
	for _, y := range []int{day.Year(), day.Year() + 1} {
		if y > day.Year() && day.Month() < time.December {
			continue
		}
		if cal.Provisional(y) {
			evs = append(evs, p.event(AudienceOps, notify.Message{Event: fmt.Sprintf("calendar:%d", y), Kind: "calendar",
				Title: fmt.Sprintf("节假日日历缺少 %d 年", y),
				Lines: []string{fmt.Sprintf("%d 年的办结期限暂按周末计算，未计入法定节假日和调休。", y),
					"请按国务院办公厅节假日安排通知录入 " + p.Cfg.Cases.Calendar}}))
		}
	}
	// Runs a dead process left unfinished (marked interrupted when the
	// store was next opened): the operators hear of each once.
	stopped, err := p.Store.InterruptedRuns(ctx, day.AddDate(0, 0, -7))
	if err != nil {
		return 0, err
	}
	for _, r := range stopped {
		what := map[string]string{"run": "夜间运行", "sync": "数据同步", "evaluate": "规则评估", "dispatch": "清单下发", "feedback": "回填导入", "link": "身份识别"}[r.Kind]
		evs = append(evs, p.event(AudienceOps, notify.Message{Event: fmt.Sprintf("run:%d", r.ID), Kind: "run",
			Title: cmp.Or(what, r.Kind) + "中断（业务日期 " + r.AsOf.Format(time.DateOnly) + "）",
			Lines: []string{fmt.Sprintf("运行编号 %d 未完成：进程被终止或服务器重启。请用 lipwatch runs show %d 查看，必要时重新运行", r.ID, r.ID)},
			Link:  p.link("/sources")}))
	}
	// A holiday waits for the next working day; so does a day the
	// calendar does not cover (the calendar event above says so).
	if work, err := cal.IsWorkday(day); err != nil || !work {
		return p.Store.AddEvents(ctx, evs)
	}
	open, err := p.Store.OpenCases(ctx)
	if err != nil {
		return 0, err
	}
	marked, err := p.Store.NotifyMarks(ctx)
	if err != nil {
		return 0, err
	}
	d := day.Format(time.DateOnly)
	days := slices.Sorted(slices.Values(p.Cfg.Notify.ReminderDays))
	type chased struct {
		cases int
		marks []store.NotifyMark
		due   map[string]int // deadline -> cases
	}
	reminders := map[string]map[int]*chased{}   // township -> working days left -> cases
	escalations := map[int]map[string]*chased{} // level -> township -> cases
	worst := map[int]map[string]int{}           // level -> township -> most working days overdue
	for _, c := range open {
		if c.State != cases.StateDispatched || c.Deadline.IsZero() {
			continue
		}
		town := p.Router.Township(c.TownshipCode)
		left, err := cal.WorkdaysBetween(day, c.Deadline)
		if err != nil {
			continue // a deadline past the calendar: the calendar event says so
		}
		if left >= 0 {
			// The smallest reminder day the case has reached, if it was
			// not reminded of it (or of a smaller one) for this deadline.
			for _, n := range days {
				if left > n {
					continue
				}
				done := false
				for _, k := range days {
					if k <= n && marked[store.NotifyMark{CaseID: c.ID, What: fmt.Sprintf("remind:%d", k), Deadline: c.Deadline}.Key()] {
						done = true
					}
				}
				if !done {
					if reminders[town] == nil {
						reminders[town] = map[int]*chased{}
					}
					// Grouped by the working days actually left: a case first
					// reminded on its deadline day is told "today".
					ch := reminders[town][left]
					if ch == nil {
						ch = &chased{due: map[string]int{}}
						reminders[town][left] = ch
					}
					// Every larger reminder day is settled with it.
					for _, k := range days {
						if k >= n {
							ch.marks = append(ch.marks, store.NotifyMark{CaseID: c.ID, What: fmt.Sprintf("remind:%d", k), Deadline: c.Deadline})
						}
					}
					ch.due[c.Deadline.Format(time.DateOnly)]++
					ch.cases++
				}
				break
			}
			continue
		}
		over := -left
		for level, at := range map[int]int{1: 1, 2: p.Cfg.Notify.EscalateAfter} {
			if over < at {
				continue
			}
			m := store.NotifyMark{CaseID: c.ID, What: fmt.Sprintf("escalate:%d", level), Deadline: c.Deadline}
			if marked[m.Key()] {
				continue
			}
			if escalations[level] == nil {
				escalations[level], worst[level] = map[string]*chased{}, map[string]int{}
			}
			ch := escalations[level][town]
			if ch == nil {
				ch = &chased{due: map[string]int{}}
				escalations[level][town] = ch
			}
			ch.marks = append(ch.marks, m)
			ch.cases++
			worst[level][town] = max(worst[level][town], over)
		}
	}
	for _, town := range slices.Sorted(maps.Keys(reminders)) {
		for _, n := range slices.Sorted(maps.Keys(reminders[town])) {
			ch := reminders[town][n]
			var lines []string
			for _, dl := range slices.Sorted(maps.Keys(ch.due)) {
				lines = append(lines, fmt.Sprintf("%d 户办结期限为 %s", ch.due[dl], dl))
			}
			lines = append(lines, "请在期限前完成入户核实并在工作台填报结果；确需延期的，请在期限前提出申请")
			when := fmt.Sprintf("还有 %d 个工作日到期", n)
			if n == 0 {
				when = "今天到期"
			}
			audience := town
			if town == route.CountyQueue {
				audience = AudienceCounty
			}
			evs = append(evs, p.event(audience, notify.Message{Event: fmt.Sprintf("remind:%s:%s:%d", cmp.Or(town, "county"), d, n), Kind: "reminder",
				Title: fmt.Sprintf("%s：%d 户预警%s", p.Router.Name(town), ch.cases, when), Lines: lines,
				Link: p.townLink(town, audience == AudienceCounty), Township: town,
				Counts: map[string]int{"cases": ch.cases, "workdays_left": n}}, ch.marks...))
		}
	}
	for _, level := range slices.Sorted(maps.Keys(escalations)) {
		for _, town := range slices.Sorted(maps.Keys(escalations[level])) {
			ch := escalations[level][town]
			kind, title := "overdue", fmt.Sprintf("逾期督办：%s 有 %d 户预警超过办结期限", p.Router.Name(town), ch.cases)
			if level == 2 {
				kind, title = "escalation", fmt.Sprintf("二级督办：%s 有 %d 户预警逾期已达 %d 个工作日", p.Router.Name(town), ch.cases, p.Cfg.Notify.EscalateAfter)
			}
			evs = append(evs, p.event(AudienceCounty, notify.Message{Event: fmt.Sprintf("escalate:%d:%s:%s", level, cmp.Or(town, "county"), d), Kind: kind,
				Title: title, Lines: []string{fmt.Sprintf("最长已逾期 %d 个工作日", worst[level][town]), "请督促乡镇尽快核实办结或申请延期"},
				Link: p.link("/cases?overdue=1&township=" + cmp.Or(town, "county")), Township: town,
				Counts: map[string]int{"cases": ch.cases, "level": level, "max_workdays_overdue": worst[level][town]}}, ch.marks...))
			if level == 1 && town != route.CountyQueue {
				// The township hears of its own overdue cases too.
				evs = append(evs, p.event(town, notify.Message{Event: fmt.Sprintf("overdue:%s:%s", town, d), Kind: "overdue",
					Title: fmt.Sprintf("%s：%d 户预警已超过办结期限", p.Router.Name(town), ch.cases),
					Lines: []string{"已报县局督办，请尽快核实办结；确需延期的，请在工作台提出申请"},
					Link:  p.link("/cases?overdue=1"), Township: town, Counts: map[string]int{"cases": ch.cases}}))
			}
		}
	}
	if ev, ok, err := p.digest(day, open); err != nil {
		return 0, err
	} else if ok {
		evs = append(evs, ev)
	}
	return p.Store.AddEvents(ctx, evs)
}

// digest is the county's summary, on each working day (daily) or the
// first working day of the week (weekly): open, overdue and due within
// the week per township.
func (p *Pipeline) digest(day time.Time, open []*cases.Case) (store.Event, bool, error) {
	cal := p.Router.Calendar
	switch p.Cfg.Notify.Digest {
	case "off":
		return store.Event{}, false, nil
	case "weekly":
		// The first working day of the ISO week.
		for d := day.AddDate(0, 0, -1); d.Weekday() != time.Sunday && isoWeek(d) == isoWeek(day); d = d.AddDate(0, 0, -1) {
			if w, err := cal.IsWorkday(d); err == nil && w {
				return store.Event{}, false, nil
			}
		}
	}
	type row struct{ open, overdue, soon int }
	rows := map[string]*row{}
	for _, c := range open {
		town := p.Router.Township(c.TownshipCode)
		r := rows[town]
		if r == nil {
			r = &row{}
			rows[town] = r
		}
		r.open++
		if route.Overdue(c.Deadline, day) {
			r.overdue++
		} else if !c.Deadline.IsZero() {
			if left, err := cal.WorkdaysBetween(day, c.Deadline); err == nil && left <= 5 {
				r.soon++
			}
		}
	}
	var lines []string
	total := row{}
	for _, town := range slices.Sorted(maps.Keys(rows)) {
		r := rows[town]
		lines = append(lines, fmt.Sprintf("%s：未办结 %d，逾期 %d，5 个工作日内到期 %d", p.Router.Name(town), r.open, r.overdue, r.soon))
		total.open, total.overdue, total.soon = total.open+r.open, total.overdue+r.overdue, total.soon+r.soon
	}
	if len(lines) == 0 {
		lines = []string{"目前没有未办结的预警"}
	}
	what := "每日"
	if p.Cfg.Notify.Digest == "weekly" {
		what = "每周"
	}
	d := day.Format(time.DateOnly)
	return p.event(AudienceCounty, notify.Message{Event: "digest:" + d, Kind: "digest",
		Title: fmt.Sprintf("预警%s汇总（%s）：未办结 %d，逾期 %d", what, d, total.open, total.overdue), Lines: lines,
		Link: p.link("/county"), Counts: map[string]int{"open": total.open, "overdue": total.overdue, "due_soon": total.soon}}), true, nil
}

func isoWeek(d time.Time) int {
	y, w := d.ISOWeek()
	return y*100 + w
}

// Receivers are the configured receivers with their secrets read; an
// error names the receiver and where its secret should come from, or a
// township code the county does not have.
func (p *Pipeline) Receivers() (map[string]notify.Receiver, error) {
	out, unreadable, others := p.receivers()
	var errs []error
	for _, name := range slices.Sorted(maps.Keys(unreadable)) {
		errs = append(errs, unreadable[name])
	}
	return out, errors.Join(append(errs, others...)...)
}

// receivers builds the receivers; unreadable holds, per receiver, why a
// secret of it cannot be read (it cannot send), others the rest.
func (p *Pipeline) receivers() (out map[string]notify.Receiver, unreadable map[string]error, others []error) {
	out, unreadable = map[string]notify.Receiver{}, map[string]error{}
	for name, rc := range p.Cfg.Notify.Receivers {
		r := notify.Receiver{Name: name, Kind: rc.Kind, URL: rc.URL, SMTPHost: rc.SMTPHost, SMTPPort: cmp.Or(rc.SMTPPort, 587),
			From: rc.From, To: rc.To, Username: rc.Username, PerMinute: rc.PerMinute, Timeout: time.Duration(rc.Timeout)}
		if rc.CAFile != "" {
			r.CAFile = p.Cfg.Resolve(rc.CAFile)
		}
		if r.PerMinute == 0 && (r.Kind == notify.WeCom || r.Kind == notify.DingTalk) {
			r.PerMinute = notify.RobotPerMinute
		}
		var errs []error
		for _, s := range []struct {
			dst       *string
			env, file string
		}{{&r.Key, rc.KeyEnv, rc.KeyFile}, {&r.Token, rc.TokenEnv, rc.TokenFile}, {&r.Secret, rc.SecretEnv, rc.SecretFile},
			{&r.Password, rc.PasswordEnv, rc.PasswordFile}} {
			var err error
			if *s.dst, err = p.Cfg.SecretOf(s.env, s.file); err != nil {
				errs = append(errs, fmt.Errorf("notify.receivers.%s: %w", name, err))
			}
		}
		if len(errs) > 0 {
			unreadable[name] = errors.Join(errs...)
		}
		for _, t := range rc.Townships {
			if t != "all" && len(p.Router.Townships) > 0 && p.Router.Townships[t] == "" {
				others = append(others, fmt.Errorf("notify.receivers.%s.townships: %s is not one of the county's townships (county.townships, county.divisions)", name, t))
			}
		}
		out[name] = r
	}
	return out, unreadable, others
}

// DeliverResult is what a delivery pass did.
type DeliverResult struct {
	Sent, Failed, GaveUp, Waiting int
	Resent                        int // sent again after a crash in the middle of a send
}

// deliverMu makes a process's delivery passes one at a time: a delivery
// found "sending" at the start of a pass was left so by a dead process.
var deliverMu sync.Mutex

// limiters hold each receiver's rate (notify.Receiver.PerMinute) across
// passes, by name and rate.
var limiters sync.Map

func limiterFor(r notify.Receiver) *rate.Limiter {
	if r.PerMinute <= 0 {
		return nil
	}
	key := fmt.Sprintf("%s/%d", r.Name, r.PerMinute)
	l, _ := limiters.LoadOrStore(key, rate.NewLimiter(rate.Every(time.Minute/time.Duration(r.PerMinute)), r.PerMinute))
	return l.(*rate.Limiter)
}

// Deliver sends the deliveries due, each receiver on its own (one that
// is down or slow holds up no other), within its rate, until ctx ends:
// what is not sent by then stays pending. A failure is retried after
// notify.Backoff; past notify.max_attempts the delivery is given up
// (failed) and logged. A delivery a dead process left in the middle of a
// send is sent again, marked resent.
func (p *Pipeline) Deliver(ctx context.Context) (DeliverResult, error) {
	deliverMu.Lock()
	defer deliverMu.Unlock()
	var res DeliverResult
	due, err := p.Store.DueDeliveries(ctx, time.Now())
	if err != nil || len(due) == 0 {
		return res, err
	}
	// A receiver whose secret cannot be read fails with the reason, which
	// names the variable or file (never a value).
	receivers, secretErr, _ := p.receivers()
	byReceiver := map[string][]store.Delivery{}
	for _, d := range due {
		byReceiver[d.Receiver] = append(byReceiver[d.Receiver], d)
	}
	var mu sync.Mutex // the store's writes, and res
	var wg sync.WaitGroup
	for name, ds := range byReceiver {
		r, known := receivers[name]
		wg.Add(1)
		go func() {
			defer wg.Done()
			lim := limiterFor(r)
			for _, d := range ds {
				if ctx.Err() != nil {
					mu.Lock()
					res.Waiting++
					mu.Unlock()
					continue
				}
				if lim != nil && lim.Wait(ctx) != nil {
					mu.Lock()
					res.Waiting++
					mu.Unlock()
					continue
				}
				mu.Lock()
				again, err := p.Store.ClaimDelivery(ctx, d.EventID, d.Receiver)
				mu.Unlock()
				if err != nil {
					p.logger().Error("notify: claim", "event", d.Key, "receiver", d.Receiver, "err", err)
					continue
				}
				crashpoint.Here("notify.claimed")
				var m notify.Message
				serr := json.Unmarshal(d.Message, &m)
				m.Resent = again || d.Resent
				switch {
				case serr != nil:
				case !known:
					serr = fmt.Errorf("receiver %s is no longer configured", d.Receiver)
				case secretErr[d.Receiver] != nil:
					serr = secretErr[d.Receiver]
				default:
					serr = notify.Send(ctx, nil, r, m)
				}
				crashpoint.Here("notify.sent")
				mu.Lock()
				attempts := d.Attempts + 1
				switch {
				case serr == nil:
					err = p.Store.DeliverySent(ctx, d.EventID, d.Receiver, time.Now())
					res.Sent++
					if m.Resent {
						res.Resent++
					}
				case attempts >= p.Cfg.Notify.MaxAttempts:
					err = p.Store.DeliveryFailed(ctx, d.EventID, d.Receiver, serr.Error(), time.Now(), true, maybeReceived(serr))
					res.GaveUp++
					p.logger().Error("notify: gave up", "event", d.Key, "receiver", d.Receiver, "attempts", attempts, "err", serr)
				default:
					err = p.Store.DeliveryFailed(ctx, d.EventID, d.Receiver, serr.Error(), time.Now().Add(notify.Backoff(attempts)), false, maybeReceived(serr))
					res.Failed++
					p.logger().Warn("notify: send failed, will retry", "event", d.Key, "receiver", d.Receiver, "attempts", attempts, "err", serr)
				}
				mu.Unlock()
				if err != nil {
					p.logger().Error("notify: record", "event", d.Key, "receiver", d.Receiver, "err", err)
				}
			}
		}()
	}
	wg.Wait()
	return res, nil
}

// maybeReceived reports whether a failed send may have reached the
// receiver all the same: it timed out waiting for the answer.
func maybeReceived(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
