package virtio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"testing"
	"time"
)

// fakeTap is a tap device in memory: frames to the guest go into in,
// frames from the guest come out of out.
type fakeTap struct {
	in  chan []byte
	out chan []byte
}

func newFakeTap() *fakeTap { return &fakeTap{in: make(chan []byte, 8), out: make(chan []byte, 8)} }

func (f *fakeTap) Read(p []byte) (int, error) {
	b, ok := <-f.in
	if !ok {
		return 0, io.EOF
	}
	return copy(p, b), nil
}

func (f *fakeTap) Write(p []byte) (int, error) {
	f.out <- append([]byte(nil), p...)
	return len(p), nil
}

// ring drives one more queue of a transport the driver set up.
type ring struct {
	d                *driver
	q                uint32
	desc, avail, use uint64
	availIdx, used   uint16
	next             uint16 // next free descriptor
}

func (d *driver) addQueue(q uint32, base uint64) *ring {
	r := &ring{d: d, q: q, desc: base, avail: base + 0x100, use: base + 0x200}
	d.w(regQueueSel, q)
	d.w(regQueueNum, tQSize)
	d.w(regQueueDescLow, uint32(r.desc))
	d.w(regQueueAvailLow, uint32(r.avail))
	d.w(regQueueUsedLow, uint32(r.use))
	d.w(regQueueReady, 1)
	return r
}

// post makes bufs available as one chain, in the descriptors after the
// previous chain's, and notifies.
func (r *ring) post(bufs []buf) []uint64 {
	head := int(r.next % tQSize)
	r.next += uint16(len(bufs))
	addrs := make([]uint64, len(bufs))
	for i, b := range bufs {
		n, flags := len(b.in), uint16(0)
		if b.write > 0 {
			n, flags = b.write, descFWrite
		}
		addrs[i] = r.d.alloc(n)
		r.d.mem.Write(addrs[i], b.in)
		next := uint16(0)
		if i < len(bufs)-1 {
			flags |= descFNext
			next = uint16((head + i + 1) % tQSize)
		}
		r.d.putDesc(r.desc, (head+i)%tQSize, addrs[i], uint32(n), flags, next)
	}
	r.d.mem.PutUint16(r.avail+4+2*uint64(r.availIdx%tQSize), uint16(head))
	r.availIdx++
	r.d.mem.PutUint16(r.avail+2, r.availIdx)
	r.d.w(regQueueNotify, r.q)
	return addrs
}

// wait returns the next used entry's length, waiting for the device.
func (r *ring) wait(t *testing.T) uint32 {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		idx, _ := r.d.mem.Uint16(r.use + 2)
		if idx != r.used {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue %d: nothing used (status %#x, err %v)", r.q, r.d.r(regStatus), r.d.mmio.Err())
		}
		time.Sleep(time.Millisecond)
	}
	n, _ := r.d.mem.Uint32(r.use + 4 + 8*uint64(r.used%tQSize) + 4)
	r.used++
	return n
}

func frame(payload string) []byte {
	return append(make([]byte, NetHdrLen), payload...)
}

func TestNetTransmit(t *testing.T) {
	tap := newFakeTap()
	nic := NewNet(tap, [6]byte{2, 0, 0, 0, 0, 1})
	d := newDriver(t, nic, FeatureVersion1|netFMAC)
	tx := d.addQueue(netTxQ, 0x4000)
	f := frame("hello, wire")
	tx.post([]buf{{in: f[:5]}, {in: f[5:]}}) // header split across buffers
	if n := tx.wait(t); n != 0 {
		t.Errorf("tx used len = %d, want 0", n)
	}
	select {
	case got := <-tap.out:
		if !bytes.Equal(got, f) {
			t.Errorf("tap got % x, want % x", got, f)
		}
	default:
		t.Fatal("nothing written to the tap")
	}
	var mac [6]byte
	d.mmio.Read(regConfig, mac[:])
	if mac != [6]byte{2, 0, 0, 0, 0, 1} {
		t.Errorf("config MAC = % x", mac)
	}
}

