//go:build !linux

package adminsock

import (
	"errors"
	"net"
)

// peerOf cannot tell who the peer is on this system: every connection is
// refused (ErrPeer), and the CLI runs commands itself only when serve is
// stopped.
func peerOf(c *net.UnixConn) (Peer, error) {
	return Peer{UID: -1}, errors.New("peer credentials (SO_PEERCRED) are read on Linux only")
}
