package guestmem

import (
	"errors"
	"math"
	"testing"
)

func TestSliceBounds(t *testing.T) {
	m := New(make([]byte, 4096))
	tests := []struct {
		addr, n uint64
		ok      bool
	}{
		{0, 0, true},
		{0, 4096, true},
		{4095, 1, true},
		{4096, 0, true},
		{4096, 1, false},
		{4097, 0, false},
		{1, 4096, false},
		{math.MaxUint64, 2, false},
		{2, math.MaxUint64, false},
		{math.MaxUint64 - 1, math.MaxUint64, false},
	}
	for _, tt := range tests {
		s, err := m.Slice(tt.addr, tt.n)
		if got := err == nil; got != tt.ok {
			t.Errorf("Slice(%#x, %#x) err = %v, want ok=%v", tt.addr, tt.n, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrOutOfBounds) {
			t.Errorf("Slice(%#x, %#x) err = %v, want ErrOutOfBounds", tt.addr, tt.n, err)
		}
		if err == nil && uint64(len(s)) != tt.n {
			t.Errorf("Slice(%#x, %#x) len = %d", tt.addr, tt.n, len(s))
		}
	}
}

func TestSliceCannotGrow(t *testing.T) {
	m := New(make([]byte, 64))
	s, err := m.Slice(8, 8)
	if err != nil {
		t.Fatal(err)
	}
	if got := cap(s); got != 8 {
		t.Errorf("cap = %d, want 8: a device could append into memory it was not given", got)
	}
}

func TestRoundTrip(t *testing.T) {
	m := New(make([]byte, 64))
	if err := m.PutUint16(0, 0xbeef); err != nil {
		t.Fatal(err)
	}
	if err := m.PutUint32(8, 0xdeadbeef); err != nil {
		t.Fatal(err)
	}
	if err := m.PutUint64(16, 0x0123456789abcdef); err != nil {
		t.Fatal(err)
	}
	if got, _ := m.Uint16(0); got != 0xbeef {
		t.Errorf("Uint16 = %#x", got)
	}
	if got, _ := m.Uint32(8); got != 0xdeadbeef {
		t.Errorf("Uint32 = %#x", got)
	}
	if got, _ := m.Uint64(16); got != 0x0123456789abcdef {
		t.Errorf("Uint64 = %#x", got)
	}
	if err := m.PutUint64(60, 1); !errors.Is(err, ErrOutOfBounds) {
		t.Errorf("PutUint64 past the end: err = %v", err)
	}
}

func TestSplitMemory(t *testing.T) {
	b := make([]byte, 8192)
	m := NewSplit(b, 4096)
	tests := []struct {
		addr, n uint64
		ok      bool
		hostOff int
	}{
		{0, 4096, true, 0},
		{4095, 1, true, 4095},
		{4096, 1, false, 0}, // the hole
		{4000, 200, false, 0},
		{HighBase, 4096, true, 4096},
		{HighBase + 4095, 1, true, 8191},
		{HighBase + 4096, 1, false, 0},
		{HighBase - 1, 2, false, 0},
		{math.MaxUint64, 1, false, 0},
	}
	for _, tt := range tests {
		s, err := m.Slice(tt.addr, tt.n)
		if got := err == nil; got != tt.ok {
			t.Errorf("Slice(%#x, %#x) err = %v, want ok=%v", tt.addr, tt.n, err, tt.ok)
			continue
		}
		if err == nil && len(s) > 0 && &s[0] != &b[tt.hostOff] {
			t.Errorf("Slice(%#x, %#x) is not host offset %d", tt.addr, tt.n, tt.hostOff)
		}
	}
}
