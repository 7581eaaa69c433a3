// Package kvmtest holds test helpers for code that needs KVM: tests call
// RequiresKVM (a guest must be able to boot) or RequiresKVMDevice (the
// ioctls must work) first, and are skipped, with the reason, on machines
// without it, never failed.
package kvmtest
