package qemu

import (
	"slices"
	"testing"

	"github.com/hyperbuild/hyper/runner"
)

// TestShareArgs: each host volume is a local fsdev and a virtio-9p
// device with the volume's name as its mount tag, read-only when asked,
// on both machine types.
func TestShareArgs(t *testing.T) {
	b := runner.Boot{Kernel: "/k/bzImage", Net: "none", Shares: []runner.Share{
		{Name: "src", Path: "/home/u/src"},
		{Name: "conf", Path: "/etc/a,b", ReadOnly: true},
	}}
	for _, c := range []struct {
		machine, dev string
	}{{Microvm, "virtio-9p-device"}, {Q35, "virtio-9p-pci"}} {
		a, err := args(config{Machine: c.machine, Accel: AccelTCG, Boot: b})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{
			"-fsdev", "local,id=share0,path=/home/u/src,security_model=none,multidevs=remap",
			"-device", c.dev + ",fsdev=share0,mount_tag=src",
			"-fsdev", "local,id=share1,path=/etc/a,,b,security_model=none,multidevs=remap,readonly=on",
			"-device", c.dev + ",fsdev=share1,mount_tag=conf",
		}
		i := slices.Index(a, "-fsdev")
		if i < 0 || len(a) < i+len(want) || !slices.Equal(a[i:i+len(want)], want) {
			t.Errorf("%s: args %q, want %q in a row", c.machine, a, want)
		}
	}
}
