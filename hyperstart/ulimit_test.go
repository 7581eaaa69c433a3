package hyperstart

import (
	"fmt"
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

func TestRlimits(t *testing.T) {
	tests := []struct {
		name    string
		ulimits []contract.Ulimit
		want    []string
		wantErr string
	}{
		{"docker's default", nil, []string{"ulimit nofile=1048576:1048576 (resource 7)"}, ""},
		{"own nofile replaces the default", []contract.Ulimit{{Name: "nofile", Soft: 10032, Hard: 20000}},
			[]string{"ulimit nofile=10032:20000 (resource 7)"}, ""},
		{"others add to it", []contract.Ulimit{{Name: "core", Soft: 0, Hard: contract.Unlimited}, {Name: "nproc", Soft: 100, Hard: 200}},
			[]string{"ulimit core=0:unlimited (resource 4)", "ulimit nofile=1048576:1048576 (resource 7)", "ulimit nproc=100:200 (resource 6)"}, ""},
		{"unknown name", []contract.Ulimit{{Name: "files", Soft: 1, Hard: 1}}, nil, `ulimit "files": unknown`},
		{"soft above hard", []contract.Ulimit{{Name: "nproc", Soft: 2, Hard: 1}}, nil, "soft 2 is above hard 1"},
		{"nofile above nr_open", []contract.Ulimit{{Name: "nofile", Soft: 1, Hard: 1 << 21}}, nil, "above the kernel's nr_open"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &contract.Container{Name: "app", Ulimits: tt.ulimits}
			rl, err := containerRlimits(c)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `container "app"`) {
					t.Fatalf("error %v, want one naming the container and saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, r := range rl {
				got = append(got, fmt.Sprintf("%s (resource %d)", r, r.Resource))
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
	// The numbers are Linux's.
	for name, res := range map[string]int{"cpu": unix.RLIMIT_CPU, "core": unix.RLIMIT_CORE, "nofile": unix.RLIMIT_NOFILE, "nproc": unix.RLIMIT_NPROC, "stack": unix.RLIMIT_STACK, "memlock": unix.RLIMIT_MEMLOCK, "as": unix.RLIMIT_AS, "rttime": unix.RLIMIT_RTTIME} {
		if contract.UlimitResources[name] != res {
			t.Errorf("ulimit %s is resource %d, Linux says %d", name, contract.UlimitResources[name], res)
		}
	}
}

// TestRlimitDo applies a limit to the test process itself: lowering the
// soft core limit is allowed to anybody and harmless.
func TestRlimitDo(t *testing.T) {
	var orig unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_CORE, &orig); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Setrlimit(unix.RLIMIT_CORE, &orig) })
	same := Rlimit{Name: "core", Resource: unix.RLIMIT_CORE, Limit: orig}
	if !same.Held() {
		t.Errorf("%s: not held, but it is the current limit", same)
	}
	lower := Rlimit{Name: "core", Resource: unix.RLIMIT_CORE, Limit: unix.Rlimit{Cur: 0, Max: orig.Max}}
	if orig.Cur != 0 && lower.Held() {
		t.Errorf("%s: held before it was set", lower)
	}
	if err := lower.Do(); err != nil {
		t.Fatalf("%s: %v", lower, err)
	}
	if !rlimitsHeld([]Rlimit{lower}) {
		t.Errorf("%s: not held after it was set", lower)
	}
}
