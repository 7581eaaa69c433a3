package runner

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hyperbuild/hyper/agent"
)

// VM is a running pod: its virtual machine, the console filter between
// the guest and the caller's Stdout and Stderr, and what the runner made
// for it (the scratch directory with the kernel and initrd), which goes
// when the VM stops. Its methods are safe to call from several
// goroutines.
type VM struct {
	backend string
	m       Machine
	verbose io.Writer
	exited  chan struct{} // closed when the machine has stopped
	done    chan struct{} // closed when, besides, the run's files are gone

	// agentSem guards agent: one caller at a time dials and pings.
	agentSem chan struct{}
	agent    *agent.Client
	agentUp  bool // agent has answered ping

	// Set before done is closed.
	status int
	err    error
}

// StartWith boots b on backend be and returns the running VM. It puts the
// console filter between the guest and b.Stdout and b.Stderr (see
// Console). cleanup, when not nil, runs once the VM has stopped, or at
// once when the start fails.
func StartWith(ctx context.Context, be Backend, b Boot) (*VM, error) {
	return startWith(ctx, be, b, nil)
}

func startWith(ctx context.Context, be Backend, b Boot, cleanup func()) (*VM, error) {
	if cleanup == nil {
		cleanup = func() {}
	}
	if b.Verbose == nil {
		b.Verbose = io.Discard
	}
	con := NewConsole(b.Stdout, b.Stderr, b.Containers, b.Trace)
	con.shown = con.shown || b.Names
	b.Stdout, b.Stderr = con, nil
	m, err := be.Start(ctx, b)
	if err != nil {
		con.Close()
		cleanup()
		return nil, fmt.Errorf("running the pod with the %s backend: %w", be.Name(), err)
	}
	v := &VM{backend: be.Name(), m: m, verbose: b.Verbose, exited: make(chan struct{}), done: make(chan struct{}), agentSem: make(chan struct{}, 1)}
	go v.wait(con, cleanup)
	return v, nil
}

// wait waits for the machine and decides the pod's status: from the
// console's exit line when the guest printed one (all 8 bits), else from
// the backend's exit port.
func (v *VM) wait(con *Console, cleanup func()) {
	res, err := v.m.Wait()
	close(v.exited)
	con.Close()
	if st, ok := con.Status(); ok {
		if err != nil {
			fmt.Fprintf(v.verbose, "%s: %v (after the pod reported status %d)\n", v.backend, err, st)
		}
		v.status = st
	} else if err != nil {
		v.err = fmt.Errorf("running the pod with the %s backend: %w", v.backend, err)
	} else {
		fmt.Fprintf(v.verbose, "%s: no exit line on the console; status %d from the exit port\n", v.backend, res.Status)
		v.status = res.Status
	}
	v.agentSem <- struct{}{}
	if v.agent != nil {
		v.agent.Close()
	}
	<-v.agentSem
	cleanup()
	close(v.done)
}

// Wait blocks until the VM has stopped and returns the pod's exit status
// (the first non-zero container status; 128+N for a container killed by
// signal N), or an error matching ErrNoStatus when the guest stopped
// without reporting one, or another error when the VM failed.
func (v *VM) Wait() (status int, err error) {
	<-v.done
	return v.status, v.err
}

// Done is closed when the VM has stopped and Wait returns at once.
func (v *VM) Done() <-chan struct{} { return v.done }

// Shutdown stops the pod gracefully: the guest's power button, which
// hyperstart turns into each container's stop signal and, after its stop
// timeout, SIGKILL; the VM is killed if it still runs the pod's stop
// timeout later (the longest container stop timeout plus 10 s). It
// returns at once; Wait says how the pod ended.
func (v *VM) Shutdown() error {
	if v.stopped() {
		return nil
	}
	return v.m.Shutdown()
}

// Kill ends the VM now.
func (v *VM) Kill() error {
	if v.stopped() {
		return nil
	}
	return v.m.Kill()
}

// Agent returns the client of the guest's agent (package agent) once it
// answers ping: the control channel for list, exec, logs, events, signal,
// stop and shutdown. It waits for the guest to boot that far until ctx is
// done; the error then matches ErrNoAgent (a hyperstart without an
// agent, or one still booting), and a later call goes on waiting on the
// same connection. Every caller gets the same client: do not Close it,
// the VM does when it stops (Agent then returns ErrStopped).
func (v *VM) Agent(ctx context.Context) (*agent.Client, error) {
	if v.stopped() {
		return nil, ErrStopped
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-v.exited:
			cancel()
		case <-ctx.Done():
		}
	}()
	select {
	case v.agentSem <- struct{}{}:
	case <-ctx.Done():
		return nil, v.agentErr(ctx, nil)
	}
	defer func() { <-v.agentSem }()
	select {
	case <-v.exited:
		return nil, ErrStopped
	default:
	}
	if v.agent != nil {
		select {
		case <-v.agent.Done(): // the connection broke, or a caller closed it
			v.agent, v.agentUp = nil, false
		default:
		}
	}
	if v.agent == nil {
		rwc, err := v.m.Agent(ctx)
		if err != nil {
			return nil, v.agentErr(ctx, err)
		}
		if v.agent, err = agent.Dial(rwc); err != nil {
			rwc.Close()
			return nil, err
		}
	}
	if !v.agentUp {
		// A ping that times out stays on the connection, which is kept:
		// closing it while the guest reads could hand the guest half a
		// session.
		if err := v.agent.Ping(ctx); err != nil {
			return nil, v.agentErr(ctx, err)
		}
		v.agentUp = true
	}
	return v.agent, nil
}

// agentErr says why Agent failed: the VM stopped, ctx ended before the
// guest answered, or err.
func (v *VM) agentErr(ctx context.Context, err error) error {
	select {
	case <-v.exited:
		return ErrStopped
	default:
	}
	switch {
	case errors.Is(err, ErrUnsupported) || errors.Is(err, agent.ErrVersion):
		return err
	case ctx.Err() != nil:
		return fmt.Errorf("%w within the time given (%w): a hyperstart without an agent (rebuild the artifact with this hyperbuild), or a guest that has not booted that far", ErrNoAgent, ctx.Err())
	}
	return fmt.Errorf("%w: %w", ErrNoAgent, err)
}

func (v *VM) stopped() bool {
	select {
	case <-v.done:
		return true
	default:
		return false
	}
}

// BootWith boots b on be and returns the pod's exit status (StartWith,
// then Wait); cancelling ctx shuts the pod down (VM.Shutdown).
func BootWith(ctx context.Context, be Backend, b Boot) (int, error) {
	v, err := StartWith(ctx, be, b)
	if err != nil {
		return 0, err
	}
	return v.waitOrShutdown(ctx)
}

// waitOrShutdown waits for the VM, shutting it down when ctx is done.
func (v *VM) waitOrShutdown(ctx context.Context) (int, error) {
	stop := context.AfterFunc(ctx, func() {
		if err := v.Shutdown(); err != nil {
			fmt.Fprintf(v.verbose, "%s: stopping: %v\n", v.backend, err)
		}
	})
	defer stop()
	return v.Wait()
}
