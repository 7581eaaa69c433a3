package virtio

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// virtio-net (§5.1): one receive and one transmit queue, a MAC address,
// no offloads. Frames cross the host side with their 12-byte
// virtio_net_hdr in front, which is exactly what a tap device opened with
// IFF_VNET_HDR (and TUNSETVNETHDRSZ 12) reads and writes, so the device
// copies bytes and parses nothing.
const (
	DeviceNet = 1

	NetHdrLen = 12

	netFCsum     = 1 << 0
	netFMTU      = 1 << 3
	netFMAC      = 1 << 5
	netFHostTSO4 = 1 << 11

	netRxQ = 0
	netTxQ = 1

	// maxFrame bounds one transmitted frame (the header, Ethernet's with
	// a VLAN tag, the largest IPv4 packet, which a TSO frame may be): a
	// guest's chain may claim more, aliasing memory.
	maxFrame = NetHdrLen + 18 + 65535
)

// ErrFrameTooBig is a transmit chain longer than any frame can be.
var ErrFrameTooBig = errors.New("frame too big")

// MaxMTU is the largest MTU SetMTU offers: a frame of it, with an
// Ethernet header, a VLAN tag and the virtio-net header, fits maxFrame.
const MaxMTU = maxFrame - NetHdrLen - 18

// Net is a virtio network device in front of a tap-like ReadWriter.
type Net struct {
	tap    io.ReadWriter
	config []byte
	mtu    bool // VIRTIO_NET_F_MTU offered
	tso    bool // VIRTIO_NET_F_CSUM and HOST_TSO4 offered
	wake   chan struct{}
	txBuf  []byte
}

var _ Async = (*Net)(nil)

// NewNet makes a NIC with address mac whose frames go to and come from
// tap.
func NewNet(tap io.ReadWriter, mac [6]byte) *Net {
	return &Net{tap: tap, config: mac[:], wake: make(chan struct{}, 1), txBuf: make([]byte, 0, maxFrame)}
}

func (n *Net) Type() uint32   { return DeviceNet }
func (n *Net) Queues() int    { return 2 }
func (n *Net) Config() []byte { return n.config }

func (n *Net) Features() uint64 {
	f := uint64(FeatureVersion1 | FeatureIndirectDesc | netFMAC)
	if n.mtu {
		f |= netFMTU
	}
	if n.tso {
		f |= netFCsum | netFHostTSO4
	}
	return f
}

// OfferTSO lets the driver hand over TCP/IPv4 segments of up to 64 KiB
// with their checksums left partial (VIRTIO_NET_F_CSUM, HOST_TSO4), four
// times fewer frames than at MTU 16384 for what a guest sends. Only for a
// host end that takes such frames as they are: the user-mode network's
// netstack ends every TCP connection itself and checks no checksum
// (its link says it has checked them), where a tap would put the frames
// on a wire. Call it before the device is attached.
func (n *Net) OfferTSO() { n.tso = true }

// SetMTU offers the driver an MTU (VIRTIO_NET_F_MTU) larger than
// Ethernet's, for a host end that takes frames that long (the user-mode
// network; a tap device keeps 1500). Linux then posts receive buffers of
// that size ("big packets"), so a bulk transfer takes one frame, one
// notification and one interrupt per MTU rather than per 1500 bytes,
// which is what an exit costs most. Call it before the device is
// attached.
func (n *Net) SetMTU(mtu int) error {
	if mtu < 68 || mtu > MaxMTU {
		return fmt.Errorf("mtu %d: out of range 68 to %d", mtu, MaxMTU)
	}
	// virtio_net_config: mac, status, max_virtqueue_pairs, mtu.
	c := make([]byte, 12)
	copy(c, n.config[:6])
	c[8] = 1
	binary.LittleEndian.PutUint16(c[10:], uint16(mtu))
	n.config, n.mtu = c, true
	return nil
}

// Async: the receive queue is filled when frames arrive, not on notify.
func (n *Net) Async(q int) bool { return q == netRxQ }

// Notified wakes Serve when the driver posts receive buffers.
func (n *Net) Notified(int) {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Process transmits one frame: the chain's readable buffers, header
// included, in one write to the tap. A tap that fails drops the frame,
// as a wire would; the guest's network stack retransmits.
func (n *Net) Process(q int, c Chain) (uint32, error) {
	if q != netTxQ {
		return 0, fmt.Errorf("%w: queue %d is not the transmit queue", ErrBadQueue, q)
	}
	frame := n.txBuf[:0]
	for _, b := range c.Readable {
		if len(frame)+len(b) > maxFrame {
			return 0, nil // dropped: no frame is this long
		}
		frame = append(frame, b...)
	}
	if len(frame) > NetHdrLen {
		n.tap.Write(frame)
	}
	return 0, nil
}

// Serve copies frames from the tap into the receive queue until the tap
// fails (the VMM closes it to stop the device) or stop is closed. A
// frame waits for the driver to post buffers; one larger than the
// buffers it gets is truncated, as the spec allows for a driver that
// posts buffers too small.
func (n *Net) Serve(t *MMIO, stop <-chan struct{}) error {
	buf := make([]byte, maxFrame)
	for {
		k, err := n.tap.Read(buf)
		if err != nil {
			return err
		}
		if k < NetHdrLen {
			continue
		}
		frame := buf[:k]
		frame[10], frame[11] = 1, 0 // num_buffers: one chain per frame
		for {
			ok, err := t.Deliver(netRxQ, func(c Chain) uint32 { return scatter(frame, c.Writable) })
			if err != nil || ok {
				break // a broken queue has put the device in NEEDS_RESET: drop
			}
			select {
			case <-n.wake:
			case <-stop:
				return nil
			}
		}
	}
}

// scatter copies frame into bufs in order and returns how much fit.
func scatter(frame []byte, bufs [][]byte) uint32 {
	var n int
	for _, b := range bufs {
		if n == len(frame) {
			break
		}
		n += copy(b, frame[n:])
	}
	return uint32(n)
}
