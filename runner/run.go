package runner

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/internal/scratch"
)

// Defaults when neither the Config nor the artifact says.
const (
	DefaultCPUs      = contract.DefaultCPUs
	DefaultMemoryMiB = contract.DefaultMemoryMiB
	// DefaultStopTimeout is the grace period after a power-down request
	// for a pod whose containers keep the default stop timeout
	// (contract.DefaultStopTimeout, 10 s as Docker's), plus 10 s for the
	// rest of the shutdown.
	DefaultStopTimeout = contract.DefaultStopTimeout + stopMargin
)

// Config is what one run of a pod needs beyond the artifact: overrides
// of its resources, network and ports, and where its output goes.
// hyperboot fills it from its flags, hyperd from a create request.
type Config struct {
	// Backend is "auto" (or empty), "kvm" or "qemu".
	Backend string
	// CPUs and MemoryMiB override the artifact's resources when not 0;
	// Start refuses values outside contract.CheckCPUs and CheckMemoryMiB.
	CPUs      int
	MemoryMiB int64
	// Ports are published in addition to the artifact's (-p HOST:GUEST);
	// one for the same host port and protocol replaces the artifact's.
	// The artifact's are published only with user networking.
	Ports []contract.Port
	// Net is "user" (default), "tap:NAME" or "none".
	Net string
	// Volumes bind the pod's disk and host volumes to host paths
	// (hyperboot -v; ParseVolumeBinding). A disk volume without one uses
	// the data disk the builder made beside the artifact.
	Volumes []VolumeBinding
	// Cmdline is appended to the artifact's kernel command line.
	Cmdline string
	// StopTimeout is the grace period between the power-down request and
	// killing the VM; 0 means the pod's longest container stop timeout
	// plus 10 s, from the artifact's manifest.
	StopTimeout time.Duration
	// Stdout receives the containers' stdout (nil: discarded).
	Stdout io.Writer
	// Stderr receives the containers' stderr, hyperstart's and the
	// kernel's messages and the runner's own (where each published port
	// listens); nil: Stdout.
	Stderr io.Writer
	// Names puts "NAME | " before each container line even in a pod of
	// one container, so that a program reading Stdout and Stderr (hyperd)
	// tells each container's lines, and its stderr from the kernel's and
	// hyperstart's messages, apart.
	Names bool
	// Trace, when not nil, receives the boot timeline as it happens, and
	// hyperstart is asked for its debug steps (contract.CmdlineDebug).
	Trace io.Writer
	// Verbose, when not nil, receives what the runner decides and the VMM
	// command line.
	Verbose io.Writer
}

// Run boots the artifact at path (an image file or a --format dir
// directory) and returns the pod's exit status: Start, then VM.Wait.
// Cancelling ctx stops the pod gracefully (VM.Shutdown). Nothing is left
// behind: no VM, no temporary file; and what a killed run left behind,
// the next Start removes (internal/scratch).
func Run(ctx context.Context, path string, cfg Config) (int, error) {
	v, err := Start(ctx, path, cfg)
	if err != nil {
		return 0, err
	}
	return v.waitOrShutdown(ctx)
}

// Start boots the artifact at path and returns the running VM; the pod's
// output flows to cfg.Stdout and cfg.Stderr until it stops. ctx bounds
// the start only: stop the pod with VM.Shutdown or VM.Kill, and always
// Wait for it (or watch Done), so that what the run made is removed.
func Start(ctx context.Context, path string, cfg Config) (*VM, error) {
	verbose := cfg.Verbose
	if verbose == nil {
		verbose = io.Discard
	}
	if _, _, err := ParseNet(cfg.Net); err != nil {
		return nil, err
	}
	if err := cfg.checkResources(); err != nil {
		return nil, err
	}
	// What a hyperboot killed with SIGKILL left behind.
	sweepScratch(verbose)
	var tl *Timeline
	if cfg.Trace != nil {
		tl = NewTimeline(cfg.Trace)
	}
	img, err := disk.Open(path)
	if err != nil {
		return nil, err
	}
	tl.Mark("runner: artifact opened")
	work, err := scratch.New("", ScratchPrefix)
	if err != nil {
		img.Close()
		return nil, err
	}
	var vols *boundVolumes
	cleanup := func() {
		vols.Close()
		work.Close()
		img.Close()
	}
	b, err := bootFrom(img, work, cfg)
	if err != nil {
		cleanup()
		return nil, err
	}
	if vols, err = bindVolumes(img.Manifest(), path, cfg.Volumes, cfg.stderr()); err != nil {
		cleanup()
		return nil, err
	}
	b.DataDisks, b.Shares = vols.disks, vols.shares
	tl.Mark("runner: kernel and initrd ready")
	b.Trace = tl
	b.Verbose = verbose
	be, err := Choose(cfg.Backend, b, verbose)
	if err == nil {
		err = checkPortsFree(b.Ports)
	}
	if err != nil {
		cleanup()
		return nil, err
	}
	announcePorts(cfg.stderr(), b.Ports)
	return startWith(ctx, be, b, cleanup)
}

