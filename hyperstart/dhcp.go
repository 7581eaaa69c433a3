package hyperstart

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A minimal DHCPv4 client (RFC 2131): DISCOVER, OFFER, REQUEST, ACK over a
// UDP socket bound to the interface, with the broadcast flag set so that
// replies reach a host that has no address yet. u-root's dhclient pulls
// in vishvananda/netlink and insomniacslk/dhcp (not in this module's
// graph, and several MiB); a pod VM needs one lease at boot, no renewal
// (the VM lives shorter than any lease QEMU or a cloud hands out).

// Lease is what a DHCP server gave.
type Lease struct {
	Addr   netip.Prefix
	Router netip.Addr
	DNS    []netip.Addr
}

// DHCP message types and options used.
const (
	dhcpDiscover = 1
	dhcpOffer    = 2
	dhcpRequest  = 3
	dhcpAck      = 5
	dhcpNak      = 6

	optSubnetMask = 1
	optRouter     = 3
	optDNS        = 6
	optRequested  = 50
	optMsgType    = 53
	optServerID   = 54
	optParamList  = 55
	optEnd        = 255

	dhcpMagic  = 0x63825363
	dhcpHeader = 240
)

var errNoLease = errors.New("no DHCP lease")

// dhcpMessage builds a BOOTREQUEST of the given type.
func dhcpMessage(typ byte, xid uint32, mac []byte, requested, server netip.Addr) []byte {
	b := make([]byte, dhcpHeader, 300)
	b[0], b[1], b[2] = 1, 1, 6 // BOOTREQUEST, Ethernet, hlen
	binary.BigEndian.PutUint32(b[4:], xid)
	binary.BigEndian.PutUint16(b[10:], 0x8000) // broadcast replies
	copy(b[28:], mac)
	binary.BigEndian.PutUint32(b[236:], dhcpMagic)
	b = append(b, optMsgType, 1, typ)
	if requested.IsValid() {
		a := requested.As4()
		b = append(b, optRequested, 4, a[0], a[1], a[2], a[3])
	}
	if server.IsValid() {
		a := server.As4()
		b = append(b, optServerID, 4, a[0], a[1], a[2], a[3])
	}
	b = append(b, optParamList, 3, optSubnetMask, optRouter, optDNS, optEnd)
	return b
}

// dhcpReply is a parsed BOOTREPLY.
type dhcpReply struct {
	typ    byte
	yiaddr netip.Addr
	server netip.Addr
	lease  Lease
}

// parseDHCPReply parses a server's reply to transaction xid.
func parseDHCPReply(b []byte, xid uint32) (dhcpReply, bool) {
	var r dhcpReply
	if len(b) < dhcpHeader || b[0] != 2 || binary.BigEndian.Uint32(b[4:]) != xid || binary.BigEndian.Uint32(b[236:]) != dhcpMagic {
		return r, false
	}
	r.yiaddr = netip.AddrFrom4([4]byte(b[16:20]))
	maskBits := 24
	for opts := b[dhcpHeader:]; len(opts) > 0; {
		code := opts[0]
		if code == optEnd {
			break
		}
		if code == 0 {
			opts = opts[1:]
			continue
		}
		if len(opts) < 2 || len(opts) < 2+int(opts[1]) {
			return r, false
		}
		val := opts[2 : 2+opts[1]]
		opts = opts[2+opts[1]:]
		switch {
		case code == optMsgType && len(val) == 1:
			r.typ = val[0]
		case code == optServerID && len(val) == 4:
			r.server = netip.AddrFrom4([4]byte(val))
		case code == optSubnetMask && len(val) == 4:
			m := binary.BigEndian.Uint32(val)
			maskBits = 0
			for ; m&0x80000000 != 0; m <<= 1 {
				maskBits++
			}
		case code == optRouter && len(val) >= 4:
			r.lease.Router = netip.AddrFrom4([4]byte(val[:4]))
		case code == optDNS:
			for ; len(val) >= 4; val = val[4:] {
				r.lease.DNS = append(r.lease.DNS, netip.AddrFrom4([4]byte(val[:4])))
			}
		}
	}
	r.lease.Addr = netip.PrefixFrom(r.yiaddr, maskBits)
	return r, r.typ != 0
}

// DHCP gets a lease for link within timeout.
func DHCP(link string, timeout time.Duration) (Lease, error) {
	mac, err := hwAddr(link)
	if err != nil {
		return Lease{}, err
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return Lease{}, err
	}
	defer unix.Close(fd)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_BROADCAST, 1)
	if err := unix.BindToDevice(fd, link); err != nil {
		return Lease{}, fmt.Errorf("binding to %s: %w", link, err)
	}
	if err := unix.Bind(fd, &unix.SockaddrInet4{Port: 68}); err != nil {
		return Lease{}, fmt.Errorf("binding to port 68: %w", err)
	}
	tv := unix.NsecToTimeval((250 * time.Millisecond).Nanoseconds())
	unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv)
	dst := &unix.SockaddrInet4{Port: 67, Addr: [4]byte{255, 255, 255, 255}}
	xid := uint32(time.Now().UnixNano())
	deadline := time.Now().Add(timeout)
	buf := make([]byte, 1500)

	// exchange sends msg until a reply of one of the wanted types comes.
	exchange := func(msg []byte, want ...byte) (dhcpReply, error) {
		for time.Now().Before(deadline) {
			if err := unix.Sendto(fd, msg, 0, dst); err != nil {
				return dhcpReply{}, fmt.Errorf("sending: %w", err)
			}
			resend := time.Now().Add(time.Second)
			for time.Now().Before(resend) && time.Now().Before(deadline) {
				n, _, err := unix.Recvfrom(fd, buf, 0)
				if err != nil {
					continue
				}
				r, ok := parseDHCPReply(buf[:n], xid)
				for _, w := range want {
					if ok && r.typ == w {
						return r, nil
					}
				}
			}
		}
		return dhcpReply{}, errNoLease
	}
	offer, err := exchange(dhcpMessage(dhcpDiscover, xid, mac, netip.Addr{}, netip.Addr{}), dhcpOffer)
	if err != nil {
		return Lease{}, err
	}
	ack, err := exchange(dhcpMessage(dhcpRequest, xid, mac, offer.yiaddr, offer.server), dhcpAck, dhcpNak)
	if err != nil {
		return Lease{}, err
	}
	if ack.typ == dhcpNak {
		return Lease{}, fmt.Errorf("server %s refused %s: %w", ack.server, offer.yiaddr, errNoLease)
	}
	return ack.lease, nil
}

func hwAddr(link string) ([]byte, error) {
	b, err := os.ReadFile("/sys/class/net/" + link + "/address")
	if err != nil {
		return nil, fmt.Errorf("interface %s: %w", link, err)
	}
	var mac []byte
	for _, h := range strings.Split(strings.TrimSpace(string(b)), ":") {
		var v byte
		for _, c := range h {
			v <<= 4
			switch {
			case c >= '0' && c <= '9':
				v |= byte(c - '0')
			case c >= 'a' && c <= 'f':
				v |= byte(c-'a') + 10
			}
		}
		mac = append(mac, v)
	}
	return mac, nil
}
