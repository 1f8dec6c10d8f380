//go:build unix

package file

import (
	"os"
	"syscall"
)

// openFlags open a file for reading without waiting: opening a named pipe
// for reading blocks until a writer opens it, unless O_NONBLOCK is set. A
// regular file reads as usual with the flag.
const openFlags = os.O_RDONLY | syscall.O_NONBLOCK
