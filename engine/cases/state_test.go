package cases

import "testing"

// One definition of the states: each parses back, is labelled in Chinese,
// and only new and dispatched are open.
func TestStates(t *testing.T) {
	labels := map[State]string{StateNew: "待下发", StateDispatched: "核实中", StateClosed: "已办结"}
	if len(States()) != len(labels) {
		t.Fatalf("States() %v", States())
	}
	for _, s := range States() {
		if got, ok := ParseState(string(s)); !ok || got != s {
			t.Errorf("ParseState(%q) = %q, %v", s, got, ok)
		}
		if s.Label() != labels[s] {
			t.Errorf("%s.Label() = %q, want %q", s, s.Label(), labels[s])
		}
		if s.Open() != (s != StateClosed) {
			t.Errorf("%s.Open() = %v", s, s.Open())
		}
	}
	for _, bad := range []string{"", "open", "overdue", "Closed"} {
		if _, ok := ParseState(bad); ok {
			t.Errorf("ParseState(%q) accepted", bad)
		}
	}
}
