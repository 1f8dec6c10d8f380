// Package adminsock is the local admin socket of `lipwatch serve`: a Unix
// domain socket beside the store (<store>.sock, mode 0600) through which
// the CLI asks the serve that holds the store to run a command for it, as
// amtool talks to Alertmanager. It holds the transport only: listening and
// dialling (also for paths longer than a socket address takes), the
// peer's credentials (only the user serve runs as is served), and the
// framing of the conversation. What a request means is cmd/lipwatch's.
//
// The conversation, in frames of one kind byte, a 4-byte big-endian length
// and that many bytes:
//
//	client: Request (JSON), then at most Cancel (the user interrupted)
//	server: Notice*, Started, (Stdout | Stderr | Notice)*, Exit
//
// A server refuses before Started (wrong user, another version, a setting
// it cannot apply) with Stderr and Exit: nothing was done. A client that
// sees the connection end before Started may run the command itself (serve
// was stopping); one that sees it end after Started knows the command ran
// at least in part.
package adminsock

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// Version is the protocol's version; a serve of another version refuses.
const Version = 1

// Path is the admin socket of the store at storePath.
func Path(storePath string) string { return storePath + ".sock" }

// Kinds of frame.
const (
	KindRequest byte = 'q' // client: the Request, JSON
	KindCancel  byte = 'c' // client: stop the command (Ctrl-C)
	KindNotice  byte = 'n' // server: a line for the user about the wait (not the command's output)
	KindStarted byte = 's' // server: the command runs from here
	KindStdout  byte = 'o' // server: the command's stdout
	KindStderr  byte = 'e' // server: the command's stderr
	KindExit    byte = 'x' // server: the exit status, decimal; the last frame
)

// MaxFrame bounds a frame: a request is small, output comes in pieces.
const MaxFrame = 1 << 20

// Request is what a client asks serve to run.
type Request struct {
	Version int `json:"version"`
	// Args is the command line without the program's name, flags as
	// --name=value, file paths made absolute, positional arguments after --.
	Args []string `json:"args"`
	// Store is the store the client's config names (absolute): serve
	// refuses a request for another one.
	Store string `json:"store"`
	// Env is the client's LIPWATCH_* environment that would change the
	// command's config: name -> SHA-256 of the value (hex). Serve refuses
	// when one differs from its own, since it runs with its own.
	Env map[string]string `json:"env,omitempty"`
	// Dir is the client's working directory (relative paths are resolved
	// before sending; serve logs it).
	Dir string `json:"dir,omitempty"`
}

// Peer is who is on the other end of a connection, from the kernel
// (SO_PEERCRED): not something the client says.
type Peer struct {
	PID, UID, GID int
}

// ErrPeer reports a connection from another user than the server's; the
// connection is still returned, for the server to say why it refuses.
var ErrPeer = errors.New("admin socket: peer is not serve's user")

// maxAddr is the longest path a Unix socket address holds (sun_path less
// its terminating NUL).
const maxAddr = 107

// Listener accepts admin connections from the user it runs as.
type Listener struct {
	ln   *net.UnixListener
	path string
	uid  int
	once sync.Once
}

// Listen creates the socket at path, replacing a file left there (the
// caller makes sure no live server owns it: lipwatch holds the serve lock),
// owner-only (mode 0600).
func Listen(path string) (*Listener, error) {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("admin socket %s: remove the one left by a stopped serve: %w", path, err)
	}
	addr, dir, err := address(path)
	if err != nil {
		return nil, err
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: addr, Net: "unix"})
	closeFile(dir) // the socket is in place: the name it was bound by is no longer needed
	if err != nil {
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	ln.SetUnlinkOnClose(false) // removed by path in Close: addr may be a /proc name
	// The umask (077) already made it so; a socket's mode is what guards
	// who may connect to it on Linux.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		os.Remove(path)
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	return &Listener{ln: ln, path: path, uid: os.Geteuid()}, nil
}

// Path is the socket's file.
func (l *Listener) Path() string { return l.path }

// Accept waits for a connection and reads its peer's credentials. A peer
// of another user gives the connection with ErrPeer: the caller tells it
// why and closes it. Other errors end the listener (closed).
func (l *Listener) Accept() (*Conn, Peer, error) {
	c, err := l.ln.AcceptUnix()
	if err != nil {
		return nil, Peer{}, err
	}
	p, err := peerOf(c)
	conn := newConn(c)
	if err != nil {
		return conn, p, fmt.Errorf("%w: credentials: %v", ErrPeer, err)
	}
	if p.UID != l.uid {
		return conn, p, fmt.Errorf("%w: uid %d, serve runs as uid %d", ErrPeer, p.UID, l.uid)
	}
	return conn, p, nil
}

