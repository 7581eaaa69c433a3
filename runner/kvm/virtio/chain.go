package virtio

import (
	"encoding/binary"
	"fmt"

	"github.com/hyperbuild/hyper/runner/kvm/guestmem"
)

type desc struct {
	addr  uint64
	len   uint32
	flags uint16
	next  uint16
}

func readDesc(table []byte, i uint16) desc {
	b := table[int(i)*descSize:]
	return desc{
		addr:  binary.LittleEndian.Uint64(b[0:]),
		len:   binary.LittleEndian.Uint32(b[8:]),
		flags: binary.LittleEndian.Uint16(b[12:]),
		next:  binary.LittleEndian.Uint16(b[14:]),
	}
}

// walk follows the chain starting at head. The whole chain, indirect
// tables included, may hold at most Size descriptors (§2.7.5.3.1): that
// bounds the work a guest can cause and catches loops.
func (q *Queue) walk(mem *guestmem.Memory, head uint16) (Chain, error) {
	c := Chain{Head: head}
	table, err := mem.Slice(q.Desc, uint64(q.Size)*descSize)
	if err != nil {
		return c, fmt.Errorf("%w: descriptor table: %w", ErrBadChain, err)
	}
	budget := int(q.Size)
	if err := q.follow(mem, &c, table, q.Size, head, &budget, true); err != nil {
		return c, err
	}
	return c, nil
}

func (q *Queue) follow(mem *guestmem.Memory, c *Chain, table []byte, n, i uint16, budget *int, top bool) error {
	for {
		if i >= n {
			return fmt.Errorf("%w: descriptor index %d, table has %d", ErrBadChain, i, n)
		}
		if *budget <= 0 {
			return fmt.Errorf("%w: longer than the queue size %d (a loop?)", ErrBadChain, q.Size)
		}
		*budget--
		d := readDesc(table, i)
		if d.flags&descFIndirect != 0 {
			if err := q.indirect(mem, c, d, budget, top); err != nil {
				return err
			}
		} else if err := c.add(mem, d); err != nil {
			return err
		}
		if d.flags&descFNext == 0 {
			return nil
		}
		i = d.next
	}
}

func (q *Queue) indirect(mem *guestmem.Memory, c *Chain, d desc, budget *int, top bool) error {
	switch {
	case !q.Indirect:
		return fmt.Errorf("%w: indirect descriptor, feature not negotiated", ErrBadChain)
	case !top:
		return fmt.Errorf("%w: indirect descriptor inside an indirect table", ErrBadChain)
	case d.flags&descFNext != 0:
		return fmt.Errorf("%w: indirect descriptor with NEXT set", ErrBadChain)
	case d.len == 0 || d.len%descSize != 0 || d.len/descSize > 1<<16-1:
		return fmt.Errorf("%w: indirect table of %d bytes", ErrBadChain, d.len)
	}
	table, err := mem.Slice(d.addr, uint64(d.len))
	if err != nil {
		return fmt.Errorf("%w: indirect table: %w", ErrBadChain, err)
	}
	return q.follow(mem, c, table, uint16(d.len/descSize), 0, budget, false)
}

func (c *Chain) add(mem *guestmem.Memory, d desc) error {
	b, err := mem.Slice(d.addr, uint64(d.len))
	if err != nil {
		return fmt.Errorf("%w: buffer: %w", ErrBadChain, err)
	}
	if d.flags&descFWrite == 0 {
		if len(c.Writable) > 0 {
			return fmt.Errorf("%w: device-readable buffer after a device-writable one", ErrBadChain)
		}
		c.Readable = append(c.Readable, b)
		return nil
	}
	c.Writable = append(c.Writable, b)
	return nil
}
