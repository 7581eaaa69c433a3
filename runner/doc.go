// Package runner boots a hyper artifact and behaves like `docker run`: the
// pod's console on stdout, the pod's exit status as the result, a
// cancelled context (Ctrl-C, SIGTERM) as a graceful power-down.
//
// The work is split between this package and the backends that plug into
// it through the Backend interface:
//
//   - runner opens the artifact, chooses a backend, builds the Boot (kernel,
//     initrd, command line, the artifact as a read-only disk, CPUs, memory,
//     published ports), filters the console and decides the pod's status;
//   - a backend (runner/qemu, runner/kvm) starts a VM for one Boot, copies
//     the guest's serial output, unchanged, to Boot.Stdout, and reports the
//     status byte the guest wrote to contract.ExitPort.
//
// Backends register themselves from their init functions (Register), so
// runner imports none of them and they import runner for its types without
// a cycle. A program that boots pods blank-imports the backends it wants:
//
//	import (
//		"github.com/hyperbuild/hyper/runner"
//		_ "github.com/hyperbuild/hyper/runner/kvm"
//		_ "github.com/hyperbuild/hyper/runner/qemu"
//	)
//
//	status, err := runner.Run(ctx, "web.img", runner.Options{Stdout: os.Stdout})
//
// The pod's status comes preferably from the console's exit line
// (contract.ExitLine), which carries all 8 bits; else from the exit port as
// the backend recovered it (QEMU's isa-debug-exit keeps 7 bits).
package runner
