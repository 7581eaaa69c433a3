package contract

// Version is the contract's format version; hyperstart refuses others.
const Version = 1

// Pod is one pod: containers that share PID, network, IPC, UTS and user
// namespaces inside one VM, each with its own mount namespace and root.
type Pod struct {
	Version    int         `json:"version"`
	Name       string      `json:"name"`
	Hostname   string      `json:"hostname"`
	Resources  Resources   `json:"resources"`
	Kernel     Kernel      `json:"kernel"`
	Containers []Container `json:"containers"`
	Volumes    []Volume    `json:"volumes,omitempty"`
	Files      []File      `json:"files,omitempty"`
	Ports      []Port      `json:"ports,omitempty"`
	Network    Network     `json:"network"`
}

// Resources are what the runner gives the VM unless flags override them.
type Resources struct {
	CPUs      int   `json:"cpus"`
	MemoryMiB int64 `json:"memory_mib"`
}

// Kernel says which kernel to boot and what to add to its command line.
// Path is a bzImage on the host; Image a hyperkernel pushed to a registry
// (hyperbuild kernel --push), best pinned as REF@sha256:...; with
// neither, the hyperkernel in the cache (hyperbuild kernel).
type Kernel struct {
	Path    string `json:"path,omitempty"`
	Image   string `json:"image,omitempty"`
	Cmdline string `json:"cmdline,omitempty"`
}

// Container is one image run inside the pod. The fields up to Mounts keep
// what the user wrote; Digest and Process are filled in when the builder
// resolves the image and merges its config (Docker's rules).
type Container struct {
	Name     string `json:"name"`
	Image    string `json:"image"`
	Platform string `json:"platform,omitempty"`
	// Entrypoint and Command are nil when the image's are to be used; an
	// empty, non-nil slice clears the image's.
	Entrypoint  []string          `json:"entrypoint"`
	Command     []string          `json:"command"`
	Env         map[string]string `json:"env,omitempty"`
	Workdir     string            `json:"workdir,omitempty"`
	User        string            `json:"user,omitempty"`
	Restart     RestartPolicy     `json:"restart"`
	StopSignal  string            `json:"stop_signal,omitempty"`
	StopTimeout Duration          `json:"stop_timeout"`
	Mounts      []Mount           `json:"mounts,omitempty"`
	// Ulimits replace DefaultUlimits by name (EffectiveUlimits).
	Ulimits []Ulimit `json:"ulimits,omitempty"`

	// Digest is the resolved image manifest digest ("sha256:…").
	Digest string `json:"digest,omitempty"`
	// Process is what hyperstart runs; nil until the image is resolved.
	Process *Process `json:"process,omitempty"`
}

// Process is a container's final process after merging the image config.
type Process struct {
	Args       []string `json:"args"`
	Env        []string `json:"env"`
	Workdir    string   `json:"workdir"`
	User       string   `json:"user,omitempty"`
	StopSignal string   `json:"stop_signal"`
	// ExposedPorts are the image's EXPOSE entries ("80/tcp"), for the record.
	ExposedPorts []string `json:"exposed_ports,omitempty"`
}

// RestartPolicy says when hyperstart starts a container again.
type RestartPolicy string

// The restart policies.
const (
	RestartNever     RestartPolicy = "never"
	RestartOnFailure RestartPolicy = "on-failure"
	RestartAlways    RestartPolicy = "always"
)

// Valid reports whether p is one of the known policies.
func (p RestartPolicy) Valid() bool {
	switch p {
	case RestartNever, RestartOnFailure, RestartAlways:
		return true
	}
	return false
}

// Mount puts a volume into a container.
type Mount struct {
	Volume   string `json:"volume"`
	Path     string `json:"path"`
	ReadOnly bool   `json:"read_only,omitempty"`
}

// VolumeType is the kind of storage behind a volume.
type VolumeType string

// The volume types.
const (
	// VolumeTmpfs is memory-backed storage shared by the pod's containers;
	// it starts empty at every boot.
	VolumeTmpfs VolumeType = "tmpfs"
	// VolumeDisk is an ext4 data disk (a file on the host, attached as one
	// more virtio disk whose serial is the volume's name); what the pod
	// writes there survives reboots.
	VolumeDisk VolumeType = "disk"
	// VolumeHost is a host directory bound at run time (hyperboot -v
	// HOSTDIR:TARGET) and shared over 9P (mount tag: the volume's name).
	VolumeHost VolumeType = "host"
)

// DiskSerialMax is the longest virtio-blk serial (VIRTIO_BLK_ID_BYTES):
// a disk volume's name is its disk's serial, so it is at most this long.
const DiskSerialMax = 20

// Volume is storage shared between containers of the pod.
type Volume struct {
	Name string     `json:"name"`
	Type VolumeType `json:"type"`
	// SizeBytes bounds a tmpfs volume (0: the kernel's default) and is
	// the exact size of a disk volume's ext4 image.
	SizeBytes int64 `json:"size_bytes,omitempty"`
	// Seed is a host directory whose files a new disk volume starts with
	// (absolute, resolved by the spec); the builder reads it and leaves
	// it out of the guest's copy of the contract. Disk volumes only.
	Seed string `json:"seed,omitempty"`
	// ReadOnly shares a host volume read-only with every container,
	// whatever its mounts say. Host volumes only.
	ReadOnly bool `json:"read_only,omitempty"`
}

// File is a file the builder writes into a container's root filesystem.
type File struct {
	Path      string `json:"path"`
	Container string `json:"container"`
	Content   []byte `json:"content"`
	Mode      uint32 `json:"mode"`
	UID       int    `json:"uid"`
	GID       int    `json:"gid"`
}

// Port publishes a guest port on the host.
type Port struct {
	// Address is the host address the port listens on; empty means
	// DefaultPortAddress (loopback only).
	Address  string `json:"address,omitempty"`
	Host     int    `json:"host"`
	Guest    int    `json:"guest"`
	Protocol string `json:"protocol"`
}

// DefaultPortAddress is where a published port listens unless the pod file
// or -p names another address: loopback, so that nothing is reachable from
// the network unless asked for.
const DefaultPortAddress = "127.0.0.1"

// Network is the guest's network set-up. Empty fields mean: take them from
// the kernel command line (the runner's static set-up), else use DHCP.
type Network struct {
	Address string   `json:"address,omitempty"` // CIDR, e.g. 10.0.2.15/24
	Gateway string   `json:"gateway,omitempty"`
	DNS     []string `json:"dns,omitempty"`
}
