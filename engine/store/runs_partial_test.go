package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"
)

// A run done but partly (exit status 3: a feedback import that rejected
// rows) is in the ledger as partial with its words, not ok or failed.
func TestFinishRunPartial(t *testing.T) {
	st, _ := openTemp(t)
	ctx := context.Background()
	day := time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		err    error
		status string
	}{
		{nil, "ok"},
		{errors.New("boom"), "failed"},
		{fmt.Errorf("import: %w", &PartialError{Msg: "2 rows rejected"}), RunPartial},
	} {
		id, err := st.BeginRun(ctx, "feedback", day)
		if err != nil {
			t.Fatal(err)
		}
		if err := st.FinishRun(ctx, id, `{"files": 1}`, tc.err); err != nil {
			t.Fatal(err)
		}
		r, err := st.RunByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if tc.err != nil && r.Error != tc.err.Error() {
			t.Errorf("%v: error %q", tc.err, r.Error)
		}
		if r.Status != tc.status {
			t.Errorf("%v: status %q, want %q", tc.err, r.Status, tc.status)
		}
	}
}
