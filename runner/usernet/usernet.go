package usernet

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"

	"github.com/containers/gvisor-tap-vsock/pkg/services/dns"
	"github.com/containers/gvisor-tap-vsock/pkg/services/forwarder"
	"github.com/containers/gvisor-tap-vsock/pkg/tap"
	"github.com/sirupsen/logrus"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/adapters/gonet"
	"gvisor.dev/gvisor/pkg/tcpip/network/arp"
	"gvisor.dev/gvisor/pkg/tcpip/network/ipv4"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
	"gvisor.dev/gvisor/pkg/tcpip/transport/icmp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/tcp"
	"gvisor.dev/gvisor/pkg/tcpip/transport/udp"

	"github.com/hyperbuild/hyper/contract"
)

// The guest's network, as QEMU's slirp has it (see the package doc).
const (
	Subnet  = "10.0.2.0/24"
	GuestIP = "10.0.2.15/24"
	Gateway = "10.0.2.2"
	DNS     = "10.0.2.3"
)

// GatewayMAC is the gateway's Ethernet address (slirp's: 52:55 and the
// gateway's IPv4 address).
var GatewayMAC = [6]byte{0x52, 0x55, 10, 0, 2, 2}

const nicID tcpip.NICID = 1

// Errors callers can check with errors.Is.
var (
	// ErrNetstack: the gateway could not be set up (a bug, not the host).
	ErrNetstack = errors.New("setting up the user-mode network")
	// ErrPort: a published port is not one this network can publish.
	ErrPort = errors.New("invalid published port")
)

// Config is one guest's network.
type Config struct {
	// MAC is the guest NIC's address: the only source the gateway accepts
	// and the only destination it sends to besides broadcast.
	MAC [6]byte
	// Ports are published from the host to the guest (Host 0: Guest's
	// number; no Address: contract.DefaultPortAddress; tcp or udp).
	Ports []contract.Port
}

// Network is a running gateway for one guest. Close it when the VM has
// stopped.
type Network struct {
	stack *stack.Stack
	nic   *NIC
	fwd   *forwards
}

// New starts the gateway and listens on every published port: a port
// that cannot be published (busy, not an address of this host) is an
// error naming it, and nothing is left open.
func New(cfg Config) (_ *Network, err error) {
	quietLibraryLogs()
	n := &Network{nic: newNIC(cfg.MAC, GatewayMAC)}
	if n.stack, err = newStack(n.nic); err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			n.Close()
		}
	}()
	if err := serveDNS(n.stack); err != nil {
		return n, err
	}
	n.fwd = newForwards(n.stack, addr(GuestIP))
	for _, p := range cfg.Ports {
		if err := n.fwd.publish(p); err != nil {
			return n, err
		}
	}
	return n, nil
}

// NIC is the guest's end of the wire, for the VM's virtio-net device.
func (n *Network) NIC() *NIC { return n.nic }

// Close stops the published ports (their listeners and the connections
// through them) and the gateway. It waits for the relays it started.
func (n *Network) Close() error {
	n.nic.Close()
	if n.fwd != nil {
		n.fwd.close()
	}
	n.stack.Close()
	n.stack.Wait()
	return nil
}

