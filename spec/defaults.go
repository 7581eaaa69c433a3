package spec

import (
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// The defaults both front ends apply, all in one place.
const (
	// DefaultCPUs is the pod's vCPU count when the pod file names none:
	// the contract's, which hyperboot and the runner use too.
	DefaultCPUs = contract.DefaultCPUs
	// DefaultMemoryMiB is the pod's memory when the pod file names none.
	DefaultMemoryMiB = contract.DefaultMemoryMiB
	// DefaultRestart is the pod-level restart policy; a container without
	// its own restart takes the pod's.
	DefaultRestart = contract.RestartNever
	// DefaultStopTimeout is how long hyperstart waits after the stop
	// signal before SIGKILL. The stop signal itself defaults to "" (the
	// image's STOPSIGNAL, else SIGTERM, decided when images are merged).
	DefaultStopTimeout = 10 * time.Second
	// DefaultProtocol is a published port's protocol.
	DefaultProtocol = "tcp"
	// DefaultFileMode is the mode of a file block without mode.
	DefaultFileMode = 0o644
	// DefaultVolumeType is the type of a volume block without type.
	DefaultVolumeType = contract.VolumeTmpfs
	// DefaultPlatform is the only platform hyper boots today.
	DefaultPlatform = "linux/amd64"
	// The hostname defaults to the pod's name.
)

// Limits checked on every pod. cpus, memory and user are checked with
// the contract's own checks (contract.CheckCPUs, CheckMemoryMiB,
// CheckUser), so that what the pod file accepts is what boots.
const (
	// MaxNameLen bounds pod, container and volume names (a DNS label).
	MaxNameLen = 63
)
