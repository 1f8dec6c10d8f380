package portal

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/lipwatch/lipwatch/engine/cases"
)

// browser starts headless Chromium (Debian's chromium, which .ci/run
// installs) for a test; without it the test is skipped, except in CI.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := ""
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed: .ci/run installs it (apt-get install chromium)")
		}
		t.Skip("chromium is not installed")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox, // root in CI
		chromedp.WindowSize(1366, 768),
		chromedp.Flag("lang", "zh-CN"),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	ctx, cancel3 := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(cancel3)
	return ctx
}

// screenshot keeps a full-page PNG under the test's temp dir (or
// LIPWATCH_SCREENSHOT_DIR, to look at it).
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	dir := os.Getenv("LIPWATCH_SCREENSHOT_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100: PNG
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot %s (%d KB)", path, len(png)>>10)
}

// In a real browser: a township officer logs in, changes nothing else
// first, sees only her township's cases, opens one and records an outcome
// that closes it.
func TestBrowserOfficerClosesCase(t *testing.T) {
	c := openCounty(t)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(c.srv.URL+"/cases"), // not logged in: the login page
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "officer_a"),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`table.cases`),
	)
	if err != nil {
		t.Fatal(err)
	}
	listText, err := chromedp.Run(ctx, chromedp.Text(`table.cases`))
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "cases")
	for _, id := range c.byTown[townB] {
		if strings.Contains(listText, id) {
			t.Fatalf("another township's case %s on the list", id)
		}
	}
	// An open case of hers that the other tests leave alone.
	var id string
	for _, cand := range c.byTown[townA][1:] {
		cs, err := c.p.Store.Case(context.Background(), cand)
		if err == nil && cs.State == cases.StateDispatched && strings.Contains(listText, cand) {
			id = cand
			break
		}
	}
	if id == "" {
		t.Fatal("no open case of township A on the list")
	}
	err = chromedp.Do(ctx,
		chromedp.Click(`a[href="/cases/`+id+`"]`),
		chromedp.WaitVisible(`form.outcome`),
		chromedp.SetValue(`select[name=outcome]`, "tekun"),
		chromedp.SendKeys(`textarea[name=note]`, "入户核实，无劳动能力、无赡养人"),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "case")
	err = chromedp.Do(ctx,
		chromedp.Submit(`form.outcome select[name=outcome]`),
		chromedp.WaitNotPresent(`form.outcome`),
	)
	if err != nil {
		t.Fatal(err)
	}
	done, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(done, "纳入特困") || !strings.Contains(done, "已办结") {
		t.Errorf("after the outcome the page says: %.300s", done)
	}
	got, err := c.p.Store.Case(context.Background(), id)
	if err != nil || got.State != cases.StateClosed || got.Outcome != "tekun" {
		t.Errorf("case %s after the outcome: %+v %v", id, got, err)
	}
}

// The county admin's overview of every township, in a browser.
func TestBrowserCountyPage(t *testing.T) {
	c := openCounty(t)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(c.srv.URL+"/county"),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "admin"),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`table.county`),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "county")
	text, err := chromedp.Run(ctx, chromedp.Text(`table.county`))
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"城关镇", "城东街道", "县级队列", "合计"} {
		if !strings.Contains(text, name) {
			t.Errorf("county page lacks %s", name)
		}
	}
}

// The statistics dashboard draws its charts (ECharts, from the binary) in
// a browser: every chart has a canvas.
func TestBrowserStatsCharts(t *testing.T) {
	c := openCounty(t)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(c.srv.URL+"/stats"),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "analyst"),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`[data-chart="chart-outcomes"][data-drawn="1"]`),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "stats")
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-chart] canvas').length`))
	if err != nil {
		t.Fatal(err)
	}
	if n < 4 {
		t.Errorf("%d charts drawn, want 4", n)
	}
}

// On a phone (390 px wide) the list's cards name each value and the case
// page fits the width.
func TestBrowserPhone(t *testing.T) {
	c := openCounty(t)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(c.srv.URL+"/cases"),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "village_a"),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`table.cases`),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "phone-cases")
	if err := chromedp.Do(ctx, chromedp.Click(`table.cases a`), chromedp.WaitVisible(`table.hits`)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "phone-case")
	width, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.documentElement.scrollWidth`))
	if err != nil {
		t.Fatal(err)
	}
	if width > 400 {
		t.Errorf("the case page is %d px wide on a 390 px phone", width)
	}
}

// In a browser: a village assistant files a ground report about a person
// of her township without an open case; it becomes a case of the right
// township.
func TestBrowserGroundReport(t *testing.T) {
	c := openCounty(t)
	var person string
	if err := c.p.Store.DB().QueryRow(`SELECT id_number FROM registry_current r WHERE village_code = ? AND status = 'active'
		AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.subject = r.household_id)
		AND NOT EXISTS (SELECT 1 FROM ground_reports g WHERE g.id_number = r.id_number)
		ORDER BY id_number DESC LIMIT 1`, c.villageA).Scan(&person); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(c.srv.URL+"/report"),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "village_a"),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`form.report`),
		chromedp.SendKeys(`input[name=id_number]`, person),
		chromedp.SetValue(`select[name=kind]`, "income"),
		chromedp.SendKeys(`textarea[name=note]`, "工厂停工，夫妻二人均失业"),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "report")
	if err := chromedp.Do(ctx, chromedp.Submit(`form.report select[name=kind]`), chromedp.WaitNotPresent(`form.report`)); err != nil {
		t.Fatal(err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(`main`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "已生成预警") || !strings.Contains(text, "由城关镇核实") {
		t.Errorf("after the report: %.300s", text)
	}
	var town string
	if err := c.p.Store.DB().QueryRow(`SELECT c.township_code FROM cases c JOIN case_hits h USING (case_id)
		WHERE h.rule_id = 'GRID-REPORT' AND h.id_number = ?`, person).Scan(&town); err != nil || town != townA {
		t.Errorf("the report's case: township %q, %v", town, err)
	}
}

// The sources page in a browser, for a look.
func TestBrowserSourcesPage(t *testing.T) {
	c := openCounty(t)
	ctx := browser(t)
	err := chromedp.Do(ctx,
		chromedp.Navigate(c.srv.URL+"/sources"),
		chromedp.WaitVisible(`input[name=username]`),
		chromedp.SendKeys(`input[name=username]`, "admin"),
		chromedp.SendKeys(`input[name=password]`, password),
		chromedp.Submit(`input[name=password]`),
		chromedp.WaitVisible(`table.runs`),
	)
	if err != nil {
		t.Fatal(err)
	}
	screenshot(t, ctx, "sources")
}