// newStack is gvisor-tap-vsock's gateway (virtualnetwork.New without
// its switch, DHCP and HTTP services, which a VMM with one NIC and a
// static guest address does not need, and with a Close): IPv4, ARP,
// TCP, UDP and ICMP on one NIC whose link is nic, addresses Gateway and
// DNS, and NAT forwarders that make the guest's outbound connections on
// the host.
func newStack(nic *NIC) (*stack.Stack, error) {
	gw := net.HardwareAddr(GatewayMAC[:]).String()
	link, err := tap.NewLinkEndpoint(false, MTU, gw, Gateway, []string{DNS})
	if err != nil {
		return nil, fmt.Errorf("%w: link: %w", ErrNetstack, err)
	}
	link.Connect(nic)
	nic.link = link
	s := stack.New(stack.Options{
		NetworkProtocols:   []stack.NetworkProtocolFactory{ipv4.NewProtocol, arp.NewProtocol},
		TransportProtocols: []stack.TransportProtocolFactory{tcp.NewProtocol, udp.NewProtocol, icmp.NewProtocol4},
	})
	fail := func(what string, e tcpip.Error) (*stack.Stack, error) {
		s.Close()
		s.Wait()
		return nil, fmt.Errorf("%w: %s: %s", ErrNetstack, what, e)
	}
	if e := s.CreateNIC(nicID, link); e != nil {
		return fail("creating the NIC", e)
	}
	for _, a := range []string{Gateway, DNS} {
		pa := tcpip.ProtocolAddress{Protocol: ipv4.ProtocolNumber, AddressWithPrefix: addr(a).WithPrefix()}
		if e := s.AddProtocolAddress(nicID, pa, stack.AddressProperties{}); e != nil {
			return fail("adding "+a, e)
		}
	}
	// Spoofing and promiscuous mode: the gateway answers for every
	// address the guest sends to, which is how the forwarders see them.
	s.SetSpoofing(nicID, true)
	s.SetPromiscuousMode(nicID, true)
	prefix := netip.MustParsePrefix(Subnet)
	subnet, err := tcpip.NewSubnet(tcpip.AddrFrom4(prefix.Addr().As4()), tcpip.MaskFromBytes(net.CIDRMask(prefix.Bits(), 32)))
	if err != nil {
		s.Close()
		s.Wait()
		return nil, fmt.Errorf("%w: subnet: %w", ErrNetstack, err)
	}
	s.SetRouteTable([]tcpip.Route{{Destination: subnet, NIC: nicID}})
	var natLock sync.Mutex
	nat := map[tcpip.Address]tcpip.Address{} // no host addresses behind the gateway
	s.SetTransportProtocolHandler(tcp.ProtocolNumber, forwarder.TCP(s, nat, &natLock, false).HandlePacket)
	s.SetTransportProtocolHandler(udp.ProtocolNumber, forwarder.UDP(s, nat, &natLock, false).HandlePacket)
	return s, nil
}

// serveDNS answers DNS on DNS:53, UDP and TCP, with the host's resolvers.
// The servers end when the stack closes their endpoints.
func serveDNS(s *stack.Stack) error {
	at := tcpip.FullAddress{NIC: nicID, Addr: addr(DNS), Port: 53}
	uc, err := gonet.DialUDP(s, &at, nil, ipv4.ProtocolNumber)
	if err != nil {
		return fmt.Errorf("%w: dns on udp: %w", ErrNetstack, err)
	}
	tl, err := gonet.ListenTCP(s, at, ipv4.ProtocolNumber)
	if err != nil {
		uc.Close()
		return fmt.Errorf("%w: dns on tcp: %w", ErrNetstack, err)
	}
	srv, err := dns.New(uc, tl, nil)
	if err != nil {
		uc.Close()
		tl.Close()
		return fmt.Errorf("%w: dns: %w", ErrNetstack, err)
	}
	go srv.Serve()
	go srv.ServeTCP()
	return nil
}

// addr is a's IPv4 address ("10.0.2.15/24" or "10.0.2.2"), for the
// package's own constants.
func addr(a string) tcpip.Address {
	if p, err := netip.ParsePrefix(a); err == nil {
		return tcpip.AddrFrom4(p.Addr().As4())
	}
	return tcpip.AddrFrom4(netip.MustParseAddr(a).As4())
}

var quietOnce sync.Once

// quietLibraryLogs silences logrus, through which gvisor-tap-vsock
// reports each connection the guest or a client drops (and every relay
// ending at Close) on stderr: that is the pod's stderr here. Nothing else
// in this program logs through logrus.
func quietLibraryLogs() {
	quietOnce.Do(func() { logrus.SetOutput(io.Discard) })
}
