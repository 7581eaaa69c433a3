package hyperstart

import (
	"sync"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// Starter starts one run of a container and returns its pid. It is called
// with the Reaper's lock held and must not wait for the process.
type Starter func(c *contract.Container) (int, error)

// Killer signals a container: its main process for the stop signal, every
// process it left (its cgroup, else its process group) for SIGKILL.
type Killer func(c *contract.Container, pid int, sig unix.Signal)

// Supervisor runs a pod's containers until none runs and none will
// restart, applying restart policies and graceful stops.
//
// Its state belongs to one goroutine, Run's loop, and changes only in one
// method per event (podState.onExit, onRestartTimer, onStopRequest,
// onKillTimer) or per command. Commands come from other goroutines (the
// agent) through the methods in supervisor_cmd.go, which send them to the
// loop and wait for its answer; once the pod has ended they fail with
// ErrPodEnded.
type Supervisor struct {
	Pod    *contract.Pod
	Log    *Log
	Reaper *Reaper
	Start  Starter
	Kill   Killer
	// NewBackoff gives each container its restart backoff.
	NewBackoff func() Backoff

	once  sync.Once
	cmds  chan func(*podState)
	ended chan struct{} // closed when Run returns
}

func (s *Supervisor) init() {
	s.once.Do(func() {
		s.cmds = make(chan func(*podState))
		s.ended = make(chan struct{})
	})
}

// Ended is closed once Run has returned: the pod has ended.
func (s *Supervisor) Ended() <-chan struct{} {
	s.init()
	return s.ended
}

// Run starts every container and supervises them until the pod ends;
// each receive on stop begins a graceful stop. It returns the pod's exit
// status.
func (s *Supervisor) Run(stop <-chan string) int {
	s.init()
	p := newPodState(s)
	defer p.end()
	for _, c := range p.all {
		p.start(c)
	}
	for p.pending > 0 {
		select {
		case ex := <-s.Reaper.Exits():
			p.onExit(ex)
		case r := <-p.restart:
			p.onRestartTimer(r)
		case why := <-stop:
			p.onStopRequest(why, 0)
		case r := <-p.kill:
			p.onKillTimer(r)
		case cmd := <-s.cmds:
			cmd(p)
		}
	}
	return p.status()
}

// podState is the Supervisor's state, owned by Run's loop.
type podState struct {
	s        *Supervisor
	all      []*ctrState // in the contract's order
	byName   map[string]*ctrState
	byPid    map[int]*ctrState
	execs    map[int]chan<- int // processes exec'd into containers
	finished []*ctrState        // done containers, in the order they finished
	pending  int                // containers not yet done
	stopping bool
	subs     map[*EventSub]bool
	restart  chan restartReq
	kill     chan killReq
	quit     chan struct{} // closed when the loop ends: timers give up
}

// ctrState is one container as the loop sees it.
type ctrState struct {
	spec     *contract.Container
	stop     stopPlan
	pid      int
	gen      int // bumps with every start, so stale timers do nothing
	started  time.Time
	finished time.Time
	backoff  Backoff
	runs     int
	last     int  // status of the last run
	exited   bool // it has ended at least once: last means something
	done     bool // it will not run again unless asked: the pod does not wait for it
	// held: stopped on command. It runs no more, but the pod waits
	// for it: the host may restart it, or shut the pod down.
	held bool
	// stopReq: the host asked it to stop; its exit ends it whatever its
	// policy. restartReq: the host asked for a restart; its exit starts
	// it again at once.
	stopReq, restartReq bool
	// waiters are stop and restart requests waiting for their outcome.
	waiters []chan<- error
}

type restartReq struct {
	c   *ctrState
	gen int
}

type killReq struct {
	c       *ctrState
	gen     int
	timeout time.Duration
}

func newPodState(s *Supervisor) *podState {
	newBackoff := s.NewBackoff
	if newBackoff == nil {
		newBackoff = DefaultBackoff
	}
	p := &podState{
		s:       s,
		byName:  map[string]*ctrState{},
		byPid:   map[int]*ctrState{},
		execs:   map[int]chan<- int{},
		subs:    map[*EventSub]bool{},
		restart: make(chan restartReq),
		kill:    make(chan killReq),
		quit:    make(chan struct{}),
	}
	for i := range s.Pod.Containers {
		spec := &s.Pod.Containers[i]
		c := &ctrState{spec: spec, stop: StopPlanFor(spec), backoff: newBackoff()}
		p.all = append(p.all, c)
		p.byName[spec.Name] = c
		p.pending++
	}
	return p
}

// end releases everything that waits on the loop.
func (p *podState) end() {
	close(p.quit)
	for _, c := range p.all {
		p.notify(c, ErrPodEnded)
	}
	for sub := range p.subs {
		close(sub.c)
	}
	p.subs = nil
	close(p.s.ended)
}

// status is the pod's exit status: the first non-zero final status in
// the order containers finished, else 0.
func (p *podState) status() int {
	var st PodStatus
	for _, c := range p.finished {
		st.Finished(c.last)
	}
	return st.Status()
}

// start begins one run of c.
func (p *podState) start(c *ctrState) {
	c.gen++
	c.runs++
	c.started = time.Now()
	s := p.s
	pid, err := s.Reaper.Start(func() (int, error) { return s.Start(c.spec) })
	if err != nil {
		s.Log.Printf("container %q: starting: %v", c.spec.Name, err)
		c.last, c.exited, c.finished = ExitSetup, true, time.Now()
		p.finish(c)
		return
	}
	c.pid = pid
	p.byPid[pid] = c
	s.Log.Debugf("container %q started, pid %d", c.spec.Name, pid)
	ev := contract.EventStart
	if c.runs > 1 {
		ev = contract.EventRestart
	}
	p.emit(contract.Event{Type: ev, Container: c.spec.Name})
}

// finish marks c done: the pod no longer waits for it.
func (p *podState) finish(c *ctrState) {
	if c.done {
		return
	}
	c.done = true
	p.pending--
	p.finished = append(p.finished, c)
	var err error
	if c.restartReq {
		err = ErrPodStopping
	}
	c.stopReq, c.restartReq = false, false
	p.notify(c, err)
}

// notify answers the stop and restart requests waiting on c.
func (p *podState) notify(c *ctrState, err error) {
	for _, w := range c.waiters {
		w <- err
	}
	c.waiters = nil
}

// onExit handles the end of a process started through the Reaper: an
// exec'd process, or a container's run.
func (p *podState) onExit(ex Exit) {
	if done, ok := p.execs[ex.Pid]; ok {
		delete(p.execs, ex.Pid)
		done <- ExitStatus(ex.Status)
		return
	}
	c := p.byPid[ex.Pid]
	if c == nil {
		return
	}
	s := p.s
	delete(p.byPid, ex.Pid)
	c.pid = 0
	st := ExitStatus(ex.Status)
	c.last, c.exited, c.finished = st, true, time.Now()
	ran := c.finished.Sub(c.started)
	// What the container left behind goes with it, as when Docker's
	// container PID namespace ends.
	s.Kill(c.spec, ex.Pid, unix.SIGKILL)
	p.emit(contract.Event{Type: contract.EventExit, Container: c.spec.Name, ExitStatus: &st})
	if c.restartReq && !p.stopping {
		c.restartReq = false
		s.Log.Printf("container %q exited with status %d; restarting it as asked", c.spec.Name, st)
		p.start(c)
		p.notify(c, nil)
		return
	}
	if c.stopReq && !p.stopping {
		s.Log.Debugf("container %q exited with status %d, stopped as the host asked", c.spec.Name, st)
		c.stopReq, c.held = false, true
		p.notify(c, nil)
		return
	}
	if ShouldRestart(c.spec.Restart, st, p.stopping || c.stopReq) {
		d := c.backoff.Next(ran)
		s.Log.Printf("container %q exited with status %d after %s; restarting in %s (restart %d, policy %s)",
			c.spec.Name, st, ran.Round(time.Millisecond), d, c.runs, c.spec.Restart)
		r := restartReq{c: c, gen: c.gen}
		time.AfterFunc(d, func() {
			select {
			case p.restart <- r:
			case <-p.quit:
			}
		})
		return
	}
	s.Log.Debugf("container %q exited with status %d", c.spec.Name, st)
	p.finish(c)
}

// onRestartTimer starts a container again once its backoff has passed,
// unless something else started or ended it meanwhile.
func (p *podState) onRestartTimer(r restartReq) {
	c := r.c
	if c.gen != r.gen || c.pid != 0 || c.done || c.held {
		return
	}
	if p.stopping {
		p.finish(c)
		return
	}
	p.start(c)
}

// onStopRequest begins the pod's graceful stop; asked again, it kills
// what still runs. timeout, when not zero, replaces the containers' stop
// timeouts.
func (p *podState) onStopRequest(why string, timeout time.Duration) {
	s := p.s
	if p.stopping {
		// Asked again (a second power-button press, another SIGTERM):
		// do not wait for the stop timeouts.
		s.Log.Printf("stopping the pod now (%s): killing what still runs", why)
		for _, c := range p.all {
			if !c.done && c.pid != 0 {
				s.Kill(c.spec, c.pid, unix.SIGKILL)
			}
		}
		return
	}
	p.stopping = true
	s.Log.Printf("stopping the pod (%s)", why)
	p.emit(contract.Event{Type: contract.EventStop})
	for _, c := range p.all {
		if c.done {
			continue
		}
		if c.pid == 0 { // waiting to restart or held: ends with its last status
			p.finish(c)
			continue
		}
		p.stopOne(c, timeout)
	}
}

// stopOne sends c its stop signal and arms the SIGKILL that follows after
// timeout (the container's own when zero).
func (p *podState) stopOne(c *ctrState, timeout time.Duration) {
	if timeout <= 0 {
		timeout = c.stop.Timeout
	}
	p.s.Log.Debugf("container %q: sending %s, SIGKILL in %s", c.spec.Name, c.stop.Name, timeout)
	p.s.Kill(c.spec, c.pid, c.stop.Signal)
	r := killReq{c: c, gen: c.gen, timeout: timeout}
	time.AfterFunc(timeout, func() {
		select {
		case p.kill <- r:
		case <-p.quit:
		}
	})
}

// onKillTimer kills a container that outlived its stop timeout.
func (p *podState) onKillTimer(r killReq) {
	if c := r.c; !c.done && c.pid != 0 && c.gen == r.gen {
		p.s.Log.Printf("container %q did not stop within %s: killing it", c.spec.Name, r.timeout)
		p.s.Kill(c.spec, c.pid, unix.SIGKILL)
	}
}

// state is c's state as list reports it.
func (c *ctrState) state() string {
	switch {
	case c.pid != 0:
		return contract.StateRunning
	case c.done, c.held:
		return contract.StateExited
	case c.runs == 0:
		return contract.StateCreated
	}
	return contract.StateRestarting
}

func (c *ctrState) status() contract.ContainerStatus {
	st := contract.ContainerStatus{Name: c.spec.Name, State: c.state(), Pid: c.pid, StartedAt: c.started}
	if c.runs > 1 {
		st.Restarts = c.runs - 1
	}
	if c.exited {
		last := c.last
		st.ExitStatus = &last
		if c.pid == 0 {
			st.FinishedAt = c.finished
		}
	}
	return st
}
