package kvm

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
	"unsafe"

	"github.com/bobuhiro11/gokvm/kvm"
	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/runner/kvm/boot"
	"github.com/hyperbuild/hyper/runner/kvm/guestmem"
	"github.com/hyperbuild/hyper/runner/kvm/serial"
	"github.com/hyperbuild/hyper/runner/kvm/virtio"
)

// Device is the KVM device node.
const Device = "/dev/kvm"

// Config is one VM.
type Config struct {
	Kernel    string // bzImage path
	Initrd    string // optional
	Cmdline   string
	Disk      string     // optional; attached read-only as /dev/vda
	DataDisks []DataDisk // disk volumes, attached after Disk in order
	Tap       string     // optional; a virtio-net NIC on this tap device (root)
	CPUs      int
	MemoryMiB int64
	Console   io.Writer            // the guest's serial output; nil discards it
	Mark      func(string, ...any) // boot timeline; may be nil
	// StopTimeout is the grace between the power button and a hard stop
	// when Run's context is cancelled; 0 stops at once.
	StopTimeout time.Duration
	// Kill, when closed, stops the VM at once; nil never does.
	Kill <-chan struct{}
	// Shares are host directories attached as virtio-9p devices, each
	// mounted by the guest by its tag, and served while the VM runs.
	Shares []Share
	// Agent, when not nil, is attached as a virtio-console device (its
	// port 1 is the agent channel) and served while the VM runs; Run
	// stops it when it returns, so its host end reads EOF. One device
	// serves one VM.
	Agent *virtio.Console
	// UserNet, when not nil (and Tap empty), is the host end of the
	// NIC: the user-mode network's (usernet.Network.NIC), with MAC the
	// guest's address. Run closes it when the VM stops.
	UserNet io.ReadWriteCloser
	MAC     [6]byte
}

// machine is a created VM: file descriptors, memory, vCPUs and devices.
type machine struct {
	kvmFile   *os.File
	vmFd      int
	mem       []byte
	gmem      *guestmem.Memory
	vcpus     []*vcpu
	uart      *serial.UART
	virtio    []*virtio.MMIO
	disk      *os.File
	dataDisks []*os.File
	tap       io.Closer // the NIC's host end: a tap device or Config.UserNet
	nic       *virtio.Net
	nicMMIO   *virtio.MMIO
	agent     *virtio.Console
	agentMMIO *virtio.MMIO
	shares    []*share
	stop      stopper
	start     time.Time
	mark      func(string, ...any)
	entered   sync.Once
	// setLine drives an interrupt line of the in-kernel IOAPIC and PIC.
	setLine func(line, level uint32) error
	pm1     pm1
}

// virtioIRQ is the first virtio-mmio device's interrupt line (ISA lines
// 5 and up are free: 4 is COM1).
const virtioIRQ = 5

