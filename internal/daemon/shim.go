package daemon

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
)

// Timing of a pod's supervisor.
const (
	// agentTimeout bounds the wait for the guest's agent after the VM
	// started (a pod among many booting under software emulation is slow).
	agentTimeout = 3 * time.Minute
	// stopMargin is how long after the containers' stop timeout the VM
	// may take to power off before it is killed.
	stopMargin = 10 * time.Second
	// stopAgentWait bounds the wait for the agent of a pod stopped with a
	// timeout (the power button stops a pod without one).
	stopAgentWait = 5 * time.Second
	// drainTimeout is how long a stopped pod's shim keeps answering the
	// requests in flight (wait, logs -f) before it exits.
	drainTimeout = 5 * time.Second
	// maxShimLog bounds shim.log (the console's kernel and hyperstart
	// lines, and the shim's own).
	maxShimLog = 1 << 20
)

// Shim supervises one pod: `hyperd shim`, one process per pod, started
// by hyperd in a session of its own, so that restarting (or killing)
// hyperd leaves the pod running. It boots the VM, records the pod's
// state in its directory, keeps its logs, serves the pod's routes on
// shim.sock (hyperd proxies them) and, when the VM stops, records how it
// ended and exits. Killing the shim kills the VM: QEMU dies with its
// parent, our VMM runs inside the shim.
type Shim struct {
	Root, ID string
	Runtime  Runtime
	// Lock is the pod's lock, already taken (hyperd passes it, so that
	// the pod is never unowned); nil: the shim takes it.
	Lock *os.File
	// Ready, when not nil, receives "ok\n" once the VM runs and the
	// shim serves, or the error that stopped it; then it is closed.
	Ready io.WriteCloser
	// Console receives the guest's kernel and hyperstart lines and the
	// shim's own messages (nil: discarded).
	Console io.Writer

	dir    string
	cfg    podConfig
	vm     VM
	logs   *logStore
	events *broadcaster

	mu      sync.Mutex
	state   podState
	stopped bool // Stop was called

	agentReady chan struct{}
	agentOnce  sync.Once
	wantAgent  bool // connect was called before the VM was there
	agent      Agent
	agentErr   error

	// waiting is closed once a wait has come: an auto-remove pod (run
	// --rm) stays until then, or drainTimeout, so that the run that
	// waits on it gets its status even if the pod ended at once.
	waiting     chan struct{}
	waitingOnce sync.Once
	// finished is closed once the pod's end is recorded in its state.
	finished chan struct{}
}

