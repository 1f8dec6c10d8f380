package file

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
)

// openRegular opens a matched file for reading and checks, on the file it
// opened, that it is a regular file. The path was checked when it was
// matched, but what is there when it is opened is what counts: a named
// pipe put in its place since would be read for as long as something
// writes to it, and a device such as /dev/zero never ends. The open itself
// does not wait for a pipe's writer (openFlags). The error names no file:
// callers name it (fileError).
func openRegular(path string) (*os.File, error) {
	f, err := os.OpenFile(path, openFlags, 0)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, &notRegularError{mode: fi.Mode()}
	}
	return f, nil
}

// notRegularError is openRegular's refusal of a file that is not a
// regular one.
type notRegularError struct{ mode fs.FileMode }

func (e *notRegularError) Error() string {
	return fmt.Sprintf("not a regular file but a %s (put in place of the file matched?): only regular files are read (a pipe would block the sync, a device never ends)",
		specialKind(e.mode))
}

// specialKind names what a file that is not a regular one is.
func specialKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&fs.ModeSocket != 0:
		return "socket"
	case m&fs.ModeDevice != 0:
		return "device"
	case m.IsDir():
		return "directory"
	}
	return "special file"
}

// ctxReader stops a read when its context is done: every Read first
// checks the context, so that the sync's timeout (sync.source_timeout) or
// an interrupt ends the reading of a file at its next read, whatever the
// format's reader is doing with the bytes. The error is the context's
// (context.DeadlineExceeded or context.Canceled).
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads unless the context is done.
func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}

// ctxFile is a file read at offsets (a workbook's zip archive, a Parquet
// file) that stops, as ctxReader does, when its context is done.
type ctxFile struct {
	ctx context.Context
	f   *os.File
}

// ReadAt reads unless the context is done.
func (c *ctxFile) ReadAt(p []byte, off int64) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.f.ReadAt(p, off)
}

// Seek sets the file's offset for the next Read.
func (c *ctxFile) Seek(offset int64, whence int) (int64, error) {
	return c.f.Seek(offset, whence)
}

// Read reads unless the context is done.
func (c *ctxFile) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.f.Read(p)
}
