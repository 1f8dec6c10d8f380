// Package crashpoint kills the process with SIGKILL at a named point when
// the environment asks for it, so that the kill -9 tests can stop lipwatch
// exactly where a crash hurts most (between recording a dispatch and
// writing its files, say) as well as at random moments.
//
// LIPWATCH_CRASH_AT=name kills at the first time Here(name) is reached;
// name#n at the n-th time. Unset, Here costs one map lookup of a value
// read once at start. It is a test hook: never set it on a county's server.
package crashpoint

import (
	"os"
	"strconv"
	"strings"
	"sync"
)

// Env is the environment variable naming the crash point.
const Env = "LIPWATCH_CRASH_AT"

var (
	once   sync.Once
	target string
	nth    = 1
	mu     sync.Mutex
	seen   int
)

func load() {
	v := os.Getenv(Env)
	name, n, ok := strings.Cut(v, "#")
	target = name
	if ok {
		if k, err := strconv.Atoi(n); err == nil && k > 0 {
			nth = k
		}
	}
}

// Here kills the process with SIGKILL if it is the point (and the time)
// LIPWATCH_CRASH_AT names; otherwise it returns at once.
func Here(name string) {
	once.Do(load)
	if target == "" || name != target {
		return
	}
	mu.Lock()
	seen++
	hit := seen == nth
	mu.Unlock()
	if hit {
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			_ = p.Kill() // SIGKILL on Unix: no deferred function runs
		}
		select {} // the signal is on its way
	}
}
