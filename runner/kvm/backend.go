package kvm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/runner"
	"github.com/hyperbuild/hyper/runner/kvm/virtio"
	"github.com/hyperbuild/hyper/runner/usernet"
)

func init() { runner.Register(&Backend{}) }

// Backend is the runner backend "kvm".
type Backend struct{}

var (
	_ runner.Backend = (*Backend)(nil)
	_ runner.Checker = (*Backend)(nil)
)

// Name is what users pass to --backend.
func (*Backend) Name() string { return runner.BackendKVM }

// Available says whether KVM can run a guest here.
func (*Backend) Available() error { return kvmUsable() }

// kvmUsable is the probe Available asks; tests replace it.
var kvmUsable = runner.KVMUsable

// Check refuses what this backend cannot do: publishing ports without
// the user-mode network.
func (*Backend) Check(b runner.Boot) error {
	mode, _, err := runner.ParseNet(b.Net)
	if err != nil {
		return err
	}
	if len(b.Ports) > 0 && mode != runner.NetUser {
		return fmt.Errorf("%w: %w, not %q", runner.ErrUnsupported, ErrPorts, b.Net)
	}
	return nil
}

// Start boots b in this process and returns the running VM. Errors
// creating the VM (the kernel, /dev/kvm) come from Wait.
func (be *Backend) Start(ctx context.Context, b runner.Boot) (runner.Machine, error) {
	if err := be.Check(b); err != nil {
		return nil, err
	}
	if b.Verbose == nil {
		b.Verbose = io.Discard
	}
	mode, tap, err := runner.ParseNet(b.Net)
	if err != nil {
		return nil, err
	}
	con, err := virtio.NewConsole(contract.AgentPort)
	if err != nil {
		return nil, err
	}
	m := &vm{kill: make(chan struct{}), done: make(chan struct{}), agent: con}
	cfg := Config{
		Kernel: b.Kernel, Initrd: b.Initrd, Cmdline: b.Cmdline, Disk: b.Disk, Tap: tap,
		CPUs: max(b.CPUs, 1), MemoryMiB: b.MemoryMiB, Console: b.Stdout,
		Mark: b.Trace.Mark, StopTimeout: b.StopTimeout, Kill: m.kill, Agent: con,
	}
	for _, d := range b.DataDisks {
		cfg.DataDisks = append(cfg.DataDisks, DataDisk{Name: d.Name, Path: d.Path, ReadOnly: d.ReadOnly})
	}
	for _, sh := range b.Shares {
		cfg.Shares = append(cfg.Shares, Share{Tag: sh.Name, Dir: sh.Path, ReadOnly: sh.ReadOnly})
	}
	var unet *usernet.Network
	if mode == runner.NetUser {
		// Before the VM: a port that cannot be published fails the start.
		if unet, err = startUserNet(&cfg, b.Ports); err != nil {
			return nil, err
		}
		fmt.Fprintf(b.Verbose, "kvm: user-mode network (gvisor-tap-vsock): guest %s, gateway %s, DNS %s\n", usernet.GuestIP, usernet.Gateway, usernet.DNS)
	}
	// The VM lives until Shutdown or Kill, not as long as ctx.
	var vctx context.Context
	vctx, m.shutdown = context.WithCancel(context.Background())
	go func() {
		defer close(m.done)
		if unet != nil {
			defer func() {
				unet.Close() // after Run: the NIC is no longer served
				fmt.Fprintf(b.Verbose, "kvm: user network: %s\n", unet.NIC().Stats())
			}()
		}
		e, err := Run(vctx, cfg)
		if e.FirstEntry > 0 {
			fmt.Fprintf(b.Verbose, "kvm: first vCPU entry %.2f ms after start; RSS %d KiB, of which guest RAM %d KiB (VMM %d KiB); VMM file pages %d KiB\n",
				float64(e.FirstEntry.Microseconds())/1000, e.RSS>>10, e.GuestResident>>10, (e.RSS-e.GuestResident)>>10, fileRSS()>>10)
		}
		m.res, m.err = result(e, err)
	}()
	return m, nil
}

// result maps how Run ended to the runner's Result.
func result(e Exit, err error) (runner.Result, error) {
	switch {
	case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		return runner.Result{}, &runner.NoStatusError{How: e.How}
	case err != nil:
		return runner.Result{}, fmt.Errorf("kvm: %w", err)
	case !e.Reported:
		return runner.Result{}, &runner.NoStatusError{How: e.How}
	}
	return runner.Result{Status: e.Status}, nil
}

// vm is a VM running in this process (Run in a goroutine).
type vm struct {
	shutdown context.CancelFunc // presses the power button, stops after the grace
	kill     chan struct{}
	killOnce sync.Once
	done     chan struct{} // closed when Run has returned and res, err are set
	agent    *virtio.Console
	res      runner.Result
	err      error
}

var _ runner.Machine = (*vm)(nil)

func (m *vm) Wait() (runner.Result, error) {
	<-m.done
	return m.res, m.err
}

func (m *vm) Shutdown() error {
	m.shutdown()
	return nil
}

func (m *vm) Kill() error {
	m.killOnce.Do(func() { close(m.kill) })
	return nil
}

// Agent opens the host's end of the agent port, port 1 of the VM's
// virtio-console device, named contract.AgentPort. It does not wait: the
// end is open from the start, bytes written wait for the guest to open
// its end, and the guest is told (PORT_OPEN) as soon as its driver has
// added the port. Close tells the guest the host has gone.
func (m *vm) Agent(ctx context.Context) (io.ReadWriteCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	rwc, err := m.agent.Open()
	switch {
	case errors.Is(err, virtio.ErrVMStopped):
		return nil, fmt.Errorf("kvm: %w", runner.ErrStopped)
	case err != nil:
		return nil, fmt.Errorf("kvm: %w", err)
	}
	return rwc, nil
}
