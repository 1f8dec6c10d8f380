package pipeline

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/lipwatch/lipwatch/engine/cases"
)

// townList is the xlsx list a dispatch wrote for a township code.
func townList(t *testing.T, files []string, code string) string {
	t.Helper()
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), code+"_") && strings.HasSuffix(f, ".xlsx") {
			return f
		}
	}
	t.Fatalf("no list for %s in %v", code, files)
	return ""
}

// listIDs reads the case ids of a list and the header's column numbers.
func listIDs(t *testing.T, x *excelize.File) (ids []string, header int, col map[string]int) {
	t.Helper()
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil {
		t.Fatal(err)
	}
	col = map[string]int{}
	header = -1
	for i, r := range rows {
		if header < 0 && len(r) > 0 && r[0] == "预警编号" {
			header = i
			for j, h := range r {
				col[h] = j + 1
			}
			continue
		}
		if header >= 0 && len(r) > 0 && r[0] != "" {
			ids = append(ids, r[0])
		}
	}
	return ids, header, col
}

func setCell(t *testing.T, x *excelize.File, col, row int, v string) {
	t.Helper()
	name, _ := excelize.CoordinatesToCellName(col, row)
	if err := x.SetCellValue(x.GetSheetName(0), name, v); err != nil {
		t.Fatal(err)
	}
}

