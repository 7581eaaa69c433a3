package kvm

import "sync"

// How a VM ended.
const (
	howExitPort = "wrote the exit port"
	howPowerOff = "powered off"
	howReset    = "reset"
	howTriple   = "triple-faulted (reset)"
	howCrash    = "crashed"
	howStopped  = "was stopped"
	howKilled   = "was killed"
)

// outcome is the first reason the VM stopped.
type outcome struct {
	how      string
	status   int
	reported bool // status came from the exit port
	err      error
}

// stopper records the first outcome and tells every vCPU to leave.
type stopper struct {
	once sync.Once
	done chan struct{}
	out  outcome
}

func (s *stopper) init() { s.done = make(chan struct{}) }

// set records o if it is the first outcome; it never blocks.
func (s *stopper) set(o outcome) {
	s.once.Do(func() {
		s.out = o
		close(s.done)
	})
}

func (s *stopper) stopped() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}
