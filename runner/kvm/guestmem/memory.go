package guestmem

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrOutOfBounds is returned for any access that does not lie entirely
// inside guest memory, including lengths that overflow.
var ErrOutOfBounds = errors.New("guest address out of bounds")

// HighBase is where RAM resumes above the 32-bit MMIO hole, for guests
// with more RAM than fits below it.
const HighBase = 1 << 32

// Memory is guest-physical RAM: one host mapping, of which the first low
// bytes are guest [0, low) and the rest, if any, guest [HighBase, ...).
type Memory struct {
	b   []byte
	low uint64
}

// New wraps b, the host mapping of guest-physical [0, len(b)).
func New(b []byte) *Memory { return &Memory{b: b, low: uint64(len(b))} }

// NewSplit wraps b as guest [0, low) and [HighBase, HighBase+len(b)-low).
func NewSplit(b []byte, low uint64) *Memory {
	return &Memory{b: b, low: min(low, uint64(len(b)))}
}

// Size is the number of bytes of guest memory.
func (m *Memory) Size() uint64 { return uint64(len(m.b)) }

// Bytes is the whole mapping, for loaders that fill memory before boot.
func (m *Memory) Bytes() []byte { return m.b }

// Slice returns guest memory [addr, addr+n) without copying: writes to it
// are writes to the guest. A range must lie in one region: nothing is
// contiguous across the MMIO hole.
func (m *Memory) Slice(addr, n uint64) ([]byte, error) {
	if addr <= m.low && n <= m.low-addr {
		return m.b[addr : addr+n : addr+n], nil
	}
	high := uint64(len(m.b)) - m.low
	if addr >= HighBase && addr-HighBase <= high && n <= high-(addr-HighBase) {
		off := m.low + addr - HighBase
		return m.b[off : off+n : off+n], nil
	}
	return nil, fmt.Errorf("%w: %#x+%#x (memory is %#x bytes below the hole, %#x above)", ErrOutOfBounds, addr, n, m.low, high)
}

// Uint16 reads a little-endian uint16 at addr.
func (m *Memory) Uint16(addr uint64) (uint16, error) {
	s, err := m.Slice(addr, 2)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint16(s), nil
}

// Uint32 reads a little-endian uint32 at addr.
func (m *Memory) Uint32(addr uint64) (uint32, error) {
	s, err := m.Slice(addr, 4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(s), nil
}

// Uint64 reads a little-endian uint64 at addr.
func (m *Memory) Uint64(addr uint64) (uint64, error) {
	s, err := m.Slice(addr, 8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(s), nil
}

// PutUint16 writes a little-endian uint16 at addr.
func (m *Memory) PutUint16(addr uint64, v uint16) error {
	s, err := m.Slice(addr, 2)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint16(s, v)
	return nil
}

// PutUint32 writes a little-endian uint32 at addr.
func (m *Memory) PutUint32(addr uint64, v uint32) error {
	s, err := m.Slice(addr, 4)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(s, v)
	return nil
}

// PutUint64 writes a little-endian uint64 at addr.
func (m *Memory) PutUint64(addr uint64, v uint64) error {
	s, err := m.Slice(addr, 8)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint64(s, v)
	return nil
}

// Write copies p into guest memory at addr.
func (m *Memory) Write(addr uint64, p []byte) error {
	s, err := m.Slice(addr, uint64(len(p)))
	if err != nil {
		return err
	}
	copy(s, p)
	return nil
}
