package kvmtest

import (
	"os"
	"testing"

	"github.com/hyperbuild/hyper/runner"
)

// RequiresKVM skips t, with the reason, unless KVM can run a guest here:
// /dev/kvm opens and a tiny test guest runs (runner.KVMUsable). It never
// fails a test for the host's lack of KVM.
func RequiresKVM(t testing.TB) {
	t.Helper()
	if err := runner.KVMUsable(); err != nil {
		t.Skipf("needs a usable KVM: %v", err)
	}
}

// RequiresKVMDevice skips t unless /dev/kvm can be opened read-write. It
// is for tests that need KVM's ioctls but not a guest that boots (a VM
// that hangs is what a stop test wants).
func RequiresKVMDevice(t testing.TB) {
	t.Helper()
	f, err := os.OpenFile(runner.KVMDevice, os.O_RDWR, 0)
	if err != nil {
		t.Skipf("needs %s: %v", runner.KVMDevice, err)
	}
	f.Close()
}
