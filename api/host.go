package api

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// The environment variables that say where hyperd is.
const (
	// EnvHost names hyperd's address for clients (unix:///PATH or
	// tcp://HOST:PORT); hyperd listens there when --host is not given.
	EnvHost = "HYPER_HOST"
	// EnvRoot names hyperd's state directory; its socket is
	// ROOT/hyperd.sock unless HYPER_HOST says otherwise.
	EnvRoot = "HYPER_ROOT"
	// SocketName is the API socket's name in the state directory.
	SocketName = "hyperd.sock"
	// MaxSocketPath is the longest path a unix socket can have on Linux
	// (sun_path is 108 bytes with its NUL).
	MaxSocketPath = 107
)

// DefaultRoot is hyperd's state directory: $HYPER_ROOT; for root
// /run/hyper; for a user $XDG_RUNTIME_DIR/hyper, else
// $TMPDIR/hyper-UID. Everything there is the daemon's: the socket, and
// each pod's state, logs and supervisor socket.
func DefaultRoot() string {
	if r := os.Getenv(EnvRoot); r != "" {
		return r
	}
	if os.Geteuid() == 0 {
		return "/run/hyper"
	}
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "hyper")
	}
	return filepath.Join(os.TempDir(), "hyper-"+strconv.Itoa(os.Geteuid()))
}

// DefaultHost is where clients find hyperd: $HYPER_HOST, else the socket
// in DefaultRoot.
func DefaultHost() string {
	if h := os.Getenv(EnvHost); h != "" {
		return h
	}
	return "unix://" + filepath.Join(DefaultRoot(), SocketName)
}

// Host is a parsed address: a unix socket's path, or a TCP host:port.
type Host struct {
	Network string // "unix" or "tcp"
	Address string
}

func (h Host) String() string { return h.Network + "://" + h.Address }

// ParseHost reads unix:///PATH (or a bare absolute PATH) and
// tcp://HOST:PORT.
func ParseHost(s string) (Host, error) {
	switch {
	case strings.HasPrefix(s, "unix://"):
		p := strings.TrimPrefix(s, "unix://")
		return unixHost(s, p)
	case strings.HasPrefix(s, "/"):
		return unixHost(s, s)
	case strings.HasPrefix(s, "tcp://"):
		a := strings.TrimSuffix(strings.TrimPrefix(s, "tcp://"), "/")
		h, port, err := net.SplitHostPort(a)
		if err != nil || port == "" {
			return Host{}, fmt.Errorf("host %q: want tcp://HOST:PORT", s)
		}
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return Host{}, fmt.Errorf("host %q: port %q: want 1..65535", s, port)
		}
		return Host{Network: "tcp", Address: net.JoinHostPort(h, port)}, nil
	}
	return Host{}, fmt.Errorf("host %q: want unix:///PATH or tcp://HOST:PORT", s)
}

func unixHost(s, p string) (Host, error) {
	if !filepath.IsAbs(p) {
		return Host{}, fmt.Errorf("host %q: want an absolute socket path, unix:///PATH", s)
	}
	if len(p) > MaxSocketPath {
		return Host{}, fmt.Errorf("host %q: a socket path has at most %d bytes, this one %d: choose a shorter one", s, MaxSocketPath, len(p))
	}
	return Host{Network: "unix", Address: filepath.Clean(p)}, nil
}
