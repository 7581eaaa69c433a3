package kernelcfg

import (
	"context"
	"debug/elf"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/internal/testimage"
)

// bootInit is /init of the boot test: it prints a marker, shows what the
// guest sees, and reports status 3 through isa-debug-exit (QEMU exits 7).
const bootInit = `#!/bin/busybox sh
bb=/bin/busybox
$bb mount -t proc proc /proc
echo HYPER-MARKER
$bb mount -t sysfs sys /sys
$bb mount -t devtmpfs dev /dev
[ -c /dev/kvm ] && echo "kvm: /dev/kvm present"
$bb zcat /proc/config.gz | $bb grep -E '^CONFIG_KVM_(AMD|INTEL)='
$bb cat /sys/class/input/*/name
printf '\003' | $bb dd of=/dev/port bs=1 seek=244 count=1
echo "isa-debug-exit did not stop the VM"
$bb poweroff -f
`

// busyboxInitramfs is a gzip'd initramfs with a static busybox and the
// init above (with its own /dev/console: the built-in default cpio, which
// has one, is replaced by an external initramfs).
func busyboxInitramfs(t *testing.T) string {
	t.Helper()
	path, err := testimage.BusyboxInitrd(t.TempDir(), bootInit)
	if err != nil {
		t.Fatal(err)
	}
	return path
}

// isStatic reports whether path is an ELF executable without an interpreter.
func isStatic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return false
		}
	}
	return true
}

// TestBootQEMU boots the cached hyperkernel under QEMU (software emulation)
// on microvm and q35 and checks: the console stays quiet, /init runs,
// /dev/port reaches isa-debug-exit, KVM is there for a nested runner and the
// ACPI power button is registered.
func TestBootQEMU(t *testing.T) {
	if testing.Short() {
		t.Skip("boots QEMU (-short)")
	}
	qemu, err := exec.LookPath("qemu-system-x86_64")
	if err != nil {
		t.Skip("qemu-system-x86_64 not installed (apt-get install qemu-system-x86)")
	}
	if busybox := testimage.BusyboxPath; !isStatic(busybox) {
		t.Skip("no static /bin/busybox (apt-get install busybox-static)")
	}
	k, err := Cached()
	if errors.Is(err, ErrNotBuilt) {
		t.Skip("hyperkernel not built: HYPER_KERNEL_BUILD=1 go test -run TestBuildReal ./kernelcfg")
	}
	if err != nil {
		t.Fatal(err)
	}
	initrd := busyboxInitramfs(t)
	tsc, err := EarlyTSCArg()
	if err != nil {
		t.Skip(err)
	}
	machines := []struct {
		machine string
		args    []string
	}{
		{"microvm", append(BootArgs[:len(BootArgs):len(BootArgs)], tsc)},
		{"q35", BootArgs},
	}
	for _, m := range machines {
		t.Run(m.machine, func(t *testing.T) {
			args := []string{"-M", m.machine, "-accel", "tcg", "-cpu", "max", "-m", "256", "-smp", "1",
				"-nodefaults", "-no-user-config", "-display", "none", "-serial", "stdio", "-no-reboot",
				"-device", "isa-debug-exit,iobase=0xf4,iosize=0x04",
				"-kernel", k.Path, "-initrd", initrd,
				"-append", strings.Join(m.args, " ")}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			start := time.Now()
			out, err := exec.CommandContext(ctx, qemu, args...).CombinedOutput()
			elapsed := time.Since(start)
			var exit *exec.ExitError
			if !errors.As(err, &exit) || exit.ExitCode() != 7 {
				t.Fatalf("QEMU: %v, want exit status 7 ((3<<1)|1)\nreproduce: %s %s\n%s", err, qemu, strings.Join(args, " "), out)
			}
			t.Logf("%s: booted, ran /init and exited in %s", m.machine, elapsed.Round(time.Millisecond))
			console := strings.ReplaceAll(string(out), "\r", "")
			before, after, found := strings.Cut(console, "HYPER-MARKER\n")
			if !found {
				t.Fatalf("no marker from /init:\n%s", console)
			}
			for _, l := range strings.Split(strings.TrimSpace(before), "\n") {
				if l != "" && !IsQuietNoise(l) {
					t.Errorf("console not quiet before /init: %q", l)
				}
			}
			for _, want := range []string{"kvm: /dev/kvm present", "CONFIG_KVM_AMD=y", "CONFIG_KVM_INTEL=y", "Power Button"} {
				if !strings.Contains(after, want) {
					t.Errorf("guest output lacks %q:\n%s", want, after)
				}
			}
		})
	}
}
