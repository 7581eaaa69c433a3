package kvm

import (
	"crypto/rand"
	"fmt"
	"os"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/runner/kvm/boot"
	"github.com/hyperbuild/hyper/runner/kvm/virtio"
)

const (
	tunDevice = "/dev/net/tun"
	// TUNSETVNETHDRSZ: _IOW('T', 216, int).
	tunSetVnetHdrSz = 0x400454d8
)

// openTap opens (creating it if needed, which takes CAP_NET_ADMIN) the tap
// device name, with virtio-net headers on every frame so the NIC passes
// frames through untouched. The file is non-blocking, so closing it ends
// a Read in another goroutine.
func openTap(name string) (*os.File, error) {
	fd, err := unix.Open(tunDevice, unix.O_RDWR|unix.O_CLOEXEC|unix.O_NONBLOCK, 0)
	if err != nil {
		return nil, fmt.Errorf("opening %s (is the tun module loaded?): %w", tunDevice, err)
	}
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tap %q: %w", name, err)
	}
	ifr.SetUint16(unix.IFF_TAP | unix.IFF_NO_PI | unix.IFF_VNET_HDR)
	if err := unix.IoctlIfreq(fd, unix.TUNSETIFF, ifr); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("attaching to tap %q (needs root or a tap owned by you): %w", name, err)
	}
	if err := unix.IoctlSetPointerInt(fd, tunSetVnetHdrSz, virtio.NetHdrLen); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("tap %q: setting the virtio-net header size: %w", name, err)
	}
	return os.NewFile(uintptr(fd), "tap:"+name), nil
}

// addNet attaches a virtio-net device on the tap name, with a random
// locally administered MAC address.
func (m *machine) addNet(name string) (boot.MMIODevice, error) {
	tap, err := openTap(name)
	if err != nil {
		return boot.MMIODevice{}, err
	}
	m.tap = tap
	var mac [6]byte
	rand.Read(mac[:])
	mac[0] = mac[0]&^1 | 2 // unicast, locally administered
	m.nic = virtio.NewNet(tap, mac)
	d := m.nextMMIO()
	m.nicMMIO = virtio.NewMMIO(m.nic, m.gmem, irqFunc(m.irq), d.IRQ)
	m.virtio = append(m.virtio, m.nicMMIO)
	return d, nil
}
