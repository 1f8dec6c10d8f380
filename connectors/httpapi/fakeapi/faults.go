package fakeapi

import "time"

// Faults make the API misbehave. Counted faults (Fail, RateLimit, Drop,
// DelayN) apply to that many of the next requests and then wear off;
// page faults (TruncatePage, RepeatPage) and an uncounted Delay stay until
// cleared. A request meets at most one of Drop, RateLimit and Fail, in
// that order, after any delay.
type Faults struct {
	// Fail answers the next Fail requests with FailStatus (default 500).
	Fail       int
	FailStatus int
	// RateLimit answers the next RateLimit requests with 429 Too Many
	// Requests and, when RetryAfter is set, that Retry-After header:
	// seconds ("1") or an HTTP date.
	RateLimit  int
	RetryAfter string
	// Drop closes the connection of the next Drop requests without
	// answering, as a crashing gateway does.
	Drop int
	// Delay holds responses this long before answering: every response,
	// or only the next DelayN when DelayN > 0. A client that gives up
	// ends the wait.
	Delay  time.Duration
	DelayN int
	// TruncatePage serves page K (1-based) cut in half: a complete HTTP
	// response whose JSON ends mid-way.
	TruncatePage int
	// RepeatPage serves page K (K >= 2) with the records of page K-1, as
	// a server whose cursor or page parameter is broken does.
	RepeatPage int
	// ErrorPage answers page K (1-based) with HTTP 200 and ErrorBody, as
	// data-sharing platforms answer errors. ErrorBody defaults to
	// DefaultErrorBody.
	ErrorPage int
	ErrorBody string
	// TotalExtra is added to the total the envelope reports, as an API
	// that counts records it does not serve (deleted ones, say) does.
	TotalExtra int
}

// DefaultErrorBody is a platform's answer to an expired token: HTTP 200,
// an error code and an empty list.
const DefaultErrorBody = `{"code":401,"msg":"令牌已过期","data":{"total":0,"items":[]}}`

// SetFaults replaces the faults in force.
func (h *Handler) SetFaults(f Faults) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.faults = f
}

// ClearFaults makes the API behave again.
func (h *Handler) ClearFaults() { h.SetFaults(Faults{}) }

// applied is what the faults do to one request.
type applied struct {
	delay        time.Duration
	drop         bool
	rateLimited  bool
	retryAfter   string
	failStatus   int
	truncatePage int
	repeatPage   int
	errorPage    int
	errorBody    string
	totalExtra   int
}

// takeFaults works out the faults of one request and uses up the
// counted ones it meets.
func (h *Handler) takeFaults() applied {
	h.mu.Lock()
	defer h.mu.Unlock()
	f := &h.faults
	a := applied{truncatePage: f.TruncatePage, repeatPage: f.RepeatPage,
		errorPage: f.ErrorPage, errorBody: f.ErrorBody, totalExtra: f.TotalExtra}
	if a.errorBody == "" {
		a.errorBody = DefaultErrorBody
	}
	if f.Delay > 0 {
		a.delay = f.Delay
		if f.DelayN > 0 {
			if f.DelayN--; f.DelayN == 0 {
				f.Delay = 0
			}
		}
	}
	switch {
	case f.Drop > 0:
		f.Drop--
		a.drop = true
	case f.RateLimit > 0:
		f.RateLimit--
		a.rateLimited, a.retryAfter = true, f.RetryAfter
	case f.Fail > 0:
		f.Fail--
		a.failStatus = f.FailStatus
		if a.failStatus == 0 {
			a.failStatus = 500
		}
	}
	return a
}
