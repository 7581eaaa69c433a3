package virtio

import (
	"encoding/binary"
	"sync"

	"github.com/hyperbuild/hyper/runner/kvm/guestmem"
)

// MMIOSize is the size of one virtio-mmio register window.
const MMIOSize = 0x1000

// QueueMax is the largest queue a driver may configure.
const QueueMax = 256

// virtio-mmio version 2 registers (virtio 1.x §4.2.2).
const (
	regMagic          = 0x000
	regVersion        = 0x004
	regDeviceID       = 0x008
	regVendorID       = 0x00c
	regDeviceFeatures = 0x010
	regDeviceFeatSel  = 0x014
	regDriverFeatures = 0x020
	regDriverFeatSel  = 0x024
	regQueueSel       = 0x030
	regQueueNumMax    = 0x034
	regQueueNum       = 0x038
	regQueueReady     = 0x044
	regQueueNotify    = 0x050
	regInterruptStat  = 0x060
	regInterruptACK   = 0x064
	regStatus         = 0x070
	regQueueDescLow   = 0x080
	regQueueDescHigh  = 0x084
	regQueueAvailLow  = 0x090
	regQueueAvailHigh = 0x094
	regQueueUsedLow   = 0x0a0
	regQueueUsedHigh  = 0x0a4
	regConfigGen      = 0x0fc
	regConfig         = 0x100

	magic  = 0x74726976 // "virt"
	vendor = 0x48595052 // "HYPR"
)

// Device status bits (§2.1).
const (
	StatusAcknowledge = 1
	StatusDriver      = 2
	StatusDriverOK    = 4
	StatusFeaturesOK  = 8
	StatusNeedsReset  = 0x40
	StatusFailed      = 0x80
)

const (
	intUsedBuffer   = 1
	intConfigChange = 2
)

// MMIO is a virtio-mmio transport around one device.
type MMIO struct {
	dev  Device
	mem  *guestmem.Memory
	irq  Interrupter
	line uint32

	mu          sync.Mutex
	status      uint32
	devFeatSel  uint32
	drvFeatSel  uint32
	drvFeatures uint64
	queueSel    uint32
	queues      []Queue
	intStatus   uint32
	// Err is the last error that put the device in NEEDS_RESET, for logs.
	err error
}

// NewMMIO puts dev behind a virtio-mmio register window that raises
// interrupt line on irq.
func NewMMIO(dev Device, mem *guestmem.Memory, irq Interrupter, line uint32) *MMIO {
	return &MMIO{dev: dev, mem: mem, irq: irq, line: line, queues: make([]Queue, dev.Queues())}
}

// Err is the guest error that last put the device in NEEDS_RESET, if any.
func (t *MMIO) Err() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.err
}

// Read handles a guest load at offset off in the window.
func (t *MMIO) Read(off uint64, data []byte) {
	clear(data)
	t.mu.Lock()
	defer t.mu.Unlock()
	if off >= regConfig {
		cfg := t.dev.Config()
		o := off - regConfig
		if o < uint64(len(cfg)) {
			copy(data, cfg[o:])
		}
		return
	}
	if len(data) != 4 {
		return // registers are 32-bit only (§4.2.2.2)
	}
	binary.LittleEndian.PutUint32(data, t.reg(off))
}

func (t *MMIO) reg(off uint64) uint32 {
	switch off {
	case regMagic:
		return magic
	case regVersion:
		return 2
	case regDeviceID:
		return t.dev.Type()
	case regVendorID:
		return vendor
	case regDeviceFeatures:
		if t.devFeatSel > 1 {
			return 0
		}
		return uint32(t.dev.Features() >> (32 * t.devFeatSel))
	case regQueueNumMax:
		if t.queue() == nil {
			return 0
		}
		return QueueMax
	case regQueueReady:
		if q := t.queue(); q != nil && q.Ready {
			return 1
		}
		return 0
	case regInterruptStat:
		return t.intStatus
	case regStatus:
		return t.status
	case regConfigGen:
		return 0
	}
	return 0
}

