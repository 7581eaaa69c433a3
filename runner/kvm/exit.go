package kvm

import (
	"encoding/binary"
	"fmt"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/runner/kvm/boot"
	"github.com/hyperbuild/hyper/runner/kvm/serial"
	"github.com/hyperbuild/hyper/runner/kvm/virtio"
)

// Platform I/O ports besides the UART.
const (
	portI8042Data  = 0x60
	portI8042      = 0x64
	i8042Reset     = 0xfe
	resetCtlReset  = 0x04
	unbackedByte   = 0xff
	maxIOExitBytes = 4096
)

// exit handles the reason the vCPU left KVM_RUN.
func (m *machine) exit(v *vcpu) {
	r := v.run
	switch reason := binary.LittleEndian.Uint32(r[runExitReason:]); reason {
	case exitIO:
		m.pioExit(r)
	case exitMMIO:
		addr := binary.LittleEndian.Uint64(r[runExit:])
		n := min(binary.LittleEndian.Uint32(r[runExit+16:]), 8)
		data := r[runExit+8 : runExit+8+n]
		m.mmio(addr, data, r[runExit+20] != 0)
	case exitIntr:
	case exitHLT:
		m.stop.set(outcome{how: howPowerOff})
	case exitShutdown:
		m.stop.set(outcome{how: howTriple})
	case exitSystemEvent:
		switch binary.LittleEndian.Uint32(r[runExit:]) {
		case systemEventShutdown:
			m.stop.set(outcome{how: howPowerOff})
		case systemEventReset:
			m.stop.set(outcome{how: howReset})
		default:
			m.stop.set(outcome{how: howCrash})
		}
	case exitFailEntry:
		m.stop.set(outcome{how: howCrash, err: fmt.Errorf("%w: VM entry failed on vCPU %d (hardware reason %#x)",
			ErrGuest, v.id, binary.LittleEndian.Uint64(r[runExit:]))})
	case exitInternal:
		m.stop.set(outcome{how: howCrash, err: fmt.Errorf("%w: KVM internal error on vCPU %d (suberror %d)",
			ErrGuest, v.id, binary.LittleEndian.Uint32(r[runExit:]))})
	default:
		m.stop.set(outcome{how: howCrash, err: fmt.Errorf("%w: unexpected exit reason %d on vCPU %d", ErrGuest, reason, v.id)})
	}
}

// pioExit handles IN/OUT, including string I/O (count > 1).
func (m *machine) pioExit(r []byte) {
	out := r[runExit] == 1
	size := uint64(r[runExit+1])
	port := binary.LittleEndian.Uint16(r[runExit+2:])
	count := uint64(binary.LittleEndian.Uint32(r[runExit+4:]))
	off := binary.LittleEndian.Uint64(r[runExit+8:])
	if size == 0 || size > 4 || count > maxIOExitBytes || off > uint64(len(r)) || size*count > uint64(len(r))-off {
		m.stop.set(outcome{how: howCrash, err: fmt.Errorf("%w: malformed I/O exit", ErrGuest)})
		return
	}
	for i := range count {
		m.pio(port, r[off+i*size:off+(i+1)*size], out)
	}
}

// pio is the guest's I/O port space.
func (m *machine) pio(port uint16, data []byte, out bool) {
	switch {
	case port >= serial.COM1Port && port < serial.COM1Port+serial.Ports:
		if out {
			m.uart.Write(uint64(port-serial.COM1Port), data)
		} else {
			m.uart.Read(uint64(port-serial.COM1Port), data)
		}
	case port == contract.ExitPort:
		if out {
			m.uart.Flush()
			m.stop.set(outcome{how: howExitPort, status: int(data[0]), reported: true})
		} else {
			clear(data)
		}
	case port >= boot.PM1ControlPort && port < boot.PM1ControlPort+2:
		if out && pm1Control(port, data)&boot.PM1SleepEnable != 0 {
			m.stop.set(outcome{how: howPowerOff})
		}
		if !out {
			clear(data)
		}
	case port >= boot.PM1EventPort && port < boot.PM1EventPort+4:
		m.pm1Event(port-boot.PM1EventPort, data, out)
	case port == portI8042 || port == portI8042Data:
		if out && port == portI8042 && data[0] == i8042Reset {
			m.stop.set(outcome{how: howReset})
		}
		if !out {
			clear(data) // no data, input buffer empty: reboot's kb_wait returns at once
		}
	case port == boot.ResetPort:
		if out && data[0]&resetCtlReset != 0 {
			m.stop.set(outcome{how: howReset})
		}
		if !out {
			clear(data)
		}
	default:
		// Nothing here: reads float high, as on a bus with no device.
		if !out {
			for i := range data {
				data[i] = unbackedByte
			}
		}
	}
}

// mmio is guest physical address space that is not RAM.
func (m *machine) mmio(addr uint64, data []byte, write bool) {
	if addr >= boot.MMIOBase {
		i := (addr - boot.MMIOBase) / virtio.MMIOSize
		if i < uint64(len(m.virtio)) {
			off := (addr - boot.MMIOBase) % virtio.MMIOSize
			if write {
				m.virtio[i].Write(off, data)
			} else {
				m.virtio[i].Read(off, data)
			}
			return
		}
	}
	if !write {
		clear(data)
	}
}

// pm1Control is the value written to PM1a_CNT by an access at port of
// width len(data); a byte write to the high half counts as bits 8-15.
func pm1Control(port uint16, data []byte) uint16 {
	var v uint16
	for i, b := range data {
		v |= uint16(b) << (8 * i)
	}
	if port == boot.PM1ControlPort+1 {
		v <<= 8
	}
	return v
}
