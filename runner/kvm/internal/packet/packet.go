package packet

import (
	"net"

	"golang.org/x/sys/unix"
)

// SendBroadcast sends one broadcast Ethernet frame (an experimental
// ethertype, so nothing answers) out of iface with a packet socket.
func SendBroadcast(iface string) error {
	ifi, err := net.InterfaceByName(iface)
	if err != nil {
		return err
	}
	fd, err := unix.Socket(unix.AF_PACKET, unix.SOCK_RAW|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	frame := make([]byte, 60)
	copy(frame, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	copy(frame[6:], ifi.HardwareAddr)
	frame[12], frame[13] = 0x88, 0xb5 // IEEE 802 local experimental ethertype
	copy(frame[14:], "hyper nested test")
	addr := &unix.SockaddrLinklayer{Ifindex: ifi.Index, Halen: 6}
	copy(addr.Addr[:], frame[:6])
	return unix.Sendto(fd, frame, 0, addr)
}
