package qemu

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hyperbuild/hyper/runner"
)

// DefaultStopTimeout is how long Run waits after a power-down request
// when the Boot does not say.
const DefaultStopTimeout = 10 * time.Second

// repress is how often the power button is pressed again while waiting
// for the guest to stop.
const repress = 3 * time.Second

// Run boots b and waits for the VM to stop (see the package doc).
func (q *Backend) Run(ctx context.Context, b runner.Boot) (runner.Result, error) {
	bin, err := q.binary()
	if err != nil {
		return runner.Result{}, err
	}
	verbose := b.Verbose
	if verbose == nil {
		verbose = io.Discard
	}
	if b.Stdout == nil {
		b.Stdout = io.Discard
	}
	grace := b.StopTimeout
	if grace <= 0 {
		grace = DefaultStopTimeout
	}
	machine, accel, why := q.choose()
	dir, err := os.MkdirTemp("", "hyperboot-qemu-")
	if err != nil {
		return runner.Result{}, fmt.Errorf("creating a directory for the QMP socket: %w", err)
	}
	defer os.RemoveAll(dir)
	c := config{Machine: machine, Accel: accel, TSCkHz: hostTSCkHz(), QMP: filepath.Join(dir, "qmp.sock"), Boot: b}
	argv, err := args(c)
	if err != nil {
		return runner.Result{}, err
	}
	if why != "" {
		fmt.Fprintf(verbose, "qemu: accelerator: %s\n", why)
	}
	fmt.Fprintf(verbose, "qemu: %s\n", shellQuote(append([]string{bin}, argv...)))

	stderr := &tail{max: 8 << 10, also: verbose}
	cmd := exec.Command(bin, argv...)
	cmd.Stdout = b.Stdout
	cmd.Stderr = stderr
	// Own process group: a terminal's Ctrl-C goes to hyperboot, which
	// powers the guest down; QEMU dies with hyperboot whatever happens.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	b.Trace.Mark("qemu: starting %s, %s, %d vCPU, %d MiB", machine, accel, max(b.CPUs, 1), b.MemoryMiB)
	if err := cmd.Start(); err != nil {
		return runner.Result{}, fmt.Errorf("starting qemu: %w", err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()

	var mu sync.Mutex
	var reason string
	onEvent := func(e qmpEvent) {
		switch e.Name {
		case "SHUTDOWN", "POWERDOWN", "RESET", "GUEST_PANICKED":
			b.Trace.Mark("qemu: event %s %s", e.Name, e.Data)
		}
		if e.Name == "SHUTDOWN" {
			mu.Lock()
			reason = e.shutdownReason()
			mu.Unlock()
		}
	}
	qctx, qcancel := context.WithCancel(context.Background())
	defer qcancel()
	dialed := make(chan *qmp, 1)
	go func() {
		m, err := dialQMP(qctx, c.QMP, onEvent)
		if err != nil && qctx.Err() == nil {
			fmt.Fprintf(verbose, "qemu: %v\n", err)
		}
		dialed <- m
	}()

	var (
		monitor  *qmp
		ex       = exit{grace: grace}
		timeout  <-chan time.Time
		again    <-chan time.Time
		cancel   = ctx.Done()
		powerOff = func() {
			b.Trace.Mark("qemu: system_powerdown")
			go func(m *qmp) {
				pctx, done := context.WithTimeout(context.Background(), 5*time.Second)
				defer done()
				if _, err := m.execute(pctx, "system_powerdown"); err != nil {
					fmt.Fprintf(verbose, "qemu: %v\n", err)
				}
			}(monitor)
		}
	)
loop:
	for {
		select {
		case ex.err = <-waited:
			break loop
		case m := <-dialed:
			dialed = nil
			monitor = m
			if monitor != nil {
				b.Trace.Mark("qemu: QMP ready")
				if ex.stopping {
					powerOff()
				}
			}
		case <-cancel:
			cancel = nil
			ex.stopping = true
			fmt.Fprintf(verbose, "qemu: stopping: ACPI power-down, kill in %v\n", grace)
			if monitor != nil {
				powerOff()
			}
			timeout = time.After(grace)
			again = time.After(repress)
		case <-again:
			// A press while the guest was still booting, before hyperstart
			// watched the button, is lost: press again, as a user would.
			if monitor != nil {
				powerOff()
			}
			again = time.After(repress)
		case <-timeout:
			ex.killed = true
			b.Trace.Mark("qemu: killed after %v", grace)
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}
	b.Trace.Mark("qemu: exited")
	if dialed != nil {
		qcancel()
		monitor = <-dialed
	}
	if monitor != nil {
		// Let the reader take in what QEMU sent before it exited (the
		// SHUTDOWN event says whether the guest reset or powered off).
		select {
		case <-monitor.done:
		case <-time.After(time.Second):
		}
		monitor.Close()
	}
	mu.Lock()
	ex.reason = reason
	mu.Unlock()
	ex.stderr = stderr.String()
	st, err := ex.status()
	return runner.Result{Status: st}, err
}

// tail keeps the last max bytes written to it, and copies everything to
// also.
type tail struct {
	mu   sync.Mutex
	max  int
	buf  []byte
	also io.Writer
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.also.Write(p)
	t.buf = append(t.buf, p...)
	if len(t.buf) > t.max {
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-t.max:]...)
	}
	return len(p), nil
}

func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return string(t.buf)
}

// shellQuote renders argv so that it can be pasted into a shell.
func shellQuote(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && strings.Trim(a, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_=+,./:@%") == "" {
			out[i] = a
		} else {
			out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
		}
	}
	return strings.Join(out, " ")
}
