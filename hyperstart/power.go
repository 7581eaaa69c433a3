package hyperstart

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Linux input events (struct input_event on 64-bit: a timeval, then
// type, code and value).
const (
	inputEventSize = 24
	evKey          = 1
	keyPower       = 116
)

// watchPowerButton turns a press of the ACPI power button into a stop
// request. QEMU's system_powerdown (and a cloud console's "shut down")
// raises the ACPI power-button event: on q35/pc through the fixed PWRF
// event, on microvm (acpi=on, its default) through the Generic Event
// Device; either way the kernel's button driver reports KEY_POWER on the
// input device named "Power Button" (both checked under QEMU 7.2 TCG with
// the hyperkernel). A machine without ACPI (microvm,acpi=off) has no
// such path: stop the pod there with SIGTERM to PID 1 (kill -TERM 1 from
// a container) or let the runner kill the VM.
func watchPowerButton(l *Log, stop chan<- string) {
	dev := ""
	// The ACPI button may register a little after init starts.
	for i := 0; i < 20 && dev == ""; i++ {
		dev = findInputDevice("/sys/class/input", "Power Button")
		if dev == "" {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if dev == "" {
		l.Debugf("no ACPI power button: stop the pod with SIGTERM to PID 1")
		return
	}
	f, err := os.Open(filepath.Join("/dev/input", dev))
	if err != nil {
		l.Printf("power button %s: %v", dev, err)
		return
	}
	defer f.Close()
	l.Debugf("watching the power button on /dev/input/%s", dev)
	buf := make([]byte, inputEventSize)
	for {
		if _, err := f.Read(buf); err != nil {
			return
		}
		if IsPowerPress(buf) {
			stop <- "power button"
		}
	}
}

// IsPowerPress reports whether one input_event is KEY_POWER going down.
func IsPowerPress(ev []byte) bool {
	if len(ev) < inputEventSize {
		return false
	}
	typ := binary.NativeEndian.Uint16(ev[16:])
	code := binary.NativeEndian.Uint16(ev[18:])
	value := int32(binary.NativeEndian.Uint32(ev[20:]))
	return typ == evKey && code == keyPower && value == 1
}

// findInputDevice returns the eventN whose device is called name.
func findInputDevice(sysInput, name string) string {
	matches, _ := filepath.Glob(filepath.Join(sysInput, "event*"))
	for _, m := range matches {
		b, err := os.ReadFile(filepath.Join(m, "device", "name"))
		if err == nil && strings.TrimSpace(string(b)) == name {
			return filepath.Base(m)
		}
	}
	return ""
}