// newMachine creates the VM and loads the guest; close releases it.
func newMachine(cfg Config) (m *machine, err error) {
	m = &machine{start: time.Now(), mark: cfg.Mark, vmFd: -1}
	m.setLine = func(line, level uint32) error { return kvm.IRQLineStatus(uintptr(m.vmFd), line, level) }
	if m.mark == nil {
		m.mark = func(string, ...any) {}
	}
	m.stop.init()
	defer func() {
		if err != nil {
			m.close()
		}
	}()
	if cfg.MemoryMiB < boot.MinMemory>>20 || cfg.MemoryMiB > maxMemoryMiB {
		return m, fmt.Errorf("%w: %d MiB (%d to %d)", ErrMemory, cfg.MemoryMiB, boot.MinMemory>>20, maxMemoryMiB)
	}
	if m.kvmFile, err = os.OpenFile(Device, os.O_RDWR|unix.O_CLOEXEC, 0); err != nil {
		return m, fmt.Errorf("opening %s: %w", Device, err)
	}
	kfd := m.kvmFile.Fd()
	vmFd, err := kvm.CreateVM(kfd)
	if err != nil {
		return m, fmt.Errorf("creating the VM: %w", err)
	}
	m.vmFd = int(vmFd)
	if err := kvm.SetTSSAddr(vmFd, boot.TSSAddr); err != nil {
		return m, fmt.Errorf("setting the TSS address: %w", err)
	}
	if err := kvm.SetIdentityMapAddr(vmFd, boot.IdentityMap); err != nil {
		return m, fmt.Errorf("setting the identity map address: %w", err)
	}
	if err := kvm.CreateIRQChip(vmFd); err != nil {
		return m, fmt.Errorf("creating the in-kernel IOAPIC and LAPICs: %w", err)
	}
	if err := kvm.CreatePIT2(vmFd); err != nil {
		return m, fmt.Errorf("creating the in-kernel PIT: %w", err)
	}
	if err := m.mapMemory(cfg.MemoryMiB << 20); err != nil {
		return m, err
	}
	m.mark("kvm: VM, irqchip, PIT and memory created")
	var devs []boot.MMIODevice
	if cfg.Disk != "" {
		d, err := m.addDisk(cfg.Disk)
		if err != nil {
			return m, err
		}
		devs = append(devs, d)
	}
	for _, dd := range cfg.DataDisks {
		d, err := m.addDataDisk(dd)
		if err != nil {
			return m, err
		}
		devs = append(devs, d)
	}
	if cfg.Tap != "" {
		d, err := m.addNet(cfg.Tap)
		if err != nil {
			return m, err
		}
		devs = append(devs, d)
	} else if cfg.UserNet != nil {
		d, err := m.addUserNet(cfg.UserNet, cfg.MAC)
		if err != nil {
			return m, err
		}
		devs = append(devs, d)
	}
	if cfg.Agent != nil {
		devs = append(devs, m.addAgent(cfg.Agent))
	}
	for _, sh := range cfg.Shares {
		d, err := m.addShare(sh)
		if err != nil {
			return m, err
		}
		devs = append(devs, d)
	}
	console := cfg.Console
	if console == nil {
		console = io.Discard
	}
	m.uart = serial.New(console, func() error { return m.irq(serial.COM1IRQ) })
	entry, err := m.load(cfg, devs)
	if err != nil {
		return m, err
	}
	m.mark("kvm: kernel, initrd and ACPI tables loaded")
	if err := m.createVCPUs(cfg.CPUs, entry); err != nil {
		return m, err
	}
	return m, nil
}

// maxMemoryMiB bounds guest RAM (1 TiB): the mapping is reserved lazily,
// but the bound keeps a typo from asking the kernel for an exabyte.
const maxMemoryMiB = 1 << 20

// mapMemory maps guest RAM: one host mapping, given to KVM as one slot
// below the 32-bit MMIO hole and, for guests larger than boot.MaxMemory,
// a second slot from guestmem.HighBase.
func (m *machine) mapMemory(size int64) error {
	mem, err := unix.Mmap(-1, 0, int(size), unix.PROT_READ|unix.PROT_WRITE,
		unix.MAP_PRIVATE|unix.MAP_ANONYMOUS|unix.MAP_NORESERVE)
	if err != nil {
		return fmt.Errorf("mapping %d MiB of guest memory: %w", size>>20, err)
	}
	m.mem = mem
	low := min(uint64(size), boot.MaxMemory)
	m.gmem = guestmem.NewSplit(mem, low)
	base := uint64(uintptr(unsafe.Pointer(&mem[0])))
	regions := []kvm.UserspaceMemoryRegion{{Slot: 0, GuestPhysAddr: 0, MemorySize: low, UserspaceAddr: base}}
	if high := uint64(size) - low; high > 0 {
		regions = append(regions, kvm.UserspaceMemoryRegion{Slot: 1, GuestPhysAddr: guestmem.HighBase, MemorySize: high, UserspaceAddr: base + low})
	}
	for i := range regions {
		if err := kvm.SetUserMemoryRegion(uintptr(m.vmFd), &regions[i]); err != nil {
			return fmt.Errorf("giving the VM its memory (slot %d): %w", i, err)
		}
	}
	return nil
}

