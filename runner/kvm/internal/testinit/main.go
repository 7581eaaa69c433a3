// Command testinit is the /init of the nested test's inner guest: it
// prints one line, reads the first sector of /dev/vda when the command
// line has testinit.disk, prints the pod exit line for status 3 and
// reports 3 on the exit port (contract.ExitPort) with ioperm and OUTB, so
// it needs no /dev/port (Debian's kernel has none), and powers off if the
// port did not end the VM.
package main

import (
	"fmt"
	"os"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/contract"
)

// Line is what the test looks for on the console.
const Line = "hello from the nested guest"

func outb(port uint16, val uint8)

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

func main() {
	var up unix.Sysinfo_t
	unix.Sysinfo(&up)
	fmt.Fprintf(os.Stdout, "%s (guest uptime %ds)\n", Line, up.Uptime)
	checkDisk()
	// As hyperstart does: the exit line, then the exit port.
	fmt.Fprintln(os.Stdout, contract.ExitLine(3))
	drain(os.Stdout)
	if err := unix.Ioperm(contract.ExitPort, 1, 1); err != nil {
		fmt.Fprintf(os.Stdout, "testinit: ioperm: %v\n", err)
	} else {
		outb(contract.ExitPort, 3)
	}
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}

// checkDisk prints what the VMM's virtio-blk disk looks like from inside:
// the start of its first sector, its serial (GET_ID) and whether the
// kernel sees it read-only.
func checkDisk() {
	os.MkdirAll("/proc", 0o755)
	os.MkdirAll("/sys", 0o755)
	unix.Mount("proc", "/proc", "proc", 0, "")
	cmdline, _ := os.ReadFile("/proc/cmdline")
	if !strings.Contains(string(cmdline), "testinit.disk") {
		return
	}
	unix.Mount("sysfs", "/sys", "sysfs", 0, "")
	unix.Mount("dev", "/dev", "devtmpfs", 0, "")
	f, err := os.Open("/dev/vda")
	if err != nil {
		fmt.Printf("disk: %v\n", err)
		return
	}
	defer f.Close()
	b := make([]byte, 32)
	if _, err := f.ReadAt(b, 0); err != nil {
		fmt.Printf("disk: reading: %v\n", err)
		return
	}
	serial, _ := os.ReadFile("/sys/block/vda/serial")
	ro, _ := os.ReadFile("/sys/block/vda/ro")
	_, werr := os.OpenFile("/dev/vda", os.O_WRONLY, 0)
	fmt.Printf("disk: %q serial=%q ro=%s write-open=%v\n", strings.TrimRight(string(b), "\x00"),
		strings.TrimSpace(string(serial)), strings.TrimSpace(string(ro)), werr)
}
