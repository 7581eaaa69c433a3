package runner

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/bobuhiro11/gokvm/kvm"
	"golang.org/x/sys/unix"
)

// KVMDevice is the KVM device node.
const KVMDevice = "/dev/kvm"

// kvmProbeTimeout bounds the probe's one tiny guest: on a working host it
// takes well under a millisecond; some nested hosts accept every ioctl and
// then never return from KVM_RUN.
const kvmProbeTimeout = 2 * time.Second

var (
	kvmOnce sync.Once
	kvmErr  error
)

// KVMUsable returns nil when KVM can actually run a guest here, else why
// not. Opening /dev/kvm is not enough: nested hosts exist where the device
// opens, VMs and vCPUs are created, and the first KVM_RUN never returns.
// So the probe runs a three-instruction long-mode guest (write a byte to
// the exit port, halt) and expects the port write back within a deadline.
// The result is computed once per process.
func KVMUsable() error {
	kvmOnce.Do(func() { kvmErr = probeKVM() })
	return kvmErr
}

func probeKVM() error {
	f, err := os.OpenFile(KVMDevice, os.O_RDWR|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("opening %s: %w", KVMDevice, err)
	}
	defer f.Close()
	if v, err := kvm.GetAPIVersion(f.Fd()); err != nil || v != 12 {
		return fmt.Errorf("%s: KVM API version %d, %v (want 12)", KVMDevice, v, err)
	}
	if err := checkCPUID(f.Fd()); err != nil {
		return err
	}
	done := make(chan error, 1)
	tid := make(chan int, 1)
	var abandoned atomic.Bool
	go func() {
		runtime.LockOSThread() // the thread stays tied to a vCPU: never unlocked
		tid <- unix.Gettid()
		done <- probeGuest(f.Fd(), &abandoned)
	}()
	t := <-tid
	select {
	case err := <-done:
		return err
	case <-time.After(kvmProbeTimeout):
		// Interrupt KVM_RUN (it returns EINTR on any handled signal; the Go
		// runtime ignores a stray SIGURG) so the thread does not spin.
		abandoned.Store(true)
		_ = unix.Tgkill(os.Getpid(), t, unix.SIGURG)
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		return fmt.Errorf("%s: a test guest did not run within %v (nested or broken KVM)", KVMDevice, kvmProbeTimeout)
	}
}

// probeCode is 64-bit code at guest address 0x1000:
// mov al, 0x2a; out 0xf4, al; hlt.
var probeCode = []byte{0xb0, 0x2a, 0xe6, 0xf4, 0xf4}

