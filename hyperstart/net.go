package hyperstart

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unsafe"

	"golang.org/x/sys/unix"
)

// LinkUp brings an interface up (SIOCSIFFLAGS).
type LinkUp string

func (l LinkUp) Do() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(string(l))
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}
func (l LinkUp) String() string { return "link " + string(l) + " up" }

// AddrAdd sets an interface's IPv4 address and netmask.
type AddrAdd struct {
	Link   string
	Prefix netip.Prefix
}

func (a AddrAdd) Do() error {
	if !a.Prefix.Addr().Is4() {
		return fmt.Errorf("address %s: only IPv4 is supported", a.Prefix)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq(a.Link)
	if err != nil {
		return err
	}
	ip := a.Prefix.Addr().As4()
	if err := ifr.SetInet4Addr(ip[:]); err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFADDR, ifr); err != nil {
		return fmt.Errorf("setting address: %w", err)
	}
	mask := ^uint32(0) << (32 - a.Prefix.Bits())
	if a.Prefix.Bits() == 0 {
		mask = 0
	}
	var m [4]byte
	binary.BigEndian.PutUint32(m[:], mask)
	ifr, _ = unix.NewIfreq(a.Link)
	if err := ifr.SetInet4Addr(m[:]); err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFNETMASK, ifr); err != nil {
		return fmt.Errorf("setting netmask: %w", err)
	}
	return nil
}
func (a AddrAdd) String() string { return "addr " + a.Prefix.String() + " on " + a.Link }

// DefaultRoute adds the IPv4 default route via Gateway (rtnetlink).
type DefaultRoute struct {
	Link    string
	Gateway netip.Addr
}

func (r DefaultRoute) Do() error {
	if !r.Gateway.Is4() {
		return fmt.Errorf("gateway %s: only IPv4 is supported", r.Gateway)
	}
	ifi, err := ifIndex(r.Link)
	if err != nil {
		return err
	}
	gw := r.Gateway.As4()
	msg := unix.RtMsg{Family: unix.AF_INET, Table: unix.RT_TABLE_MAIN, Protocol: unix.RTPROT_BOOT, Scope: unix.RT_SCOPE_UNIVERSE, Type: unix.RTN_UNICAST}
	body := (*[unix.SizeofRtMsg]byte)(unsafe.Pointer(&msg))[:]
	body = appendAttr(body, unix.RTA_GATEWAY, gw[:])
	var oif [4]byte
	binary.NativeEndian.PutUint32(oif[:], uint32(ifi))
	body = appendAttr(body, unix.RTA_OIF, oif[:])
	return netlinkDo(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, body)
}
func (r DefaultRoute) String() string {
	return "route default via " + r.Gateway.String() + " dev " + r.Link
}

func ifIndex(name string) (int, error) {
	b, err := os.ReadFile(filepath.Join(sysClassNet, name, "ifindex"))
	if err != nil {
		return 0, fmt.Errorf("interface %s: %w", name, err)
	}
	return strconv.Atoi(strings.TrimSpace(string(b)))
}

func appendAttr(b []byte, typ uint16, data []byte) []byte {
	l := unix.SizeofRtAttr + len(data)
	var h [unix.SizeofRtAttr]byte
	binary.NativeEndian.PutUint16(h[0:], uint16(l))
	binary.NativeEndian.PutUint16(h[2:], typ)
	b = append(b, h[:]...)
	b = append(b, data...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

// netlinkDo sends one rtnetlink request and waits for its acknowledgement.
func netlinkDo(typ uint16, flags uint16, body []byte) error {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	var h [unix.SizeofNlMsghdr]byte
	binary.NativeEndian.PutUint32(h[0:], uint32(unix.SizeofNlMsghdr+len(body)))
	binary.NativeEndian.PutUint16(h[4:], typ)
	binary.NativeEndian.PutUint16(h[6:], flags|unix.NLM_F_REQUEST|unix.NLM_F_ACK)
	binary.NativeEndian.PutUint32(h[8:], 1)
	if err := unix.Sendto(fd, append(h[:], body...), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, _, err := unix.Recvfrom(fd, buf, 0)
	if err != nil {
		return err
	}
	if n < unix.SizeofNlMsghdr+4 || binary.NativeEndian.Uint16(buf[4:]) != unix.NLMSG_ERROR {
		return fmt.Errorf("netlink: unexpected reply")
	}
	if e := int32(binary.NativeEndian.Uint32(buf[unix.SizeofNlMsghdr:])); e != 0 {
		return unix.Errno(-e)
	}
	return nil
}

// NetPlan is the static network set-up: address and default route on
// link, when given. An empty address means no static set-up.
func NetPlan(link, addr, gateway string) ([]Step, error) {
	if addr == "" {
		return nil, nil
	}
	pfx, err := netip.ParsePrefix(addr)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", addr, err)
	}
	steps := []Step{LinkUp(link), AddrAdd{Link: link, Prefix: pfx}}
	if gateway != "" {
		gw, err := netip.ParseAddr(gateway)
		if err != nil {
			return nil, fmt.Errorf("gateway %q: %w", gateway, err)
		}
		steps = append(steps, DefaultRoute{Link: link, Gateway: gw})
	}
	return steps, nil
}

// sysClassNet lists the kernel's network interfaces.
const sysClassNet = "/sys/class/net"

// firstEthernet is the first Ethernet interface under dir (sysClassNet),
// "" when none. Only ARPHRD_ETHER counts: with IPv6 in the kernel, sit0
// (an IPv6-in-IPv4 tunnel, type 776) exists beside lo even in a VM
// without a network card, and waiting for a DHCP lease on it only
// delayed the pod.
func firstEthernet(dir string) string {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return ""
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name(), "type"))
		if err == nil && strings.TrimSpace(string(b)) == strconv.Itoa(unix.ARPHRD_ETHER) {
			return e.Name()
		}
	}
	return ""
}
