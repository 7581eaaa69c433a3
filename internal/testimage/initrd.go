package testimage

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hyperbuild/hyper/initrd"
)

// BusyboxInitrd writes, in dir, a gzip'd initramfs whose /init is script
// (a shell script; "#!/bin/busybox sh" is added when it has no #! line)
// beside /bin/busybox from busybox-static, with the initrd package's
// /dev/console, /proc, /sys. It is the "trivial busybox init" that VM
// tests and benchmarks boot to compare with, or to test a kernel alone.
func BusyboxInitrd(dir, script string) (string, error) {
	bb, err := os.ReadFile(BusyboxPath)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrNoBusybox, err)
	}
	if len(script) < 2 || script[:2] != "#!" {
		script = "#!/bin/busybox sh\n" + script
	}
	initPath := filepath.Join(dir, "init.sh")
	if err := os.WriteFile(initPath, []byte(script), 0o755); err != nil {
		return "", err
	}
	path := filepath.Join(dir, "busybox-initrd.img")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	if err := initrd.Write(f, initPath, nil, initrd.WithEntries(initrd.Dir("bin", 0o755), initrd.File("bin/busybox", 0o755, bb))); err != nil {
		return "", fmt.Errorf("writing the busybox initramfs: %w", err)
	}
	return path, f.Close()
}
