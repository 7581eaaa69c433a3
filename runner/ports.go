package runner

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/hyperbuild/hyper/contract"
)

// mergePorts publishes the user's ports and the artifact's, the user's
// winning for the same host port and protocol (whatever the address, as
// the pod file publishes a port once per protocol). A host port of 0
// means the guest port's number; no address means
// contract.DefaultPortAddress, this host only.
func mergePorts(user, spec []contract.Port) []contract.Port {
	var out []contract.Port
	seen := map[string]bool{}
	for _, p := range append(append([]contract.Port(nil), user...), spec...) {
		if p.Host == 0 {
			p.Host = p.Guest
		}
		p.Protocol = strings.ToLower(p.Protocol)
		if p.Protocol == "" {
			p.Protocol = "tcp"
		}
		p.Address = p.ListenAddress()
		k := fmt.Sprintf("%s/%d", p.Protocol, p.Host)
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, p)
	}
	return out
}

// checkPortsFree binds each port's host address and port and lets go at
// once, so that a port another program holds is reported, naming it,
// before the VM starts (QEMU would fail with its own words, or a VMM
// after the boot). A program that takes the port in between still wins.
func checkPortsFree(ports []contract.Port) error {
	for _, p := range ports {
		var err error
		if p.Protocol == "udp" {
			var c net.PacketConn
			if c, err = net.ListenPacket("udp", p.Listen()); err == nil {
				c.Close()
			}
		} else {
			var l net.Listener
			if l, err = net.Listen("tcp", p.Listen()); err == nil {
				l.Close()
			}
		}
		if err != nil {
			return portError(p, err)
		}
	}
	return nil
}

func portError(p contract.Port, err error) error {
	where := fmt.Sprintf("publishing %s/%s", p.Listen(), p.Protocol)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return fmt.Errorf("%s: %w: another program uses it; publish on another host port (-p %s) or stop that program", where, ErrPortBusy, otherPort(p))
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return fmt.Errorf("%s: %w: %s is not an address of this host", where, ErrPortAddress, p.ListenAddress())
	case errors.Is(err, syscall.EACCES):
		return fmt.Errorf("%s: %w: ports below 1024 need root (or a lower net.ipv4.ip_unprivileged_port_start); publish on a higher one (-p %s)", where, ErrPortAddress, otherPort(p))
	}
	return fmt.Errorf("%s: %w", where, err)
}

// otherPort is -p's value for p on another host port, as an example.
func otherPort(p contract.Port) string {
	host := p.Host + 10000
	if host > 65535 {
		host = 18080
	}
	q := p
	q.Host = host
	s := fmt.Sprintf("%d:%d", q.Host, q.Guest)
	if q.Address != "" && q.Address != contract.DefaultPortAddress {
		s = strings.TrimSuffix(q.Listen(), fmt.Sprintf(":%d", q.Host)) + ":" + s
	}
	if q.Protocol == "udp" {
		s += "/udp"
	}
	return s
}

// announcePorts says where each published port listens, one line each.
func announcePorts(w io.Writer, ports []contract.Port) {
	for _, p := range ports {
		fmt.Fprintf(w, "hyperboot: port %s\n", p)
	}
}
