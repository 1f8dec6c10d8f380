package pipeline

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/lipwatch/lipwatch/engine/notify"
	"github.com/lipwatch/lipwatch/engine/store"
)

// robot is a test receiver speaking one robot's format: it records what
// it got, and can be made to fail or hang.
type robot struct {
	mu     sync.Mutex
	got    []string // message texts, in order
	events []string // event keys (webhook) or titles (robots)
	status int      // answer with this HTTP status (0: 200)
	hang   chan struct{}
	srv    *httptest.Server
}

func (r *robot) texts() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func newRobot(t *testing.T, check func(r *http.Request, body []byte) (text, key string, ok bool)) *robot {
	rb := &robot{}
	rb.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rb.hang != nil {
			select {
			case <-rb.hang:
			case <-r.Context().Done():
			}
			return
		}
		body, _ := io.ReadAll(r.Body)
		text, key, ok := check(r, body)
		if !ok {
			w.Write([]byte(`{"errcode":310000,"errmsg":"refused"}`))
			return
		}
		rb.mu.Lock()
		status := rb.status
		if status == 0 || status == 200 {
			rb.got = append(rb.got, text)
			rb.events = append(rb.events, key)
		}
		rb.mu.Unlock()
		if status != 0 {
			w.WriteHeader(status)
		}
		w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
	}))
	t.Cleanup(rb.srv.Close)
	return rb
}

// notifyMini is the mini county with a WeCom robot for 城关镇, a DingTalk
// robot (signed) for the county and a webhook for operators.
func notifyMini(t *testing.T) (*mini, *robot, *robot, *robot) {
	t.Setenv("LW_TEST_WECOM_KEY", "wk-1")
	t.Setenv("LW_TEST_DING_TOKEN", "dt-1")
	t.Setenv("LW_TEST_DING_SECRET", "SEC-1")
	wecom := newRobot(t, func(r *http.Request, body []byte) (string, string, bool) {
		var b struct {
			Markdown struct{ Content string } `json:"markdown"`
		}
		json.Unmarshal(body, &b)
		return b.Markdown.Content, strings.SplitN(b.Markdown.Content, "\n", 2)[0], r.URL.Query().Get("key") == "wk-1"
	})
	ding := newRobot(t, func(r *http.Request, body []byte) (string, string, bool) {
		q := r.URL.Query()
		mac := hmac.New(sha256.New, []byte("SEC-1"))
		mac.Write([]byte(q.Get("timestamp") + "\n" + "SEC-1"))
		ms, _ := strconv.ParseInt(q.Get("timestamp"), 10, 64)
		ok := q.Get("access_token") == "dt-1" && q.Get("sign") == base64.StdEncoding.EncodeToString(mac.Sum(nil)) &&
			time.Since(time.UnixMilli(ms)).Abs() < time.Hour
		var b struct {
			Markdown struct{ Title, Text string } `json:"markdown"`
		}
		json.Unmarshal(body, &b)
		return b.Markdown.Text, b.Markdown.Title, ok
	})
	hook := newRobot(t, func(r *http.Request, body []byte) (string, string, bool) {
		return string(body), r.Header.Get("Idempotency-Key"), true
	})
	m := newMini(t)
	m.extraConfig = fmt.Sprintf(`portal:
  public_url: https://jiuzhu.example.gov.cn
notify:
  digest: off
  receivers:
    chengguan:
      kind: wecom
      url: %s
      key_env: LW_TEST_WECOM_KEY
      townships: ["340799001"]
      timeout: 2s
    county:
      kind: dingtalk
      url: %s
      token_env: LW_TEST_DING_TOKEN
      secret_env: LW_TEST_DING_SECRET
      county: true
    ops:
      kind: webhook
      url: %s
      ops: true
      timeout: 1s
`, wecom.srv.URL, ding.srv.URL, hook.srv.URL)
	return m, wecom, ding, hook
}

// personal is every name and ID number of the mini county's registry.
func personal() []string {
	var out []string
	for _, line := range strings.Split(string(miniBase["registry"].body), "\n")[1:] {
		f := strings.Split(line, ",")
		if len(f) > 2 {
			out = append(out, f[0], f[1])
		}
	}
	return out
}

