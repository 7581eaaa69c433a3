package virtio

import (
	"encoding/binary"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hyperbuild/hyper/runner/kvm/guestmem"
)

// memDisk is a Disk in memory that counts syncs.
type memDisk struct {
	mu    sync.Mutex
	b     []byte
	syncs int
}

func (d *memDisk) ReadAt(p []byte, off int64) (int, error) {
	return copy(p, d.b[off:]), nil
}

func (d *memDisk) WriteAt(p []byte, off int64) (int, error) {
	return copy(d.b[off:], p), nil
}

func (d *memDisk) Sync() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.syncs++
	return nil
}

// countIRQ counts interrupts; the NIC raises them from its own goroutine.
type countIRQ struct{ n atomic.Int32 }

func (c *countIRQ) Interrupt(uint32) error { c.n.Add(1); return nil }

// Guest memory layout of the test driver.
const (
	tDesc  = 0x100
	tAvail = 0x200
	tUsed  = 0x300
	tData  = 0x400
	tMem   = 1 << 20
	tQSize = 16
)

// driver plays the guest's virtio-mmio driver against a transport.
type driver struct {
	t     testing.TB
	mem   *guestmem.Memory
	mmio  *MMIO
	irq   *countIRQ
	avail uint16
	data  uint64 // next free data address
	used  uint16
}

func newDriver(t testing.TB, dev Device, features uint64) *driver {
	mem := guestmem.New(make([]byte, tMem))
	d := &driver{t: t, mem: mem, irq: &countIRQ{}, data: tData}
	d.mmio = NewMMIO(dev, mem, d.irq, 5)
	if got := d.r(regMagic); got != magic {
		t.Fatalf("magic = %#x", got)
	}
	d.w(regStatus, StatusAcknowledge|StatusDriver)
	d.w(regDriverFeatSel, 0)
	d.w(regDriverFeatures, uint32(features))
	d.w(regDriverFeatSel, 1)
	d.w(regDriverFeatures, uint32(features>>32))
	d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK)
	if d.r(regStatus)&StatusFeaturesOK == 0 {
		return d // feature refusal is tested by the caller
	}
	d.w(regQueueSel, 0)
	if got := d.r(regQueueNumMax); got < tQSize {
		t.Fatalf("QueueNumMax = %d", got)
	}
	d.w(regQueueNum, tQSize)
	d.w(regQueueDescLow, tDesc)
	d.w(regQueueAvailLow, tAvail)
	d.w(regQueueUsedLow, tUsed)
	d.w(regQueueReady, 1)
	d.w(regStatus, StatusAcknowledge|StatusDriver|StatusFeaturesOK|StatusDriverOK)
	return d
}

func (d *driver) r(off uint64) uint32 {
	var b [4]byte
	d.mmio.Read(off, b[:])
	return binary.LittleEndian.Uint32(b[:])
}

func (d *driver) w(off uint64, v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	d.mmio.Write(off, b[:])
}

// buf is one buffer of a request: its contents for a device-readable
// buffer, its size for a device-writable one.
type buf struct {
	in    []byte
	write int
}

func (d *driver) alloc(n int) uint64 {
	a := d.data
	d.data += uint64(n+15) &^ 15
	return a
}

func (d *driver) putDesc(table uint64, i int, addr uint64, n uint32, flags, next uint16) {
	e := table + uint64(i)*descSize
	d.mem.PutUint64(e, addr)
	d.mem.PutUint32(e+8, n)
	d.mem.PutUint16(e+12, flags)
	d.mem.PutUint16(e+14, next)
}

// layout writes bufs as descriptors 0..n-1 of table and returns where
// each buffer lives.
func (d *driver) layout(table uint64, bufs []buf) []uint64 {
	addrs := make([]uint64, len(bufs))
	for i, b := range bufs {
		var flags uint16
		n := len(b.in)
		if b.write > 0 {
			n, flags = b.write, descFWrite
		}
		addrs[i] = d.alloc(n)
		d.mem.Write(addrs[i], b.in)
		if i < len(bufs)-1 {
			flags |= descFNext
		}
		d.putDesc(table, i, addrs[i], uint32(n), flags, uint16(i+1))
	}
	return addrs
}

// publish makes descriptor head available and notifies the device.
func (d *driver) publish(head uint16) {
	d.mem.PutUint16(tAvail+4+2*uint64(d.avail%tQSize), head)
	d.avail++
	d.mem.PutUint16(tAvail+2, d.avail)
	d.w(regQueueNotify, 0)
}

// submit sends one request as a direct chain and returns the used length
// and the writable buffers' contents.
func (d *driver) submit(bufs []buf) (uint32, [][]byte) {
	addrs := d.layout(tDesc, bufs)
	d.publish(0)
	return d.collect(bufs, addrs)
}

// submitIndirect sends one request through an indirect table.
func (d *driver) submitIndirect(bufs []buf) (uint32, [][]byte) {
	table := d.alloc(len(bufs) * descSize)
	addrs := d.layout(table, bufs)
	d.putDesc(tDesc, 0, table, uint32(len(bufs)*descSize), descFIndirect, 0)
	d.publish(0)
	return d.collect(bufs, addrs)
}

func (d *driver) collect(bufs []buf, addrs []uint64) (uint32, [][]byte) {
	d.t.Helper()
	idx, _ := d.mem.Uint16(tUsed + 2)
	if idx != d.used+1 {
		d.t.Fatalf("used index = %d, want %d (status %#x, err %v)", idx, d.used+1, d.r(regStatus), d.mmio.Err())
	}
	e := tUsed + 4 + 8*uint64(d.used%tQSize)
	d.used++
	n, _ := d.mem.Uint32(e + 4)
	var out [][]byte
	for i, b := range bufs {
		if b.write > 0 {
			s, _ := d.mem.Slice(addrs[i], uint64(b.write))
			out = append(out, append([]byte(nil), s...))
		}
	}
	return n, out
}
