// Package qemu is the runner backend that boots pods with QEMU
// (qemu-system-x86_64, Debian's qemu-system-x86). It registers itself with
// package runner as "qemu"; import it for its side effect:
//
//	import _ "github.com/hyperbuild/hyper/runner/qemu"
//
// It boots the kernel directly (-kernel/-initrd/-append, no firmware boot
// menu), with -accel kvm when runner.KVMUsable, else TCG (-cpu max). The
// machine type is microvm: under TCG it reaches the first console line
// about a quarter faster than q35 or pc (see Machines), keeps virtio-blk and
// virtio-net (as virtio-mmio devices the kernel finds through ACPI), and,
// with QEMU's default acpi=on, still has an ACPI power button (a Generic
// Event Device), so a QMP system_powerdown reaches hyperstart as KEY_POWER
// exactly as on q35. Under TCG microvm needs tsc_early_khz (there is no
// HPET or PM timer to calibrate the TSC against; boot can hang without it),
// which the backend adds from the host's /proc/cpuinfo, and reboot=t: a
// reset by triple fault always becomes an exit under -no-reboot, where the
// kernel's default reset sequence sometimes rebooted or hung on a busy
// host. A RESET event on QMP (a reboot that slipped through) kills QEMU.
//
// The serial console goes to QEMU's stdout, which the backend copies to
// Boot.Stdout; stdin is /dev/null, so it runs without a terminal. The
// artifact is attached read-only as the first virtio disk. User-mode
// networking (slirp, rootless) forwards every published port with hostfwd
// and gives the guest its static address on the command line (hyper.ip,
// hyper.gw, hyper.dns). The guest's status byte comes back through
// isa-debug-exit at contract.ExitPort: QEMU exits with (B<<1)|1, so only 7
// bits survive; the runner prefers the console's exit line.
//
// Stopping: Machine.Shutdown sends system_powerdown over a QMP socket (a
// tiny client, qmp.go), again every 3 s, waits Boot.StopTimeout, then
// kills QEMU; Machine.Kill kills it at once. QEMU runs in its own process group so
// a terminal's Ctrl-C reaches hyperboot, not QEMU, and it is killed if
// hyperboot dies. -no-reboot turns a guest reset or triple fault into an
// exit, reported as runner.ErrNoStatus ("guest reset without reporting a
// status"). The temporary directory holding the QMP and agent sockets is
// removed.
//
// The agent's channel (contract/agent.go) is a virtio-serial port named
// contract.AgentPort (virtio-serial-device on microvm, virtio-serial-pci
// on q35 and pc) on a socket chardev QEMU serves, without waiting, at
// agent.sock in the same 0700 directory (the socket itself 0600):
// Machine.Agent connects to it. QEMU reads the host's bytes only once the
// guest has opened the port, so a client may connect and send before the
// guest is up; a guest without an agent never opens it, and the pod runs
// as before.
//
// The full QEMU command line is written to Boot.Verbose (hyperboot -v), so
// a failing boot can be reproduced by hand. HYPERBOOT_QEMU_MACHINE and
// HYPERBOOT_QEMU_ACCEL override the machine type and accelerator.
package qemu
