package hyperstart

import (
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
type Supervisor struct {
	Pod    *contract.Pod
	Log    *Log
	Reaper *Reaper
	Start  Starter
	Kill   Killer
	// NewBackoff gives each container its restart backoff.
	NewBackoff func() Backoff
}

type ctrState struct {
	spec    *contract.Container
	stop    stopPlan
	pid     int
	gen     int // bumps with every start, so stale kill timers do nothing
	started time.Time
	backoff Backoff
	runs    int
	last    int // status of the last run
	done    bool
}

// Run starts every container and supervises them until the pod ends;
// each receive on stop begins a graceful stop. It returns the pod's exit
// status.
func (s *Supervisor) Run(stop <-chan string) int {
	newBackoff := s.NewBackoff
	if newBackoff == nil {
		newBackoff = DefaultBackoff
	}
	var (
		byPid    = map[int]*ctrState{}
		all      []*ctrState
		restart  = make(chan *ctrState)
		kill     = make(chan killReq)
		status   PodStatus
		stopping bool
		pending  int // containers not yet done
		quit     = make(chan struct{})
	)
	defer close(quit)
	finish := func(c *ctrState, st int) {
		if !c.done {
			c.done = true
			pending--
			status.Finished(st)
		}
	}
	startOne := func(c *ctrState) {
		c.gen++
		c.runs++
		c.started = time.Now()
		pid, err := s.Reaper.Start(func() (int, error) { return s.Start(c.spec) })
		if err != nil {
			s.Log.Printf("container %q: starting: %v", c.spec.Name, err)
			finish(c, ExitSetup)
			return
		}
		c.pid = pid
		byPid[pid] = c
		s.Log.Debugf("container %q started, pid %d", c.spec.Name, pid)
	}
	for i := range s.Pod.Containers {
		c := &ctrState{spec: &s.Pod.Containers[i], stop: StopPlanFor(&s.Pod.Containers[i]), backoff: newBackoff()}
		all = append(all, c)
		pending++
	}
	for _, c := range all {
		startOne(c)
	}
	for pending > 0 {
		select {
		case ex := <-s.Reaper.Exits():
			c := byPid[ex.Pid]
			if c == nil {
				continue
			}
			delete(byPid, ex.Pid)
			c.pid = 0
			st := ExitStatus(ex.Status)
			c.last = st
			ran := time.Since(c.started)
			// What the container left behind goes with it, as when
			// Docker's container PID namespace ends.
			s.Kill(c.spec, ex.Pid, unix.SIGKILL)
			if ShouldRestart(c.spec.Restart, st, stopping) {
				d := c.backoff.Next(ran)
				s.Log.Printf("container %q exited with status %d after %s; restarting in %s (restart %d, policy %s)",
					c.spec.Name, st, ran.Round(time.Millisecond), d, c.runs, c.spec.Restart)
				time.AfterFunc(d, func() {
					select {
					case restart <- c:
					case <-quit:
					}
				})
				continue
			}
			s.Log.Debugf("container %q exited with status %d", c.spec.Name, st)
			finish(c, st)
		case c := <-restart:
			if stopping || c.done {
				finish(c, c.last)
				continue
			}
			startOne(c)
		case why := <-stop:
			if stopping {
				// Asked again (a second power-button press, another
				// SIGTERM): do not wait for the stop timeouts.
				s.Log.Printf("stopping the pod now (%s): killing what still runs", why)
				for _, c := range all {
					if !c.done && c.pid != 0 {
						s.Kill(c.spec, c.pid, unix.SIGKILL)
					}
				}
				continue
			}
			stopping = true
			s.Log.Printf("stopping the pod (%s)", why)
			for _, c := range all {
				if c.done {
					continue
				}
				if c.pid == 0 { // waiting to restart: ends with its last status
					finish(c, c.last)
					continue
				}
				s.Log.Debugf("container %q: sending %s, SIGKILL in %s", c.spec.Name, c.stop.Name, c.stop.Timeout)
				s.Kill(c.spec, c.pid, c.stop.Signal)
				req := killReq{c: c, gen: c.gen}
				time.AfterFunc(c.stop.Timeout, func() {
					select {
					case kill <- req:
					case <-quit:
					}
				})
			}
		case req := <-kill:
			if c := req.c; !c.done && c.pid != 0 && c.gen == req.gen {
				s.Log.Printf("container %q did not stop within %s: killing it", c.spec.Name, c.stop.Timeout)
				s.Kill(c.spec, c.pid, unix.SIGKILL)
			}
		}
	}
	return status.Status()
}

type killReq struct {
	c   *ctrState
	gen int
}
