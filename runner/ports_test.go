package runner

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/contract"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// TestRunPortBusy: a host port another program holds is reported, naming
// it, before the backend starts anything.
func TestRunPortBusy(t *testing.T) {
	path, _, _ := artifact(t, "raw")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	udp, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer udp.Close()
	uport := udp.LocalAddr().(*net.UDPAddr).Port
	tests := []struct {
		p    contract.Port
		want string
	}{
		{contract.Port{Host: port, Guest: 80}, fmt.Sprintf("publishing 127.0.0.1:%d/tcp: host port in use", port)},
		// 0.0.0.0 overlaps the loopback listener.
		{contract.Port{Host: port, Guest: 80, Address: "0.0.0.0"}, fmt.Sprintf("publishing 0.0.0.0:%d/tcp: host port in use", port)},
		{contract.Port{Host: uport, Guest: 53, Protocol: "udp"}, fmt.Sprintf("publishing 127.0.0.1:%d/udp: host port in use", uport)},
	}
	for _, tt := range tests {
		be := &fake{name: "fake"}
		withBackends(t, be)
		_, err := Run(context.Background(), path, Config{Backend: "fake", Ports: []contract.Port{tt.p}})
		if !errors.Is(err, ErrPortBusy) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("-p %s: Run = %v; want %q", tt.p, err, tt.want)
		}
		if be.ran {
			t.Errorf("-p %s: the backend ran on a busy port", tt.p)
		}
	}
}

func TestCheckPortsFree(t *testing.T) {
	if err := checkPortsFree([]contract.Port{{Host: freePort(t), Guest: 80, Protocol: "tcp", Address: "127.0.0.1"}}); err != nil {
		t.Errorf("a free port: %v", err)
	}
	// TEST-NET-2 is nobody's address.
	err := checkPortsFree([]contract.Port{{Host: freePort(t), Guest: 80, Protocol: "tcp", Address: "198.51.100.77"}})
	if !errors.Is(err, ErrPortAddress) || !strings.Contains(err.Error(), "198.51.100.77 is not an address of this host") {
		t.Errorf("a foreign address: %v", err)
	}
}