func (t *MMIO) queue() *Queue {
	if int(t.queueSel) >= len(t.queues) {
		return nil
	}
	return &t.queues[t.queueSel]
}

// Write handles a guest store at offset off in the window.
func (t *MMIO) Write(off uint64, data []byte) {
	if off >= regConfig || len(data) != 4 {
		return // configuration space is read-only for our devices
	}
	v := binary.LittleEndian.Uint32(data)
	t.mu.Lock()
	if off == regQueueNotify {
		raise := t.notify(v)
		t.mu.Unlock()
		if raise {
			t.irq.Interrupt(t.line)
		}
		return
	}
	defer t.mu.Unlock()
	switch off {
	case regDeviceFeatSel:
		t.devFeatSel = v
	case regDriverFeatSel:
		t.drvFeatSel = v
	case regDriverFeatures:
		if t.status&StatusFeaturesOK != 0 || t.drvFeatSel > 1 {
			return
		}
		shift := 32 * t.drvFeatSel
		t.drvFeatures = t.drvFeatures&^(0xffffffff<<shift) | uint64(v)<<shift
	case regQueueSel:
		t.queueSel = v
	case regQueueNum:
		if q := t.queue(); q != nil && !q.Ready {
			q.Size = uint16(min(v, 1<<16-1))
		}
	case regQueueReady:
		t.setReady(v == 1)
	case regQueueDescLow, regQueueDescHigh:
		t.setAddr(off-regQueueDescLow, v, func(q *Queue) *uint64 { return &q.Desc })
	case regQueueAvailLow, regQueueAvailHigh:
		t.setAddr(off-regQueueAvailLow, v, func(q *Queue) *uint64 { return &q.Avail })
	case regQueueUsedLow, regQueueUsedHigh:
		t.setAddr(off-regQueueUsedLow, v, func(q *Queue) *uint64 { return &q.Used })
	case regInterruptACK:
		t.intStatus &^= v
	case regStatus:
		t.setStatus(v)
	}
}

func (t *MMIO) setAddr(half uint64, v uint32, field func(*Queue) *uint64) {
	q := t.queue()
	if q == nil || q.Ready {
		return
	}
	p := field(q)
	if half == 0 {
		*p = *p&^0xffffffff | uint64(v)
	} else {
		*p = *p&0xffffffff | uint64(v)<<32
	}
}

func (t *MMIO) setReady(ready bool) {
	q := t.queue()
	if q == nil {
		return
	}
	if !ready {
		q.Ready = false
		return
	}
	if q.Size == 0 || q.Size > QueueMax || q.Size&(q.Size-1) != 0 {
		return // the driver reads QueueReady back and sees the refusal
	}
	q.Indirect = t.drvFeatures&FeatureIndirectDesc != 0
	q.Ready = true
}

func (t *MMIO) setStatus(v uint32) {
	if v == 0 {
		t.reset()
		return
	}
	if v&StatusFeaturesOK != 0 && t.status&StatusFeaturesOK == 0 {
		offered := t.dev.Features()
		if t.drvFeatures&^offered != 0 || t.drvFeatures&FeatureVersion1 == 0 {
			v &^= StatusFeaturesOK // refused: the driver checks (§3.1.1)
		}
	}
	t.status = v | t.status&StatusNeedsReset
}

func (t *MMIO) reset() {
	t.status, t.devFeatSel, t.drvFeatSel, t.drvFeatures = 0, 0, 0, 0
	t.queueSel, t.intStatus, t.err = 0, 0, nil
	for i := range t.queues {
		t.queues[i].Reset()
	}
	if l, ok := t.dev.(Lifecycle); ok {
		l.Reset()
	}
}

