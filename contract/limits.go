package contract

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Defaults and limits, in one place: the pod file's checks (package spec),
// hyperboot's flags and the runner all use these, so a value that passes
// one entry point passes every other and boots.
const (
	// DefaultCPUs is the pod's vCPU count when nobody names one.
	DefaultCPUs = 1
	// MaxCPUs is the hyperkernel's CONFIG_NR_CPUS: more vCPUs than the
	// kernel can bring up is never what anybody wants.
	MaxCPUs = 64
	// DefaultMemoryMiB is the pod's memory when nobody names one.
	DefaultMemoryMiB = 256
	// MinMemoryMiB is the least memory a pod is known to boot in: a test
	// boots a pod with exactly this much (hyperstart's TestVMMinMemory).
	// Measured under QEMU TCG, one busybox container, 1 vCPU: 32 MiB
	// resets silently, 40 MiB cannot start hyperstart (Go reserves a
	// 32 MiB heap-arena map at start, refused while the kernel's MemTotal
	// is below it), 44 MiB boots with 1 vCPU but not with 4 on q35, 48 MiB
	// boots with 23 MiB free at the container's start. 64 leaves 16 MiB
	// of margin (about 40 MiB free). More vCPUs need more: 64 vCPUs fail
	// in 80 MiB and boot in 96.
	MinMemoryMiB = 64
	// MaxMemoryMiB bounds memory (1 TiB): more is a typo.
	MaxMemoryMiB = 1 << 20
	// MaxID is the largest uid or gid (Linux's (uid_t)-1 is reserved).
	MaxID = 1<<32 - 2
	// DefaultStopTimeout is how long a container has after its stop
	// signal before SIGKILL when the pod file does not say (Docker's 10 s).
	DefaultStopTimeout = 10 * time.Second
)

// MinMemoryFor is the least memory a pod of cpus vCPUs boots in:
// MinMemoryMiB plus 1 MiB for each vCPU after the first (the kernel's
// per-CPU areas; 64 vCPUs need 127 MiB, measured to boot in 96).
func MinMemoryFor(cpus int) int64 {
	return MinMemoryMiB + int64(max(cpus, 1)-1)
}

// CheckResources reports whether cpus vCPUs with memMiB MiB can boot: each
// within its limits, and enough memory for that many vCPUs.
func CheckResources(cpus int, memMiB int64) error {
	if err := CheckCPUs(cpus); err != nil {
		return err
	}
	if err := CheckMemoryMiB(memMiB); err != nil {
		return err
	}
	if min := MinMemoryFor(cpus); memMiB < min {
		return fmt.Errorf("%d MiB of memory for %d vCPUs: want at least %d MiB (%d MiB and 1 MiB for each vCPU after the first)", memMiB, cpus, min, MinMemoryMiB)
	}
	return nil
}

// CheckCPUs reports whether n vCPUs can boot.
func CheckCPUs(n int) error {
	if n < 1 || n > MaxCPUs {
		return fmt.Errorf("%d vCPUs: want 1 to %d", n, MaxCPUs)
	}
	return nil
}

// CheckMemoryMiB reports whether a guest of n MiB can boot.
func CheckMemoryMiB(n int64) error {
	if n < MinMemoryMiB || n > MaxMemoryMiB {
		return fmt.Errorf("%d MiB of memory: want %d MiB to %d MiB", n, MinMemoryMiB, MaxMemoryMiB)
	}
	return nil
}

// CheckUser checks a user as a container names it: "", uid[:gid] or
// name[:group]; numeric ids must fit MaxID, names must be non-empty and
// free of ':' and NUL.
func CheckUser(s string) error {
	if s == "" {
		return nil
	}
	u, g, hasGroup := strings.Cut(s, ":")
	if err := checkID("user", u); err != nil {
		return err
	}
	if hasGroup {
		return checkID("group", g)
	}
	return nil
}

func checkID(what, s string) error {
	if s == "" {
		return fmt.Errorf("empty %s", what)
	}
	if strings.ContainsAny(s, ":\x00/\n") || len(s) > 256 {
		return fmt.Errorf("%s %q: not a valid name", what, s)
	}
	if s[0] < '0' || s[0] > '9' {
		return nil // a name, looked up in the image's /etc/passwd or /etc/group
	}
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n > MaxID {
		return fmt.Errorf("%s %q: a numeric id is 0 to %d", what, s, uint64(MaxID))
	}
	return nil
}
