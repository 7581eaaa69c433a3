package kvm

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"sync/atomic"
	"syscall"

	"github.com/bobuhiro11/gokvm/kvm"
	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/runner/kvm/boot"
)

// kvm_run layout (include/uapi/linux/kvm.h): the exit union starts at 32.
const (
	runImmediateExit = 1
	runExitReason    = 8
	runExit          = 32

	exitIO          = 2
	exitHLT         = 5
	exitMMIO        = 6
	exitShutdown    = 8
	exitFailEntry   = 9
	exitIntr        = 10
	exitInternal    = 17
	exitSystemEvent = 24

	systemEventShutdown = 1
	systemEventReset    = 2
	systemEventCrash    = 3

	kvmRun = 0x80

	cpuidTSCDeadline = 1 << 24
	cpuidHypervisor  = 1 << 31 // without it Linux never looks for KVM's leaves (kvmclock)
)

type vcpu struct {
	id  int
	fd  int
	run []byte // the mmapped kvm_run area
	tid atomic.Int32
}

func (m *machine) createVCPUs(n int, entry boot.Entry) error {
	size, err := kvm.GetVCPUMMmapSize(m.kvmFile.Fd())
	if err != nil {
		return fmt.Errorf("reading the vCPU area size: %w", err)
	}
	cpuid, err := supportedCPUID(m.kvmFile.Fd())
	if err != nil {
		return err
	}
	for i := range n {
		fd, err := kvm.CreateVCPU(uintptr(m.vmFd), i)
		if err != nil {
			return fmt.Errorf("creating vCPU %d: %w", i, err)
		}
		v := &vcpu{id: i, fd: int(fd)}
		m.vcpus = append(m.vcpus, v)
		if v.run, err = unix.Mmap(v.fd, 0, int(size), unix.PROT_READ|unix.PROT_WRITE, unix.MAP_SHARED); err != nil {
			return fmt.Errorf("mapping vCPU %d's run area: %w", i, err)
		}
		if err := kvm.SetCPUID2(uintptr(v.fd), cpuidFor(cpuid, i)); err != nil {
			return fmt.Errorf("setting vCPU %d's CPUID: %w", i, err)
		}
	}
	// Only the boot CPU gets the entry state: the others wait in the
	// in-kernel LAPIC for the INIT/SIPI the kernel sends them.
	return setEntry(m.vcpus[0].fd, entry)
}

func supportedCPUID(kvmFd uintptr) (*kvm.CPUID, error) {
	var err error
	for _, n := range []uint32{100, 256, 1024} {
		c := &kvm.CPUID{Nent: n, Entries: make([]kvm.CPUIDEntry2, n)}
		if err = kvm.GetSupportedCPUID(kvmFd, c); err == nil {
			c.Entries = c.Entries[:min(int(c.Nent), len(c.Entries))]
			return c, nil
		}
		if !errors.Is(err, syscall.E2BIG) {
			break
		}
	}
	return nil, fmt.Errorf("reading KVM's supported CPUID: %w", err)
}

// cpuidFor is what vCPU id sees: its APIC ID where Linux looks for it,
// the hypervisor bit (so the kernel finds kvmclock), the TSC-deadline timer (KVM emulates it; a hardware-reduced platform
// has no other timer to calibrate the LAPIC timer against), no PMU.
func cpuidFor(all *kvm.CPUID, id int) *kvm.CPUID {
	c := &kvm.CPUID{Nent: all.Nent, Entries: append([]kvm.CPUIDEntry2(nil), all.Entries...)}
	for i := range c.Entries {
		e := &c.Entries[i]
		switch e.Function {
		case 1:
			e.Ebx = e.Ebx&0x00ffffff | uint32(id)<<24
			e.Ecx |= cpuidTSCDeadline | cpuidHypervisor
		case 0xa:
			e.Eax, e.Ebx, e.Ecx, e.Edx = 0, 0, 0, 0
		case 0xb, 0x1f:
			e.Edx = uint32(id)
		}
	}
	return c
}

// setEntry puts the boot CPU in 32-bit protected mode with flat 4 GiB
// segments, paging off, as the 32-bit boot protocol requires.
func setEntry(fd int, e boot.Entry) error {
	sregs, err := kvm.GetSregs(uintptr(fd))
	if err != nil {
		return fmt.Errorf("reading the boot CPU's segments: %w", err)
	}
	code := kvm.Segment{Base: 0, Limit: 0xffffffff, Selector: 0x10, Typ: 0xb, Present: 1, S: 1, DB: 1, G: 1}
	data := kvm.Segment{Base: 0, Limit: 0xffffffff, Selector: 0x18, Typ: 0x3, Present: 1, S: 1, DB: 1, G: 1}
	sregs.CS = code
	sregs.DS, sregs.ES, sregs.FS, sregs.GS, sregs.SS = data, data, data, data, data
	sregs.CR0 = 1 | 1<<4 // PE, ET: caches on, paging off
	if err := kvm.SetSregs(uintptr(fd), sregs); err != nil {
		return fmt.Errorf("setting the boot CPU's segments: %w", err)
	}
	regs := &kvm.Regs{RIP: e.RIP, RSI: e.RSI, RFLAGS: 2}
	if err := kvm.SetRegs(uintptr(fd), regs); err != nil {
		return fmt.Errorf("setting the boot CPU's registers: %w", err)
	}
	return nil
}

// loop runs one vCPU on its own OS thread until the VM stops. The thread
// stays locked (and so dies with the goroutine): it belonged to a vCPU.
func (m *machine) loop(v *vcpu) {
	runtime.LockOSThread()
	v.tid.Store(int32(unix.Gettid()))
	for !m.stop.stopped() {
		if v.id == 0 {
			m.entered.Do(func() { m.mark("kvm: first vCPU entry") })
		}
		_, _, errno := unix.Syscall(unix.SYS_IOCTL, uintptr(v.fd), kvm.IIO(kvmRun), 0)
		if errno != 0 {
			if errno == unix.EINTR || errno == unix.EAGAIN {
				v.run[runImmediateExit] = 0
				continue
			}
			m.stop.set(outcome{how: howCrash, err: fmt.Errorf("%w: KVM_RUN on vCPU %d: %w", ErrGuest, v.id, errno)})
			return
		}
		m.exit(v)
	}
}

// kick gets a vCPU out of KVM_RUN: immediate_exit covers a vCPU about to
// enter, the signal one already inside (KVM_RUN returns EINTR; the Go
// runtime treats SIGURG as a preemption request and ignores it).
func (v *vcpu) kick() {
	v.run[runImmediateExit] = 1
	if tid := v.tid.Load(); tid != 0 {
		unix.Tgkill(os.Getpid(), int(tid), unix.SIGURG)
	}
}

func (v *vcpu) close() {
	if v.run != nil {
		unix.Munmap(v.run)
		v.run = nil
	}
	unix.Close(v.fd)
}
