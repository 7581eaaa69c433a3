package kvm

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hyperbuild/hyper/runner"
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
func (*Backend) Available() error { return runner.KVMUsable() }

// Check refuses what this backend cannot do yet.
func (*Backend) Check(b runner.Boot) error {
	if len(b.Ports) > 0 {
		return fmt.Errorf("%w: %w", runner.ErrUnsupported, ErrPorts)
	}
	if _, _, err := runner.ParseNet(b.Net); err != nil {
		return err
	}
	return nil
}

// Run boots b and returns the exit-port status.
func (be *Backend) Run(ctx context.Context, b runner.Boot) (runner.Result, error) {
	if err := be.Check(b); err != nil {
		return runner.Result{}, err
	}
	if b.Verbose == nil {
		b.Verbose = io.Discard
	}
	mode, tap, err := runner.ParseNet(b.Net)
	if err != nil {
		return runner.Result{}, err
	}
	if mode == runner.NetUser {
		fmt.Fprintln(b.Verbose, "kvm: no user-mode networking yet: the guest has no network device (use --net tap:NAME)")
	}
	cfg := Config{
		Kernel: b.Kernel, Initrd: b.Initrd, Cmdline: b.Cmdline, Disk: b.Disk, Tap: tap,
		CPUs: max(b.CPUs, 1), MemoryMiB: b.MemoryMiB, Console: b.Stdout,
		Mark: b.Trace.Mark, StopTimeout: b.StopTimeout,
	}
	e, err := Run(ctx, cfg)
	if e.FirstEntry > 0 {
		fmt.Fprintf(b.Verbose, "kvm: first vCPU entry %.2f ms after start; RSS %d KiB, of which guest RAM %d KiB (VMM %d KiB)\n",
			float64(e.FirstEntry.Microseconds())/1000, e.RSS>>10, e.GuestResident>>10, (e.RSS-e.GuestResident)>>10)
	}
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
