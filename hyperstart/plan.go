package hyperstart

import (
	"path"
	"strconv"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// Where hyperstart keeps things inside the VM.
const (
	// PodMount is where the pod partition is mounted, read-only.
	PodMount = "/pod"
	// RunDir holds hyperstart's state on the /run tmpfs.
	RunDir = "/run/hyper"
	// VolumesDir holds each pod volume's mount (a tmpfs, a data disk):
	// VolumesDir/NAME.
	VolumesDir = RunDir + "/volumes"
	// EtcDir holds the hosts, hostname and resolv.conf bound into every
	// container.
	EtcDir = RunDir + "/etc"
	// ContainersDir holds each container's overlay upper, work and root
	// directories: ContainersDir/NAME/{upper,work,root}.
	ContainersDir = RunDir + "/containers"
	// CgroupRoot is the cgroup2 mount; each container gets
	// CgroupRoot/containers/NAME.
	CgroupRoot = "/sys/fs/cgroup"
	// oldRoot is where the VM's root stays inside a container's new root
	// between pivot_root and the last bind mount taken from it.
	oldRoot = "/.hyperstart"
	// rootBind is where a container's setup re-mounts the VM's root to
	// get it off the initramfs.
	rootBind = "/.hyperstart-root"
)

const (
	nosuidNodev       = unix.MS_NOSUID | unix.MS_NODEV
	nosuidNodevNoexec = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
)

// BootPlan is what PID 1 does before reading the contract: the kernel
// filesystems every later step relies on.
func BootPlan() []Step {
	return []Step{
		Mount{Source: "proc", Target: "/proc", FSType: "proc", Flags: nosuidNodevNoexec},
		Mount{Source: "sysfs", Target: "/sys", FSType: "sysfs", Flags: nosuidNodevNoexec},
		Mount{Source: "devtmpfs", Target: "/dev", FSType: "devtmpfs", Flags: unix.MS_NOSUID, Data: "mode=0755"},
		Mount{Source: "devpts", Target: "/dev/pts", FSType: "devpts", Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "gid=5,mode=0620,ptmxmode=0666"},
		Mount{Source: "shm", Target: "/dev/shm", FSType: "tmpfs", Flags: nosuidNodev, Data: "mode=1777"},
		Mount{Source: "tmpfs", Target: "/run", FSType: "tmpfs", Flags: nosuidNodev, Data: "mode=0755"},
		Optional{Mount{Source: "cgroup2", Target: CgroupRoot, FSType: "cgroup2", Flags: nosuidNodevNoexec}},
		Symlink{Target: "/proc/self/fd", Link: "/dev/fd"},
	}
}

// PodPlan prepares the pod once the contract is read and its partition
// found on dev: the read-only pod mount, one tmpfs per tmpfs volume, and
// each container's overlay directories.
func PodPlan(p *contract.Pod, dev string) []Step {
	steps := []Step{PodMountStep(dev)}
	for _, v := range p.Volumes {
		if v.Type != contract.VolumeTmpfs && v.Type != "" {
			continue // a disk or a share, mounted once found
		}
		data := "mode=0777"
		if v.SizeBytes > 0 {
			data += ",size=" + strconv.FormatInt(v.SizeBytes, 10)
		}
		steps = append(steps, Mount{Source: "volume-" + v.Name, Target: path.Join(VolumesDir, v.Name), FSType: "tmpfs", Flags: nosuidNodev, Data: data})
	}
	for _, c := range p.Containers {
		d := path.Join(ContainersDir, c.Name)
		steps = append(steps, Dir{Path: d + "/upper", Mode: 0o755}, Dir{Path: d + "/work", Mode: 0o700}, Dir{Path: d + "/root", Mode: 0o755})
	}
	return steps
}

// PodMountStep mounts the pod partition dev read-only on PodMount; it is
// PodPlan's first step.
func PodMountStep(dev string) Step {
	return Mount{Source: dev, Target: PodMount, FSType: "ext4", Flags: unix.MS_RDONLY}
}

// EtcPlan sets the hostname and writes the files every container sees at
// /etc/hosts, /etc/hostname and /etc/resolv.conf. addr is the pod's
// address without prefix ("" when it has none yet).
func EtcPlan(hostname, addr string, dns []string) []Step {
	hosts := "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
	if addr == "" {
		addr = "127.0.1.1"
	}
	hosts += addr + "\t" + hostname + "\n"
	resolv := ""
	for _, d := range dns {
		resolv += "nameserver " + d + "\n"
	}
	return []Step{
		Hostname(hostname),
		File{Path: EtcDir + "/hostname", Content: hostname + "\n", Mode: 0o644},
		File{Path: EtcDir + "/hosts", Content: hosts, Mode: 0o644},
		File{Path: EtcDir + "/resolv.conf", Content: resolv, Mode: 0o644},
	}
}

// devNodes are the device nodes of a container's /dev, as Docker gives
// without a terminal (no /dev/console: containers write through their
// output pipes, never to the VM's console directly).
var devNodes = []Dev{
	{Path: "/dev/null", Mode: unix.S_IFCHR | 0o666, Major: 1, Minor: 3},
	{Path: "/dev/zero", Mode: unix.S_IFCHR | 0o666, Major: 1, Minor: 5},
	{Path: "/dev/full", Mode: unix.S_IFCHR | 0o666, Major: 1, Minor: 7},
	{Path: "/dev/random", Mode: unix.S_IFCHR | 0o666, Major: 1, Minor: 8},
	{Path: "/dev/urandom", Mode: unix.S_IFCHR | 0o666, Major: 1, Minor: 9},
	{Path: "/dev/tty", Mode: unix.S_IFCHR | 0o666, Major: 5, Minor: 0},
}

// ContainerPlan is what the exec-container child does in its fresh mount
// namespace before exec: the overlay root, pivot_root into it, the kernel
// filesystems, a private /dev with the usual nodes, the pod's shared
// /dev/shm, /etc files and volumes.
//
// The root is mounted nodev: a device node an image ships (b 254 0 for
// the pod disk, c 1 1 for /dev/mem) stays in the tree but cannot be
// opened, so the only usable nodes are those of the /dev tmpfs made here.
// It is not nosuid: setuid files keep working, as under Docker.
func ContainerPlan(p *contract.Pod, c *contract.Container) []Step {
	d := path.Join(ContainersDir, c.Name)
	root := d + "/root"
	overlay := "lowerdir=" + path.Join(PodMount, contract.RootfsDir(c.Name)) + ",upperdir=" + d + "/upper,workdir=" + d + "/work"
	steps := []Step{
		MakePrivate{},
		RootOffRamfs{Dir: rootBind},
		Mount{Source: "overlay", Target: root, FSType: "overlay", Flags: unix.MS_NODEV, Data: overlay},
		PivotRoot{NewRoot: root, PutOld: oldRoot},
		Mount{Source: "proc", Target: "/proc", FSType: "proc", Flags: nosuidNodevNoexec},
		Mount{Source: "sysfs", Target: "/sys", FSType: "sysfs", Flags: nosuidNodevNoexec | unix.MS_RDONLY},
		Mount{Source: "tmpfs", Target: "/dev", FSType: "tmpfs", Flags: unix.MS_NOSUID, Data: "mode=0755,size=65536k"},
	}
	for _, n := range devNodes {
		steps = append(steps, n)
	}
	steps = append(steps,
		Symlink{Target: "/proc/self/fd", Link: "/dev/fd"},
		Symlink{Target: "/proc/self/fd/0", Link: "/dev/stdin"},
		Symlink{Target: "/proc/self/fd/1", Link: "/dev/stdout"},
		Symlink{Target: "/proc/self/fd/2", Link: "/dev/stderr"},
		Symlink{Target: "pts/ptmx", Link: "/dev/ptmx"},
		Mount{Source: "devpts", Target: "/dev/pts", FSType: "devpts", Flags: unix.MS_NOSUID | unix.MS_NOEXEC, Data: "newinstance,gid=5,mode=0620,ptmxmode=0666"},
		Mount{Source: oldRoot + "/dev/shm", Target: "/dev/shm", Flags: unix.MS_BIND},
		// POSIX message queues, as runc mounts them; a kernel without
		// CONFIG_POSIX_MQUEUE still runs the pod.
		Optional{Mount{Source: "mqueue", Target: "/dev/mqueue", FSType: "mqueue", Flags: nosuidNodevNoexec}},
	)
	for _, f := range []string{"hosts", "hostname", "resolv.conf"} {
		steps = append(steps, Mount{Source: oldRoot + EtcDir + "/" + f, Target: "/etc/" + f, Flags: unix.MS_BIND, File: true})
	}
	for _, m := range c.Mounts {
		flags := uintptr(unix.MS_BIND | unix.MS_REC)
		if m.ReadOnly {
			flags |= unix.MS_RDONLY
		}
		steps = append(steps, Mount{Source: oldRoot + path.Join(VolumesDir, m.Volume), Target: m.Path, Flags: flags})
	}
	return append(steps, Detach(oldRoot))
}
