package runner

import "errors"

// Errors callers can check with errors.Is.
var (
	// ErrNoStatus: the guest stopped (powered off, reset, triple-faulted)
	// without reporting the pod's status on the console or the exit port.
	ErrNoStatus = errors.New("guest stopped without reporting a status")
	// ErrUnknownBackend: no backend is registered under that name.
	ErrUnknownBackend = errors.New("unknown backend")
	// ErrNoBackend: no registered backend can run this boot on this host.
	ErrNoBackend = errors.New("no usable backend")
	// ErrUnsupported: the chosen backend cannot do what the boot asks
	// (publishing ports without --net user, a tap device without root, ...).
	ErrUnsupported = errors.New("not supported by this backend")
	// ErrBadNet: the --net value is not "user", "none" or "tap:NAME".
	ErrBadNet = errors.New("invalid network mode")
	// ErrPortBusy: a published port's host address and port are taken.
	ErrPortBusy = errors.New("host port in use")
	// ErrPortAddress: a published port cannot listen where it asks to.
	ErrPortAddress = errors.New("cannot listen there")
	// ErrBadResources: CPUs or memory outside the contract's limits.
	ErrBadResources = errors.New("invalid resources")
	// ErrStopped: the VM has stopped (VM.Agent on a pod that is gone).
	ErrStopped = errors.New("the VM has stopped")
	// ErrBadVolume: a -v binding is malformed, names no volume of the
	// pod, or a host path that cannot serve the volume (missing, the
	// wrong size, not ext4, not a directory).
	ErrBadVolume = errors.New("invalid volume binding")
	// ErrVolumeBusy: a data disk is in use by another running pod.
	ErrVolumeBusy = errors.New("data disk in use by another pod")
	// ErrNoAgent: the guest's agent did not answer (a hyperstart without
	// one, or a guest that has not booted that far).
	ErrNoAgent = errors.New("no answer from the guest's agent")
)

// NoStatusError says how the guest stopped without reporting a status:
// "reset", "powered off", "did not stop within 10s and was killed". It
// matches ErrNoStatus with errors.Is.
type NoStatusError struct {
	How string
}

func (e *NoStatusError) Error() string { return "guest " + e.How + " without reporting a status" }

// Is makes errors.Is(err, ErrNoStatus) true.
func (e *NoStatusError) Is(target error) bool { return target == ErrNoStatus }
