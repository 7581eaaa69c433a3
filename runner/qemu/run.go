package qemu

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hyperbuild/hyper/internal/scratch"
	"github.com/hyperbuild/hyper/runner"
)

// DefaultStopTimeout is how long Shutdown waits for the guest to stop
// when the Boot does not say.
const DefaultStopTimeout = 10 * time.Second

// repress is how often the power button is pressed again while waiting
// for the guest to stop.
const repress = 3 * time.Second

// Start boots b and returns the running QEMU (see the package doc).
func (q *Backend) Start(ctx context.Context, b runner.Boot) (runner.Machine, error) {
	bin, err := q.binary()
	if err != nil {
		return nil, err
	}
	if b.Verbose == nil {
		b.Verbose = io.Discard
	}
	if b.Stdout == nil {
		b.Stdout = io.Discard
	}
	if b.StopTimeout <= 0 {
		b.StopTimeout = DefaultStopTimeout
	}
	machine, accel, why := q.choose()
	work, err := scratch.New("", runner.ScratchPrefix+"qemu-")
	if err != nil {
		return nil, fmt.Errorf("a directory for the QMP socket: %w", err)
	}
	c := config{Machine: machine, Accel: accel, TSCkHz: hostTSCkHz(), QMP: work.Join("qmp.sock"), Agent: work.Join("agent.sock"), Boot: b}
	argv, err := args(c)
	if err != nil {
		work.Close()
		return nil, err
	}
	if why != "" {
		fmt.Fprintf(b.Verbose, "qemu: accelerator: %s\n", why)
	}
	fmt.Fprintf(b.Verbose, "qemu: %s\n", shellQuote(append([]string{bin}, argv...)))
	b.Trace.Mark("qemu: starting %s, %s, %d vCPU, %d MiB", machine, accel, max(b.CPUs, 1), b.MemoryMiB)
	v, err := start(bin, argv, c.QMP, b)
	if err != nil {
		work.Close()
		return nil, err
	}
	v.agentPath = c.Agent
	go func() {
		ex := v.supervise()
		v.status, v.err = ex.status()
		work.Close()
		close(v.finished)
	}()
	return v, nil
}

// vm is one running QEMU and what the backend learns about it.
type vm struct {
	b      runner.Boot
	cmd    *exec.Cmd
	stderr *tail
	waited chan error // cmd.Wait's result
	dialed chan *qmp  // the QMP connection, or nil when it failed
	qstop  context.CancelFunc
	resets chan struct{} // a RESET event: the guest rebooted despite -no-reboot

	shutdown, kill sync.Once
	stopReq        chan struct{} // closed by Shutdown
	killReq        chan struct{} // closed by Kill

	agentPath string // the agent port's unix socket, in the scratch directory

	finished chan struct{} // closed when QEMU is gone and status, err are set
	status   int
	err      error

	mu     sync.Mutex
	reason string // the last SHUTDOWN event's reason
}

var _ runner.Machine = (*vm)(nil)

// Wait waits for QEMU to exit and maps how it ended to a status.
func (v *vm) Wait() (runner.Result, error) {
	<-v.finished
	return runner.Result{Status: v.status}, v.err
}

// Shutdown presses the power button (again every repress) and kills QEMU
// after the stop timeout.
func (v *vm) Shutdown() error {
	v.shutdown.Do(func() { close(v.stopReq) })
	return nil
}

// Kill kills QEMU now.
func (v *vm) Kill() error {
	v.kill.Do(func() { close(v.killReq) })
	return nil
}

