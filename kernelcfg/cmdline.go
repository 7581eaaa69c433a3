package kernelcfg

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// BootArgs is the command line a runner gives the hyperkernel on any
// machine (add EarlyTSCArg on microvm):
//   - console=ttyS0 quiet: the 8250 console, silent but for QuietNoise;
//   - panic=-1: a panic reboots at once, which ends a -no-reboot VM instead
//     of hanging it (CONFIG_PANIC_TIMEOUT=-1 says the same);
//   - no_timer_check: under emulation on a busy host the IO-APIC timer
//     check can fail ("..MP-BIOS bug: 8254 timer not connected to IO-APIC")
//     and fall back; KVM guests skip the check already.
var BootArgs = []string{"console=ttyS0", "quiet", "panic=-1", "no_timer_check"}

// EarlyTSCArg returns tsc_early_khz=<host TSC kHz> from /proc/cpuinfo. QEMU
// microvm has no HPET or ACPI PM timer; without it, TSC calibration under
// software emulation sometimes fails and the boot stops silently.
func EarlyTSCArg() (string, error) {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "", fmt.Errorf("reading host TSC frequency: %w", err)
	}
	defer f.Close()
	khz, err := tscKHz(bufio.NewScanner(f))
	if err != nil {
		return "", fmt.Errorf("reading host TSC frequency: %w", err)
	}
	return "tsc_early_khz=" + strconv.Itoa(khz), nil
}

func tscKHz(sc *bufio.Scanner) (int, error) {
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || strings.TrimSpace(k) != "cpu MHz" {
			continue
		}
		mhz, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || mhz <= 0 {
			return 0, fmt.Errorf("bad cpu MHz %q", strings.TrimSpace(v))
		}
		return int(mhz * 1000), nil
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("no cpu MHz line in /proc/cpuinfo")
}
