package usernet

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"gvisor.dev/gvisor/pkg/buffer"
	"gvisor.dev/gvisor/pkg/tcpip"
	"gvisor.dev/gvisor/pkg/tcpip/header"
	"gvisor.dev/gvisor/pkg/tcpip/stack"
)

const (
	// HdrLen is the virtio-net header in front of each frame the NIC
	// reads and writes (virtio.NetHdrLen: no offloads, so it carries
	// nothing the gateway needs).
	HdrLen = 12
	// MTU is the guest's and the gateway's. The kvm backend's NIC offers
	// it to the guest (VIRTIO_NET_F_MTU): ten times fewer frames than
	// Ethernet's 1500 for a bulk transfer, each of which costs the VMM an
	// exit and an interrupt, for 5 pages of guest memory per receive
	// buffer (Linux's "big packets"). TCP peers that say a smaller MSS,
	// as QEMU's guests with 1500, get segments of that size.
	MTU = 16384
	// MaxFrame is the longest frame the gateway sends: Ethernet header,
	// an 802.1Q tag, MTU.
	MaxFrame = header.EthernetMinimumSize + 4 + MTU
	// MaxTxFrame is the longest the guest may send: a TCP segment of up
	// to 64 KiB that the NIC did not cut to the MTU (TSO; its checksum may
	// be partial, which the gateway's link, like gvisor-tap-vsock's, does
	// not check).
	MaxTxFrame = header.EthernetMinimumSize + 4 + 65535
	// rxQueue bounds the frames waiting for the guest to take them (2 MiB
	// of MTU frames at most).
	rxQueue = 128
	// rxWait is how long the gateway waits for room in a full queue before
	// it drops the frame: long enough for a guest that is busy, short
	// enough that one that stopped reading cannot stall the netstack.
	rxWait = 100 * time.Millisecond
)

// NIC is the guest's end of the virtual wire, for virtio.Net: Write takes
// a frame the guest transmits, Read returns the next frame for the guest,
// both with HdrLen bytes of virtio-net header in front. It is also the
// gateway's link (tap.NetworkSwitch): the netstack hands it the frames it
// sends.
type NIC struct {
	mac     tcpip.LinkAddress // the guest's
	gateway tcpip.LinkAddress
	link    interface {
		DeliverNetworkPacket(tcpip.NetworkProtocolNumber, *stack.PacketBuffer)
	}
	rx       chan []byte // frames for the guest, header included
	done     chan struct{}
	stopOnce sync.Once

	// Counters, for diagnostics and tests: frames taken from the guest
	// and queued for it, dropped each way, and the longest the guest sent
	// (above MaxFrame: TSO at work).
	TxFrames, RxFrames, TxDropped, RxDropped, TxLongest atomic.Uint64
}

// Stats says what crossed the NIC, for a log line.
func (n *NIC) Stats() string {
	return fmt.Sprintf("%d frames from the guest (longest %d bytes, %d dropped), %d to it (%d dropped)",
		n.TxFrames.Load(), n.TxLongest.Load(), n.TxDropped.Load(), n.RxFrames.Load(), n.RxDropped.Load())
}

var _ io.ReadWriteCloser = (*NIC)(nil)

func newNIC(mac, gateway [6]byte) *NIC {
	return &NIC{
		mac:     tcpip.LinkAddress(mac[:]),
		gateway: tcpip.LinkAddress(gateway[:]),
		rx:      make(chan []byte, rxQueue),
		done:    make(chan struct{}),
	}
}

// Write hands one frame the guest transmitted (p: header, then frame) to
// the gateway. It never fails: a frame the gateway must not see is
// dropped, as a switch would, and counted in TxDropped.
func (n *NIC) Write(p []byte) (int, error) {
	if !n.acceptTx(p) {
		n.TxDropped.Add(1)
		return len(p), nil
	}
	select {
	case <-n.done:
		return 0, io.ErrClosedPipe
	default:
	}
	frame := p[HdrLen:]
	n.TxFrames.Add(1)
	if l := uint64(len(frame)); l > n.TxLongest.Load() {
		n.TxLongest.Store(l) // one writer: the vCPU that transmits
	}
	eth := header.Ethernet(frame)
	// The netstack copies the payload: p is the device's buffer.
	pkt := stack.NewPacketBuffer(stack.PacketBufferOptions{
		Payload: buffer.MakeWithData(frame[header.EthernetMinimumSize:]),
	})
	n.link.DeliverNetworkPacket(eth.Type(), pkt)
	pkt.DecRef()
	return len(p), nil
}

// acceptTx is the hostile-guest filter: a whole Ethernet header, no
// longer than MaxTxFrame, from the guest's own address (so the gateway
// learns one neighbour, not one per forged address), to the gateway or
// to broadcast (ARP). Multicast (IPv6 neighbour discovery) has no one
// to reach here.
func (n *NIC) acceptTx(p []byte) bool {
	if len(p) < HdrLen+header.EthernetMinimumSize || len(p) > HdrLen+MaxTxFrame {
		return false
	}
	eth := header.Ethernet(p[HdrLen:])
	if eth.SourceAddress() != n.mac {
		return false
	}
	dst := eth.DestinationAddress()
	return dst == n.gateway || dst == header.EthernetBroadcastAddress
}

// DeliverNetworkPacket queues a frame the gateway sends (Ethernet header
// included) for the guest. Only frames to the guest's address or to
// broadcast go; when the queue stays full for rxWait, the frame is
// dropped and counted in RxDropped.
func (n *NIC) DeliverNetworkPacket(_ tcpip.NetworkProtocolNumber, pkt *stack.PacketBuffer) {
	b := pkt.ToBuffer()
	defer b.Release()
	size := int(b.Size())
	if size < header.EthernetMinimumSize || size > MaxFrame {
		n.RxDropped.Add(1)
		return
	}
	frame := make([]byte, HdrLen+size)
	if _, err := b.ReadAt(frame[HdrLen:], 0); err != nil && err != io.EOF {
		n.RxDropped.Add(1)
		return
	}
	dst := header.Ethernet(frame[HdrLen:]).DestinationAddress()
	if dst != n.mac && dst != header.EthernetBroadcastAddress {
		n.RxDropped.Add(1)
		return
	}
	select {
	case n.rx <- frame:
		n.RxFrames.Add(1)
		return
	case <-n.done:
		return
	default:
	}
	t := time.NewTimer(rxWait)
	defer t.Stop()
	select {
	case n.rx <- frame:
		n.RxFrames.Add(1)
	case <-n.done:
	case <-t.C:
		n.RxDropped.Add(1)
	}
}

// Read returns the next frame for the guest, its header zeroed, waiting
// for one; io.EOF once the NIC is closed. A p shorter than the frame
// gets its start (the device's buffer is always long enough).
func (n *NIC) Read(p []byte) (int, error) {
	select {
	case f := <-n.rx:
		return copy(p, f), nil
	case <-n.done:
		return 0, io.EOF
	}
}

// Close ends the wire: a Read waiting returns io.EOF, frames queued are
// dropped, later Writes fail.
func (n *NIC) Close() error {
	n.stopOnce.Do(func() { close(n.done) })
	return nil
}
