package kvm

import "errors"

// Errors callers can check with errors.Is.
var (
	// ErrPorts: port publishing needs user-mode networking, which this
	// backend does not have yet.
	ErrPorts = errors.New("port publishing is not supported on the kvm backend yet; use --backend qemu")
	// ErrMemory: the guest memory size is out of range.
	ErrMemory = errors.New("guest memory size out of range")
	// ErrGuest: the guest did something the VMM cannot continue from (a
	// failed VM entry, a KVM internal error).
	ErrGuest = errors.New("guest stopped with an error")
)
