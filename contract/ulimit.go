package contract

import (
	"fmt"
	"sort"
)

// Ulimit is one resource limit of a container's processes, as Docker's
// --ulimit NAME=SOFT[:HARD] gives it. Unlimited is math.MaxUint64
// (RLIM_INFINITY).
type Ulimit struct {
	Name string `json:"name"`
	Soft uint64 `json:"soft"`
	Hard uint64 `json:"hard"`
}

// Unlimited is RLIM_INFINITY.
const Unlimited = ^uint64(0)

// UlimitResources maps Docker's ulimit names to Linux RLIMIT_* numbers
// (asm-generic/resource.h, the same on x86_64).
var UlimitResources = map[string]int{
	"cpu": 0, "fsize": 1, "data": 2, "stack": 3, "core": 4, "rss": 5,
	"nproc": 6, "nofile": 7, "memlock": 8, "as": 9, "locks": 10,
	"sigpending": 11, "msgqueue": 12, "nice": 13, "rtprio": 14, "rttime": 15,
}

// MaxNofile is the kernel's default fs.nr_open: RLIMIT_NOFILE cannot go
// higher without a sysctl.
const MaxNofile = 1 << 20

// DefaultUlimits are Docker's (containerd's) defaults for every
// container: nofile 1048576 soft and hard. A container's own ulimits
// replace these by name.
func DefaultUlimits() []Ulimit {
	return []Ulimit{{Name: "nofile", Soft: MaxNofile, Hard: MaxNofile}}
}

// Check reports whether u names a known resource with soft <= hard.
func (u Ulimit) Check() error {
	if _, ok := UlimitResources[u.Name]; !ok {
		names := make([]string, 0, len(UlimitResources))
		for n := range UlimitResources {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("ulimit %q: unknown (want one of %v)", u.Name, names)
	}
	if u.Soft > u.Hard {
		return fmt.Errorf("ulimit %s: soft %d is above hard %d", u.Name, u.Soft, u.Hard)
	}
	if u.Name == "nofile" && u.Hard != Unlimited && u.Hard > MaxNofile {
		return fmt.Errorf("ulimit nofile: %d is above the kernel's nr_open %d", u.Hard, MaxNofile)
	}
	if u.Name == "nofile" && u.Hard == Unlimited {
		return fmt.Errorf("ulimit nofile: cannot be unlimited (at most %d)", MaxNofile)
	}
	return nil
}

// EffectiveUlimits is DefaultUlimits overridden by c's own, by name,
// sorted by name.
func (c *Container) EffectiveUlimits() []Ulimit {
	by := map[string]Ulimit{}
	for _, u := range DefaultUlimits() {
		by[u.Name] = u
	}
	for _, u := range c.Ulimits {
		by[u.Name] = u
	}
	out := make([]Ulimit, 0, len(by))
	for _, u := range by {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
