package hyperstart

import "errors"

// Errors callers can test with errors.Is.
var (
	// ErrNotPID1 is returned by Main when hyperstart is started as an
	// ordinary process without a subcommand.
	ErrNotPID1 = errors.New("hyperstart must run as PID 1 (the VM's init)")
	// ErrNoPodDisk means no block device carried the pod partition's label.
	ErrNoPodDisk = errors.New("pod partition not found")
	// ErrNoContainer means a container name is not in the contract.
	ErrNoContainer = errors.New("no such container in the pod")
	// ErrNoUser means a user or group name is not in the container's
	// /etc/passwd or /etc/group.
	ErrNoUser = errors.New("user not found")
	// ErrNoProcess means the builder left a container without its final
	// Process.
	ErrNoProcess = errors.New("container has no process (image not resolved)")
	// ErrVolumeType means a volume's type is not one hyperstart provides.
	ErrVolumeType = errors.New("volume type not supported by this hyperstart")
	// ErrNoDataDisk means no virtio disk carries a disk volume's name as
	// its serial (the runner did not attach it).
	ErrNoDataDisk = errors.New("data disk not attached")
	// ErrNoVolume means a container mounts a volume the pod lacks.
	ErrNoVolume = errors.New("no such volume in the pod")
	// ErrOwnUlimits means a container's ulimits differ from PID 1's, so
	// it cannot inherit them and is set up in a process of its own.
	ErrOwnUlimits = errors.New("container has ulimits of its own")
)

// Errors of the Supervisor's commands (the agent maps them to
// contract.ErrorCode: ErrNoContainer is not found, the others conflict).
var (
	// ErrNotRunning means a container is not running (exec, signal).
	ErrNotRunning = errors.New("container is not running")
	// ErrPodStopping means the pod is stopping: nothing new starts.
	ErrPodStopping = errors.New("the pod is stopping")
	// ErrWorkdir means an exec's working directory is not a directory
	// in the container.
	ErrWorkdir = errors.New("no such directory in the container")
	// ErrPodEnded means the pod has ended: its supervisor takes no more
	// commands.
	ErrPodEnded = errors.New("the pod has ended")
)
