package hyperstart

import (
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/contract"
)

// TestVMUlimits: containers get Docker's default nofile 1048576 (soft and
// hard) whoever they run as, and a container's own ulimits replace it by
// name without touching its neighbour's or hyperstart's.
func TestVMUlimits(t *testing.T) {
	e := requireVM(t)
	const script = `echo "nofile $(ulimit -n):$(ulimit -Hn) nproc $(ulimit -u):$(ulimit -Hu)"
echo "pid1 $(grep 'Max open files' /proc/1/limits | tr -s ' ')"`
	def := shContainer("default", script)
	app := shContainer("app", script)
	app.Process.User = "app"
	own := shContainer("own", script)
	own.Process.User = "app"
	own.Ulimits = []contract.Ulimit{{Name: "nofile", Soft: 10032, Hard: 20000}, {Name: "nproc", Soft: 500, Hard: 1000}}
	r := e.bootPod(t, busyboxPod("ulimits", def, app, own), bootOpts{})
	for _, want := range []string{
		"own | nofile 10032:20000 nproc 500:1000",
		"own | pid1 Max open files 1048576 1048576 files",
	} {
		if !r.has(want) {
			t.Errorf("console lacks %q", want)
		}
	}
	for _, name := range []string{"default", "app"} {
		found := false
		for _, l := range r.Lines {
			if rest, ok := strings.CutPrefix(l, name+" | nofile 1048576:1048576 nproc "); ok {
				found = true
				if rest == "500:1000" {
					t.Errorf("%s got its neighbour's nproc limit", name)
				}
			}
		}
		if !found {
			t.Errorf("%s: no line with nofile 1048576:1048576", name)
		}
	}
	if r.Status != 0 {
		t.Errorf("pod status %d, want 0", r.Status)
	}
}
