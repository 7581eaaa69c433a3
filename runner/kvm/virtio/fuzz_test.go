package virtio

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"github.com/hyperbuild/hyper/runner/kvm/guestmem"
)

const fuzzMem = 64 << 10

// fuzzMemory is guest memory whose every byte the fuzzer chooses: the
// input is repeated over it, so descriptor tables, rings and headers are
// all guest-written.
func fuzzMemory(data []byte) *guestmem.Memory {
	b := make([]byte, fuzzMem)
	if len(data) > 0 {
		for i := 0; i < len(b); i += copy(b[i:], data) {
		}
	}
	return guestmem.New(b)
}

// FuzzQueue drives a virtqueue whose size, ring addresses and contents
// are all chosen by the fuzzer, over memory in one piece or split by the
// MMIO hole: Pop and Push must never panic, every
// buffer they return must lie in guest memory, and a chain never holds
// more buffers than the queue size.
func FuzzQueue(f *testing.F) {
	f.Add(uint16(16), uint64(0x1000), uint64(0x2000), uint64(0x3000), true, false, []byte{1, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 1, 0, 1, 0})
	f.Add(uint16(8), uint64(0), uint64(0), uint64(0), false, false, []byte{0xff})
	f.Add(uint16(256), uint64(fuzzMem-16), uint64(fuzzMem-4), uint64(1<<63), true, false, []byte{4, 0, 2, 0, 1})
	f.Add(uint16(16), uint64(guestmem.HighBase), uint64(0x2000), uint64(guestmem.HighBase+0x1000), true, true,
		[]byte{0, 0x10, 0, 0, 1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, size uint16, descAddr, availAddr, usedAddr uint64, indirect, split bool, data []byte) {
		mem := fuzzMemory(data)
		if split { // half below the hole, half at 4 GiB
			mem = guestmem.NewSplit(mem.Bytes(), fuzzMem/2)
		}
		q := &Queue{Size: size, Ready: true, Desc: descAddr, Avail: availAddr, Used: usedAddr, Indirect: indirect}
		base := &mem.Bytes()[0]
		end := uintptr(len(mem.Bytes()))
		for i := 0; i < 64; i++ {
			c, ok, err := q.Pop(mem)
			if err != nil || !ok {
				return
			}
			if n := len(c.Readable) + len(c.Writable); n > int(size) {
				t.Fatalf("chain of %d buffers from a queue of %d", n, size)
			}
			for _, b := range append(c.Readable, c.Writable...) {
				if len(b) == 0 {
					continue
				}
				off := uintptr(unsafePointerDiff(&b[0], base))
				if off+uintptr(len(b)) > end {
					t.Fatalf("buffer at %d+%d outside memory", off, len(b))
				}
			}
			if err := q.Push(mem, c.Head, uint32(c.WritableLen())); err != nil {
				return
			}
		}
	})
}