// addDisk attaches path read-only as a virtio-blk device; the guest
// finds it in the DSDT (an LNRO0005 device, as on QEMU's microvm).
func (m *machine) addDisk(path string) (boot.MMIODevice, error) {
	f, err := os.Open(path) // read-only: the artifact is immutable
	if err != nil {
		return boot.MMIODevice{}, fmt.Errorf("opening the disk: %w", err)
	}
	m.disk = f
	fi, err := f.Stat()
	if err != nil {
		return boot.MMIODevice{}, fmt.Errorf("opening the disk: %w", err)
	}
	blk := virtio.NewBlk(f, fi.Size(), true, "hyper-artifact")
	d := m.nextMMIO()
	m.virtio = append(m.virtio, virtio.NewMMIO(blk, m.gmem, irqFunc(m.irq), d.IRQ))
	return d, nil
}

// nextMMIO is the window and interrupt line of the next virtio device.
func (m *machine) nextMMIO() boot.MMIODevice {
	return boot.MMIODevice{
		Base: uint32(boot.MMIOBase + len(m.virtio)*virtio.MMIOSize),
		Size: virtio.MMIOSize,
		IRQ:  virtioLine(len(m.virtio)),
	}
}

// maxVirtio is how many virtio devices get a line of their own: lines
// 5 to 23 of the IOAPIC, less the SCI's.
const maxVirtio = 24 - virtioIRQ - 1

// virtioLine is the interrupt line of the i-th virtio device. The lines
// go around the SCI's (pm1.go), which is level-triggered.
func virtioLine(i int) uint32 {
	l := uint32(virtioIRQ + i)
	if l >= sciLine {
		l++
	}
	return l
}

func (m *machine) load(cfg Config, devs []boot.MMIODevice) (boot.Entry, error) {
	k, err := os.Open(cfg.Kernel)
	if err != nil {
		return boot.Entry{}, fmt.Errorf("opening the kernel: %w", err)
	}
	defer k.Close()
	kfi, err := k.Stat()
	if err != nil {
		return boot.Entry{}, fmt.Errorf("opening the kernel: %w", err)
	}
	img := boot.Image{Kernel: k, KernelSize: kfi.Size(), Cmdline: cfg.Cmdline, CPUs: cfg.CPUs, Devices: devs}
	if cfg.Initrd != "" {
		r, err := os.Open(cfg.Initrd)
		if err != nil {
			return boot.Entry{}, fmt.Errorf("opening the initrd: %w", err)
		}
		defer r.Close()
		rfi, err := r.Stat()
		if err != nil {
			return boot.Entry{}, fmt.Errorf("opening the initrd: %w", err)
		}
		img.Initrd, img.InitrdSize = r, rfi.Size()
	}
	low := min(uint64(len(m.mem)), boot.MaxMemory)
	img.HighMemory = uint64(len(m.mem)) - low
	entry, err := boot.Load(m.mem[:low], img)
	if err != nil {
		return entry, fmt.Errorf("loading %s: %w", cfg.Kernel, err)
	}
	return entry, nil
}

// irq raises an edge on an interrupt line of the in-kernel IOAPIC.
func (m *machine) irq(line uint32) error {
	if err := m.setLine(line, 1); err != nil {
		return fmt.Errorf("raising IRQ %d: %w", line, err)
	}
	if err := m.setLine(line, 0); err != nil {
		return fmt.Errorf("lowering IRQ %d: %w", line, err)
	}
	return nil
}

type irqFunc func(uint32) error

func (f irqFunc) Interrupt(line uint32) error { return f(line) }

// close releases everything; the vCPU threads must have exited.
func (m *machine) close() {
	for _, v := range m.vcpus {
		v.close()
	}
	if m.vmFd >= 0 {
		unix.Close(m.vmFd)
	}
	if m.mem != nil {
		unix.Munmap(m.mem)
		m.mem = nil
	}
	if m.disk != nil {
		m.disk.Close()
	}
	m.closeDataDisks()
	m.closeShares()
	if m.tap != nil {
		m.tap.Close()
	}
	if m.kvmFile != nil {
		m.kvmFile.Close()
	}
}
