package kvm

import "errors"

// Errors callers can check with errors.Is.
var (
	// ErrPorts: ports are published only with user-mode networking
	// (--net user), not on a tap device or without a network.
	ErrPorts = errors.New("publishing ports needs --net user")
	// ErrMemory: the guest memory size is out of range.
	ErrMemory = errors.New("guest memory size out of range")
	// ErrGuest: the guest did something the VMM cannot continue from (a
	// failed VM entry, a KVM internal error).
	ErrGuest = errors.New("guest stopped with an error")
)