// probeGuest runs the probe guest until its I/O exit, or until abandoned
// is set and a signal interrupts KVM_RUN.
func probeGuest(kvmFd uintptr, abandoned *atomic.Bool) error {
	vmFd, err := kvm.CreateVM(kvmFd)
	if err != nil {
		return fmt.Errorf("creating a VM: %w", err)
	}
	defer unix.Close(int(vmFd))
	mem, err := unix.Mmap(-1, 0, 0x5000, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
	if err != nil {
		return fmt.Errorf("mapping guest memory: %w", err)
	}
	defer unix.Munmap(mem)
	copy(mem[0x1000:], probeCode)
	// Identity-map the first 2 MiB with one large page: PML4 at 0x2000,
	// PDPT at 0x3000, PD at 0x4000 (present|writable, PS in the PD).
	putU64(mem[0x2000:], 0x3000|3)
	putU64(mem[0x3000:], 0x4000|3)
	putU64(mem[0x4000:], 0x83)
	region := kvm.UserspaceMemoryRegion{MemorySize: uint64(len(mem)), UserspaceAddr: uint64(uintptr(unsafe.Pointer(&mem[0])))}
	if err := kvm.SetUserMemoryRegion(vmFd, &region); err != nil {
		return fmt.Errorf("setting guest memory: %w", err)
	}
	vcpuFd, err := kvm.CreateVCPU(vmFd, 0)
	if err != nil {
		return fmt.Errorf("creating a vCPU: %w", err)
	}
	defer unix.Close(int(vcpuFd))
	size, err := kvm.GetVCPUMMmapSize(kvmFd)
	if err != nil {
		return fmt.Errorf("vCPU mmap size: %w", err)
	}
	runMem, err := unix.Mmap(int(vcpuFd), 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED)
	if err != nil {
		return fmt.Errorf("mapping the vCPU run area: %w", err)
	}
	defer unix.Munmap(runMem)
	sregs, err := kvm.GetSregs(vcpuFd)
	if err != nil {
		return fmt.Errorf("reading vCPU segments: %w", err)
	}
	// Long mode with paging, as a kernel runs: some nested hosts run
	// real-mode code and hang as soon as paging is on.
	sregs.CR3 = 0x2000
	sregs.CR4 = 1 << 5        // PAE
	sregs.CR0 = 1<<0 | 1<<31  // PE, PG
	sregs.EFER = 1<<8 | 1<<10 // LME, LMA
	code := kvm.Segment{Selector: 8, Typ: 11, Present: 1, S: 1, L: 1, G: 1, Limit: 0xffffffff}
	data := kvm.Segment{Selector: 16, Typ: 3, Present: 1, S: 1, DB: 1, G: 1, Limit: 0xffffffff}
	sregs.CS = code
	sregs.DS, sregs.ES, sregs.FS, sregs.GS, sregs.SS = data, data, data, data, data
	if err := kvm.SetSregs(vcpuFd, sregs); err != nil {
		return fmt.Errorf("setting vCPU segments: %w", err)
	}
	if err := kvm.SetRegs(vcpuFd, &kvm.Regs{RIP: 0x1000, RFLAGS: 2}); err != nil {
		return fmt.Errorf("setting vCPU registers: %w", err)
	}
	for {
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, vcpuFd, kvm.IIO(0x80), 0) // KVM_RUN
		// EINTR is any signal this thread handled, most often the Go
		// runtime's preemption signal: run again unless abandoned.
		if errno == unix.EINTR && !abandoned.Load() {
			continue
		}
		if errno != 0 {
			return fmt.Errorf("running a test guest: %w", errno)
		}
		break
	}
	run := (*kvm.RunData)(unsafe.Pointer(&runMem[0]))
	if kvm.ExitType(run.ExitReason) != kvm.EXITIO {
		return fmt.Errorf("test guest: exit reason %v, want an I/O exit", kvm.ExitType(run.ExitReason))
	}
	dir, _, port, _, off := run.IO()
	if dir != kvm.EXITIOOUT || port != 0xf4 || off >= uint64(len(runMem)) || runMem[off] != 0x2a {
		return errors.New("test guest: unexpected I/O exit")
	}
	return nil
}

func putU64(b []byte, v uint64) {
	for i := 0; i < 8; i++ {
		b[i] = byte(v >> (8 * i))
	}
}

// checkCPUID rejects a KVM whose supported CPUID lacks what every x86-64
// kernel expects (SSE2, SSE3): seen on nested hosts where guests then hang
// right after the kernel's decompressor.
func checkCPUID(kvmFd uintptr) error {
	c := kvm.CPUID{Nent: 256, Entries: make([]kvm.CPUIDEntry2, 256)}
	if err := kvm.GetSupportedCPUID(kvmFd, &c); err != nil {
		return fmt.Errorf("%s: reading supported CPUID: %w", KVMDevice, err)
	}
	for _, e := range c.Entries[:min(int(c.Nent), len(c.Entries))] {
		if e.Function != 1 {
			continue
		}
		const sse2, sse3 = 1 << 26, 1 << 0
		if e.Edx&sse2 == 0 || e.Ecx&sse3 == 0 {
			return fmt.Errorf("%s: KVM offers guests no SSE2/SSE3 (CPUID.1 ecx=%#x edx=%#x): nested or broken KVM", KVMDevice, e.Ecx, e.Edx)
		}
		return nil
	}
	return fmt.Errorf("%s: KVM's supported CPUID has no leaf 1", KVMDevice)
}
