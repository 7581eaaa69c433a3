package kvm

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/bobuhiro11/gokvm/kvm"

	"github.com/hyperbuild/hyper/runner/kvm/boot"
	"github.com/hyperbuild/hyper/runner/kvm/serial"
)

// testVM is a machine with its devices but no KVM: enough to test how
// exits are handled. lines records the last level set on each line.
type testVM struct {
	*machine
	lines map[uint32]uint32
}

func testMachine(console *bytes.Buffer) *testVM {
	t := &testVM{machine: &machine{mark: func(string, ...any) {}}, lines: map[uint32]uint32{}}
	t.stop.init()
	t.uart = serial.New(console, nil)
	t.setLine = func(line, level uint32) error {
		t.lines[line] = level
		return nil
	}
	return t
}

func TestPortExits(t *testing.T) {
	tests := []struct {
		name     string
		port     uint16
		value    byte
		wantHow  string
		reported bool
		status   int
	}{
		{"exit port", 0xf4, 3, howExitPort, true, 3},
		{"exit port, high status", 0xf4, 200, howExitPort, true, 200},
		{"ACPI S5, high byte of PM1a_CNT", boot.PM1ControlPort + 1, (5<<10 | boot.PM1SleepEnable) >> 8, howPowerOff, false, 0},
		{"i8042 reset", 0x64, 0xfe, howReset, false, 0},
		{"0xcf9 reset", 0xcf9, 0x06, howReset, false, 0},
		{"0xcf9 without the reset bit", 0xcf9, 0x02, "", false, 0},
		{"PM1a_CNT without SLP_EN", boot.PM1ControlPort + 1, 5 << 2, "", false, 0},
		{"i8042 other command", 0x64, 0xaa, "", false, 0},
		{"POST code", 0x80, 0x42, "", false, 0},
	}
	for _, tt := range tests {
		m := testMachine(&bytes.Buffer{})
		m.pio(tt.port, []byte{tt.value}, true)
		got := ""
		if m.stop.stopped() {
			got = m.stop.out.how
		}
		if got != tt.wantHow || m.stop.out.reported != tt.reported || m.stop.out.status != tt.status {
			t.Errorf("%s: outcome %+v, want how %q reported %v status %d", tt.name, m.stop.out, tt.wantHow, tt.reported, tt.status)
		}
	}
}

func TestPM1ControlWord(t *testing.T) {
	m := testMachine(&bytes.Buffer{})
	m.pio(boot.PM1ControlPort, []byte{0x00, 0x14}, true) // SLP_TYP 5 without SLP_EN
	if m.stop.stopped() {
		t.Fatalf("stopped without SLP_EN")
	}
	m.pio(boot.PM1ControlPort, []byte{0x00, 0x34}, true) // SLP_TYP 5 | SLP_EN
	if got := m.stop.out.how; got != howPowerOff {
		t.Errorf("outcome %q, want power-off", got)
	}
}

func TestPowerButton(t *testing.T) {
	m := testMachine(&bytes.Buffer{})
	m.pressPowerButton()
	if m.lines[sciLine] != 0 {
		t.Errorf("SCI raised before the guest enabled the power button event")
	}
	m.pio(boot.PM1EventPort+3, []byte{1}, true) // PWRBTN_EN
	if m.lines[sciLine] != 1 {
		t.Errorf("SCI not raised for a pending, enabled power button")
	}
	st := []byte{0, 0}
	m.pio(boot.PM1EventPort, st, false)
	if st[1]&1 == 0 {
		t.Errorf("PM1 status %#x lacks PWRBTN_STS", st)
	}
	m.pio(boot.PM1EventPort+1, []byte{1}, true) // write 1 to clear
	if m.lines[sciLine] != 0 {
		t.Errorf("SCI still high after the guest cleared the event")
	}
	m.pio(boot.PM1EventPort, st, false)
	if st[1] != 0 {
		t.Errorf("PM1 status %#x after clearing", st)
	}
}

func TestPM1EnableReadsBack(t *testing.T) {
	m := testMachine(&bytes.Buffer{})
	m.pio(boot.PM1EventPort+2, []byte{0x20, 0x01}, true) // GBL_EN, PWRBTN_EN
	got := []byte{0, 0}
	m.pio(boot.PM1EventPort+2, got, false)
	if got[0] != 0x20 || got[1] != 0x01 {
		t.Errorf("PM1 enable reads %#x, want what was written", got)
	}
	status := []byte{0xff, 0xff}
	m.pio(boot.PM1EventPort, status, false)
	if status[0] != 0 || status[1] != 0 {
		t.Errorf("PM1 status = %#x, want no events", status)
	}
}

