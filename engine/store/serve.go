package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrServing reports that another `lipwatch serve` runs for the store.
var ErrServing = errors.New("another lipwatch serve runs for this store")

// LockServe makes sure one `lipwatch serve` runs per store: a second one
// would start, find the store busy at every tick and never run a night.
// It holds an exclusive lock (flock) on path+".serve" for as long as the
// process lives or until release is called; the file names the holder.
// The lock is the kernel's: it goes with the process, even on kill -9.
func LockServe(path string) (release func(), err error) {
	lockPath := path + ".serve"
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o700); err != nil {
		return nil, fmt.Errorf("serve lock %s: %w", lockPath, err)
	}
	f, err := os.OpenFile(lockPath, os.O_RDWR|os.O_CREATE|oNoFollow, 0o600) // never through a planted link
	if err != nil {
		return nil, fmt.Errorf("serve lock %s: %w", lockPath, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		defer f.Close()
		who := "another process"
		var h holderInfo
		if b, rerr := os.ReadFile(lockPath); rerr == nil && json.Unmarshal(b, &h) == nil && h.PID > 0 {
			who = fmt.Sprintf("pid %d on %s, since %s", h.PID, h.Host, h.Since.Format(time.RFC3339))
		}
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s; lock %s): stop it first, or let it run the nights", ErrServing, who, lockPath)
		}
		return nil, fmt.Errorf("serve lock %s: %w", lockPath, err)
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(holderInfo{PID: os.Getpid(), Command: "lipwatch serve", Host: host, Since: time.Now().UTC().Truncate(time.Second)})
	f.Truncate(0)
	f.WriteAt(b, 0)
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// HeldBy names the process that holds the store at path, from the file
// beside it (advisory: written when a process opens the store, removed
// when it closes it; a process killed with -9 leaves it). ok is false when
// there is none.
func HeldBy(path string) (command string, pid int, ok bool) {
	b, err := os.ReadFile(path + ".holder")
	if err != nil {
		return "", 0, false
	}
	var h holderInfo
	if json.Unmarshal(b, &h) != nil || h.PID <= 0 {
		return "", 0, false
	}
	return h.Command, h.PID, true
}

// ServePID is the pid the serve lock file of the store at path names: the
// serve that runs for it, or ran last (the file stays after it stops).
func ServePID(path string) (int, bool) {
	b, err := os.ReadFile(path + ".serve")
	if err != nil {
		return 0, false
	}
	var h holderInfo
	if json.Unmarshal(b, &h) != nil || h.PID <= 0 {
		return 0, false
	}
	return h.PID, true
}
