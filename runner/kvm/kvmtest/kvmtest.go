// Package kvmtest holds test helpers for code that needs a working KVM.
package kvmtest

import (
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