// broken puts the device in NEEDS_RESET for a guest error err and says
// so to the driver (a configuration-change interrupt the caller raises).
func (t *MMIO) broken(err error) {
	t.err = err
	t.status |= StatusNeedsReset
	t.intStatus |= intConfigChange
	if l, ok := t.dev.(Lifecycle); ok {
		l.Broken(err)
	}
}

// notify processes everything the driver published on queue qi and says
// whether to raise the interrupt line.
func (t *MMIO) notify(qi uint32) bool {
	if t.status&StatusDriverOK == 0 || t.status&StatusNeedsReset != 0 || int(qi) >= len(t.queues) {
		return false
	}
	if a, ok := t.dev.(Async); ok && a.Async(int(qi)) {
		a.Notified(int(qi))
		return false
	}
	q := &t.queues[qi]
	used := false
	// At most Size chains per notify: a well-behaved driver never has more
	// outstanding, and a hostile one whose buffers alias its own avail
	// ring would otherwise keep this vCPU thread here forever.
	for range q.Size {
		c, ok, err := q.Pop(t.mem)
		if err == nil && ok {
			var n uint32
			n, err = t.dev.Process(int(qi), c)
			if err == nil {
				err = q.Push(t.mem, c.Head, n)
				used = true
			}
		}
		if err != nil {
			t.broken(err)
			return true
		}
		if !ok {
			break
		}
	}
	if used {
		t.intStatus |= intUsedBuffer
	}
	return used && q.WantsInterrupt(t.mem)
}

// Async is implemented by devices that fill some of their queues
// themselves, when data arrives (a NIC's receive queue): the transport
// does not consume those queues on notify but tells the device, which
// later calls Deliver.
type Async interface {
	Async(q int) bool
	Notified(q int)
}

// Lifecycle is implemented by devices with state beyond their queues
// (the console's ports). The transport calls Reset when the driver resets
// the device (status 0) and Broken when a guest error puts it in
// NEEDS_RESET, both with its lock held: they must not call back into the
// transport.
type Lifecycle interface {
	Reset()
	Broken(err error)
}

// Deliver hands the next chain the driver made available on queue qi to
// fill, which returns how many bytes it wrote, then gives the chain back
// and interrupts the guest. ok is false when there is no chain (or the
// device is not running): call again after the next Notified. An error
// is a broken queue, which puts the device in NEEDS_RESET.
func (t *MMIO) Deliver(qi int, fill func(Chain) uint32) (ok bool, err error) {
	return t.DeliverIf(qi, nil, func(c Chain) (uint32, error) { return fill(c), nil })
}

// DeliverIf is Deliver for a device whose state the guest also changes
// through another queue (a console port it closes): want, when not nil,
// says under the transport's lock whether the device still has work for
// a chain, so nothing changes between that answer and fill, and no chain
// is taken for nothing (ok is then false). fill may refuse a chain that
// breaks the device's rules with an error, which puts the device in
// NEEDS_RESET like a broken queue.
func (t *MMIO) DeliverIf(qi int, want func() bool, fill func(Chain) (uint32, error)) (ok bool, err error) {
	t.mu.Lock()
	if t.status&StatusDriverOK == 0 || t.status&StatusNeedsReset != 0 || qi < 0 || qi >= len(t.queues) ||
		!t.queues[qi].Ready || want != nil && !want() {
		t.mu.Unlock()
		return false, nil
	}
	q := &t.queues[qi]
	c, ok, err := q.Pop(t.mem)
	if err == nil && ok {
		var n uint32
		if n, err = fill(c); err == nil {
			err = q.Push(t.mem, c.Head, n)
		}
	}
	raise := false
	switch {
	case err != nil:
		t.broken(err)
		raise = true
	case ok:
		t.intStatus |= intUsedBuffer
		raise = q.WantsInterrupt(t.mem)
	}
	t.mu.Unlock()
	if raise {
		t.irq.Interrupt(t.line)
	}
	return ok && err == nil, err
}
