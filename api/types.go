package api

import (
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// Version is the API's version, the first element of every path.
const (
	Version = "v1"
	Prefix  = "/" + Version
)

// Pod states. A pod is created (its supervisor is starting the VM),
// running, stopping (asked to stop, not yet stopped) or exited (its VM has
// stopped: ExitStatus, or Error when it ended without a status).
const (
	StateCreated  = "created"
	StateRunning  = "running"
	StateStopping = "stopping"
	StateExited   = "exited"
)

// Pod is what inspect and list report about a pod.
type Pod struct {
	// ID is 32 hex digits; any unique prefix of it names the pod too.
	ID string `json:"id"`
	// Name is unique among the pods: the --name given, else the pod's
	// name in its artifact (with the ID's first digits when taken).
	Name string `json:"name"`
	// Pod is the pod's name in its artifact's manifest.
	Pod string `json:"pod"`
	// Artifact is the image (or --format dir directory) the VM boots.
	Artifact string `json:"artifact"`
	// Source is the pod file or image reference the artifact was built
	// from, when hyperd built it.
	Source string `json:"source,omitempty"`
	State  string `json:"state"`
	// Created is when hyperd accepted the pod; StartedAt when its VM
	// started; FinishedAt when it stopped.
	Created    time.Time `json:"created"`
	StartedAt  time.Time `json:"started_at,omitzero"`
	FinishedAt time.Time `json:"finished_at,omitzero"`
	// ExitStatus is the pod's status once exited (the first non-zero
	// container status; 128+N for a container killed by signal N); nil
	// when it has not exited or ended without one (then Error says why).
	ExitStatus *int `json:"exit_status,omitempty"`
	// Error says what went wrong when the pod ended abnormally (its VM
	// failed, its supervisor was killed).
	Error string `json:"error,omitempty"`
	// Pid is the pod's supervisor process ("hyperd shim") while it runs.
	Pid int `json:"pid,omitempty"`
	// Containers are the pod's containers: live from the guest while
	// the pod runs, else their names only.
	Containers []contract.ContainerStatus `json:"containers"`
	// Config is how the pod was asked to run.
	Config RunConfig `json:"config"`
}

// RunConfig is how a pod runs: the overrides of a create request.
type RunConfig struct {
	// Backend is "auto" (or empty), "kvm" or "qemu".
	Backend string `json:"backend,omitempty"`
	// Net is "user" (default), "none" or "tap:NAME".
	Net string `json:"net,omitempty"`
	// CPUs and MemoryMiB override the artifact's when not 0.
	CPUs      int   `json:"cpus,omitempty"`
	MemoryMiB int64 `json:"memory_mib,omitempty"`
	// Ports are published besides the artifact's.
	Ports []contract.Port `json:"ports,omitempty"`
	// AutoRemove removes the pod once it has stopped (run --rm).
	AutoRemove bool `json:"auto_remove,omitempty"`
	// Volumes bind the pod's disk and host volumes (hyperboot run -v).
	Volumes []Volume `json:"volumes,omitempty"`
}

// Volume binds one of the pod's disk or host volumes to a host path.
type Volume struct {
	// Target is the volume's name, or the container path at which the
	// pod mounts exactly one volume.
	Target string `json:"target"`
	// Source is the host path (absolute): a disk volume's ext4 image
	// (made empty if absent), a host volume's directory.
	Source string `json:"source"`
	// ReadOnly attaches the disk, or shares the directory, read-only.
	ReadOnly bool `json:"read_only,omitempty"`
}

// CreateRequest is POST /v1/pods: exactly one of Artifact, PodFile and
// Image says what to run. Paths are absolute (the daemon does not share
// the client's working directory).
type CreateRequest struct {
	Name string `json:"name,omitempty"`
	// Artifact is an image or --format dir directory made by hyperbuild.
	Artifact string `json:"artifact,omitempty"`
	// PodFile is an HCL pod file or a podfile.json: hyperd builds it
	// (with Vars), then runs the result.
	PodFile string            `json:"pod_file,omitempty"`
	Vars    map[string]string `json:"vars,omitempty"`
	// Image is an image reference (busybox:1.36, oci:DIR:TAG): hyperd
	// builds a pod of that one container into its cache and runs it.
	Image string `json:"image,omitempty"`
	RunConfig
}

// CreateResponse answers POST /v1/pods.
type CreateResponse struct {
	ID   string `json:"id"`
	Name string `json:"name"`
	// Warnings are what the build or the start had to say.
	Warnings []string `json:"warnings,omitempty"`
}

// ExecRequest is POST /v1/pods/{id}/exec: a process to run in one of the
// pod's containers (Container; may be left out when the pod has one).
type ExecRequest struct {
	Container string `json:"container,omitempty"`
	contract.ExecRequest
}

// WaitResponse answers POST /v1/pods/{id}/wait once the pod has exited.
type WaitResponse struct {
	ExitStatus *int   `json:"exit_status,omitempty"`
	Error      string `json:"error,omitempty"`
}

// VersionResponse answers GET /v1/version.
type VersionResponse struct {
	Version    string `json:"version"`
	APIVersion string `json:"api_version"`
	Go         string `json:"go"`
	Os         string `json:"os"`
	Arch       string `json:"arch"`
	Root       string `json:"root"`
	Pid        int    `json:"pid"`
}

// Error is every error's body.
type Error struct {
	Message string `json:"message"`
}

// ExecUpgrade is the protocol named in exec's Upgrade header. After the
// 101 answer the connection carries contract's agent frames: the client
// sends FrameStdin (an empty one closes stdin), FrameResize and
// FrameSignal; hyperd sends FrameStdout, FrameStderr and, last,
// FrameExit with the process's status.
const ExecUpgrade = "hyper-exec/1"

// ContentTypeNDJSON is the type of the streamed answers (logs, events):
// one JSON value per line.
const ContentTypeNDJSON = "application/x-ndjson"
