package hyperstart

import (
	"os"
	"os/signal"
	"sync"

	"golang.org/x/sys/unix"
)

// Exit is a child's end as seen by wait4.
type Exit struct {
	Pid    int
	Status unix.WaitStatus
}

// Reaper owns the only wait4(-1) in PID 1: it reaps every child, orphans
// of any container included, and passes on the exits of the processes
// hyperstart started itself. Nothing else in PID 1 may wait (os/exec's
// Wait would race it), so processes are started through Start.
type Reaper struct {
	mu     sync.Mutex
	wanted map[int]bool
	exits  chan Exit
	reaped int
	sig    chan os.Signal
}

// NewReaper starts reaping on SIGCHLD. Exits of started processes arrive
// on Exits.
func NewReaper() *Reaper {
	r := &Reaper{wanted: map[int]bool{}, exits: make(chan Exit, 64), sig: make(chan os.Signal, 16)}
	signal.Notify(r.sig, unix.SIGCHLD)
	go func() {
		for range r.sig {
			r.reapAll()
		}
	}()
	return r
}

// Close stops reaping (PID 1 never does; tests do, to give wait back to
// the rest of the process).
func (r *Reaper) Close() {
	signal.Stop(r.sig)
	close(r.sig)
}

// Exits delivers the end of each process started through Start.
func (r *Reaper) Exits() <-chan Exit { return r.exits }

// Start runs start (a fork) with the reaper's lock held, so that the new
// pid is registered before the reaper can hand its exit to anybody.
func (r *Reaper) Start(start func() (int, error)) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := start()
	if err == nil {
		r.wanted[pid] = true
	}
	return pid, err
}

// Reaped counts the orphans reaped so far.
func (r *Reaper) Reaped() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reaped
}

func (r *Reaper) reapAll() {
	for {
		var ws unix.WaitStatus
		pid, err := unix.Wait4(-1, &ws, unix.WNOHANG, nil)
		if err == unix.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		r.mu.Lock()
		wanted := r.wanted[pid]
		delete(r.wanted, pid)
		if !wanted {
			r.reaped++
		}
		r.mu.Unlock()
		if wanted {
			r.exits <- Exit{Pid: pid, Status: ws}
		}
	}
}
