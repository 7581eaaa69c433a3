package virtio

import (
	"errors"
	"fmt"

	"github.com/hyperbuild/hyper/runner/kvm/guestmem"
)

// Descriptor flags (virtio 1.x §2.7.5).
const (
	descFNext     = 1
	descFWrite    = 2
	descFIndirect = 4

	descSize = 16

	// availFNoInterrupt is the driver asking not to be interrupted.
	availFNoInterrupt = 1
)

// Errors a guest can provoke; each one puts the device in NEEDS_RESET.
var (
	ErrQueueNotReady = errors.New("virtqueue not ready")
	ErrBadQueue      = errors.New("virtqueue state is invalid")
	ErrBadChain      = errors.New("descriptor chain is invalid")
)

// Queue is one split virtqueue: where its three parts are in guest memory
// and how far the device has consumed it.
type Queue struct {
	Size  uint16 // negotiated number of entries, a power of two
	Ready bool
	Desc  uint64 // descriptor table
	Avail uint64 // driver ("available") ring
	Used  uint64 // device ("used") ring

	// Indirect says VIRTIO_F_INDIRECT_DESC was negotiated.
	Indirect bool

	lastAvail uint16
	usedIdx   uint16
}

// Chain is one request: the guest buffers it names, in order, split into
// the ones the device reads and the ones it writes. The slices alias
// guest memory.
type Chain struct {
	Head     uint16
	Readable [][]byte
	Writable [][]byte
}

// WritableLen is the total size of the writable buffers.
func (c *Chain) WritableLen() uint64 {
	var n uint64
	for _, b := range c.Writable {
		n += uint64(len(b))
	}
	return n
}

// Reset forgets the ring position, as a device reset does.
func (q *Queue) Reset() { *q = Queue{} }

func (q *Queue) check() error {
	if !q.Ready {
		return ErrQueueNotReady
	}
	if q.Size == 0 || q.Size&(q.Size-1) != 0 {
		return fmt.Errorf("%w: size %d is not a power of two", ErrBadQueue, q.Size)
	}
	return nil
}

// Pop returns the next available chain, or ok == false when the driver
// has published nothing new.
func (q *Queue) Pop(mem *guestmem.Memory) (c Chain, ok bool, err error) {
	if err := q.check(); err != nil {
		return Chain{}, false, err
	}
	idx, err := mem.Uint16(q.Avail + 2)
	if err != nil {
		return Chain{}, false, fmt.Errorf("reading avail index: %w", err)
	}
	pending := idx - q.lastAvail
	if pending == 0 {
		return Chain{}, false, nil
	}
	if pending > q.Size {
		return Chain{}, false, fmt.Errorf("%w: avail index %d is %d ahead of %d, queue size %d",
			ErrBadQueue, idx, pending, q.lastAvail, q.Size)
	}
	head, err := mem.Uint16(q.Avail + 4 + 2*uint64(q.lastAvail%q.Size))
	if err != nil {
		return Chain{}, false, fmt.Errorf("reading avail ring: %w", err)
	}
	q.lastAvail++
	c, err = q.walk(mem, head)
	if err != nil {
		return Chain{}, false, err
	}
	return c, true, nil
}

// Push returns a chain to the driver with the number of bytes written.
func (q *Queue) Push(mem *guestmem.Memory, head uint16, written uint32) error {
	if err := q.check(); err != nil {
		return err
	}
	e := q.Used + 4 + 8*uint64(q.usedIdx%q.Size)
	if err := mem.PutUint32(e, uint32(head)); err != nil {
		return fmt.Errorf("writing used ring: %w", err)
	}
	if err := mem.PutUint32(e+4, written); err != nil {
		return fmt.Errorf("writing used ring: %w", err)
	}
	// The entry must be visible before the index that publishes it; on
	// amd64 stores are not reordered with other stores, and this is the
	// only store after the entry's.
	q.usedIdx++
	if err := mem.PutUint16(q.Used+2, q.usedIdx); err != nil {
		return fmt.Errorf("writing used index: %w", err)
	}
	return nil
}

// WantsInterrupt reports whether the driver has not suppressed
// interrupts for this queue.
func (q *Queue) WantsInterrupt(mem *guestmem.Memory) bool {
	flags, err := mem.Uint16(q.Avail)
	return err != nil || flags&availFNoInterrupt == 0
}