// Close stops accepting and removes the socket file. It is safe to call
// twice.
func (l *Listener) Close() error {
	var err error
	l.once.Do(func() {
		err = l.ln.Close()
		if rerr := os.Remove(l.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
	})
	return err
}

// Dial connects to the admin socket at path. A missing socket
// (os.ErrNotExist) or one nobody listens on (syscall.ECONNREFUSED: left by
// a serve killed with -9) means no serve answers for the store.
func Dial(path string) (*Conn, error) {
	addr, dir, err := address(path)
	if err != nil {
		return nil, err
	}
	defer closeFile(dir)
	c, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: addr, Net: "unix"})
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			err = op.Err // the errno, for errors.Is
			var se *os.SyscallError
			if errors.As(err, &se) {
				err = se.Err
			}
		}
		return nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	return newConn(c), nil
}

// NoServer reports whether a Dial error means that no serve listens
// there: no socket, or a stale one.
func NoServer(err error) bool {
	return errors.Is(err, os.ErrNotExist) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.ECONNREFUSED)
}

// address is the name to bind or connect path by: path itself, or for a
// path longer than a socket address takes, the same file reached through
// an open descriptor of its directory (Linux's /proc/self/fd), which the
// caller closes when done.
func address(path string) (string, *os.File, error) {
	if len(path) <= maxAddr {
		return path, nil, nil
	}
	dir, err := os.Open(filepath.Dir(path))
	if err != nil {
		return "", nil, fmt.Errorf("admin socket %s: %w", path, err)
	}
	addr := "/proc/self/fd/" + strconv.Itoa(int(dir.Fd())) + "/" + filepath.Base(path)
	if len(addr) > maxAddr {
		dir.Close()
		return "", nil, fmt.Errorf("admin socket %s: the file name is too long for a socket (%d bytes, at most %d)", path, len(filepath.Base(path)), maxAddr)
	}
	return addr, dir, nil
}

func closeFile(f *os.File) {
	if f != nil {
		f.Close()
	}
}

// Conn is one admin conversation. Frames may be written from several
// goroutines (a command's stdout and stderr); reads are the owner's.
type Conn struct {
	c   *net.UnixConn
	r   *bufio.Reader
	wmu sync.Mutex
}

func newConn(c *net.UnixConn) *Conn {
	return &Conn{c: c, r: bufio.NewReader(c)}
}

// WriteFrame writes one frame.
func (c *Conn) WriteFrame(kind byte, p []byte) error {
	if len(p) > MaxFrame {
		return fmt.Errorf("admin socket: frame of %d bytes, at most %d", len(p), MaxFrame)
	}
	var head [5]byte
	head[0] = kind
	binary.BigEndian.PutUint32(head[1:], uint32(len(p)))
	c.wmu.Lock()
	defer c.wmu.Unlock()
	// One write: frames of concurrent writers never interleave.
	_, err := c.c.Write(append(head[:], p...))
	return err
}

// ReadFrame reads one frame; io.EOF when the other end closed between
// frames.
func (c *Conn) ReadFrame() (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(c.r, head[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		return 0, nil, err
	}
	n := binary.BigEndian.Uint32(head[1:])
	if n > MaxFrame {
		return 0, nil, fmt.Errorf("admin socket: frame of %d bytes, at most %d", n, MaxFrame)
	}
	p := make([]byte, n)
	if _, err := io.ReadFull(c.r, p); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = io.EOF
		}
		return 0, nil, err
	}
	return head[0], p, nil
}

// Exit writes the exit frame.
func (c *Conn) Exit(code int) error {
	return c.WriteFrame(KindExit, []byte(strconv.Itoa(code)))
}

// SetReadDeadline bounds the next reads (zero: no bound).
func (c *Conn) SetReadDeadline(t time.Time) error { return c.c.SetReadDeadline(t) }

// Close closes the connection.
func (c *Conn) Close() error { return c.c.Close() }

// Writer is an io.Writer that sends what is written as frames of kind.
type Writer struct {
	C    *Conn
	Kind byte
}

// Write sends p, in frames of at most MaxFrame bytes.
func (w Writer) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		k := min(len(p), MaxFrame)
		if err := w.C.WriteFrame(w.Kind, p[:k]); err != nil {
			return n, err
		}
		n += k
		p = p[k:]
	}
	return n, nil
}
