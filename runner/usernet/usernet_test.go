package usernet

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/hyperbuild/hyper/contract"
)

func freePort(t *testing.T, network string) int {
	t.Helper()
	if network == "udp" {
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func newNet(t *testing.T, ports ...contract.Port) *Network {
	t.Helper()
	n, err := New(Config{MAC: guestMAC, Ports: ports})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// TestPublishedTCP: a client on the host reaches the guest's HTTP server
// through a published port, for a small answer and a large one.
func TestPublishedTCP(t *testing.T) {
	host := freePort(t, "tcp")
	n := newNet(t, contract.Port{Host: host, Guest: 80})
	g := fakeGuest(t, n.NIC())
	l, err := gonet.ListenTCP(g, tcpip.FullAddress{NIC: 1, Addr: addr(GuestIP), Port: 80}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 1<<16) // 1 MiB
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/big" {
			w.Write(big)
			return
		}
		fmt.Fprint(w, "hello from the guest")
	})}
	go srv.Serve(l)
	defer srv.Close()

	for _, tt := range []struct {
		path string
		want []byte
	}{{"/", []byte("hello from the guest")}, {"/big", big}} {
		c := &http.Client{Timeout: 30 * time.Second}
		resp, err := c.Get(fmt.Sprintf("http://127.0.0.1:%d%s", host, tt.path))
		if err != nil {
			t.Fatalf("GET %s: %v", tt.path, err)
		}
		got, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || !bytes.Equal(got, tt.want) {
			t.Errorf("GET %s = %d bytes, %v; want %d bytes", tt.path, len(got), err, len(tt.want))
		}
	}
}

// TestPublishedClosedPort: nothing listens on the guest's port, so the
// client's connection ends at once rather than hanging.
func TestPublishedClosedPort(t *testing.T) {
	host := freePort(t, "tcp")
	n := newNet(t, contract.Port{Host: host, Guest: 81})
	fakeGuest(t, n.NIC())
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", host))
	if err != nil {
		return // reset before the connect returned: as good
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(dialTimeout + 10*time.Second))
	if k, err := c.Read(make([]byte, 1)); err == nil {
		t.Errorf("read %d bytes from a port nothing listens on", k)
	} else if errors.Is(err, syscall.ETIMEDOUT) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("read = %v, want the connection closed", err)
	}
}

// TestPublishedUDP: a datagram to the host port reaches the guest's UDP
// socket and its answer comes back.
func TestPublishedUDP(t *testing.T) {
	host := freePort(t, "udp")
	n := newNet(t, contract.Port{Host: host, Guest: 53, Protocol: "udp"})
	g := fakeGuest(t, n.NIC())
	uc, err := gonet.DialUDP(g, &tcpip.FullAddress{NIC: 1, Addr: addr(GuestIP), Port: 53}, nil, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	go func() {
		buf := make([]byte, 1500)
		for {
			k, from, err := uc.ReadFrom(buf)
			if err != nil {
				return
			}
			uc.WriteTo(append([]byte("echo "), buf[:k]...), from)
		}
	}()
	c, err := net.Dial("udp", fmt.Sprintf("127.0.0.1:%d", host))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	buf := make([]byte, 100)
	for try := 0; ; try++ { // the first datagram may wait for ARP
		c.Write([]byte("ping"))
		c.SetReadDeadline(time.Now().Add(2 * time.Second))
		k, err := c.Read(buf)
		if err == nil {
			if got := string(buf[:k]); got != "echo ping" {
				t.Errorf("answer %q, want %q", got, "echo ping")
			}
			return
		}
		if try == 5 {
			t.Fatalf("no answer from the guest: %v", err)
		}
	}
}

// TestDNS: the guest's resolver at DNS answers with the host's: a name
// that does not exist is NXDOMAIN, and a name the host resolves (the Go
// module proxy's, where this host can resolve it) has the host's
// addresses.
func TestDNS(t *testing.T) {
	n := newNet(t)
	g := fakeGuest(t, n.NIC())
	m := guestQuery(t, g, "hyper-test.invalid.")
	if m.Header.RCode != dnsmessage.RCodeNameError || m.Header.ID != 7 || !m.Header.Response {
		t.Errorf("answer for an invalid name: %+v, want NXDOMAIN to query 7", m.Header)
	}
	const name = "proxy.golang.org."
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ips, err := net.DefaultResolver.LookupIPAddr(ctx, name)
	if err != nil {
		t.Skipf("this host does not resolve %s: %v", name, err)
	}
	want := map[[4]byte]bool{}
	for _, ip := range ips {
		if v4 := ip.IP.To4(); v4 != nil {
			want[[4]byte(v4)] = true
		}
	}
	m = guestQuery(t, g, name)
	got := 0
	for _, a := range m.Answers {
		if r, ok := a.Body.(*dnsmessage.AResource); ok {
			got++
			if !want[r.A] {
				t.Errorf("%s: %v, not one of the host's %v", name, r.A, ips)
			}
		}
	}
	if got == 0 && len(want) > 0 {
		t.Errorf("%s: no A records (%+v), the host has %v", name, m.Header, ips)
	}
}

// guestQuery asks DNS for name's A records from the guest.
func guestQuery(t *testing.T, g *stack.Stack, name string) dnsmessage.Message {
	t.Helper()
	uc, err := gonet.DialUDP(g, nil, &tcpip.FullAddress{NIC: 1, Addr: addr(DNS), Port: 53}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer uc.Close()
	q, err := (&dnsmessage.Message{
		Header:    dnsmessage.Header{ID: 7, RecursionDesired: true},
		Questions: []dnsmessage.Question{{Name: dnsmessage.MustNewName(name), Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}},
	}).Pack()
	if err != nil {
		t.Fatal(err)
	}
	uc.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := uc.Write(q); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1500)
	k, err := uc.Read(buf)
	if err != nil {
		t.Fatalf("no DNS answer for %s: %v", name, err)
	}
	var m dnsmessage.Message
	if err := m.Unpack(buf[:k]); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestOutbound: the guest connects to a server on the host's own
// (non-loopback) address through the gateway's NAT.
func TestOutbound(t *testing.T) {
	ip := hostIPv4(t)
	l, err := net.Listen("tcp", net.JoinHostPort(ip.String(), "0"))
	if err != nil {
		t.Skipf("listening on %s: %v", ip, err)
	}
	defer l.Close()
	go func() {
		c, err := l.Accept()
		if err == nil {
			c.Write([]byte("hello from the host"))
			c.Close()
		}
	}()
	n := newNet(t)
	g := fakeGuest(t, n.NIC())
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	to := tcpip.FullAddress{NIC: 1, Addr: tcpip.AddrFrom4Slice(ip.To4()), Port: uint16(l.Addr().(*net.TCPAddr).Port)}
	c, err := gonet.DialContextTCP(ctx, g, to, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatalf("guest dialing %s: %v", l.Addr(), err)
	}
	defer c.Close()
	got, err := io.ReadAll(c)
	if string(got) != "hello from the host" {
		t.Errorf("guest read %q, %v", got, err)
	}
}

func hostIPv4(t *testing.T) net.IP {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() {
			return n.IP
		}
	}
	t.Skip("this host has no IPv4 address besides loopback")
	return nil
}

// TestPortBusy: a port another program holds is an error naming it, and
// the ports published before it are let go.
func TestPortBusy(t *testing.T) {
	first := freePort(t, "tcp")
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	bp := busy.Addr().(*net.TCPAddr).Port
	_, err = New(Config{MAC: guestMAC, Ports: []contract.Port{{Host: first, Guest: 80}, {Host: bp, Guest: 81}}})
	if !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("New with a busy port = %v, want EADDRINUSE", err)
	}
	if want := fmt.Sprintf("127.0.0.1:%d/tcp", bp); !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Errorf("error %q does not name %s", err, want)
	}
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", first))
	if err != nil {
		t.Errorf("the first port is still held: %v", err)
	} else {
		l.Close()
	}
}

