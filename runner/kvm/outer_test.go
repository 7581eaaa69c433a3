package kvm_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// Outer VM failures that are QEMU's, not the VMM's: under TCG with several
// vCPU threads, QEMU 7.2's emulated SVM now and then resets the whole
// outer VM or stops it dead (measured here: about 1 make test-kvm in 6).
// A userspace VMM can do neither to its host, and outerinit's heartbeat
// tells a stopped outer VM from a hung VMM, so runOuter boots the outer VM
// again on those signs (and on innerStalled's) only; a VMM that fails
// does so every time.
const (
	outerAttempts = 3
	// outerStall is the silence after which the outer VM counts as
	// stopped: outerinit says it is alive every 15 s.
	outerStall = 60 * time.Second
)

// outerDone is outerinit's last line.
var outerDone = regexp.MustCompile(`^outer\[[0-9.]+s\]: done$`)

// runOuter boots the outer VM under QEMU TCG with -cpu max (AMD SVM with
// nested paging) from an initramfs of files, and returns its console with
// host timestamps, when outerinit started vmmrun, and when marker first
// appeared.
func runOuter(t *testing.T, qemu, kernel, cpus, dir string, files map[string]newcFile, marker string) (console string, vmmStart, markerAt time.Time) {
	t.Helper()
	rd := filepath.Join(dir, "outer.cpio")
	writeArchive(t, rd, files)
	args := []string{
		"-accel", "tcg", "-cpu", "max", "-M", "pc", "-smp", cpus, "-m", "1024",
		"-nodefaults", "-display", "none", "-serial", "stdio", "-no-reboot",
		"-kernel", kernel, "-initrd", rd,
		"-append", "console=ttyS0 quiet panic=-1",
	}
	t.Logf("reproduce: %s %s", qemu, strings.Join(args, " "))
	for attempt := 1; ; attempt++ {
		r := bootOuter(t, qemu, args, marker)
		t.Logf("outer console (attempt %d):\n%s", attempt, r.console)
		t.Logf("whole outer run %.1f s", r.elapsed.Seconds())
		failed := ""
		switch {
		case r.done && innerStalled(r.console):
			failed = "ran, but the nested guest went silent with the VMM waiting in KVM_RUN (goroutine dump above)"
		case r.done && innerTripleFault(r.console):
			failed = "ran, but the nested guest triple-faulted while its kernel booted"
		case r.done:
		case strings.Contains(r.console, "Kernel panic"):
			t.Fatalf("the outer kernel panicked")
		case r.stalled:
			failed = fmt.Sprintf("printed nothing for %v, heartbeat included", outerStall)
		case r.timedOut:
			t.Fatalf("the outer VM did not finish within %v", nestedTimeout)
		default:
			failed = "ended without outerinit's last line (reset)"
		}
		if failed == "" {
			if r.err != nil {
				t.Errorf("qemu: %v", r.err)
			}
			return r.console, r.vmmStart, r.markerAt
		}
		if attempt == outerAttempts {
			t.Fatalf("the outer VM %s, %d times in a row", failed, attempt)
		}
		t.Logf("attempt %d: the outer VM %s: QEMU's emulation failed, not the VMM; booting it again", attempt, failed)
	}
}

// innerStalled reports a nested guest that stopped printing while the VMM
// itself was idle in KVM_RUN: outerinit asked the silent VMM for its
// goroutines (SIGQUIT) and one of them was in ioctl(KVM_RUN) (0xae80).
// Seen about once in ten nested hyperboot runs, always during the first
// container's setup, never under QEMU alone; not yet explained (the VMM
// is not blocked, the guest or the emulated SVM under it is). A VMM
// blocked anywhere else is not retried.
func innerStalled(console string) bool {
	_, dump, ok := strings.Cut(console, "vmmrun silent for")
	return ok && strings.Contains(dump, "syscall.Syscall(0x10, ") && strings.Contains(dump, ", 0xae80, ")
}

// innerTripleFault reports a nested guest that reset (triple fault) while
// its kernel was still booting, before hyperstart said anything: seen
// about once in ten nested runs under QEMU 7.2's emulated SVM, with the
// same kernel, initramfs and VMM that boot the other nine times (and
// every time under QEMU alone). A VMM that sets the guest up wrongly
// faults it every time, which the attempts still catch.
func innerTripleFault(console string) bool {
	return strings.Contains(console, "guest triple-faulted") && !strings.Contains(console, "hyperstart:")
}

// outerRun is one boot of the outer VM.
type outerRun struct {
	console                 string
	vmmStart, markerAt      time.Time
	elapsed                 time.Duration
	done, stalled, timedOut bool
	err                     error
}

func bootOuter(t *testing.T, qemu string, args []string, marker string) outerRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), nestedTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, qemu, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var r outerRun
	var stalled atomic.Bool
	watchdog := time.AfterFunc(outerStall, func() {
		stalled.Store(true)
		cancel()
	})
	var log strings.Builder
	s := bufio.NewScanner(out)
	for s.Scan() {
		watchdog.Reset(outerStall)
		l := strings.TrimRight(s.Text(), "\r")
		r.done = r.done || outerDone.MatchString(l)
		fmt.Fprintf(&log, "[host %6.2fs] %s\n", time.Since(start).Seconds(), l)
		switch {
		case strings.Contains(l, "starting vmmrun") && r.vmmStart.IsZero():
			r.vmmStart = time.Now()
		case strings.Contains(l, marker) && r.markerAt.IsZero():
			r.markerAt = time.Now()
		}
	}
	r.err = cmd.Wait()
	watchdog.Stop()
	r.console, r.elapsed = log.String(), time.Since(start)
	r.stalled = stalled.Load()
	r.timedOut = errors.Is(ctx.Err(), context.DeadlineExceeded)
	return r
}

func TestInnerStalled(t *testing.T) {
	const inRun = "outer[76.36s]: vmmrun silent for 72s: SIGQUIT for its goroutines\ngoroutine 23 [syscall, locked to thread]:\nsyscall.Syscall(0x10, 0x9, 0xae80, 0x0)\n"
	const blocked = "outer[76.36s]: vmmrun silent for 72s: SIGQUIT for its goroutines\ngoroutine 23 [sync.Mutex.Lock]:\nsync.(*Mutex).Lock(...)\n"
	const noDump = "syscall.Syscall(0x10, 0x9, 0xae80, 0x0)\nouter[9.1s]: done\n"
	for _, tt := range []struct {
		console string
		want    bool
	}{{inRun, true}, {blocked, false}, {noDump, false}} {
		if got := innerStalled(tt.console); got != tt.want {
			t.Errorf("innerStalled(%q) = %v, want %v", tt.console, got, tt.want)
		}
	}
}
