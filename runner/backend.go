package runner

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// Boot is everything a backend needs to start one VM. The runner fills it
// in; a backend must not modify the files it names.
type Boot struct {
	// Kernel is the path of a bzImage (extracted from the artifact into a
	// temporary file when needed; the runner removes it afterwards).
	Kernel string
	// Initrd is the path of the initramfs (cpio, possibly compressed).
	Initrd string
	// Cmdline is the complete kernel command line: the artifact's, then the
	// runner's additions (network, tracing, clock), then the user's.
	Cmdline string
	// Disk is the whole artifact file (or, for a --format dir artifact, its
	// pod.ext4), attached read-only as the guest's first virtio disk
	// (/dev/vda); hyperstart finds the pod filesystem by its label.
	// Empty: no disk.
	Disk string
	// DataDisks are the pod's disk volumes, attached after Disk in this
	// order as more virtio disks, read-write unless ReadOnly, each with
	// its Name as the virtio-blk serial (hyperstart finds them by it).
	// The runner has checked each (ext4, the volume's size) and holds its
	// lock for the run.
	DataDisks []DataDisk
	// Shares are the pod's host volumes: host directories shared over 9P
	// (or virtiofs) with Name as the mount tag.
	Shares []Share
	// CPUs is the number of vCPUs (>= 1).
	CPUs int
	// MemoryMiB is the guest memory in MiB.
	MemoryMiB int64
	// Ports are published from the host to the guest. Backends that cannot
	// publish ports reject a Boot with ports (see Checker).
	Ports []contract.Port
	// Net is "user" (rootless NAT, the default), "tap:NAME" (root) or
	// "none". Parse it with ParseNet.
	Net string
	// StopTimeout is how long a backend waits, after asking the guest to
	// power down (Machine.Shutdown), before it kills the VM.
	StopTimeout time.Duration
	// Stdout receives the guest's serial console output byte for byte.
	// The caller of StartWith sets the user's stdout here; StartWith puts
	// its console filter (Console) in its place, which sends the
	// containers' stdout lines on to it and everything else to Stderr.
	// A backend only copies.
	Stdout io.Writer
	// Stderr receives the containers' stderr lines, hyperstart's and the
	// kernel's (nil: Stdout). StartWith's console writes it; backends
	// do not use it.
	Stderr io.Writer
	// Containers are the pod's container names, with which the console
	// tells a container's lines from the kernel's (nil: every line goes
	// to Stderr as it is).
	Containers []string
	// Names: the console shows "NAME | " even with one container
	// (Config.Names).
	Names bool
	// Trace is the boot timeline; nil unless tracing. Its methods are safe
	// on a nil *Timeline, so backends call b.Trace.Mark(...) unconditionally.
	Trace *Timeline
	// Verbose receives diagnostics for the user (the VMM command line,
	// which backend runs); never nil when the runner calls a backend.
	Verbose io.Writer
}

// DataDisk is one disk volume's ext4 image on the host.
type DataDisk struct {
	// Name is the volume's name, the disk's serial (at most
	// contract.DiskSerialMax bytes).
	Name string
	// Path is the image file (absolute).
	Path string
	// ReadOnly attaches the disk read-only.
	ReadOnly bool
}

// Share is one host volume: a host directory the guest mounts.
type Share struct {
	// Name is the volume's name, the 9P mount tag.
	Name string
	// Path is the host directory (absolute, symlinks resolved).
	Path string
	// ReadOnly refuses every write from the guest.
	ReadOnly bool
}

// Result is what a backend knows when the VM has stopped.
type Result struct {
	// Status is the byte the guest wrote to contract.ExitPort, as far as
	// the backend could recover it (QEMU's isa-debug-exit keeps 7 bits).
	// It is meaningful only when Wait returns a nil error.
	Status int
}

// Backend starts VMs. Implementations must be safe for several Starts at
// once and must leave nothing behind: no process, no temporary file once
// a Machine's Wait has returned.
type Backend interface {
	// Name is what users pass to --backend ("qemu", "kvm").
	Name() string
	// Available returns nil when the backend can run on this host, else an
	// error saying why not and what to install or fix.
	Available() error
	// Start boots b and returns the running VM without waiting for the
	// guest. ctx bounds the start only: cancelling it later does not stop
	// the VM (Machine.Shutdown and Kill do). An error means that nothing
	// runs and nothing is left behind.
	Start(ctx context.Context, b Boot) (Machine, error)
}

// Machine is one VM a backend started.
type Machine interface {
	// Wait blocks until the VM has stopped and the backend has removed
	// what it made for it, and returns the exit-port status, or an error
	// wrapping ErrNoStatus when the guest stopped (powered off, reset,
	// triple-faulted, was killed) without writing the exit port, or
	// another error when the VM failed. The runner calls it once.
	Wait() (Result, error)
	// Shutdown asks the guest to power down gracefully (the ACPI power
	// button, which hyperstart turns into a graceful stop of the pod) and
	// kills the VM Boot.StopTimeout later if it is still running. It
	// returns at once; calling it again, or after the VM stopped, does
	// nothing.
	Shutdown() error
	// Kill stops the VM now, without asking the guest; Wait then reports
	// a NoStatusError unless the guest reported its status first.
	Kill() error
	// Agent connects to the guest's agent port (contract.AgentPort: a
	// virtio-serial port) and returns its byte stream, waiting until ctx
	// is done while the VMM has not opened the host's end yet. Bytes
	// written before the guest opens its end wait for it. One
	// connection at a time: close it before asking for another. A
	// backend without the port returns an error wrapping ErrUnsupported.
	Agent(ctx context.Context) (io.ReadWriteCloser, error)
}

// Checker is implemented by backends that support only some Boots (no
// backend publishes ports without --net user). Check returns nil when b is
// supported, else an error saying what is not. The "auto" choice skips a
// backend whose Check fails; an explicit choice reports the error.
type Checker interface {
	Check(b Boot) error
}

var (
	backendsMu sync.Mutex
	backends   = map[string]Backend{}
)

// Register makes a backend available under its Name. Backends call it from
// their package's init function; registering a name twice panics.
func Register(b Backend) {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	if _, dup := backends[b.Name()]; dup {
		panic(fmt.Sprintf("runner: backend %q registered twice", b.Name()))
	}
	backends[b.Name()] = b
}

// Backends returns the registered backend names, sorted.
func Backends() []string {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	names := make([]string, 0, len(backends))
	for n := range backends {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Lookup returns the backend registered under name.
func Lookup(name string) (Backend, error) {
	backendsMu.Lock()
	defer backendsMu.Unlock()
	b, ok := backends[name]
	if !ok {
		return nil, fmt.Errorf("backend %q: %w (registered: %v)", name, ErrUnknownBackend, sortedKeys(backends))
	}
	return b, nil
}

func sortedKeys(m map[string]Backend) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