func scanAll(t *testing.T, who string, texts []string) {
	t.Helper()
	for _, tx := range texts {
		if err := notify.Scan(tx, personal()); err != nil {
			t.Errorf("%s got personal data (%v):\n%s", who, err, tx)
		}
	}
}

// A night's dispatch tells the township and the county, each once, with
// counts, levels, the deadline and a link, never a name or ID number;
// the run itself sends nothing (a receiver that is down cannot slow it);
// a second pass and a second night send nothing again.
func TestNotifyDispatch(t *testing.T) {
	m, wecom, ding, hook := notifyMini(t)
	m.run()
	ctx := context.Background()
	var pending int
	m.scan(`SELECT count(*) FROM notify_deliveries WHERE state = 'pending'`, &pending)
	if pending != 2 || len(wecom.texts())+len(ding.texts()) != 0 {
		t.Fatalf("after the run: %d pending, %d sent by the run itself", pending, len(wecom.texts())+len(ding.texts()))
	}
	res, err := m.p.Deliver(ctx)
	if err != nil || res.Sent != 2 {
		t.Fatalf("deliver: %+v %v", res, err)
	}
	w, d := wecom.texts(), ding.texts()
	if len(w) != 1 || !strings.Contains(w[0], "城关镇：新下发预警 1 户") || !strings.Contains(w[0], "新增 1 户，情况有变化 0 户（黄色 1）") ||
		!strings.Contains(w[0], "最早办结期限 2026-12-") || !strings.Contains(w[0], "(https://jiuzhu.example.gov.cn/cases)") {
		t.Errorf("township's message: %q", w)
	}
	if len(d) != 1 || !strings.Contains(d[0], "城关镇：新增 1 户，变化 0 户（黄色 1）") || !strings.Contains(d[0], "https://jiuzhu.example.gov.cn/county") {
		t.Errorf("county's message: %q", d)
	}
	scanAll(t, "wecom", w)
	scanAll(t, "dingtalk", d)
	if res, _ := m.p.Deliver(ctx); res.Sent != 0 {
		t.Errorf("a second pass sent %d", res.Sent)
	}
	m.run() // the same night again: nothing new dispatched, nothing to tell
	if res, _ := m.p.Deliver(ctx); res.Sent != 0 || len(wecom.texts()) != 1 || len(hook.texts()) != 0 {
		t.Errorf("the night again: sent %d", res.Sent)
	}
}

// A receiver that answers 500 is retried later (backoff), one that hangs
// is cut at its timeout, and neither holds up the others; past
// max_attempts a delivery is given up, and retry brings it back.
func TestNotifyRetries(t *testing.T) {
	m, wecom, ding, hook := notifyMini(t)
	// A source that fails tells the operators.
	reg := m.sources["fishers"]
	reg.body = nil
	m.set("fishers", reg)
	hook.status = 500
	wecom.hang = make(chan struct{})
	m.run()
	ctx := context.Background()
	start := time.Now()
	res, err := m.p.Deliver(ctx)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	if res.Sent != 1 || res.Failed != 2 || len(ding.texts()) != 1 {
		t.Fatalf("deliver: %+v; the county got %d", res, len(ding.texts()))
	}
	ds, _ := m.p.Store.Deliveries(ctx, store.DeliveryFilter{})
	for _, d := range ds {
		switch d.Receiver {
		case "ops":
			if d.State != "pending" || d.Attempts != 1 || !strings.Contains(d.LastError, "HTTP 500") || d.NextAt.Sub(d.Created) < 15*time.Second {
				t.Errorf("ops: %+v", d)
			}
			if !strings.HasPrefix(d.Key, "source:fishers:failed:") {
				t.Errorf("ops event %s", d.Key)
			}
		case "chengguan":
			if d.State != "pending" || d.LastError == "" {
				t.Errorf("hanging robot: %+v", d)
			}
		}
	}
	t.Logf("a pass with one receiver hanging (2 s timeout) and one failing took %s", took)
	// The robot that timed out may have the message: the next copy says
	// it is one.
	close(wecom.hang)
	wecom.hang = nil
	if n, err := m.p.Store.RetryDeliveries(ctx, "chengguan", nil); err != nil || n != 1 {
		t.Fatalf("retry chengguan: %d %v", n, err)
	}
	if res, _ := m.p.Deliver(ctx); res.Sent != 1 || len(wecom.texts()) != 1 || !strings.Contains(wecom.texts()[0], "补发") {
		t.Errorf("after a timeout, the copy: %+v %q", res, wecom.texts())
	}
	// Fixed: retry now sends them.
	hook.status = 0
	n, err := m.p.Store.RetryDeliveries(ctx, "ops", nil)
	if err != nil || n != 1 {
		t.Fatalf("retry: %d %v", n, err)
	}
	if res, _ := m.p.Deliver(ctx); res.Sent != 1 || len(hook.texts()) != 1 {
		t.Errorf("after retry: %+v", res)
	}
	var msg notify.Message
	json.Unmarshal([]byte(hook.texts()[0]), &msg)
	if msg.Kind != "source" || !strings.Contains(msg.Title, "数据源 fishers 失败") {
		t.Errorf("ops message: %+v", msg)
	}
	scanAll(t, "webhook", hook.texts())
	// Given up after max_attempts.
	m.p.Cfg.Notify.MaxAttempts = 2
	hook.status = 503
	m.p.Store.DB().Exec(`UPDATE notify_deliveries SET state = 'pending', next_at = now() - INTERVAL 1 MINUTE, attempts = 1 WHERE receiver = 'ops'`)
	if res, _ := m.p.Deliver(ctx); res.GaveUp != 1 {
		t.Errorf("give up: %+v", res)
	}
}

