package hyperstart

import (
	"fmt"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// Rlimit sets one resource limit of this process (prlimit on itself);
// children inherit it. Setting RLIMIT_NOFILE this way also stops Go from
// restoring its own start-up soft limit in the processes it starts.
type Rlimit struct {
	Name     string // Docker's name: nofile, nproc, core, ...
	Resource int    // RLIMIT_*
	Limit    unix.Rlimit
}

func (r Rlimit) Do() error { return unix.Prlimit(0, r.Resource, &r.Limit, nil) }

func (r Rlimit) String() string {
	return "ulimit " + r.Name + "=" + rlimitValue(r.Limit.Cur) + ":" + rlimitValue(r.Limit.Max)
}

func rlimitValue(v uint64) string {
	if v == contract.Unlimited {
		return "unlimited"
	}
	return fmt.Sprint(v)
}

// Held reports whether this process already runs with r's limit, so that
// a child started now inherits it.
func (r Rlimit) Held() bool {
	var cur unix.Rlimit
	if err := unix.Prlimit(0, r.Resource, nil, &cur); err != nil {
		return false
	}
	return cur == r.Limit
}

// Rlimits maps ulimits, as contract.Container.EffectiveUlimits gives them,
// to the setrlimit calls that apply them.
func Rlimits(us []contract.Ulimit) ([]Rlimit, error) {
	out := make([]Rlimit, 0, len(us))
	for _, u := range us {
		if err := u.Check(); err != nil {
			return nil, err
		}
		out = append(out, Rlimit{Name: u.Name, Resource: contract.UlimitResources[u.Name], Limit: unix.Rlimit{Cur: u.Soft, Max: u.Hard}})
	}
	return out, nil
}

// containerRlimits are the limits container c's process must run with:
// Docker's defaults overridden by its own.
func containerRlimits(c *contract.Container) ([]Rlimit, error) {
	rl, err := Rlimits(c.EffectiveUlimits())
	if err != nil {
		return nil, fmt.Errorf("container %q: %w", c.Name, err)
	}
	return rl, nil
}

// defaultRlimitSteps give PID 1 itself Docker's default ulimits: then
// every container without its own inherits them as it is forked, and
// only one with its own needs a process of its own to set them
// (rlimits belong to the whole process, not to the thread that forks).
func defaultRlimitSteps() []Step {
	rl, err := Rlimits(contract.DefaultUlimits())
	if err != nil {
		panic("contract.DefaultUlimits: " + err.Error())
	}
	return rlimitSteps(rl)
}

func rlimitSteps(rl []Rlimit) []Step {
	steps := make([]Step, len(rl))
	for i, r := range rl {
		steps[i] = r
	}
	return steps
}

// rlimitsHeld reports whether this process runs with every limit in rl.
func rlimitsHeld(rl []Rlimit) bool {
	for _, r := range rl {
		if !r.Held() {
			return false
		}
	}
	return true
}