// Run supervises the pod until its VM has stopped, then returns the
// error that ended it early, if any (the pod's own status is in its
// state).
func (s *Shim) Run(ctx context.Context) (err error) {
	s.dir = podDir(s.Root, s.ID)
	if s.Console == nil {
		s.Console = io.Discard
	}
	s.Console = &cappedWriter{w: s.Console, left: maxShimLog}
	defer func() {
		if s.Ready != nil {
			if err != nil {
				fmt.Fprintf(s.Ready, "%s\n", readyLine(err))
			}
			s.Ready.Close()
		}
	}()
	if s.Lock == nil {
		if s.Lock, err = takeLock(filepath.Join(s.dir, lockFile)); err != nil {
			return fmt.Errorf("locking pod %s: %w", s.ID, err)
		}
	}
	defer s.Lock.Close()
	if err := readJSON(filepath.Join(s.dir, configFile), &s.cfg); err != nil {
		return err
	}
	s.state = podState{State: api.StateCreated, Pid: os.Getpid()}
	if err := s.save(); err != nil {
		return err
	}
	if s.logs, err = openLogStore(filepath.Join(s.dir, logsDir), logFileMax); err != nil {
		return s.fail(err)
	}
	s.events = newBroadcaster()
	s.agentReady = make(chan struct{})
	s.waiting = make(chan struct{})
	s.finished = make(chan struct{})
	sock := filepath.Join(s.dir, shimSock)
	os.Remove(sock)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		s.logs.Close()
		return s.fail(fmt.Errorf("listening on %s: %w", sock, err))
	}
	os.Chmod(sock, 0o600)
	defer os.Remove(sock)

	vm, err := s.Runtime.Start(ctx, s.cfg.Artifact, StartConfig{
		RunConfig:  s.cfg.Run,
		Containers: s.cfg.Containers,
		Log: func(e contract.LogEntry) {
			// The guest is up: now its agent can be asked for without
			// slowing its boot (see connect).
			s.connect()
			if err := s.logs.Append(e); err != nil {
				fmt.Fprintf(s.Console, "hyperd shim: logs: %v\n", err)
			}
		},
		Console: s.Console,
	})
	if err != nil {
		ln.Close()
		s.logs.Close()
		return s.fail(err)
	}
	s.mu.Lock()
	s.vm = vm
	stopNow, connectNow := s.stopped, s.wantAgent
	s.mu.Unlock()
	if stopNow {
		go s.stop(context.Background(), 0, false)
	}
	if connectNow {
		s.connect()
	}
	s.update(func(st *podState) {
		st.State = api.StateRunning
		st.StartedAt = time.Now().UTC()
	})
	s.events.Publish(contract.Event{Time: time.Now().UTC(), Type: contract.EventStart})
	srv := &http.Server{Handler: s.routes(), ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	if s.Ready != nil {
		io.WriteString(s.Ready, "ok\n")
		s.Ready.Close()
		s.Ready = nil
	}

	status, werr := s.vm.Wait()
	s.logs.Close()
	s.update(func(st *podState) {
		st.State = api.StateExited
		st.FinishedAt = time.Now().UTC()
		st.Pid = 0
		if werr != nil {
			st.Error = werr.Error()
		} else {
			st.ExitStatus = &status
		}
	})
	if s.cfg.Run.AutoRemove {
		// Gone before the waiters hear of the end, so that a run --rm
		// that returns leaves nothing behind.
		select {
		case <-s.waiting:
		case <-time.After(drainTimeout):
		}
		os.RemoveAll(s.dir)
	}
	close(s.finished)
	ev := contract.Event{Time: time.Now().UTC(), Type: contract.EventExit}
	if werr == nil {
		ev.ExitStatus = &status
	}
	s.events.Publish(ev)
	s.events.Close()
	// Let the waiters and the followers have their answers.
	dctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	srv.Shutdown(dctx)
	cancel()
	return nil
}

// Stop stops the pod gracefully, as a stop without a timeout does (the
// shim's SIGTERM); called before the VM has started, it stops the VM
// once started.
func (s *Shim) Stop() {
	s.mu.Lock()
	s.stopped = true
	vm := s.vm
	s.mu.Unlock()
	if vm != nil {
		go s.stop(context.Background(), 0, false)
	}
}

// fail records that the pod could not start.
func (s *Shim) fail(err error) error {
	s.update(func(st *podState) {
		st.State = api.StateExited
		st.Error = err.Error()
		st.FinishedAt = time.Now().UTC()
		st.Pid = 0
	})
	if s.cfg.Run.AutoRemove {
		os.RemoveAll(s.dir)
	}
	return err
}

func (s *Shim) save() error {
	return writeFile(filepath.Join(s.dir, stateFile), s.state)
}

// update changes the state and writes it down.
func (s *Shim) update(f func(*podState)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(&s.state)
	if err := s.save(); err != nil {
		fmt.Fprintf(s.Console, "hyperd shim: %v\n", err)
	}
}

func (s *Shim) current() podState {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.state
}

// connect starts connecting to the guest's agent, once: when the first
// container line arrives, or when a request needs the agent, whichever
// comes first. Under emulation, asking a guest that is still booting
// (the agent's ping, retried) costs its boot a tenth of a second or
// more; run -d → first line is measured in make bench.
func (s *Shim) connect() {
	s.mu.Lock()
	started := s.vm != nil
	s.wantAgent = s.wantAgent || !started
	s.mu.Unlock()
	if started {
		s.agentOnce.Do(func() { go s.connectAgent() })
	}
}