// A delivery a dead process left "sending" is sent again, marked resent.
func TestNotifyResendAfterCrash(t *testing.T) {
	m, wecom, _, _ := notifyMini(t)
	m.run()
	ctx := context.Background()
	m.p.Store.DB().Exec(`UPDATE notify_deliveries SET state = 'sending', attempts = 1 WHERE receiver = 'chengguan'`)
	if res, _ := m.p.Deliver(ctx); res.Resent != 1 {
		t.Errorf("resent %+v", res)
	}
	if w := wecom.texts(); len(w) != 1 || !strings.Contains(w[0], "系统重启后补发") {
		t.Errorf("resent message: %q", w)
	}
}

// Reminders come N working days before the deadline and escalations on
// the first working day overdue and past escalate_after, counted on the
// holiday calendar: across the 调休 Sunday of 2026-09-20, the Mid-Autumn
// weekend and the National Day holiday (10-01..10-07, with the 调休
// Saturday 10-10). Each case is chased once per reminder day and level
// for each deadline it has (an extension gives a new one); the weekly
// digest comes on the first working day of each week.
func TestChaseHolidays(t *testing.T) {
	m, _, _, _ := notifyMini(t)
	m.extraConfig = strings.Replace(m.extraConfig, "digest: off", "digest: weekly", 1)
	m.run()
	ctx := context.Background()
	db := m.p.Store.DB()
	var id string
	m.scan(`SELECT case_id FROM cases`, &id)
	db.Exec(`DELETE FROM notify_events`)
	last := int64(0)
	chase := func(from, to string) map[string][]string {
		out := map[string][]string{}
		d0, _ := time.Parse(time.DateOnly, from)
		d1, _ := time.Parse(time.DateOnly, to)
		for d := d0; !d.After(d1); d = d.AddDate(0, 0, 1) {
			if _, err := m.p.Chase(ctx, d); err != nil {
				t.Fatal(err)
			}
			rows, _ := db.Query(`SELECT event_id, event_key FROM notify_events WHERE event_id > ? ORDER BY event_id`, last)
			for rows.Next() {
				var k string
				rows.Scan(&last, &k)
				out[d.Format(time.DateOnly)] = append(out[d.Format(time.DateOnly)], k)
			}
			rows.Close()
		}
		return out
	}
	setDeadline := func(d string) {
		if _, err := db.Exec(`UPDATE cases SET state = 'dispatched', deadline = ?::DATE WHERE case_id = ?`, d, id); err != nil {
			t.Fatal(err)
		}
	}
	check := func(got, want map[string][]string) {
		t.Helper()
		for _, d := range slicesUnion(got, want) {
			if !slices.Equal(got[d], want[d]) {
				t.Errorf("%s: got %q, want %q", d, got[d], want[d])
			}
		}
	}
	setDeadline("2026-09-22")
	check(chase("2026-09-14", "2026-09-30"), map[string][]string{
		"2026-09-14": {"digest:2026-09-14"},
		"2026-09-18": {"remind:340799001:2026-09-18:3"}, // Fri: the 调休 Sunday 09-20, 09-21, 09-22 left
		"2026-09-21": {"remind:340799001:2026-09-21:1", "digest:2026-09-21"},
		"2026-09-23": {"escalate:1:340799001:2026-09-23", "overdue:340799001:2026-09-23"},
		"2026-09-28": {"digest:2026-09-28"},
		"2026-09-30": {"escalate:2:340799001:2026-09-30"}, // 09-23, 24, (中秋 25-27), 28, 29, 30: five working days
	})
	// Extended to 10-09: chased again for the new deadline.
	setDeadline("2026-10-09")
	check(chase("2026-09-29", "2026-10-20"), map[string][]string{
		"2026-09-29": {"remind:340799001:2026-09-29:3"},                                   // 09-30, 10-08, 10-09
		"2026-10-08": {"remind:340799001:2026-10-08:1", "digest:2026-10-08"},              // the week's first working day
		"2026-10-10": {"escalate:1:340799001:2026-10-10", "overdue:340799001:2026-10-10"}, // the 调休 Saturday
		"2026-10-12": {"digest:2026-10-12"},
		"2026-10-15": {"escalate:2:340799001:2026-10-15"}, // 10-10, 12, 13, 14, 15
		"2026-10-19": {"digest:2026-10-19"},
	})
	// Chasing a day again records nothing new.
	if n, _ := m.p.Chase(ctx, time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC)); n != 0 {
		t.Errorf("the same day again: %d events", n)
	}
	// First reminded on its deadline day: "today", not "1 working day".
	setDeadline("2026-11-05")
	got := chase("2026-11-05", "2026-11-05")
	var title string
	db.QueryRow(`SELECT json_extract_string(message, '$.title') FROM notify_events WHERE event_key = 'remind:340799001:2026-11-05:0'`).Scan(&title)
	if !slices.Contains(got["2026-11-05"], "remind:340799001:2026-11-05:0") || !strings.HasSuffix(title, "1 户预警今天到期") {
		t.Errorf("reminded on the deadline day: %q, %q", got["2026-11-05"], title)
	}
	// A run a dead process left unfinished: the operators hear of it once.
	db.Exec(`INSERT INTO runs (run_id, kind, as_of, started_at, status) VALUES (9001, 'run', DATE '2026-11-05', TIMESTAMP '2026-11-05 02:00:00', 'interrupted')`)
	got = chase("2026-11-06", "2026-11-09")
	if !slices.Contains(got["2026-11-06"], "run:9001") || slices.Contains(got["2026-11-09"], "run:9001") {
		t.Errorf("an interrupted run: %q", got)
	}
}

func slicesUnion(a, b map[string][]string) []string {
	var out []string
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// A receiver whose secret cannot be read fails naming the variable, and
// the others are sent.
func TestNotifyMissingSecret(t *testing.T) {
	m, wecom, ding, _ := notifyMini(t)
	m.run()
	os.Unsetenv("LW_TEST_WECOM_KEY")
	res, err := m.p.Deliver(context.Background())
	if err != nil || res.Sent != 1 || res.Failed != 1 || len(ding.texts()) != 1 || len(wecom.texts()) != 0 {
		t.Fatalf("deliver: %+v %v", res, err)
	}
	ds, _ := m.p.Store.Deliveries(context.Background(), store.DeliveryFilter{Receiver: "chengguan"})
	if len(ds) != 1 || !strings.Contains(ds[0].LastError, "environment variable LW_TEST_WECOM_KEY is not set") {
		t.Errorf("chengguan: %+v", ds)
	}
}
