package qemu

import (
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/hyperbuild/hyper/runner"
)

// exit is how a QEMU process ended.
type exit struct {
	err       error         // from cmd.Wait
	reason    string        // the last SHUTDOWN event's reason, if any
	killed    bool          // we killed it after the stop timeout
	killedNow bool          // we killed it because Kill asked
	reset     bool          // we killed it because the guest reset
	grace     time.Duration // the stop timeout, for the message
	stderr    string        // the end of QEMU's stderr
	stopping  bool          // a power-down had been requested
}

// status maps QEMU's exit to the pod's status: isa-debug-exit makes QEMU
// exit with (B<<1)|1 for the byte B the guest wrote, so an odd code is a
// status (7 bits of it), unless QEMU itself failed (it exits 1 and says
// why on stderr). A code of 0 is a power-off or, with -no-reboot, a reset:
// the guest stopped without reporting.
func (e exit) status() (int, error) {
	if e.reset {
		return 0, &runner.NoStatusError{How: "reset"}
	}
	if e.killedNow {
		return 0, &runner.NoStatusError{How: "was killed"}
	}
	if e.killed {
		return 0, &runner.NoStatusError{How: fmt.Sprintf("did not stop within %v of the power-down request and was killed", e.grace)}
	}
	code := 0
	if e.err != nil {
		var ee *exec.ExitError
		if !errors.As(e.err, &ee) {
			return 0, fmt.Errorf("waiting for qemu: %w", e.err)
		}
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 0, fmt.Errorf("qemu killed by %v%s", ws.Signal(), e.detail())
		}
		code = ee.ExitCode()
	}
	if msg := qemuError(e.stderr); msg != "" {
		return 0, fmt.Errorf("qemu failed (exit status %d): %s", code, msg)
	}
	switch {
	case code%2 == 1:
		return code >> 1, nil
	case code == 0 && e.reason == "guest-reset":
		return 0, &runner.NoStatusError{How: "reset"}
	case code == 0 && e.reason == "guest-panic":
		return 0, &runner.NoStatusError{How: "panicked"}
	case code == 0:
		return 0, &runner.NoStatusError{How: "powered off"}
	}
	return 0, fmt.Errorf("qemu exited with status %d%s", code, e.detail())
}

func (e exit) detail() string {
	if s := strings.TrimSpace(e.stderr); s != "" {
		return ": " + s
	}
	return ""
}

// qemuError returns QEMU's own error lines from its stderr
// ("qemu-system-x86_64: -drive ...: Could not open", "qemu: could not open
// kernel file"), leaving out warnings and the note it prints when a signal
// ends it.
func qemuError(stderr string) string {
	var errs []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(l)
		i := strings.Index(l, ": ")
		if i < 0 || !strings.HasPrefix(l[:i], "qemu") || strings.Contains(l[:i], " ") {
			continue
		}
		msg := l[i+2:]
		if strings.HasPrefix(msg, "warning:") || strings.HasPrefix(msg, "terminating on signal") {
			continue
		}
		errs = append(errs, msg)
	}
	return strings.Join(errs, "; ")
}
