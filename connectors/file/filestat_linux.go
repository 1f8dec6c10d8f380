package file

import (
	"fmt"
	"os"
	"syscall"
	"time"
)

// FileStat says what the file system says of the file (connectors.FileStater):
// "size:mtime:ctime:inode:device", times in ns, and the later of its
// modification and change times; "" for a path that is no regular file
// or cannot be stat'ed (it is then hashed, or fails to open).
func (s *stream) FileStat() (string, time.Time) {
	fi, err := os.Stat(s.path)
	if err != nil || !fi.Mode().IsRegular() {
		return "", time.Time{}
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return "", time.Time{}
	}
	mtime, ctime := time.Unix(st.Mtim.Unix()), time.Unix(st.Ctim.Unix())
	changed := mtime
	if ctime.After(changed) {
		changed = ctime
	}
	return fmt.Sprintf("%d:%d:%d:%d:%d", fi.Size(), mtime.UnixNano(), ctime.UnixNano(), st.Ino, st.Dev), changed
}
