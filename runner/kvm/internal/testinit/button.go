package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

const (
	evKey     = 1
	keyPower  = 116
	eventSize = 24 // struct input_event on amd64
)

// waitPowerButton says it is waiting (the outer init presses the button when it reads that line)
// and reports whether KEY_POWER arrived within 20 s.
func waitPowerButton() bool {
	var devs []string
	for i := 0; i < 50 && len(devs) == 0; i++ {
		devs, _ = filepath.Glob("/dev/input/event*")
		if len(devs) == 0 {
			time.Sleep(100 * time.Millisecond)
		}
	}
	if len(devs) == 0 {
		fmt.Println("testinit: no input devices (no ACPI power button?)")
		return false
	}
	// Open every device before saying we wait: evdev delivers events only
	// to readers that have it open, and the press follows the line at once.
	pressed := make(chan string, 1)
	for _, d := range devs {
		f, err := os.Open(d)
		if err != nil {
			continue
		}
		go watch(f, pressed)
	}
	for _, d := range devs {
		n, _ := os.ReadFile("/sys/class/input/" + filepath.Base(d) + "/device/name")
		fmt.Printf("testinit: %s is %q\n", d, strings.TrimSpace(string(n)))
	}
	fmt.Println("testinit: waiting for the power button")
	select {
	case d := <-pressed:
		fmt.Printf("testinit: power button pressed (%s)\n", d)
		return true
	case <-time.After(20 * time.Second):
		fmt.Println("testinit: no power button within 20s")
		if b, err := os.ReadFile("/proc/interrupts"); err == nil {
			fmt.Printf("testinit: /proc/interrupts:\n%s", b)
		}
		return false
	}
}

func watch(f *os.File, pressed chan<- string) {
	defer f.Close()
	var ev [eventSize]byte
	for {
		if _, err := f.Read(ev[:]); err != nil {
			return
		}
		typ := binary.LittleEndian.Uint16(ev[16:])
		code := binary.LittleEndian.Uint16(ev[18:])
		value := int32(binary.LittleEndian.Uint32(ev[20:]))
		if typ == evKey && code == keyPower && value == 1 {
			select {
			case pressed <- f.Name():
			default:
			}
			return
		}
	}
}

func loadModules(dir string) {
	f, err := os.Open(filepath.Join(dir, "order"))
	if err != nil {
		return
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		name := strings.TrimSpace(s.Text())
		if name == "" {
			continue
		}
		m, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			continue
		}
		if err := unix.FinitModule(int(m.Fd()), "", 0); err != nil && !errors.Is(err, unix.EEXIST) {
			fmt.Printf("testinit: loading %s: %v\n", name, err)
		}
		m.Close()
	}
}
