package serial

import (
	"bytes"
	"testing"
)

func out(u *UART, off uint64, v byte) { u.Write(off, []byte{v}) }
func in(u *UART, off uint64) byte {
	b := []byte{0xaa}
	u.Read(off, b)
	return b[0]
}

func TestOutputByLine(t *testing.T) {
	var buf bytes.Buffer
	u := New(&buf, nil)
	for _, c := range []byte("hello\npartial") {
		out(u, regData, c)
	}
	if got, want := buf.String(), "hello\n"; got != want {
		t.Errorf("before flush: %q, want %q", got, want)
	}
	u.Flush()
	if got, want := buf.String(), "hello\npartial"; got != want {
		t.Errorf("after flush: %q, want %q", got, want)
	}
}

func TestTHREInterrupt(t *testing.T) {
	var irqs int
	u := New(&bytes.Buffer{}, func() error { irqs++; return nil })
	out(u, regData, 'a')
	if irqs != 0 {
		t.Errorf("interrupt with IER clear")
	}
	if got := in(u, regIIR); got&0x0f != iirNone {
		t.Errorf("IIR = %#x, want no interrupt", got)
	}
	out(u, regIER, ierTHRI)
	if irqs != 1 {
		t.Errorf("enabling THRI raised %d interrupts, want 1", irqs)
	}
	if got := in(u, regIIR); got&0x0f != iirTHRI {
		t.Errorf("IIR = %#x, want THRI", got)
	}
	if got := in(u, regIIR); got&0x0f != iirNone {
		t.Errorf("IIR read twice = %#x, want cleared", got)
	}
	out(u, regData, 'b')
	if irqs != 2 {
		t.Errorf("interrupts = %d, want 2", irqs)
	}
}

func TestProbe(t *testing.T) {
	u := New(&bytes.Buffer{}, nil)
	tests := []struct {
		name string
		do   func()
		off  uint64
		want byte
	}{
		{"scratch", func() { out(u, regSCR, 0x5a) }, regSCR, 0x5a},
		{"LSR transmitter empty", func() {}, regLSR, lsrTHRE | lsrTEMT},
		{"FIFO present", func() {}, regIIR, iirFIFO | iirNone},
		{"loopback", func() { out(u, regMCR, mcrLoop|0x0a) }, regMSR, 0x90},
		{"divisor latch", func() { out(u, regLCR, lcrDLAB); out(u, regData, 1) }, regData, 1},
		{"no input", func() { out(u, regLCR, 3) }, regData, 0},
	}
	for _, tt := range tests {
		tt.do()
		if got := in(u, tt.off); got != tt.want {
			t.Errorf("%s: read %#x, want %#x", tt.name, got, tt.want)
		}
	}
}
