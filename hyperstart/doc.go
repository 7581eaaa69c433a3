// Package hyperstart is the pod's PID 1 inside the VM: it turns the guest
// contract (package contract) into running containers.
//
// It is written as data plus a small engine, in the style of u-root's
// libinit: what to do at boot and for each container is a list of Steps
// (Mount, Dir, Dev, Symlink, ...), each printable with String(), built by
// plain functions (BootPlan, ContainerPlan) that are tested off the VM; Run
// executes a plan and, with hyper.debug on the kernel command line, logs
// each step with its time since boot:
//
//	hyperstart: [  0.412s] mount proc on /proc (proc) nosuid,nodev,noexec
//
// Each container runs in its own mount namespace only: a thread of PID 1
// locked to its goroutine unshares its mount namespace and root
// (CLONE_NEWNS|CLONE_FS), mounts an overlay over the container's rootfs on
// the pod partition, pivots into it, mounts /proc, /sys, /dev, ... and the
// pod's volumes, and forks the container's process from there with its
// user, workdir and environment; the thread then ends. The process
// inherits Docker's default ulimits (nofile 1048576), which PID 1 sets on
// itself at boot; a container with ulimits of its own is set up through
// the re-exec path below, whose child sets them before dropping root
// (rlimits belong to a whole process, not to one thread). When any of that
// fails, PID 1 re-executes itself ("/init exec-container NAME") with
// CLONE_NEWNS, and that child does the same steps and reports the failure
// as a shell would (exit 125, 126 or 127). PID, network, IPC, UTS and user
// namespaces are the VM's own and shared by all containers.
//
// The pod's volumes are mounted once, on /run/hyper/volumes/NAME, before
// any container starts: a tmpfs, a data disk (the virtio disk whose
// serial is the volume's name: FindBySerials, DataDiskPlan; made
// read-only and unmounted at shutdown, so a graceful stop leaves it
// clean), or a host directory over 9P; each container's plan binds the
// ones it mounts.
//
// PID 1 itself owns the only wait4(-1) loop (Reaper), so orphans of any
// container are reaped and each container's exit status reaches the
// Supervisor. It restarts containers by policy (never, on-failure,
// always) after a backoff of 100ms doubling to 10s, reset by a run of 10s
// or more, each restart logged. SIGTERM, SIGINT (Ctrl-Alt-Del), SIGPWR or
// an ACPI power-button press stop the pod: each container gets its stop
// signal, then SIGKILL after its stop timeout (default 10s); a second
// request kills at once. When a container's main process ends, what it
// left running in its cgroup is killed, as Docker does.
//
// The Supervisor's state belongs to one loop that handles one event at a
// time (an exit, a restart or kill timer, a stop request) and commands
// from other goroutines: list, signal, stop or restart one container,
// exec into one, subscribe to events, shut the pod down. A container
// stopped on command stays stopped whatever its policy, and the pod
// waits for it (the host may restart it, or shut the pod down);
// restarting one that has exited runs it again while the pod lives.
//
// The pod ends when no container runs and none will restart. Its status
// is the first non-zero final status in the order containers finished
// (128+N for signal N), else 0; hyperstart prints contract.ExitLine,
// writes the status byte to I/O port contract.ExitPort (QEMU's
// isa-debug-exit), syncs and powers the VM off.
//
// The agent (agent.go): when the VM has a virtio-serial port named
// contract.AgentPort (/sys/class/virtio-ports/vport*/name; the node is
// made from sysfs when devtmpfs lacks it), hyperstart serves the host's
// requests there (contract/agent.go): a yamux session per host
// connection, one goroutine per stream, each request checked by
// contract.ReadRequest and answered with a contract.ErrorCode. It acts
// only through the Supervisor's commands. exec enters the container's
// mount namespace and root (setns to /proc/PID/ns/mnt, chroot to
// /proc/PID/root of its main process) on a locked thread, as the
// container's user, workdir and environment unless the request says
// otherwise, in its cgroup, with a pty from the container's own devpts
// or with pipes; a container with ulimits of its own is exec'd through
// "/init exec-in", which sets them first. logs reads a LogStore fed by
// the same pumps as the console: per container and stream a ring of
// contract.LogRingBytes. Without the port (an older runner, a cloud VM)
// there is no agent and the pod runs as it always did.
//
// Networking: a static address from the contract or the kernel command
// line (hyper.ip, hyper.gw, hyper.dns), else a minimal DHCP client on the
// first Ethernet interface (3s at most). IPv6 needs nothing from
// hyperstart: the kernel gives lo ::1 when it comes up and eth0 a
// link-local address (and SLAAC's from QEMU's user network), and a server
// listening on [::] takes IPv4 too, so published ports reach it.
//
// The package must stay small: it imports no HCL, registry, disk or
// builder code (imports_test.go enforces it) and no net/http.
package hyperstart
