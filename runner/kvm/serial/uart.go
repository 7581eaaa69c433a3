package serial

import (
	"io"
	"sync"
)

// COM1 is the first UART's I/O base and interrupt line.
const (
	COM1Port = 0x3f8
	COM1IRQ  = 4
	Ports    = 8
)

// Register offsets and bits (16550A).
const (
	regData = 0 // THR/RBR, or DLL with DLAB
	regIER  = 1 // or DLM with DLAB
	regIIR  = 2 // read; FCR on write
	regLCR  = 3
	regMCR  = 4
	regLSR  = 5
	regMSR  = 6
	regSCR  = 7

	ierTHRI  = 0x02
	iirNone  = 0x01
	iirTHRI  = 0x02
	iirFIFO  = 0xc0
	lcrDLAB  = 0x80
	lsrTHRE  = 0x20
	lsrTEMT  = 0x40
	mcrLoop  = 0x10
	msrDCD   = 0x80
	msrRI    = 0x40
	msrDSR   = 0x20
	msrCTS   = 0x10
	lineSize = 4096
)

// IRQ raises the UART's interrupt line.
type IRQ func() error

// UART is the guest-visible device. Output is buffered per line so the
// host writer sees whole lines (the console filter matches the exit line)
// and the host does one write per line, not per character.
type UART struct {
	mu       sync.Mutex
	out      io.Writer
	irq      IRQ
	ier      uint8
	lcr      uint8
	mcr      uint8
	scr      uint8
	dll, dlm uint8
	thri     bool // a transmitter-empty interrupt is pending
	line     []byte
	err      error
}

// New makes a UART writing to out; irq may be nil (no interrupts).
func New(out io.Writer, irq IRQ) *UART {
	return &UART{out: out, irq: irq, line: make([]byte, 0, lineSize)}
}

// Err is the first error writing to the host, if any.
func (u *UART) Err() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

// Flush writes any partial line.
func (u *UART) Flush() {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.flush()
}

func (u *UART) flush() {
	if len(u.line) == 0 {
		return
	}
	if _, err := u.out.Write(u.line); err != nil && u.err == nil {
		u.err = err
	}
	u.line = u.line[:0]
}

// Read handles an IN from port base+off.
func (u *UART) Read(off uint64, data []byte) {
	clear(data)
	if len(data) == 0 {
		return
	}
	u.mu.Lock()
	defer u.mu.Unlock()
	data[0] = u.read(off)
}

func (u *UART) read(off uint64) uint8 {
	dlab := u.lcr&lcrDLAB != 0
	switch off {
	case regData:
		if dlab {
			return u.dll
		}
		return 0 // no input
	case regIER:
		if dlab {
			return u.dlm
		}
		return u.ier
	case regIIR:
		if u.thri {
			u.thri = false
			return iirFIFO | iirTHRI
		}
		return iirFIFO | iirNone
	case regLCR:
		return u.lcr
	case regMCR:
		return u.mcr
	case regLSR:
		return lsrTHRE | lsrTEMT
	case regMSR:
		if u.mcr&mcrLoop != 0 {
			// Loopback: the driver's probe checks the modem lines follow MCR.
			m := u.mcr
			return (m&0x02)<<3 | (m&0x01)<<5 | (m&0x04)<<4 | (m&0x08)<<4
		}
		return msrDCD | msrDSR | msrCTS
	case regSCR:
		return u.scr
	}
	return 0
}

// Write handles an OUT to port base+off.
func (u *UART) Write(off uint64, data []byte) {
	if len(data) == 0 {
		return
	}
	u.mu.Lock()
	raise := u.write(off, data[0])
	u.mu.Unlock()
	if raise && u.irq != nil {
		u.irq()
	}
}

func (u *UART) write(off uint64, v uint8) (raise bool) {
	dlab := u.lcr&lcrDLAB != 0
	switch off {
	case regData:
		if dlab {
			u.dll = v
			return false
		}
		if u.mcr&mcrLoop == 0 {
			u.emit(v)
		}
		return u.transmitted()
	case regIER:
		if dlab {
			u.dlm = v
			return false
		}
		was := u.ier & ierTHRI
		u.ier = v & 0x0f
		if was == 0 && u.ier&ierTHRI != 0 {
			return u.transmitted() // the transmitter is already empty
		}
	case regLCR:
		u.lcr = v
	case regMCR:
		u.mcr = v & 0x1f
	case regSCR:
		u.scr = v
	}
	return false
}

// transmitted notes the transmitter is empty again.
func (u *UART) transmitted() bool {
	if u.ier&ierTHRI == 0 {
		return false
	}
	u.thri = true
	return true
}

func (u *UART) emit(v byte) {
	u.line = append(u.line, v)
	if v == '\n' || len(u.line) == cap(u.line) {
		u.flush()
	}
}