// FuzzBlk sets up a block device through its registers the way a driver
// would, with rings wherever the fuzzer puts them, over memory the fuzzer
// wrote, and notifies it. Nothing may panic, and a read-only disk must
// never change.
func FuzzBlk(f *testing.F) {
	seed := func(bufs []buf, indirect bool) []byte {
		d := newDriver(f, NewBlk(newDisk(8), 8*SectorSize, true, "x"), blkFeatures)
		if indirect {
			table := d.alloc(len(bufs) * descSize)
			d.layout(table, bufs)
			d.putDesc(tDesc, 0, table, uint32(len(bufs)*descSize), descFIndirect, 0)
		} else {
			d.layout(tDesc, bufs)
		}
		d.mem.PutUint16(tAvail+4, 0)
		d.mem.PutUint16(tAvail+2, 1)
		return d.mem.Bytes()[:d.data]
	}
	f.Add(uint8(16), uint64(blkFeatures), seed([]buf{{in: hdr(BlkTIn, 1)}, {write: 512}, {write: 1}}, false))
	f.Add(uint8(16), uint64(blkFeatures), seed([]buf{{in: hdr(BlkTOut, 1)}, {in: make([]byte, 512)}, {write: 1}}, true))
	f.Add(uint8(16), uint64(blkFeatures), seed([]buf{{in: hdr(BlkTGetID, 0)}, {write: 20}, {write: 1}}, false))
	f.Add(uint8(16), uint64(FeatureVersion1), seed([]buf{{in: hdr(BlkTFlush, 0)}, {write: 1}}, false))
	f.Fuzz(func(t *testing.T, qsize uint8, features uint64, data []byte) {
		disk := newDisk(8)
		orig := append([]byte(nil), disk.b...)
		mem := guestmem.New(make([]byte, fuzzMem))
		copy(mem.Bytes(), data)
		d := &driver{t: t, mem: mem, irq: &countIRQ{}}
		d.mmio = NewMMIO(NewBlk(disk, int64(len(disk.b)), true, "x"), mem, d.irq, 5)
		d.w(regStatus, StatusAcknowledge|StatusDriver)
		d.w(regDriverFeatures, uint32(features))
		d.w(regDriverFeatSel, 1)
		d.w(regDriverFeatures, uint32(features>>32))
		d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK)
		d.w(regQueueNum, uint32(qsize))
		d.w(regQueueDescLow, tDesc)
		d.w(regQueueAvailLow, tAvail)
		d.w(regQueueUsedLow, tUsed)
		d.w(regQueueReady, 1)
		d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK|StatusDriverOK)
		for i := 0; i < 4; i++ {
			d.w(regQueueNotify, uint32(i%2))
		}
		var cfg [64]byte
		d.mmio.Read(regConfig+uint64(qsize), cfg[:qsize%64])
		if !bytes.Equal(disk.b, orig) {
			t.Fatalf("read-only disk changed")
		}
	})
}

// FuzzBlkChains is FuzzBlk with structure: the fuzzer writes descriptors
// (address, length, flags, next) and requests (type, sector) as records,
// with addresses folded into and just past guest memory, so it spends
// its time on chains a driver could plausibly build — mixed directions,
// indirect tables, loops, short headers, buffers across the end of RAM —
// instead of on rings that never parse. The invariants are FuzzBlk's.
func FuzzBlkChains(f *testing.F) {
	f.Add(true, []byte{
		0, 0x10, 0, 16, 0, 0, 1, 1, // header, NEXT -> 1
		0, 0x20, 0x00, 0x02, 0, 0, 3, 2, // 512 bytes, WRITE|NEXT -> 2
		0, 0x30, 1, 0, 0, 0, 2, 0, // status, WRITE
	})
	f.Add(false, []byte{0, 0x10, 0, 48, 0, 0, 4, 0, 0, 0x20, 0, 16, 0, 0, 1, 1})
	f.Fuzz(func(t *testing.T, readOnly bool, data []byte) {
		const memSize = 64 << 10
		const indirectTable = tData + 0x800
		disk := newDisk(8)
		orig := append([]byte(nil), disk.b...)
		mem := guestmem.New(make([]byte, memSize))
		for i := range mem.Bytes() {
			mem.Bytes()[i] = byte(i * 31)
		}
		d := &driver{t: t, mem: mem, irq: &countIRQ{}}
		d.mmio = NewMMIO(NewBlk(disk, int64(len(disk.b)), readOnly, "x"), mem, d.irq, 5)
		d.w(regStatus, StatusAcknowledge|StatusDriver)
		feat := uint64(blkFeatures)
		d.w(regDriverFeatures, uint32(feat))
		d.w(regDriverFeatSel, 1)
		d.w(regDriverFeatures, uint32(feat>>32))
		d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK)
		d.w(regQueueNum, tQSize)
		d.w(regQueueDescLow, tDesc)
		d.w(regQueueAvailLow, tAvail)
		d.w(regQueueUsedLow, tUsed)
		d.w(regQueueReady, 1)
		d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK|StatusDriverOK)
		// Records of 8 bytes: addr (2 bytes, scaled), len (2), type byte
		// for the request at that buffer, sector byte, flags, next.
		var table uint64 = tDesc
		for i := 0; len(data) >= 8 && i < 2*tQSize; i, data = i+1, data[8:] {
			addr := uint64(binary.LittleEndian.Uint16(data[0:])) * 2 // 0..128 KiB: past the end too
			n := uint32(binary.LittleEndian.Uint16(data[2:]))
			mem.Write(addr, []byte{data[4], 0, 0, 0, 0, 0, 0, 0, data[5]}) // type ... sector (ignored if out of range)
			flags, next := uint16(data[6]&7), uint16(data[7]%(tQSize+2))
			if flags&descFIndirect != 0 && i < tQSize {
				addr, n = indirectTable, uint32(data[5]%20)*descSize
			}
			if i == tQSize {
				table = indirectTable // the rest go to the indirect table
			}
			d.putDesc(table, i%tQSize, addr, n, flags, next)
		}
		heads := []uint16{0, 1, 2, 0}
		for _, h := range heads {
			d.publish(h)
		}
		if readOnly && !bytes.Equal(disk.b, orig) {
			t.Fatalf("read-only disk changed")
		}
	})
}

