package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/contract"
)

// Line is what the test looks for on the console.
const Line = "hello from the nested guest"

func outb(port uint16, val uint8)

func main() {
	var up unix.Sysinfo_t
	unix.Sysinfo(&up)
	fmt.Fprintf(os.Stdout, "%s (guest uptime %ds, %d MiB RAM, %d CPUs)\n", Line, up.Uptime,
		uint64(up.Totalram)*uint64(up.Unit)>>20, runtime.NumCPU())
	mountAll()
	cmdline, _ := os.ReadFile("/proc/cmdline")
	status := 3
	loadModules("/modules")
	if strings.Contains(string(cmdline), "testinit.disk") {
		checkDisk()
	}
	if strings.Contains(string(cmdline), "testinit.agent") {
		echoAgent()
	}
	if strings.Contains(string(cmdline), "testinit.net") {
		checkNet()
	}
	if strings.Contains(string(cmdline), "testinit.button") && waitPowerButton() {
		status = 4
	}
	fmt.Fprintln(os.Stdout, contract.ExitLine(status))
	drain(os.Stdout)
	writeExitPort(uint8(status))
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

// writeExitPort uses ioperm and OUTB where the kernel has ioperm (Debian)
// and /dev/port where it has that instead (the hyperkernel).
func writeExitPort(status uint8) {
	if err := unix.Ioperm(contract.ExitPort, 1, 1); err == nil {
		outb(contract.ExitPort, status)
		return
	}
	f, err := os.OpenFile("/dev/port", os.O_WRONLY, 0)
	if err != nil {
		fmt.Fprintf(os.Stdout, "testinit: no ioperm and no /dev/port: %v\n", err)
		return
	}
	defer f.Close()
	f.WriteAt([]byte{status}, contract.ExitPort)
}

func mountAll() {
	for _, m := range []struct{ src, dir, fs string }{
		{"proc", "/proc", "proc"}, {"sysfs", "/sys", "sysfs"}, {"dev", "/dev", "devtmpfs"},
	} {
		os.MkdirAll(m.dir, 0o755)
		unix.Mount(m.src, m.dir, m.fs, 0, "")
	}
}

// drain waits (a while) until the console has sent what was written: a
// write to a tty returns once the bytes are queued, and the exit port
// ends the VM at once.
func drain(f *os.File) {
	done := make(chan struct{})
	go func() {
		unix.IoctlSetInt(int(f.Fd()), unix.TCSBRK, 1) // tcdrain
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		fmt.Fprintln(f, "testinit: console did not drain in 5s (no UART interrupts?)")
	}
}
