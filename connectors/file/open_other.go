//go:build !unix

package file

import "os"

// openFlags open a file for reading. Systems other than Unix have no
// named pipes in the file system that an open could wait on.
const openFlags = os.O_RDONLY
