package usernet

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/containers/gvisor-tap-vsock/pkg/services/forwarder"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"

	"github.com/hyperbuild/hyper/contract"
)

const (
	// maxConns bounds the TCP connections relayed at once, over every
	// published port: each costs two sockets and two goroutines.
	maxConns = 1024
	// dialTimeout bounds the connection to the guest's port: a guest that
	// does not answer (not booted yet, nothing listening and no RST) costs
	// the client this long.
	dialTimeout = 10 * time.Second
)

// forwards are the published ports: host listeners relaying to the guest.
type forwards struct {
	stack   *stack.Stack
	guest   tcpip.Address
	ctx     context.Context
	cancel  context.CancelFunc
	mu      sync.Mutex
	closers []io.Closer
	conns   map[net.Conn]struct{}
	closed  bool
	wg      sync.WaitGroup
}

func newForwards(s *stack.Stack, guest tcpip.Address) *forwards {
	ctx, cancel := context.WithCancel(context.Background())
	return &forwards{stack: s, guest: guest, ctx: ctx, cancel: cancel, conns: map[net.Conn]struct{}{}}
}

// publish listens on p's host address and port and relays to the guest.
func (f *forwards) publish(p contract.Port) error {
	if p.Host == 0 {
		p.Host = p.Guest
	}
	if p.Guest < 1 || p.Guest > 65535 || p.Host < 1 || p.Host > 65535 {
		return fmt.Errorf("publishing %d:%d: %w: ports are 1 to 65535", p.Host, p.Guest, ErrPort)
	}
	to := tcpip.FullAddress{NIC: nicID, Addr: f.guest, Port: uint16(p.Guest)}
	switch proto := strings.ToLower(p.Protocol); proto {
	case "", "tcp":
		l, err := net.Listen("tcp", p.Listen())
		if err != nil {
			return fmt.Errorf("publishing %s/tcp: %w", p.Listen(), err)
		}
		f.add(l)
		f.wg.Add(1)
		go f.serveTCP(l, to)
	case "udp":
		ua, err := net.ResolveUDPAddr("udp", p.Listen())
		if err != nil {
			return fmt.Errorf("publishing %s/udp: %w", p.Listen(), err)
		}
		l, err := net.ListenUDP("udp", ua)
		if err != nil {
			return fmt.Errorf("publishing %s/udp: %w", p.Listen(), err)
		}
		proxy, err := forwarder.NewUDPProxy(l, func() (net.Conn, error) {
			return gonet.DialUDP(f.stack, nil, &to, ipv4.ProtocolNumber)
		})
		if err != nil {
			l.Close()
			return fmt.Errorf("publishing %s/udp: %w", p.Listen(), err)
		}
		f.add(proxy)
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			proxy.Run()
		}()
	default:
		return fmt.Errorf("publishing %d/%s: %w: tcp or udp", p.Guest, p.Protocol, ErrPort)
	}
	return nil
}

func (f *forwards) add(c io.Closer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.closers = append(f.closers, c)
}

// track adds c to the connections Close ends, unless there are too many
// or the forwards are closed.
func (f *forwards) track(c net.Conn) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.closed || len(f.conns) >= maxConns {
		return false
	}
	f.conns[c] = struct{}{}
	return true
}

func (f *forwards) untrack(c net.Conn) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.conns, c)
}

// serveTCP accepts clients on l until it is closed.
func (f *forwards) serveTCP(l net.Listener, to tcpip.FullAddress) {
	defer f.wg.Done()
	for {
		c, err := l.Accept()
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil { // EMFILE and the like: try again shortly
			select {
			case <-f.ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
			continue
		}
		if !f.track(c) {
			c.Close()
			continue
		}
		f.wg.Add(1)
		go func() {
			defer f.wg.Done()
			defer f.untrack(c)
			defer c.Close()
			f.relay(c, to)
		}()
	}
}

// relay connects to the guest's port and copies both ways; a guest that
// refuses resets the client.
func (f *forwards) relay(c net.Conn, to tcpip.FullAddress) {
	ctx, cancel := context.WithTimeout(f.ctx, dialTimeout)
	g, err := gonet.DialContextTCP(ctx, f.stack, to, ipv4.ProtocolNumber)
	cancel()
	if err != nil {
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // the client sees a reset, as the guest's
		}
		return
	}
	if !f.track(g) {
		g.Close()
		return
	}
	defer f.untrack(g)
	defer g.Close()
	splice(c, g)
}

type halfCloser interface{ CloseWrite() error }

// splice copies a to b and b to a. A side that ends cleanly (EOF) ends
// the other side's writing and waits for its reply; one that fails ends
// both.
func splice(a, b net.Conn) {
	done := make(chan error, 2)
	cp := func(dst, src net.Conn) {
		_, err := io.Copy(dst, src)
		if hc, ok := dst.(halfCloser); ok && err == nil {
			hc.CloseWrite()
		} else {
			dst.Close()
			src.Close()
		}
		done <- err
	}
	go cp(a, b)
	go cp(b, a)
	if err := <-done; err != nil {
		a.Close()
		b.Close()
	}
	<-done
}

// close stops listening, ends every relayed connection and waits for the
// relays.
func (f *forwards) close() {
	f.mu.Lock()
	f.closed = true
	closers, conns := f.closers, f.conns
	f.closers, f.conns = nil, map[net.Conn]struct{}{}
	f.mu.Unlock()
	f.cancel()
	for _, c := range closers {
		c.Close()
	}
	for c := range conns {
		c.Close()
	}
	f.wg.Wait()
}