// discardTap swallows transmitted frames; nothing is ever received.
type discardTap struct{ frames int }

func (d *discardTap) Read([]byte) (int, error)    { select {} }
func (d *discardTap) Write(p []byte) (int, error) { d.frames++; return len(p), nil }

// FuzzNetChains drives the NIC's transmit queue and its receive path
// (Deliver, as Serve calls it) with descriptor records like
// FuzzBlkChains': nothing may panic, and a received frame must never be
// written past the buffers the guest posted (guest memory bounds).
func FuzzNetChains(f *testing.F) {
	f.Add([]byte{0, 0x10, 12, 0, 0, 0, 1, 1, 0, 0x20, 0x00, 0x02, 0, 0, 0, 0}, []byte("frame"))
	f.Add([]byte{0, 0x10, 0, 1, 0, 0, 2, 0}, bytes.Repeat([]byte{0xab}, 2000))
	f.Fuzz(func(t *testing.T, data, payload []byte) {
		const memSize = 64 << 10
		tap := &discardTap{}
		nic := NewNet(tap, [6]byte{2, 0, 0, 0, 0, 1})
		mem := guestmem.New(make([]byte, memSize))
		d := &driver{t: t, mem: mem, irq: &countIRQ{}}
		d.mmio = NewMMIO(nic, mem, d.irq, 6)
		feat := uint64(FeatureVersion1 | FeatureIndirectDesc | netFMAC)
		d.w(regStatus, StatusAcknowledge|StatusDriver)
		d.w(regDriverFeatures, uint32(feat))
		d.w(regDriverFeatSel, 1)
		d.w(regDriverFeatures, uint32(feat>>32))
		d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK)
		rings := []uint64{0x1000, 0x2000} // rx, tx: desc, then avail at +0x100, used at +0x200
		for q, base := range rings {
			d.w(regQueueSel, uint32(q))
			d.w(regQueueNum, tQSize)
			d.w(regQueueDescLow, uint32(base))
			d.w(regQueueAvailLow, uint32(base+0x100))
			d.w(regQueueUsedLow, uint32(base+0x200))
			d.w(regQueueReady, 1)
		}
		d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK|StatusDriverOK)
		for i := 0; len(data) >= 8 && i < 2*tQSize; i, data = i+1, data[8:] {
			addr := uint64(binary.LittleEndian.Uint16(data[0:])) * 2
			n := uint32(binary.LittleEndian.Uint16(data[2:]))
			flags, next := uint16(data[6]&7), uint16(data[7]%(tQSize+2))
			d.putDesc(rings[i%2], (i/2)%tQSize, addr, n, flags, next)
		}
		for q, base := range rings {
			for h := range uint16(3) {
				mem.PutUint16(base+0x100+4+2*uint64(h), h)
			}
			mem.PutUint16(base+0x100+2, 3)
			d.w(regQueueNotify, uint32(q))
		}
		frame := append(make([]byte, NetHdrLen), payload...)
		for range 3 {
			d.mmio.Deliver(netRxQ, func(c Chain) uint32 {
				n := scatter(frame, c.Writable)
				if uint64(n) > c.WritableLen() {
					t.Fatalf("scatter wrote %d bytes into %d", n, c.WritableLen())
				}
				return n
			})
		}
	})
}

