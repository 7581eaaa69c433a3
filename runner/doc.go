// Package runner boots a hyper artifact and behaves like `docker run`: the
// containers' stdout on Stdout, their stderr and the kernel's and
// hyperstart's messages on Stderr, the pod's exit status as the result, a
// cancelled context (Ctrl-C, SIGTERM) as a graceful power-down.
//
// The work is split between this package and the backends that plug into
// it through the Backend interface:
//
//   - runner opens the artifact, chooses a backend, builds the Boot (kernel,
//     initrd, command line, the artifact as a read-only disk, CPUs, memory,
//     published ports), filters the console and decides the pod's status;
//   - a backend (runner/qemu, runner/kvm) starts a VM for one Boot and
//     hands back a Machine: it copies the guest's serial output, unchanged,
//     to Boot.Stdout, stops the VM gracefully (Shutdown) or at once (Kill),
//     connects to the guest's agent port (Agent), and reports the status
//     byte the guest wrote to contract.ExitPort (Wait).
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
//	status, err := runner.Run(ctx, "web.img", runner.Config{Stdout: os.Stdout, Stderr: os.Stderr})
//
// or, to keep the pod running while doing something else with it:
//
//	vm, err := runner.Start(ctx, "web.img", runner.Config{Stdout: logs})
//	c, err := vm.Agent(ctx)  // the guest's agent (package agent), once it answers
//	status, err := c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"true"}}, agent.ExecIO{})
//	vm.Shutdown()            // graceful; vm.Kill() ends it now
//	status, err = vm.Wait()  // or <-vm.Done()
//
// Run is Start + Wait (a cancelled ctx calls Shutdown); Start is Open +
// Choose + StartWith:
//
//   - the artifact is read with package disk (a GPT image through
//     go-diskfs, no loop mounts, or a --format dir directory); kernel and
//     initrd are extracted into a scratch directory removed afterwards
//     (internal/scratch: locked by its owner, so that the next Run
//     removes one that a killed hyperboot left behind);
//     the disk is the whole image file (or the dir's pod.ext4), read-only;
//   - the pod's disk and host volumes are bound (Config.Volumes, parsed by
//     ParseVolumeBinding from -v; a disk volume by default to the data
//     disk beside the artifact): each data disk opened, flocked for the
//     run (ErrVolumeBusy when another pod holds it) and checked (ext4,
//     the volume's size; ErrBadVolume), then handed to the backend as
//     Boot.DataDisks, the directories as Boot.Shares;
//   - Choose picks the backend: "auto" takes kvm when it is registered,
//     its Available (KVMUsable: a real test guest, not just an open
//     /dev/kvm) and its Check(boot) pass, else qemu; it says which and why
//     on Verbose;
//   - StartWith puts a Console between the guest and Stdout and Stderr (it
//     splits the serial console by the line grammar of contract/console.go:
//     "NAME | " stdout, "NAME ! " stderr, for the manifest's containers;
//     "\r\n" becomes "\n") and decides the
//     status: preferably from the console's exit line (contract.ExitLine,
//     all 8 bits), else from the exit port as the backend recovered it
//     (QEMU's isa-debug-exit keeps 7 bits); a guest that stops without
//     either is an error matching ErrNoStatus ("guest reset without
//     reporting a status").
//
// Tracing (Config.Trace) adds contract.CmdlineDebug to the command line;
// the timeline (Timeline) then shows the runner's steps, the backend's (VMM
// start, QMP ready, first vCPU entry), the first console output, each
// hyperstart debug line ("hyperstart: ...", moved off the console) and the
// exit line, each with the time since the runner started.
//
// Shutdown (and Run's cancelled context) stops the pod: the backend asks
// the guest to power down (ACPI power button, which hyperstart turns into
// a graceful stop), waits Boot.StopTimeout (the pod's longest container
// stop timeout plus 10 s, from the artifact's manifest: the runner reads
// no initramfs) and kills the VM. Callers map SIGINT/SIGTERM to the
// context (signal.NotifyContext).
package runner
