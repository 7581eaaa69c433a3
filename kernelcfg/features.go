package kernelcfg

// Feature is one capability the guest needs, with the CONFIG_ options that
// provide it. An option is written without the CONFIG_ prefix: "FUTEX" means
// CONFIG_FUTEX=y, "IPV6=n" means it must be off, "NR_CPUS=8" sets a value.
type Feature struct {
	Name    string
	Why     string
	Options []string
}

// Features is the hyperkernel, as data. The fragment is generated from it
// and every option is checked against the final .config after olddefconfig.
var Features = []Feature{
	{Name: "x86_64 base", Why: "tinyconfig on an x86 host is 32-bit, uses SLOB (blocks MEMCG_KMEM) and XZ (slow to boot under emulation)",
		Options: []string{"64BIT", "SMP", "KERNEL_GZIP", "SLUB", "PRINTK", "BINFMT_ELF", "BINFMT_SCRIPT", "MULTIUSER", "HIGH_RES_TIMERS"}},
	{Name: "syscalls for Go, busybox and container workloads", Why: "tinyconfig drops them; Go's runtime needs futex, epoll and timers, busybox and images' programs expect the rest",
		Options: []string{"FUTEX", "EPOLL", "SIGNALFD", "TIMERFD", "EVENTFD", "INOTIFY_USER", "POSIX_TIMERS",
			"FILE_LOCKING", "AIO", "SHMEM", "SYSVIPC", "POSIX_MQUEUE", "FHANDLE", "ADVISE_SYSCALLS", "MEMBARRIER",
			"RSEQ", "PROC_SYSCTL", "SECCOMP", "SECCOMP_FILTER"}},
	{Name: "hyperstart mounts: devtmpfs, tmpfs, proc, sysfs, devpts, shm, mqueue",
		Options: []string{"DEVTMPFS", "TMPFS", "PROC_FS", "SYSFS", "UNIX98_PTYS", "TTY"}},
	{Name: "overlayfs", Why: "each container's root: lower on the pod disk, upper/work on tmpfs (whiteouts need tmpfs xattrs)",
		Options: []string{"OVERLAY_FS", "TMPFS_XATTR"}},
	{Name: "namespaces",
		Options: []string{"NAMESPACES", "UTS_NS", "IPC_NS", "PID_NS", "NET_NS", "USER_NS", "TIME_NS"}},
	{Name: "cgroup v2 (cpu, memory, pids)",
		Options: []string{"CGROUPS", "MEMCG", "MEMCG_KMEM", "CGROUP_PIDS", "CGROUP_SCHED", "FAIR_GROUP_SCHED", "CFS_BANDWIDTH", "CGROUP_FREEZER"}},
	{Name: "virtio blk/net (pci+mmio)", Why: "q35 uses virtio-pci; microvm and the KVM runner use virtio-mmio (from ACPI or virtio_mmio.device=)",
		Options: []string{"PCI", "PCI_MSI", "VIRTIO_MENU", "VIRTIO_PCI", "VIRTIO_MMIO", "VIRTIO_MMIO_CMDLINE_DEVICES",
			"BLOCK", "BLK_DEV", "VIRTIO_BLK", "NETDEVICES", "NET_CORE", "VIRTIO_NET"}},
	{Name: "cloud disks and NICs", Why: "the UEFI artifact boots on clouds whose disks are not virtio-blk: GCE (virtio-scsi, gVNIC), AWS Nitro (NVMe, ENA), Azure (Hyper-V storvsc and netvsc); hyperstart finds the pod disk by label on any of them",
		Options: []string{"SCSI", "BLK_DEV_SD", "SCSI_LOWLEVEL", "SCSI_VIRTIO", "BLK_DEV_NVME",
			"ETHERNET", "NET_VENDOR_AMAZON", "ENA_ETHERNET", "NET_VENDOR_GOOGLE", "GVE",
			"HYPERV", "HYPERV_STORAGE", "HYPERV_NET"}},
	{Name: "virtio console/vsock/rng", Why: "host channels and entropy; a pod boots without them",
		Options: []string{"VIRTIO_CONSOLE", "VSOCKETS", "VIRTIO_VSOCKETS", "HW_RANDOM", "HW_RANDOM_VIRTIO"}},
	{Name: "8250 console", Why: "console=ttyS0 on q35, pc and microvm",
		Options: []string{"SERIAL_8250", "SERIAL_8250_CONSOLE"}},
	{Name: "/dev/port (isa-debug-exit)", Why: "hyperstart writes the pod's exit status to port 0xf4",
		Options: []string{"DEVPORT"}},
	{Name: "EFI stub", Why: "boot the bzImage from the GPT artifact's ESP through UEFI firmware",
		Options: []string{"ACPI", "EFI", "EFI_STUB"}},
	{Name: "PVH", Why: "direct boot of vmlinux by QEMU microvm and the KVM runner",
		Options: []string{"HYPERVISOR_GUEST", "PVH"}},
	{Name: "KVM guest", Why: "kvmclock and paravirt when the host has KVM",
		Options: []string{"HYPERVISOR_GUEST", "PARAVIRT", "PARAVIRT_SPINLOCKS", "KVM_GUEST"}},
	{Name: "KVM host (nested runner test)", Why: "a pod can run hyperboot itself; built in, there are no modules",
		Options: []string{"VIRTUALIZATION", "KVM", "KVM_AMD", "KVM_INTEL"}},
	{Name: "tun/tap", Why: "network for a nested runner inside a pod",
		Options: []string{"TUN"}},
	{Name: "ext4 (read-only pod disk)",
		Options: []string{"EXT4_FS"}},
	{Name: "GPT partitions", Why: "hyperstart finds the pod partition on the GPT artifact by its label",
		Options: []string{"PARTITION_ADVANCED", "EFI_PARTITION"}},
	{Name: "virtio-9p host shares", Why: "host directories as volumes without a disk image",
		Options: []string{"NET_9P", "NET_9P_VIRTIO", "9P_FS"}},
	{Name: "initramfs (gzip)", Why: "initrd.Write compresses the initramfs with gzip",
		Options: []string{"BLK_DEV_INITRD", "RD_GZIP"}},
	{Name: "zstd initramfs", Why: "for initramfs images users bring",
		Options: []string{"RD_ZSTD"}},
	{Name: "networking: inet, unix, packet (dhcp)",
		Options: []string{"NET", "INET", "UNIX", "PACKET"}},
	{Name: "IPv6", Why: "real images listen on [::] (Debian's nginx site: listen [::]:80); ::1 and link-local addresses",
		Options: []string{"IPV6"}},
	{Name: "virtiofs host shares", Why: "host directories as volumes where the host has virtiofsd (faster than 9p)",
		Options: []string{"FUSE_FS", "VIRTIO_FS"}},
	{Name: "ACPI power button", Why: "graceful stop on q35/pc/microvm(acpi=on): the button reaches hyperstart as KEY_POWER on /dev/input/event*",
		Options: []string{"ACPI", "ACPI_BUTTON", "INPUT", "INPUT_EVDEV"}},
	{Name: "robustness", Why: "BUG() stops instead of running on; a panic reboots so the VMM (-no-reboot) ends instead of hanging; full-size pid/futex tables (BASE_SMALL caps pid_max at 4096)",
		Options: []string{"BUG", "PANIC_TIMEOUT=-1", "BASE_FULL"}},
	{Name: "introspection", Why: "/proc/config.gz tells a pod which kernel it runs; /proc/vmstat for tools",
		Options: []string{"IKCONFIG", "IKCONFIG_PROC", "VM_EVENT_COUNTERS"}},
	{Name: "tickless idle", Why: "an idle vCPU under emulation should not wake HZ times a second",
		Options: []string{"NO_HZ_IDLE", "HZ_PERIODIC=n"}},
	{Name: "random", Why: "seed the CRNG at boot so getrandom does not block",
		Options: []string{"RANDOM_TRUST_CPU", "RANDOM_TRUST_BOOTLOADER", "HW_RANDOM_VIRTIO"}},
}

