package hyperstart

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// readContract reads and validates the pod JSON.
func readContract(path string) (*contract.Pod, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the contract: %w", err)
	}
	var p contract.Pod
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("decoding the contract %s: %w", path, err)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("checking the contract %s: %w", path, err)
	}
	if err := checkVolumes(&p); err != nil {
		return nil, fmt.Errorf("checking the contract %s: %w", path, err)
	}
	return &p, nil
}

// checkVolumes refuses what this hyperstart cannot provide: volume types
// it does not know, and mounts of volumes the pod does not declare.
func checkVolumes(p *contract.Pod) error {
	vols := map[string]bool{}
	for _, v := range p.Volumes {
		if v.Type != contract.VolumeTmpfs && v.Type != "" && v.Type != contract.VolumeDisk && v.Type != contract.VolumeHost {
			return fmt.Errorf("volume %q: type %q: %w", v.Name, v.Type, ErrVolumeType)
		}
		vols[v.Name] = true
	}
	for _, c := range p.Containers {
		for _, m := range c.Mounts {
			if !vols[m.Volume] {
				return fmt.Errorf("container %q mounts volume %q: %w", c.Name, m.Volume, ErrNoVolume)
			}
			if !strings.HasPrefix(m.Path, "/") {
				return fmt.Errorf("container %q mounts volume %q at %q: not an absolute path", c.Name, m.Volume, m.Path)
			}
		}
	}
	return nil
}

// DefaultStopTimeout is how long a container has after its stop signal
// before SIGKILL when the contract says 0 (Docker's default).
const DefaultStopTimeout = 10 * time.Second

// stopPlan is how one container is stopped.
type stopPlan struct {
	Signal  unix.Signal
	Name    string
	Timeout time.Duration
}

// StopPlanFor picks a container's stop signal (Process, then the
// container, then SIGTERM) and timeout.
func StopPlanFor(c *contract.Container) stopPlan {
	sp := stopPlan{Signal: unix.SIGTERM, Name: "SIGTERM", Timeout: time.Duration(c.StopTimeout)}
	if sp.Timeout <= 0 {
		sp.Timeout = DefaultStopTimeout
	}
	s := c.StopSignal
	if c.Process != nil && c.Process.StopSignal != "" {
		s = c.Process.StopSignal
	}
	if s != "" {
		if name, n, err := contract.ParseSignal(s); err == nil {
			sp.Signal, sp.Name = unix.Signal(n), name
		}
	}
	return sp
}

// ExitStatus turns a wait status into a shell-style status: the exit code,
// or 128+N for death by signal N.
func ExitStatus(ws unix.WaitStatus) int {
	switch {
	case ws.Exited():
		return ws.ExitStatus()
	case ws.Signaled():
		return 128 + int(ws.Signal())
	}
	return 255
}

// ShouldRestart applies a restart policy to a container's exit status.
// Nothing restarts once the pod is stopping.
func ShouldRestart(p contract.RestartPolicy, status int, stopping bool) bool {
	if stopping {
		return false
	}
	switch p {
	case contract.RestartAlways:
		return true
	case contract.RestartOnFailure:
		return status != 0
	}
	return false
}

// Backoff is the delay before a container restarts: Min, doubling on each
// quick failure up to Max; a run that lasted Reset or more starts the
// sequence again. hyperstart uses 100ms, 10s and 10s.
type Backoff struct {
	Min, Max, Reset time.Duration
	next            time.Duration
}

// DefaultBackoff is hyperstart's restart backoff.
func DefaultBackoff() Backoff {
	return Backoff{Min: 100 * time.Millisecond, Max: 10 * time.Second, Reset: 10 * time.Second}
}

// Next returns the delay before the next start of a container that ran
// for ranFor.
func (b *Backoff) Next(ranFor time.Duration) time.Duration {
	if b.next == 0 || ranFor >= b.Reset {
		b.next = b.Min
	}
	d := b.next
	b.next *= 2
	if b.next > b.Max {
		b.next = b.Max
	}
	return d
}

// PodStatus accumulates the pod's exit status: the first non-zero final
// status of a container, in the order containers finished, else 0.
type PodStatus struct {
	status int
	set    bool
}

// Finished records a container's final status.
func (s *PodStatus) Finished(status int) {
	if !s.set && status != 0 {
		s.status, s.set = status, true
	}
}

// Status is the pod's exit status so far.
func (s *PodStatus) Status() int { return s.status }
