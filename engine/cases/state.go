package cases

// State is a case's state as the store keeps it (cases.state). Overdue
// is not a state: it is derived from the deadline.
type State string

// The states, in the order a case goes through them. A closed case that
// is reopened (更正核实结果) is dispatched again.
const (
	StateNew        State = "new"        // 待下发: opened, not yet on a list
	StateDispatched State = "dispatched" // 核实中: on a township's list, awaiting its outcome
	StateClosed     State = "closed"     // 已办结: an outcome was recorded
)

// States lists every state in order.
func States() []State { return []State{StateNew, StateDispatched, StateClosed} }

// ParseState returns the state named s, and false for any other text.
func ParseState(s string) (State, bool) {
	for _, st := range States() {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// Open reports whether a case in state s still awaits an outcome.
func (s State) Open() bool { return s == StateNew || s == StateDispatched }

// Label is the state as townships read it: 待下发, 核实中, 已办结; an
// unknown state as given.
func (s State) Label() string {
	switch s {
	case StateNew:
		return "待下发"
	case StateDispatched:
		return "核实中"
	case StateClosed:
		return "已办结"
	}
	return string(s)
}
