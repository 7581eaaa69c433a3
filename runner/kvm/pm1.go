package kvm

import (
	"sync"
)

// The ACPI PM1a event block: a status and an enable register, 16 bits
// each. The only event is the fixed-hardware power button: the VMM
// "presses" it to ask the guest to shut down (Linux's ACPI button driver
// turns it into KEY_POWER, which hyperstart handles as a stop request).
// The SCI is level-triggered: its line is high while an enabled event is
// pending, until the guest writes the status bit back to clear it.
const (
	pm1PowerButton = 1 << 8 // PWRBTN_STS / PWRBTN_EN
	sciLine        = 9
)

type pm1 struct {
	mu     sync.Mutex
	status uint16
	enable uint16
	sci    bool
}

// pm1Event handles an access to the PM1a event block.
func (m *machine) pm1Event(off uint16, data []byte, out bool) {
	p := &m.pm1
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range data {
		reg := off + uint16(i)
		shift := 8 * (reg % 2)
		switch {
		case reg < 2 && out: // status: write 1 to clear
			p.status &^= uint16(data[i]) << shift
		case reg < 2:
			data[i] = uint8(p.status >> shift)
		case reg < 4 && out:
			p.enable = p.enable&^(0xff<<shift) | uint16(data[i])<<shift
		case reg < 4:
			data[i] = uint8(p.enable >> shift)
		case !out:
			data[i] = unbackedByte
		}
	}
	if out {
		m.updateSCI()
	}
}

// pressPowerButton asks the guest to power down.
func (m *machine) pressPowerButton() {
	m.pm1.mu.Lock()
	defer m.pm1.mu.Unlock()
	m.pm1.status |= pm1PowerButton
	m.updateSCI()
}

// updateSCI sets the SCI line to whether an enabled event is pending;
// m.pm1.mu is held.
func (m *machine) updateSCI() {
	want := m.pm1.status&m.pm1.enable != 0
	if want == m.pm1.sci {
		return
	}
	m.pm1.sci = want
	level := uint32(0)
	if want {
		level = 1
	}
	m.setLine(sciLine, level)
}
