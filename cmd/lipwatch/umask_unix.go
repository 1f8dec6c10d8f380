//go:build unix

package main

import "syscall"

// Every file lipwatch creates holds, or may hold, personal data: the
// store, DuckDB's WAL and spill files beside it, lists, exports, the
// holder and lock files. A umask of 077 makes each of them private to the
// user lipwatch runs as, whatever the mode a library asks for, and in
// whatever directory the operator configured (a directory lipwatch did
// not create is never chmod'ed). Whoever carries the lists to townships
// runs as, or reads them through, that user.
func init() { syscall.Umask(0o077) }
