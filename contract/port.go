package contract

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// ListenAddress is the host address p listens on: its Address, else
// DefaultPortAddress.
func (p Port) ListenAddress() string {
	if p.Address == "" {
		return DefaultPortAddress
	}
	return p.Address
}

// Listen is the host address and port p listens on, as net.Listen takes
// it: "127.0.0.1:8080", "[::1]:8080".
func (p Port) Listen() string {
	return net.JoinHostPort(p.ListenAddress(), strconv.Itoa(p.Host))
}

// String says where p listens and where it goes: "127.0.0.1:8080 -> 80/tcp".
func (p Port) String() string {
	proto := strings.ToLower(p.Protocol)
	if proto == "" {
		proto = "tcp"
	}
	return fmt.Sprintf("%s -> %d/%s", p.Listen(), p.Guest, proto)
}
