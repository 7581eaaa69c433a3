package hyperstart

import (
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/contract"
)

// TestVMMinMemory boots a one-container busybox pod with exactly
// contract.MinMemoryMiB, as the runner's machine (microvm) and q35 give
// it, with one vCPU and with four: the least memory a pod file may ask
// for must boot and report its container's status.
func TestVMMinMemory(t *testing.T) {
	e := requireVM(t)
	for _, tt := range []struct {
		name    string
		microvm bool
		cpus    string
	}{{"microvm", true, "1"}, {"q35", false, "1"}, {"q35-4cpus", false, "4"}} {
		t.Run(tt.name, func(t *testing.T) {
			p := busyboxPod("small", shContainer("app", `echo "memory $(awk '/MemTotal/ {print $2}' /proc/meminfo) kB, $(nproc) cpus"; exit 3`))
			r := e.bootPod(t, p, bootOpts{memMiB: contract.MinMemoryMiB, microvm: tt.microvm, qemu: []string{"-smp", tt.cpus}, append: "hyper.debug=0"})
			if r.Status != 3 || r.Exit != debugExit(3) {
				t.Errorf("with %d MiB: pod status %d, qemu exit %d; want 3, %d", contract.MinMemoryMiB, r.Status, r.Exit, debugExit(3))
			}
			for _, l := range r.Lines {
				if strings.Contains(l, "memory ") && strings.HasSuffix(l, " cpus") {
					t.Logf("%d MiB: %s", contract.MinMemoryMiB, l)
				}
			}
		})
	}
}
