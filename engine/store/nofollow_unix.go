//go:build unix

package store

import "syscall"

// oNoFollow makes an open of a symbolic link fail: the files lipwatch
// writes beside the store (holder, serve lock) are never written through a
// link someone planted there.
const oNoFollow = syscall.O_NOFOLLOW