// checkConsole asserts the console's bounds: control messages and bytes
// each way stay within what the device promises, whatever the guest did.
func checkConsole(t *testing.T, c *Console) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.ctrl) > maxPendingControl {
		t.Fatalf("%d control messages pending, bound %d", len(c.ctrl), maxPendingControl)
	}
	if c.out.Len() > ConsoleBuffer {
		t.Fatalf("%d bytes for the guest buffered, bound %d", c.out.Len(), ConsoleBuffer)
	}
	if c.conn != nil && c.conn.in.Len() > ConsoleBuffer+maxPortChain {
		t.Fatalf("%d bytes from the guest buffered, bound %d", c.conn.in.Len(), ConsoleBuffer+maxPortChain)
	}
	if c.guestOpen && !c.portReady {
		t.Fatalf("port open in the guest but never added")
	}
}

// FuzzConsoleChains brings the console up as Linux does, port open both
// ends, then gives every one of its six queues descriptors the fuzzer
// wrote (records as in FuzzBlkChains, lengths scaled up to 16 MiB so
// aliasing chains claim more than memory) while the host writes payload.
// Nothing may panic, and the host side stays within its bounds.
func FuzzConsoleChains(f *testing.F) {
	rec := func(addr uint16, n uint16, scale, flags, next byte) []byte {
		b := binary.LittleEndian.AppendUint16(nil, addr)
		b = binary.LittleEndian.AppendUint16(b, n)
		return append(b, scale, 0, flags, next)
	}
	var seed []byte
	for q := range 6 {
		switch q {
		case consoleRx, consoleCtrlRx:
			seed = append(seed, rec(0x200+uint16(q)*0x10, 64, 0, descFWrite, 0)...)
		default:
			seed = append(seed, rec(0x100, 16, 0, 0, 0)...)
		}
	}
	f.Add(seed, []byte("payload"))
	f.Add(append(rec(0x100, 0xffff, 0xff, descFNext, 0), rec(0x100, 0xffff, 0xff, descFNext, 0)...), []byte{})
	f.Add(bytes.Repeat(rec(0x300, 48, 0, descFIndirect, 1), 6), bytes.Repeat([]byte{1}, 5000))
	f.Fuzz(func(t *testing.T, data, payload []byte) {
		cd := newConsoleDriver(t)
		k := mustOpen(t, cd.con)
		cd.handshake(true)
		cd.send(ConsolePort, ConsolePortOpen, 1)
		if _, err := k.Write(payload[:min(len(payload), ConsoleBuffer)]); err != nil {
			t.Fatal(err)
		}
		for i := 0; len(data) >= 8 && i < 6*tQSize; i, data = i+1, data[8:] {
			addr := uint64(binary.LittleEndian.Uint16(data[0:])) * 16 // 0..1 MiB and past its end
			n := uint32(binary.LittleEndian.Uint16(data[2:])) * (1 + uint32(data[4]))
			flags, next := uint16(data[6]&7), uint16(data[7]%(tQSize+2))
			r := cd.q[i%6]
			cd.putDesc(r.desc, (int(r.next)+i/6)%tQSize, addr, n, flags, next)
		}
		for q, r := range cd.q {
			for h := range uint16(3) {
				cd.mem.PutUint16(r.avail+4+2*uint64(r.availIdx%tQSize), (r.next+h)%tQSize)
				r.availIdx++
			}
			cd.mem.PutUint16(r.avail+2, r.availIdx)
			cd.w(regQueueNotify, uint32(q))
			cd.pump()
			checkConsole(t, cd.con)
		}
		k.Close()
		cd.pump()
		checkConsole(t, cd.con)
	})
}

