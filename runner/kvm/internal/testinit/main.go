// Command testinit is the /init of the nested test's inner guest: it
// prints one line, reports status 3 on the exit port (contract.ExitPort)
// with ioperm and OUTB, so it needs no /dev/port (Debian's kernel has
// none), and powers off if the port did not end the VM.
package main

import (
	"fmt"
	"os"
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
	drain(os.Stdout)
	if err := unix.Ioperm(contract.ExitPort, 1, 1); err != nil {
		fmt.Fprintf(os.Stdout, "testinit: ioperm: %v\n", err)
	} else {
		outb(contract.ExitPort, 3)
	}
	unix.Reboot(unix.LINUX_REBOOT_CMD_POWER_OFF)
	select {}
}