func TestFirstOutcomeWins(t *testing.T) {
	m := testMachine(&bytes.Buffer{})
	m.pio(0xf4, []byte{7}, true)
	m.pio(0x64, []byte{0xfe}, true)
	if got := m.stop.out; got.how != howExitPort || got.status != 7 {
		t.Errorf("outcome %+v, want the exit port's", got)
	}
}

func TestPortReads(t *testing.T) {
	tests := []struct {
		port uint16
		want byte
	}{
		{0x64, 0},         // i8042: input buffer empty, so reboot does not wait
		{0xf4, 0},         // exit port
		{0x1234, 0xff},    // nothing there
		{0x3f8 + 5, 0x60}, // UART LSR: transmitter empty
	}
	for _, tt := range tests {
		m := testMachine(&bytes.Buffer{})
		b := []byte{0xaa}
		m.pio(tt.port, b, false)
		if b[0] != tt.want {
			t.Errorf("in %#x = %#x, want %#x", tt.port, b[0], tt.want)
		}
	}
}

// TestIOExitDecoding runs the kvm_run decoding on a hand-made run area:
// a string OUT of "hi\n" to COM1.
func TestIOExitDecoding(t *testing.T) {
	var console bytes.Buffer
	m := testMachine(&console)
	r := make([]byte, 4096)
	binary.LittleEndian.PutUint32(r[runExitReason:], exitIO)
	r[runExit] = 1   // out
	r[runExit+1] = 1 // size
	binary.LittleEndian.PutUint16(r[runExit+2:], 0x3f8)
	binary.LittleEndian.PutUint32(r[runExit+4:], 3) // count
	binary.LittleEndian.PutUint64(r[runExit+8:], 1024)
	copy(r[1024:], "hi\n")
	m.exit(&vcpu{run: r})
	if got := console.String(); got != "hi\n" {
		t.Errorf("console = %q", got)
	}
	// A data offset past the run area is refused, not followed.
	binary.LittleEndian.PutUint64(r[runExit+8:], 1<<40)
	m.exit(&vcpu{run: r})
	if !m.stop.stopped() || m.stop.out.err == nil {
		t.Errorf("malformed I/O exit accepted")
	}
}

func TestSystemEvents(t *testing.T) {
	tests := []struct {
		reason, event uint32
		want          string
	}{
		{exitShutdown, 0, howTriple},
		{exitHLT, 0, howPowerOff},
		{exitSystemEvent, systemEventShutdown, howPowerOff},
		{exitSystemEvent, systemEventReset, howReset},
		{exitSystemEvent, systemEventCrash, howCrash},
		{exitInternal, 1, howCrash},
	}
	for _, tt := range tests {
		m := testMachine(&bytes.Buffer{})
		r := make([]byte, 4096)
		binary.LittleEndian.PutUint32(r[runExitReason:], tt.reason)
		binary.LittleEndian.PutUint32(r[runExit:], tt.event)
		m.exit(&vcpu{run: r})
		if got := m.stop.out.how; got != tt.want {
			t.Errorf("exit %d/%d: %q, want %q", tt.reason, tt.event, got, tt.want)
		}
	}
}

func TestCPUIDFor(t *testing.T) {
	all := &kvm.CPUID{Nent: 3, Entries: []kvm.CPUIDEntry2{
		{Function: 1, Ebx: 0xff00_0800},
		{Function: 0xa, Eax: 0x0704_3008},
		{Function: 0xb, Edx: 9},
	}}
	c := cpuidFor(all, 3)
	if got := c.Entries[0].Ebx >> 24; got != 3 {
		t.Errorf("leaf 1 APIC ID = %d, want 3", got)
	}
	if c.Entries[0].Ecx&cpuidHypervisor == 0 || c.Entries[0].Ecx&cpuidTSCDeadline == 0 {
		t.Errorf("leaf 1 ecx = %#x lacks hypervisor or TSC-deadline", c.Entries[0].Ecx)
	}
	if c.Entries[1].Eax != 0 {
		t.Errorf("PMU still advertised")
	}
	if c.Entries[2].Edx != 3 {
		t.Errorf("x2APIC ID = %d, want 3", c.Entries[2].Edx)
	}
	if all.Entries[0].Ebx>>24 != 0xff {
		t.Errorf("cpuidFor changed the shared table")
	}
}
