package pipeline

import (
	"context"
	"testing"
	"time"
)

// A dispatch for a day before a case was opened (an operator's --as-of
// in the past) leaves the case out; the next dispatch on or after its
// opening lists it, with its deadline counted from that day.
func TestDispatchLeavesOutLaterCases(t *testing.T) {
	m := newMini(t)
	m.run() // 2026-11-28: the baseline case, dispatched
	ctx := context.Background()
	db := m.p.Store.DB()
	// The case as if opened on 11-30 and not yet dispatched.
	if _, err := db.Exec(`UPDATE cases SET opened_on = DATE '2026-11-30', state = 'new', dispatched_on = NULL, deadline = NULL, dispatched_version = 0`); err != nil {
		t.Fatal(err)
	}
	past := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	res, err := m.p.Dispatch(ctx, past, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Cases != 0 {
		t.Errorf("a dispatch for 11-29 listed %d cases opened on 11-30", res.Cases)
	}
	res, err = m.p.Dispatch(ctx, past.AddDate(0, 0, 1), false)
	if err != nil || res.Cases != 1 {
		t.Fatalf("the dispatch of 11-30: %+v %v", res, err)
	}
	var dispatched time.Time
	m.scan(`SELECT dispatched_on FROM cases`, &dispatched)
	if !dispatched.Equal(past.AddDate(0, 0, 1)) {
		t.Errorf("dispatched on %s", dispatched)
	}
}