// TestBadPorts: what cannot be published is refused before listening.
func TestBadPorts(t *testing.T) {
	for _, p := range []contract.Port{{Host: 8080, Guest: 0}, {Host: 70000, Guest: 80}, {Host: 8080, Guest: 80, Protocol: "sctp"}} {
		if _, err := New(Config{MAC: guestMAC, Ports: []contract.Port{p}}); !errors.Is(err, ErrPort) {
			t.Errorf("New(%+v) = %v, want ErrPort", p, err)
		}
	}
}

// TestCloseReleases: after Close the host port is free again and a
// connection relayed through it has ended.
func TestCloseReleases(t *testing.T) {
	host := freePort(t, "tcp")
	n, err := New(Config{MAC: guestMAC, Ports: []contract.Port{{Host: host, Guest: 80}}})
	if err != nil {
		t.Fatal(err)
	}
	g := fakeGuest(t, n.NIC())
	l, err := gonet.ListenTCP(g, tcpip.FullAddress{NIC: 1, Addr: addr(GuestIP), Port: 80}, ipv4.ProtocolNumber)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Write([]byte("x")) // then holds the connection open
		}
	}()
	c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", host))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	if _, err := io.ReadFull(c, make([]byte, 1)); err != nil {
		t.Fatalf("relay: %v", err)
	}
	closed := make(chan struct{})
	go func() {
		n.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Fatal("Close did not return")
	}
	if _, err := c.Read(make([]byte, 1)); err == nil {
		t.Error("the relayed connection is still open after Close")
	}
	l2, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", host))
	if err != nil {
		t.Errorf("the host port is still held after Close: %v", err)
	} else {
		l2.Close()
	}
}

// TestCloseLeavesNothing: after Close, the goroutines the network started
// (netstack, DNS servers, relays) have ended; a VMM in a long-lived
// process (hyperd's shim) runs one network per VM.
func TestCloseLeavesNothing(t *testing.T) {
	before := runtime.NumGoroutine()
	for range 3 {
		host := freePort(t, "tcp")
		n, err := New(Config{MAC: guestMAC, Ports: []contract.Port{{Host: host, Guest: 80}, {Host: host, Guest: 53, Protocol: "udp"}}})
		if err != nil {
			t.Fatal(err)
		}
		n.Close()
	}
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if after := runtime.NumGoroutine(); after > before {
		buf := make([]byte, 1<<20)
		t.Errorf("%d goroutines before, %d after three networks closed:\n%s", before, after, buf[:runtime.Stack(buf, true)])
	}
}