func TestNetReceive(t *testing.T) {
	tap := newFakeTap()
	nic := NewNet(tap, [6]byte{2, 0, 0, 0, 0, 1})
	d := newDriver(t, nic, FeatureVersion1|netFMAC) // queue 0 is the receive queue
	rx := &ring{d: d, q: netRxQ, desc: tDesc, avail: tAvail, use: tUsed}
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- nic.Serve(d.mmio, stop) }()

	// A frame before any buffer waits for one, then lands in it.
	tap.in <- frame("first")
	time.Sleep(10 * time.Millisecond)
	addrs := rx.post([]buf{{write: 8}, {write: 1514}})
	if n := rx.wait(t); n != uint32(NetHdrLen+len("first")) {
		t.Errorf("rx used len = %d", n)
	}
	if hdr, _ := d.mem.Slice(addrs[0], 8); !bytes.Equal(hdr, make([]byte, 8)) {
		t.Errorf("header start = % x, want the tap's (zeros)", hdr)
	}
	rest, _ := d.mem.Slice(addrs[1], 4+5)
	if got := string(rest[4:]); got != "first" || rest[2] != 1 {
		t.Errorf("payload %q, num_buffers %d", got, rest[2])
	}

	// A frame larger than the buffers is truncated, not overflowed.
	rx.post([]buf{{write: 16}})
	tap.in <- frame("a frame much longer than sixteen bytes")
	if n := rx.wait(t); n != 16 {
		t.Errorf("truncated used len = %d, want 16", n)
	}
	if d.irq.n.Load() < 2 {
		t.Errorf("interrupts = %d, want one per frame", d.irq.n.Load())
	}

	close(tap.in) // the VMM closes the tap to stop the device
	select {
	case err := <-done:
		if !errors.Is(err, io.EOF) {
			t.Errorf("Serve = %v, want the tap's EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not return after the tap closed")
	}
}

func TestNetServeStops(t *testing.T) {
	tap := newFakeTap()
	nic := NewNet(tap, [6]byte{})
	d := newDriver(t, nic, FeatureVersion1)
	stop := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- nic.Serve(d.mmio, stop) }()
	tap.in <- frame("nobody posted a buffer")
	time.Sleep(10 * time.Millisecond)
	close(stop)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Serve waiting for buffers did not return on stop")
	}
}

// TestNetMTU: SetMTU offers VIRTIO_NET_F_MTU with the MTU at offset 10
// of the config, after the MAC; without it neither is there; OfferTSO
// adds CSUM and HOST_TSO4 and a frame holds a 64 KiB segment; an MTU no
// frame buffer holds is refused.
func TestNetMTU(t *testing.T) {
	mac := [6]byte{2, 0, 0, 0, 0, 1}
	plain := NewNet(newFakeTap(), mac)
	if plain.Features()&netFMTU != 0 || len(plain.Config()) != 6 {
		t.Errorf("without SetMTU: features %#x, config % x", plain.Features(), plain.Config())
	}
	nic := NewNet(newFakeTap(), mac)
	if err := nic.SetMTU(16384); err != nil {
		t.Fatal(err)
	}
	if nic.Features()&netFMTU == 0 {
		t.Errorf("features %#x lack VIRTIO_NET_F_MTU", nic.Features())
	}
	d := newDriver(t, nic, FeatureVersion1|netFMAC|netFMTU)
	cfg := make([]byte, 12)
	d.mmio.Read(regConfig, cfg)
	if !bytes.Equal(cfg[:6], mac[:]) || binary.LittleEndian.Uint16(cfg[10:]) != 16384 {
		t.Errorf("config % x, want the MAC and MTU 16384 at 10", cfg)
	}
	if nic.Features()&(netFCsum|netFHostTSO4) != 0 {
		t.Errorf("features %#x offer TSO unasked", nic.Features())
	}
	nic.OfferTSO()
	if nic.Features()&(netFCsum|netFHostTSO4) != netFCsum|netFHostTSO4 {
		t.Errorf("features %#x lack CSUM and HOST_TSO4 after OfferTSO", nic.Features())
	}
	if MaxMTU < 65535 || maxFrame < NetHdrLen+14+65535 {
		t.Errorf("maxFrame %d holds no 64 KiB TSO frame", maxFrame)
	}
	for _, mtu := range []int{0, 67, MaxMTU + 1} {
		if err := NewNet(newFakeTap(), mac).SetMTU(mtu); err == nil {
			t.Errorf("SetMTU(%d) accepted", mtu)
		}
	}
}