// TestReturnedListBoundToItsTownship: a list is its township's answer
// only for its township, whatever its rows say. 城关镇's list carrying
// more of 城东街道's case ids than its own closes only its own; the same
// rows copied into a new workbook (no mark) are refused whole unless the
// importer names the township; a named township that disagrees with the
// mark is refused; another township's list imported as 城关镇's closes
// nothing.
func TestReturnedListBoundToItsTownship(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	sum, err := c.p.Run(ctx, c.day)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Dispatch.Batch == "" {
		t.Fatal("no batch")
	}
	own := townList(t, sum.Dispatch.Files, "340799001")
	other := townList(t, sum.Dispatch.Files, "340799002")
	ox, err := excelize.OpenFile(other)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _, _ := listIDs(t, ox)
	ox.Close()
	x, err := excelize.OpenFile(own)
	if err != nil {
		t.Fatal(err)
	}
	mine, header, col := listIDs(t, x)
	if len(foreign) < 2 || len(mine) < 1 {
		t.Fatalf("too few cases: %d foreign, %d own", len(foreign), len(mine))
	}
	// One own case and every foreign case (a majority) marked 不符合条件.
	setCell(t, x, col["核实结果"], header+2, "不符合条件")
	setCell(t, x, col["核实日期"], header+2, "2026-11-30")
	for i, id := range foreign {
		r := header + 2 + len(mine) + 1 + i
		setCell(t, x, col["预警编号"], r, id)
		setCell(t, x, col["核实结果"], r, "不符合条件")
		setCell(t, x, col["核实日期"], r, "2026-11-30")
	}
	dir := t.TempDir()
	returned := filepath.Join(dir, "城关镇交回.xlsx")
	if err := x.SaveAs(returned); err != nil {
		t.Fatal(err)
	}

	// The same cells in a new workbook: the mark stays behind.
	rows, _ := x.GetRows(x.GetSheetName(0))
	x.Close()
	nx := excelize.NewFile()
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		nx.SetSheetRow("Sheet1", cell, &vals)
	}
	copied := filepath.Join(dir, "复制.xlsx")
	if err := nx.SaveAs(copied); err != nil {
		t.Fatal(err)
	}
	nx.Close()

	state := func(id string) cases.State {
		cs, err := c.p.Store.Case(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return cs.State
	}
	day := c.day.AddDate(0, 0, 2)

	// Unmarked, nobody named: refused whole, nothing closed.
	res, err := c.p.Feedback(ctx, day, []string{copied}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.RefusedFiles != 1 || res.Closed != 0 || !strings.Contains(fmt.Sprint(res.Rejected), "--township") {
		t.Fatalf("unmarked list: %+v", res)
	}
	// Marked, but the importer names another township: refused.
	res, err = c.p.Feedback(ctx, day, []string{returned}, "340799002")
	if err != nil {
		t.Fatal(err)
	}
	if res.RefusedFiles != 1 || res.Closed != 0 || !strings.Contains(fmt.Sprint(res.Rejected), "不一致") {
		t.Fatalf("--township against the mark: %+v", res)
	}
	// Unmarked and named as 城东街道's: 城关镇's own row is the foreign one now.
	res, err = c.p.Feedback(ctx, day, []string{copied}, "城东街道") // by name
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.p.Feedback(ctx, day, []string{copied}, "东城街道"); err == nil || !strings.Contains(err.Error(), "340799002 城东街道") {
		t.Errorf("unknown township name: %v", err)
	}
	if res.Closed != len(foreign) || state(mine[0]) != cases.StateDispatched {
		t.Fatalf("unmarked list named 340799002: closed %d (want %d), own case %s", res.Closed, len(foreign), state(mine[0]))
	}

	// Another store of the same county (a trial, a rebuilt one) makes the
	// same batch and case ids: the list is refused there, whole.
	twin := openCounty(t)
	if _, err := twin.p.Run(ctx, twin.day); err != nil {
		t.Fatal(err)
	}
	res, err = twin.p.Feedback(ctx, day, []string{returned}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.RefusedFiles != 1 || res.Closed != 0 || !strings.Contains(fmt.Sprint(res.Rejected), "另一个系统") {
		t.Fatalf("list of another store: %+v", res)
	}
	// Its own store: the own case closes, the foreign rows are rejected.
	res, err = c.p.Feedback(ctx, day, []string{returned}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Closed != 1 || state(mine[0]) != cases.StateClosed {
		t.Errorf("own case: closed %d, state %s", res.Closed, state(mine[0]))
	}
	// (The foreign cases were closed above by their own township's
	// answer; this import closed only the own one: res.Closed is 1 and
	// the audit row below lists it alone.)
	if n := strings.Count(fmt.Sprint(res.Rejected), "不属于本表的城关镇"); n != len(foreign) {
		t.Errorf("%d foreign rows rejected as another township's, want %d: %v", n, len(foreign), res.Rejected)
	}
	// The audit row names the list's township and batch.
	var detail string
	if err := c.p.Store.DB().QueryRow(`SELECT detail FROM audit WHERE action = 'feedback_import' AND subject = ?`, returned).Scan(&detail); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(detail, `"township":"340799001"`) || !strings.Contains(detail, sum.Dispatch.Batch) || !strings.Contains(detail, `"closed":["`+mine[0]+`"]`) {
		t.Errorf("audit detail %s", detail)
	}
}

// TestOneBatchPerDay: running the night again the same day sends nothing
// new and writes no second set of lists; a resend (--all) is a new batch
// with its own suffix; every batch's files and audit row are in the store.
func TestOneBatchPerDay(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	first, err := c.p.Run(ctx, c.day)
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.p.Run(ctx, c.day)
	if err != nil {
		t.Fatal(err)
	}
	if again.Dispatch.Batch != "" || len(again.Dispatch.Files) != 0 {
		t.Errorf("second run the same day: batch %q, files %v", again.Dispatch.Batch, again.Dispatch.Files)
	}
	entries, _ := os.ReadDir(first.Dispatch.Dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), "_2.") {
			t.Errorf("second set of lists: %s", e.Name())
		}
	}
	all, err := c.p.Dispatch(ctx, c.day, true)
	if err != nil {
		t.Fatal(err)
	}
	if all.Batch != "PD-"+c.day.Format("20060102")+"-2" || !strings.HasSuffix(all.Files[0], "_2.xlsx") {
		t.Errorf("resend: batch %s, files %v", all.Batch, all.Files)
	}
	var batches, audits, pending int
	c.p.Store.DB().QueryRow(`SELECT count(*), count(*) FILTER (WHERE written_at IS NULL OR payload IS NOT NULL) FROM dispatch_batches`).Scan(&batches, &pending)
	c.p.Store.DB().QueryRow(`SELECT count(*) FROM audit WHERE action = 'dispatch'`).Scan(&audits)
	if batches != 2 || audits != 2 || pending != 0 {
		t.Errorf("%d batches (%d pending or keeping a payload), %d dispatch audit rows; want 2, 0, 2", batches, pending, audits)
	}
	for _, f := range append(first.Dispatch.Files, all.Files...) {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
	if fi, err := os.Stat(first.Dispatch.Dir); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("list folder: %v %v, want 0700", fi.Mode().Perm(), err)
	}
}

// A forged mark — 城关镇's csv list re-bound to 城东街道 by editing its
// mark row, or a hand-made list with a mark of the right shape — does not
// verify: the mark is signed with the store's key, and the list is
// refused whole.
func TestForgedMarkRefused(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	sum, err := c.p.Run(ctx, c.day)
	if err != nil {
		t.Fatal(err)
	}
	var csvList string
	for _, f := range sum.Dispatch.Files {
		if strings.HasPrefix(filepath.Base(f), "340799001_") && strings.HasSuffix(f, ".csv") {
			csvList = f
		}
	}
	b, err := os.ReadFile(csvList)
	if err != nil {
		t.Fatal(err)
	}
	foreign, _ := c.p.Store.CasesWhere(ctx, "340799002", "", "", time.Time{})
	text := strings.Replace(string(b), ","+sum.Dispatch.Batch+",340799001,", ","+sum.Dispatch.Batch+",340799002,", 1)
	if text == string(b) {
		t.Fatal("no mark row in the csv list")
	}
	for _, cs := range foreign {
		text += cs.ID + strings.Repeat(",", 12) + "不符合条件\r\n"
	}
	forged := filepath.Join(t.TempDir(), "forged.csv")
	if err := os.WriteFile(forged, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := c.p.Feedback(ctx, c.day.AddDate(0, 0, 1), []string{forged}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.RefusedFiles != 1 || res.Closed != 0 || !strings.Contains(fmt.Sprint(res.Rejected), "签名不符") {
		t.Fatalf("forged mark: %+v", res)
	}
}

// A batch recorded for a folder that can no longer be written (replaced
// by a file, unmounted) does not block dispatch for ever: the next
// dispatch writes its lists under today's dispatch.dir, same names and
// deadlines, and records where. Deleted lists are reported, not said to
// stand, and --rewrite writes them again under their names.
func TestBatchRelocatedAndRewritten(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	if _, err := c.p.Evaluate(ctx, c.day, false); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	blocked := filepath.Join(dir, "mnt")
	if err := os.WriteFile(blocked, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.p.Cfg.Dispatch.Dir = filepath.Join(blocked, "lists")
	if _, err := c.p.Dispatch(ctx, c.day, false); err == nil {
		t.Fatal("dispatch into a folder under a file succeeded")
	}
	_, err := c.p.Dispatch(ctx, c.day, false) // still blocked: the same error, naming the batch
	if err == nil || !strings.Contains(err.Error(), "dispatch batch PD-20261128-1") || !strings.Contains(err.Error(), "dispatch.dir") {
		t.Fatalf("blocked again: %v", err)
	}
	c.p.Cfg.Dispatch.Dir = filepath.Join(dir, "lists")
	res, err := c.p.Dispatch(ctx, c.day, false)
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "lists", "2026-11-28")
	if len(res.Resumed) != 1 || !res.Resumed[0].Relocated || res.Resumed[0].Dir != want {
		t.Fatalf("resumed: %+v", res.Resumed)
	}
	b, err := c.p.Store.LoadBatch(ctx, "PD-20261128-1")
	if err != nil {
		t.Fatal(err)
	}
	if !b.Written || b.Dir != want {
		t.Errorf("batch after relocation: written %v, dir %s", b.Written, b.Dir)
	}
	for _, f := range b.Files {
		if _, err := os.Stat(f); err != nil || filepath.Dir(f) != want {
			t.Errorf("file %s: %v", f, err)
		}
	}
	// Nothing new; a list deleted is reported, then written again.
	lost := b.Files[0]
	os.Remove(lost)
	res, err = c.p.Dispatch(ctx, c.day, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Batch != "" || len(res.Missing) != 1 || res.Missing[0].Path != lost || res.Missing[0].Batch != "PD-20261128-1" || res.Dir != want {
		t.Errorf("after deleting a list: %+v", res)
	}
	rw, err := c.p.Rewrite(ctx, "PD-20261128-1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(lost); err != nil || len(rw.Files) != len(b.Files) {
		t.Errorf("rewrite: %v, %d files", err, len(rw.Files))
	}
	var n int
	c.p.Store.DB().QueryRow(`SELECT count(*) FROM audit WHERE action IN ('dispatch_relocated', 'dispatch_rewritten')`).Scan(&n)
	if n != 2 {
		t.Errorf("%d relocation/rewrite audit rows, want 2", n)
	}
}

// Rows pasted under a genuine mark from another list — another store's
// of the same county, whose case ids look alike — are rejected when their
// 户号 is not their case's household.
func TestTransplantedRowsRejected(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	sum, err := c.p.Run(ctx, c.day)
	if err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenFile(townList(t, sum.Dispatch.Files, "340799001"))
	if err != nil {
		t.Fatal(err)
	}
	ids, header, col := listIDs(t, x)
	setCell(t, x, col["户号"], header+2, "3407990019999999") // another household
	setCell(t, x, col["核实结果"], header+2, "不符合条件")
	setCell(t, x, col["核实日期"], header+2, "2026-11-29")
	setCell(t, x, col["核实结果"], header+3, "纳入低保") // an untouched row closes
	setCell(t, x, col["核实日期"], header+3, "2026-11-29")
	returned := filepath.Join(t.TempDir(), "back.xlsx")
	if err := x.SaveAs(returned); err != nil {
		t.Fatal(err)
	}
	x.Close()
	res, err := c.p.Feedback(ctx, c.day.AddDate(0, 0, 1), []string{returned}, "")
	if err != nil {
		t.Fatal(err)
	}
	if res.Closed != 1 || len(res.Rejected) != 1 || !strings.Contains(res.Rejected[0].Reason, "户号与该预警的家庭不符") {
		t.Fatalf("closed %d, rejected %v", res.Closed, res.Rejected)
	}
	if cs, _ := c.p.Store.Case(ctx, ids[0]); cs.State != cases.StateDispatched {
		t.Errorf("the transplanted row closed %s", ids[0])
	}
}

// A batch whose day folder became a file, with dispatch.dir unchanged,
// goes to a folder named after the batch beside it, instead of blocking
// every dispatch (second tester); a list of an earlier batch deleted is
// reported too.
func TestBatchFolderReplacedByFile(t *testing.T) {
	c := openCounty(t)
	ctx := context.Background()
	if _, err := c.p.Evaluate(ctx, c.day, false); err != nil {
		t.Fatal(err)
	}
	lists := filepath.Join(t.TempDir(), "lists")
	if err := os.MkdirAll(lists, 0o700); err != nil {
		t.Fatal(err)
	}
	c.p.Cfg.Dispatch.Dir = lists
	day := filepath.Join(lists, "2026-11-28")
	if err := os.WriteFile(day, []byte("x"), 0o600); err != nil { // the day's folder is a file
		t.Fatal(err)
	}
	if _, err := c.p.Dispatch(ctx, c.day, false); err == nil {
		t.Fatal("dispatch wrote into a file")
	}
	res, err := c.p.Dispatch(ctx, c.day.AddDate(0, 0, 1), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Resumed) != 1 || res.Resumed[0].Dir != day+"_PD-20261128-1" {
		t.Fatalf("resumed: %+v", res.Resumed)
	}
	b, _ := c.p.Store.LoadBatch(ctx, "PD-20261128-1")
	os.Remove(b.Files[0])
	res, err = c.p.Dispatch(ctx, c.day.AddDate(0, 0, 2), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Missing) != 1 || res.Missing[0].Batch != "PD-20261128-1" {
		t.Errorf("missing: %+v", res.Missing)
	}
}