// Agent connects to the agent port's socket, waiting for QEMU to create
// it. The socket lives in the run's private (0700) scratch directory and
// is made 0600 as well.
func (v *vm) Agent(ctx context.Context) (io.ReadWriteCloser, error) {
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, "unix", v.agentPath)
		if err == nil {
			os.Chmod(v.agentPath, 0o600)
			return c, nil
		}
		select {
		case <-v.finished:
			return nil, fmt.Errorf("qemu: the agent port: %w", runner.ErrStopped)
		case <-ctx.Done():
			return nil, fmt.Errorf("qemu: connecting to the agent port %s: %w (%w)", v.agentPath, ctx.Err(), err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// start runs QEMU and begins connecting to its QMP socket.
func start(bin string, argv []string, qmpPath string, b runner.Boot) (*vm, error) {
	v := &vm{
		b: b, stderr: &tail{max: 8 << 10, also: b.Verbose}, waited: make(chan error, 1), dialed: make(chan *qmp, 1), resets: make(chan struct{}, 1),
		stopReq: make(chan struct{}), killReq: make(chan struct{}), finished: make(chan struct{}),
	}
	v.cmd = exec.Command(bin, argv...)
	v.cmd.Stdout = b.Stdout
	v.cmd.Stderr = v.stderr
	// Own process group: a terminal's Ctrl-C goes to hyperboot, which
	// powers the guest down; QEMU dies with hyperboot whatever happens.
	v.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	v.cmd.WaitDelay = 5 * time.Second
	if err := v.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting qemu: %w", err)
	}
	go func() { v.waited <- v.cmd.Wait() }()
	qctx, qstop := context.WithCancel(context.Background())
	v.qstop = qstop
	go func() {
		m, err := dialQMP(qctx, qmpPath, v.onEvent)
		if err != nil && qctx.Err() == nil {
			fmt.Fprintf(b.Verbose, "qemu: %v\n", err)
		}
		v.dialed <- m
	}()
	return v, nil
}

func (v *vm) onEvent(e qmpEvent) {
	switch e.Name {
	case "SHUTDOWN", "POWERDOWN", "RESET", "GUEST_PANICKED":
		v.b.Trace.Mark("qemu: event %s %s", e.Name, e.Data)
	}
	switch e.Name {
	case "SHUTDOWN":
		v.mu.Lock()
		v.reason = e.shutdownReason()
		v.mu.Unlock()
	case "RESET":
		select {
		case v.resets <- struct{}{}:
		default:
		}
	}
}

// supervise waits for QEMU to exit. On Shutdown it presses the power
// button (again every repress, as a press during early boot is lost), and
// kills QEMU after the stop timeout; on Kill it kills QEMU at once.
func (v *vm) supervise() exit {
	var (
		monitor *qmp
		ex      = exit{grace: v.b.StopTimeout}
		timeout <-chan time.Time
		again   <-chan time.Time
		cancel  = v.stopReq
		kill    = v.killReq
		dialed  = v.dialed
	)
	press := func() {
		if monitor != nil {
			v.b.Trace.Mark("qemu: system_powerdown")
			go v.powerdown(monitor)
		}
	}
loop:
	for {
		select {
		case ex.err = <-v.waited:
			break loop
		case monitor = <-dialed:
			dialed = nil
			if monitor != nil {
				v.b.Trace.Mark("qemu: QMP ready")
				if ex.stopping {
					press()
				}
			}
		case <-cancel:
			cancel = nil
			ex.stopping = true
			fmt.Fprintf(v.b.Verbose, "qemu: stopping: ACPI power-down, kill in %v\n", ex.grace)
			press()
			timeout, again = time.After(ex.grace), time.After(repress)
		case <-again:
			press()
			again = time.After(repress)
		case <-v.resets:
			// -no-reboot turns most resets into an exit, but not every
			// path a kernel can take on microvm (seen 2 runs in 6 of
			// `reboot -f`): stop a guest that would boot again, and again.
			ex.reset = true
			_ = syscall.Kill(-v.cmd.Process.Pid, syscall.SIGKILL)
		case <-kill:
			kill = nil
			ex.killedNow = true
			v.b.Trace.Mark("qemu: killed")
			_ = syscall.Kill(-v.cmd.Process.Pid, syscall.SIGKILL)
		case <-timeout:
			ex.killed = true
			v.b.Trace.Mark("qemu: killed after %v", ex.grace)
			_ = syscall.Kill(-v.cmd.Process.Pid, syscall.SIGKILL)
		}
	}
	v.b.Trace.Mark("qemu: exited")
	if dialed != nil {
		v.qstop()
		monitor = <-dialed
	}
	v.qstop()
	if monitor != nil {
		// Let the reader take in what QEMU sent before it exited (the
		// SHUTDOWN event says whether the guest reset or powered off).
		select {
		case <-monitor.done:
		case <-time.After(time.Second):
		}
		monitor.Close()
	}
	v.mu.Lock()
	ex.reason = v.reason
	v.mu.Unlock()
	ex.stderr = v.stderr.String()
	return ex
}

func (v *vm) powerdown(m *qmp) {
	ctx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	if _, err := m.execute(ctx, "system_powerdown"); err != nil {
		fmt.Fprintf(v.b.Verbose, "qemu: %v\n", err)
	}
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