// FuzzConsoleControl runs a sequence of driver and host actions chosen
// by the fuzzer — control messages with any id, event and value, control
// and receive buffers of any size, the guest's bytes, the host opening,
// writing and closing — and checks after each that the device keeps its
// bounds and that every control message it sends is one a driver
// expects: for port 1, DEVICE_ADD, PORT_NAME or PORT_OPEN.
func FuzzConsoleControl(f *testing.F) {
	op := func(code byte, id uint32, event, value uint16) []byte {
		return append([]byte{code}, ctrlBytes(id, event, value)...)
	}
	f.Add(bytes.Join([][]byte{
		op(2, 0, 0, 0),
		op(0, badID, ConsoleDeviceReady, 1), op(1, 64, 0, 0),
		op(0, ConsolePort, ConsolePortReady, 1), op(1, 64, 0, 0), op(1, 64, 0, 0),
		op(0, ConsolePort, ConsolePortOpen, 1), op(4, 5, 0, 0), op(6, 16, 0, 0), op(5, 8, 0, 0),
		op(3, 0, 0, 0), op(1, 64, 0, 0), op(2, 0, 0, 0), op(0, ConsolePort, ConsolePortOpen, 0),
	}, nil))
	f.Add(bytes.Repeat(op(0, badID, ConsoleDeviceReady, 1), 40))
	f.Fuzz(func(t *testing.T, data []byte) {
		cd := newConsoleDriver(t)
		var k io.ReadWriteCloser
		rxCtrl, rxData := map[uint16]uint64{}, 0
		for i := 0; len(data) >= 9 && i < 64; i, data = i+1, data[9:] {
			b := data[1:9]
			switch data[0] % 7 {
			case 0: // the driver sends a control message
				cd.q[consoleCtrlTx].post([]buf{{in: b}})
			case 1: // the driver posts a control buffer of b[0] bytes
				r := cd.q[consoleCtrlRx]
				if idx := r.availIdx; idx-r.used < tQSize { // no descriptor reused while posted
					rxCtrl[idx] = r.post([]buf{{write: int(b[0]) + 1}})[0]
				}
			case 2:
				if k == nil {
					k, _ = cd.con.Open()
				}
			case 3:
				if k != nil {
					k.Close()
					k = nil
				}
			case 4: // the host writes, never more than fits
				if k != nil && cd.con.out.Len()+len(b) <= ConsoleBuffer {
					k.Write(b)
				}
			case 5: // the guest writes
				cd.q[consoleTx].post([]buf{{in: b}})
			case 6: // the guest posts a receive buffer
				cd.q[consoleRx].post([]buf{{write: int(b[0])}})
				rxData++
			}
			cd.pump()
			checkConsole(t, cd.con)
			r := cd.q[consoleCtrlRx]
			for {
				before := r.used
				n, ok := r.poll()
				if !ok {
					break
				}
				addr, posted := rxCtrl[before]
				if !posted || n < consoleCtrlLen {
					continue // a buffer too small for the message, or one aliased
				}
				m, _ := cd.mem.Slice(addr, uint64(n))
				id, event := binary.LittleEndian.Uint32(m), binary.LittleEndian.Uint16(m[4:])
				if id != ConsolePort || event != ConsoleDeviceAdd && event != ConsolePortName && event != ConsolePortOpen {
					t.Fatalf("device sent id %d event %d", id, event)
				}
			}
		}
	})
}