// Trim switches off what olddefconfig pulls in that the guest does not need:
// size, boot time under emulation (the PS/2 probe at power-off), noise.
var Trim = []string{
	"VT=n", "SERIO=n", "INPUT_KEYBOARD=n", "INPUT_MOUSE=n", "HID=n",
	"WIRELESS=n", "WLAN=n", "PTP_1588_CLOCK=n", "PPS=n", "VGA_ARB=n",
	"HW_RANDOM_INTEL=n", "HW_RANDOM_AMD=n", "HW_RANDOM_VIA=n",
	"ACPI_PROCESSOR=n", "SCHED_MC_PRIO=n",
	"RD_BZIP2=n", "RD_LZMA=n", "RD_XZ=n", "RD_LZO=n", "RD_LZ4=n",
	"LEGACY_PTYS=n",
	"SLOB=n", "KERNEL_XZ=n", // tinyconfig's choices, replaced by SLUB and KERNEL_GZIP
	"ACPI_AC=n", "ACPI_BATTERY=n", "ACPI_TABLE_UPGRADE=n", "EFI_CUSTOM_SSDT_OVERLAYS=n",
	"PERF_EVENTS_INTEL_UNCORE=n", "PERF_EVENTS_INTEL_RAPL=n", "PERF_EVENTS_INTEL_CSTATE=n",
	"SERIAL_8250_PCI=n", "SERIAL_8250_EXAR=n", "SERIAL_8250_LPSS=n", "SERIAL_8250_MID=n", "SERIAL_8250_PERICOM=n",
	"MQ_IOSCHED_KYBER=n", "INET_DIAG=n", "VSOCKETS_DIAG=n", "PCIEASPM=n", "MSDOS_PARTITION=n",
	"BLOCK_LEGACY_AUTOLOAD=n", "SLUB_DEBUG=n", "SCHED_DEBUG=n", "PNP_DEBUG_MESSAGES=n",
}
