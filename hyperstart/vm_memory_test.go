package hyperstart

import (
	"strconv"
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/contract"
)

// TestVMMinMemory boots a one-container busybox pod with exactly
// contract.MinMemoryFor its vCPUs, as the runner's machine (microvm) and
// q35 give it, with one vCPU, four and sixteen: the least memory a pod
// file may ask for must boot and report its container's status.
func TestVMMinMemory(t *testing.T) {
	e := requireVM(t)
	for _, tt := range []struct {
		name    string
		microvm bool
		cpus    int
	}{{"microvm", true, 1}, {"q35", false, 1}, {"q35-4cpus", false, 4}, {"q35-16cpus", false, 16}} {
		t.Run(tt.name, func(t *testing.T) {
			p := busyboxPod("small", shContainer("app", `echo "memory $(awk '/MemTotal/ {print $2}' /proc/meminfo) kB, $(nproc) cpus"; exit 3`))
			mem := contract.MinMemoryFor(tt.cpus)
			r := e.bootPod(t, p, bootOpts{memMiB: int(mem), microvm: tt.microvm, qemu: []string{"-smp", strconv.Itoa(tt.cpus)}, append: "hyper.debug=0"})
			if r.Status != 3 || r.Exit != debugExit(3) {
				t.Errorf("with %d MiB: pod status %d, qemu exit %d; want 3, %d", mem, r.Status, r.Exit, debugExit(3))
			}
			for _, l := range r.Lines {
				if strings.Contains(l, "memory ") && strings.HasSuffix(l, " cpus") {
					t.Logf("%d MiB: %s", mem, l)
				}
			}
		})
	}
}
