package hyperstart

import (
	"fmt"
	"slices"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// The Supervisor's commands: what the agent asks of a running pod. Each
// is one function run by Run's loop (so it sees and changes the state
// with no lock) and answers through a channel; those that wait for an
// outcome (a container stopped, restarted) return a channel the loop
// answers later.

// call runs f in Run's loop and returns its result, or ErrPodEnded once
// the pod has ended. Before Run starts, it waits for it.
func call[T any](s *Supervisor, f func(*podState) T) (T, error) {
	s.init()
	res := make(chan T, 1)
	select {
	case s.cmds <- func(p *podState) { res <- f(p) }:
		return <-res, nil
	case <-s.ended:
		var zero T
		return zero, ErrPodEnded
	}
}

// waitable is a command's outcome to come: the loop sends on ch.
type waitable struct {
	ch  <-chan error
	err error
}

func (w waitable) wait(s *Supervisor) error {
	if w.err != nil || w.ch == nil {
		return w.err
	}
	select {
	case err := <-w.ch:
		return err
	case <-s.ended:
		select {
		case err := <-w.ch:
			return err
		default:
			return ErrPodEnded
		}
	}
}

func (p *podState) lookup(name string) (*ctrState, error) {
	c := p.byName[name]
	if c == nil {
		return nil, fmt.Errorf("container %q: %w", name, ErrNoContainer)
	}
	return c, nil
}

// List reports every container, in the contract's order.
func (s *Supervisor) List() ([]contract.ContainerStatus, error) {
	return call(s, func(p *podState) []contract.ContainerStatus {
		out := make([]contract.ContainerStatus, len(p.all))
		for i, c := range p.all {
			out[i] = c.status()
		}
		return out
	})
}

// Container reports one container; ErrNoContainer when the pod has none
// of that name.
func (s *Supervisor) Container(name string) (contract.ContainerStatus, error) {
	type result struct {
		st  contract.ContainerStatus
		err error
	}
	r, err := call(s, func(p *podState) result {
		c, err := p.lookup(name)
		if err != nil {
			return result{err: err}
		}
		return result{st: c.status()}
	})
	if err != nil {
		return contract.ContainerStatus{}, err
	}
	return r.st, r.err
}

// Signal sends sig to a running container's main process (SIGKILL: to
// everything it runs). ErrNotRunning when it is not running.
func (s *Supervisor) Signal(name string, sig unix.Signal) error {
	err, cerr := call(s, func(p *podState) error {
		c, err := p.lookup(name)
		if err != nil {
			return err
		}
		if c.pid == 0 {
			return fmt.Errorf("container %q is %s: %w", name, c.state(), ErrNotRunning)
		}
		p.s.Log.Debugf("container %q: sending %s, as the host asked", name, unix.SignalName(sig))
		p.s.Kill(c.spec, c.pid, sig)
		return nil
	})
	if cerr != nil {
		return cerr
	}
	return err
}

// StopContainer stops one container as the pod's stop would (its stop
// signal, then SIGKILL after timeout, its own stop timeout when zero) and
// returns once it has stopped. Its restart policy does not bring it back,
// yet the pod does not end for it: the host may restart it, or shut the
// pod down. Stopping a container that has exited does nothing.
func (s *Supervisor) StopContainer(name string, timeout time.Duration) error {
	w, err := call(s, func(p *podState) waitable { return p.stopContainer(name, timeout) })
	if err != nil {
		return err
	}
	return w.wait(s)
}

func (p *podState) stopContainer(name string, timeout time.Duration) waitable {
	c, err := p.lookup(name)
	if err != nil {
		return waitable{err: err}
	}
	if c.done || c.held {
		return waitable{}
	}
	if c.pid == 0 { // waiting to restart
		p.s.Log.Printf("container %q: stopped as the host asked (it was waiting to restart)", name)
		c.held = true
		return waitable{}
	}
	ch := make(chan error, 1)
	c.waiters = append(c.waiters, ch)
	switch {
	case !c.stopReq && !p.stopping:
		p.s.Log.Printf("container %q: stopping it, as the host asked", name)
		c.stopReq = true
		if c.restartReq {
			// A restart was under way: its stop signal is sent already.
			c.restartReq = false
			break
		}
		p.emit(contract.Event{Type: contract.EventStop, Container: name})
		p.stopOne(c, timeout)
	}
	return waitable{ch: ch}
}

// RestartContainer stops a running container as StopContainer does and
// starts it again at once; one that waits to restart, was stopped or has
// exited is started at once. It returns once the container has started again. The
// pod must not be stopping.
func (s *Supervisor) RestartContainer(name string, timeout time.Duration) error {
	w, err := call(s, func(p *podState) waitable { return p.restartContainer(name, timeout) })
	if err != nil {
		return err
	}
	return w.wait(s)
}

func (p *podState) restartContainer(name string, timeout time.Duration) waitable {
	c, err := p.lookup(name)
	if err != nil {
		return waitable{err: err}
	}
	if p.stopping {
		return waitable{err: fmt.Errorf("restarting container %q: %w", name, ErrPodStopping)}
	}
	if c.pid != 0 {
		ch := make(chan error, 1)
		c.waiters = append(c.waiters, ch)
		if !c.restartReq && !c.stopReq {
			p.s.Log.Printf("container %q: restarting it, as the host asked", name)
			p.stopOne(c, timeout)
		}
		c.restartReq, c.stopReq = true, false
		return waitable{ch: ch}
	}
	c.held = false
	if c.done {
		c.done = false
		p.pending++
		p.finished = slices.DeleteFunc(p.finished, func(x *ctrState) bool { return x == c })
	}
	p.s.Log.Printf("container %q: starting it again, as the host asked", name)
	p.start(c)
	if c.pid == 0 {
		return waitable{err: fmt.Errorf("restarting container %q: it did not start (status %d)", name, c.last)}
	}
	return waitable{}
}

// ExecStart starts a process in container c, whose main process is
// mainPid; it runs with the Reaper's lock held and must not wait.
type ExecStart func(c *contract.Container, mainPid int) (int, error)

// Exec starts a process in a running container through start and returns
// its pid and a channel that receives its exit status. ErrNotRunning when
// the container is not running, ErrPodStopping when the pod is stopping.
func (s *Supervisor) Exec(name string, start ExecStart) (int, <-chan int, error) {
	type result struct {
		pid  int
		done <-chan int
		err  error
	}
	r, err := call(s, func(p *podState) result {
		c, err := p.lookup(name)
		if err != nil {
			return result{err: err}
		}
		if p.stopping {
			return result{err: fmt.Errorf("exec in container %q: %w", name, ErrPodStopping)}
		}
		if c.pid == 0 {
			return result{err: fmt.Errorf("exec in container %q: it is %s: %w", name, c.state(), ErrNotRunning)}
		}
		mainPid := c.pid
		pid, err := p.s.Reaper.Start(func() (int, error) { return start(c.spec, mainPid) })
		if err != nil {
			return result{err: err}
		}
		done := make(chan int, 1)
		p.execs[pid] = done
		return result{pid: pid, done: done}
	})
	if err != nil {
		return 0, nil, err
	}
	return r.pid, r.done, r.err
}

// Shutdown begins the pod's graceful stop as a power-button press does;
// timeout, when not zero, replaces the containers' stop timeouts. It
// returns at once; a second call kills what still runs.
func (s *Supervisor) Shutdown(why string, timeout time.Duration) error {
	_, err := call(s, func(p *podState) struct{} {
		p.onStopRequest(why, timeout)
		return struct{}{}
	})
	return err
}

// EventSub is one subscriber to the pod's events.
type EventSub struct{ c chan contract.Event }

// eventQueue is how many events a subscriber may fall behind before it
// is dropped: the loop never waits for a slow reader.
const eventQueue = 256

// C delivers the events; it is closed when the pod ends, when the
// subscriber fell eventQueue events behind, or after Unsubscribe.
func (e *EventSub) C() <-chan contract.Event { return e.c }

// Subscribe starts delivering the pod's events (start, exit, restart,
// stop) from now on.
func (s *Supervisor) Subscribe() (*EventSub, error) {
	return call(s, func(p *podState) *EventSub {
		sub := &EventSub{c: make(chan contract.Event, eventQueue)}
		p.subs[sub] = true
		return sub
	})
}

// Unsubscribe stops delivering events to sub and closes its channel.
func (s *Supervisor) Unsubscribe(sub *EventSub) {
	call(s, func(p *podState) struct{} {
		if p.subs[sub] {
			delete(p.subs, sub)
			close(sub.c)
		}
		return struct{}{}
	})
}

// emit sends ev to every subscriber; one that does not keep up is
// dropped (its channel closed) rather than let it hold the loop or grow
// without bound.
func (p *podState) emit(ev contract.Event) {
	if len(p.subs) == 0 {
		return
	}
	ev.Time = time.Now()
	for sub := range p.subs {
		select {
		case sub.c <- ev:
		default:
			delete(p.subs, sub)
			close(sub.c)
		}
	}
}