// bootFrom is the Boot for the opened artifact under cfg, with its kernel
// and initrd extracted into work.
func bootFrom(img *disk.Image, work *scratch.Dir, cfg Config) (Boot, error) {
	b := bootFor(img.Manifest(), img.Cmdline(), cfg)
	// The vCPUs and the memory may come one from a flag, one from the
	// artifact: only together do they say whether the pod can boot.
	if err := contract.CheckResources(b.CPUs, b.MemoryMiB); err != nil {
		return b, fmt.Errorf("%w: %w", ErrBadResources, err)
	}
	kernel, initrd, err := img.BootFiles(work.Path)
	if err != nil {
		return b, err
	}
	b.Kernel, b.Initrd = kernel, initrd
	b.Disk, _, _ = img.PodFS()
	return b, nil
}

// stderr is where the runner's messages go.
func (o Config) stderr() io.Writer {
	switch {
	case o.Stderr != nil:
		return o.Stderr
	case o.Stdout != nil:
		return o.Stdout
	}
	return io.Discard
}

// checkResources applies the contract's limits to the overrides, so that
// a value the pod file would refuse is refused here too, before booting.
func (o Config) checkResources() error {
	if o.CPUs != 0 {
		if err := contract.CheckCPUs(o.CPUs); err != nil {
			return fmt.Errorf("%w: %w", ErrBadResources, err)
		}
	}
	if o.MemoryMiB != 0 {
		if err := contract.CheckMemoryMiB(o.MemoryMiB); err != nil {
			return fmt.Errorf("%w: %w", ErrBadResources, err)
		}
	}
	return nil
}

// bootFor is the Boot for an artifact's manifest and command line under
// opts, without the files.
func bootFor(m disk.Manifest, cmdline string, opts Config) Boot {
	b := Boot{
		CPUs:        first(opts.CPUs, m.Resources.CPUs, DefaultCPUs),
		MemoryMiB:   int64(first(int(opts.MemoryMiB), int(m.Resources.MemoryMiB), DefaultMemoryMiB)),
		Ports:       mergePorts(opts.Ports, m.Ports),
		Net:         opts.Net,
		StopTimeout: opts.StopTimeout,
		Stdout:      opts.Stdout,
		Stderr:      opts.Stderr,
		Names:       opts.Names,
	}
	for _, c := range m.Containers {
		b.Containers = append(b.Containers, c.Name)
	}
	if b.StopTimeout <= 0 {
		b.StopTimeout = podStopTimeout(m)
	}
	if mode, _, _ := ParseNet(opts.Net); mode != NetUser {
		// Without NAT there is nothing to forward: the spec's ports are
		// reached at the guest's own address. Only explicit -p ports stay,
		// for the backend to refuse.
		b.Ports = mergePorts(opts.Ports, nil)
	}
	parts := strings.Fields(cmdline)
	if opts.Trace != nil {
		parts = append(parts, contract.CmdlineDebug)
	}
	parts = append(parts, strings.Fields(opts.Cmdline)...)
	b.Cmdline = strings.Join(parts, " ")
	return b
}

func first(vs ...int) int {
	for _, v := range vs {
		if v > 0 {
			return v
		}
	}
	return 0
}