// connectAgent waits for the guest's agent, then forwards its events
// until the VM stops.
func (s *Shim) connectAgent() {
	ctx, cancel := context.WithTimeout(context.Background(), agentTimeout)
	defer cancel()
	go func() {
		select {
		case <-s.vm.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	a, err := s.vm.Agent(ctx)
	if err != nil {
		s.agentErr = noAgent(err)
		fmt.Fprintf(s.Console, "hyperd shim: %v\n", s.agentErr)
		close(s.agentReady)
		return
	}
	s.agent = a
	close(s.agentReady)
	ectx, ecancel := context.WithCancel(context.Background())
	defer ecancel()
	go func() {
		<-s.vm.Done()
		ecancel()
	}()
	a.Events(ectx, func(e contract.Event) error {
		s.events.Publish(e)
		return nil
	})
}

// waitAgent returns the guest's agent once it answers, or why not.
func (s *Shim) waitAgent(ctx context.Context) (Agent, error) {
	s.connect()
	select {
	case <-s.agentReady:
		if s.agent == nil {
			return nil, s.agentErr
		}
		return s.agent, nil
	case <-s.vm.Done():
		return nil, conflictf("pod %s is not running", s.cfg.Name)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// agentNow is the agent if it already answered, else nil (and it is
// asked for).
func (s *Shim) agentNow() Agent {
	s.connect()
	select {
	case <-s.agentReady:
		return s.agent
	default:
		return nil
	}
}

// stop stops the pod gracefully: with a timeout, the guest stops each
// container with it (0: at once) and powers off; without, each
// container's own stop timeout applies (the runner's Shutdown). The VM is
// killed if it still runs stopMargin after the timeout. It returns when
// the VM has stopped.
func (s *Shim) stop(ctx context.Context, timeout time.Duration, hasTimeout bool) error {
	s.update(func(st *podState) {
		if st.State == api.StateRunning {
			st.State = api.StateStopping
		}
	})
	s.events.Publish(contract.Event{Time: time.Now().UTC(), Type: contract.EventStop})
	switch {
	case hasTimeout && timeout == 0:
		return s.kill(ctx)
	case hasTimeout:
		// The guest stops its containers with the timeout; a guest whose
		// agent does not answer soon gets the power button.
		actx, cancel := context.WithTimeout(ctx, stopAgentWait)
		a, err := s.waitAgent(actx)
		cancel()
		if err != nil || a.Shutdown(ctx, timeout) != nil {
			if err := s.vm.Shutdown(); err != nil {
				return err
			}
		}
		t := time.AfterFunc(timeout+stopMargin, func() { s.vm.Kill() })
		defer t.Stop()
	default:
		if err := s.vm.Shutdown(); err != nil {
			return err
		}
	}
	return s.awaitEnd(ctx)
}

func (s *Shim) kill(ctx context.Context) error {
	if err := s.vm.Kill(); err != nil {
		return err
	}
	return s.awaitEnd(ctx)
}

// awaitEnd returns once the pod's end is recorded, so that whoever
// stopped it reads it exited.
func (s *Shim) awaitEnd(ctx context.Context) error {
	select {
	case <-s.finished:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cappedWriter passes on at most left bytes, then notes once that it
// drops the rest.
type cappedWriter struct {
	mu   sync.Mutex
	w    io.Writer
	left int64
	said bool
}

func (c *cappedWriter) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.left <= 0 {
		if !c.said {
			c.said = true
			io.WriteString(c.w, "\nhyperd shim: console output past this point dropped (bounded)\n")
		}
		return len(p), nil
	}
	q := p
	if int64(len(q)) > c.left {
		q = q[:c.left]
	}
	n, err := c.w.Write(q)
	c.left -= int64(n)
	if err != nil {
		return n, err
	}
	return len(p), nil
}
