package boot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/hyperbuild/hyper/runner/kvm/guestmem"
)

// Errors for kernels, initrds and command lines this loader cannot boot.
var (
	ErrNotBzImage     = errors.New("not a bzImage")
	ErrOldProtocol    = errors.New("boot protocol too old (need 2.06+)")
	ErrMemory         = errors.New("guest memory too small")
	ErrCmdline        = errors.New("kernel command line too long")
	ErrTooManyCPUs    = errors.New("too many vCPUs")
	ErrMemoryTooBig   = errors.New("guest memory too large")
	ErrTooManyDevices = errors.New("too many devices")
)

// Offsets in the zero page (struct boot_params) and its setup header.
const (
	bpACPIRSDP     = 0x070
	bpE820Entries  = 0x1e8
	bpSetupSects   = 0x1f1
	bpVidMode      = 0x1fa
	bpBootFlag     = 0x1fe
	bpJump         = 0x200
	bpHeader       = 0x202
	bpVersion      = 0x206
	bpTypeOfLoader = 0x210
	bpLoadFlags    = 0x211
	bpRamdiskImage = 0x218
	bpRamdiskSize  = 0x21c
	bpHeapEndPtr   = 0x224
	bpCmdLinePtr   = 0x228
	bpInitrdMax    = 0x22c
	bpCmdlineSize  = 0x238
	bpPrefAddress  = 0x258
	bpInitSize     = 0x260
	bpE820Table    = 0x2d0
	e820Max        = 128

	hdrMagic       = 0x53726448 // "HdrS"
	loadedHigh     = 0x01
	canUseHeap     = 0x80
	loaderUndef    = 0xff
	defaultInitMax = 0x37ffffff
)

// Image is what the loader needs from the kernel, initrd and command line.
type Image struct {
	Kernel     io.ReaderAt
	KernelSize int64
	Initrd     io.ReaderAt // nil for none
	InitrdSize int64
	Cmdline    string
	CPUs       int
	// Devices are the virtio-mmio windows, described to the guest in the
	// DSDT.
	Devices []MMIODevice
	// HighMemory is RAM above the 32-bit hole, at guestmem.HighBase, for
	// guests larger than MaxMemory; Load only lists it in the e820 map.
	HighMemory uint64
}

// Entry is where vCPU 0 starts: 32-bit protected mode with flat segments,
// paging off, RSI pointing at the zero page (boot protocol §"32-bit boot").
type Entry struct {
	RIP uint64
	RSI uint64
}

// Load writes the kernel, initrd, command line, zero page and ACPI
// tables into mem, guest RAM from address 0 up to the 32-bit hole (all of
// it, or MaxMemory bytes when img.HighMemory follows at 4 GiB).
func Load(mem []byte, img Image) (Entry, error) {
	if len(mem) < MinMemory {
		return Entry{}, fmt.Errorf("%w: %d MiB, need %d MiB", ErrMemory, len(mem)>>20, MinMemory>>20)
	}
	if len(mem) > MaxMemory {
		return Entry{}, fmt.Errorf("%w: %d MiB, at most %d MiB", ErrMemoryTooBig, len(mem)>>20, MaxMemory>>20)
	}
	if img.CPUs < 1 || img.CPUs > MaxCPUs {
		return Entry{}, fmt.Errorf("%w: %d (1 to %d)", ErrTooManyCPUs, img.CPUs, MaxCPUs)
	}
	zp := mem[ZeroPage : ZeroPage+pageSize]
	clear(zp)
	h, err := readSetupHeader(img.Kernel, zp)
	if err != nil {
		return Entry{}, err
	}
	kernEnd, err := loadKernel(mem, img, h)
	if err != nil {
		return Entry{}, err
	}
	if err := loadCmdline(mem, zp, img.Cmdline, h); err != nil {
		return Entry{}, err
	}
	if err := loadInitrd(mem, zp, img, h, kernEnd); err != nil {
		return Entry{}, err
	}
	rsdp, err := writeACPI(mem[ACPIStart:ACPIEnd], ACPIStart, img.CPUs, img.Devices)
	if err != nil {
		return Entry{}, err
	}
	binary.LittleEndian.PutUint64(zp[bpACPIRSDP:], rsdp)
	writeE820(zp, uint64(len(mem)), img.HighMemory)
	zp[bpTypeOfLoader] = loaderUndef
	zp[bpLoadFlags] |= canUseHeap
	binary.LittleEndian.PutUint16(zp[bpVidMode:], 0xffff) // "normal"
	binary.LittleEndian.PutUint16(zp[bpHeapEndPtr:], 0xfe00)
	return Entry{RIP: KernelAddr, RSI: ZeroPage}, nil
}

// setupHeader is what the loader reads back from the kernel's header.
type setupHeader struct {
	setupSects uint64
	version    uint16
	initrdMax  uint64
	cmdlineMax uint64
	prefAddr   uint64
	initSize   uint64
}

// readSetupHeader copies the kernel's setup header into the zero page
// (as the protocol asks) and checks it.
func readSetupHeader(kernel io.ReaderAt, zp []byte) (setupHeader, error) {
	var first [0x400]byte
	if _, err := kernel.ReadAt(first[:], 0); err != nil {
		return setupHeader{}, fmt.Errorf("%w: reading the header: %w", ErrNotBzImage, err)
	}
	if binary.LittleEndian.Uint16(first[bpBootFlag:]) != 0xaa55 || binary.LittleEndian.Uint32(first[bpHeader:]) != hdrMagic {
		return setupHeader{}, fmt.Errorf("%w: no boot signature", ErrNotBzImage)
	}
	h := setupHeader{version: binary.LittleEndian.Uint16(first[bpVersion:])}
	if h.version < 0x0206 {
		return h, fmt.Errorf("%w: version %d.%02d", ErrOldProtocol, h.version>>8, h.version&0xff)
	}
	if first[bpLoadFlags]&loadedHigh == 0 {
		return h, fmt.Errorf("%w: a zImage, not loaded high", ErrNotBzImage)
	}
	end := min(bpJump+2+int(first[bpJump+1]), len(first))
	copy(zp[setupHdrStart:end], first[setupHdrStart:end])
	h.setupSects = uint64(first[bpSetupSects])
	if h.setupSects == 0 {
		h.setupSects = 4
	}
	h.initrdMax = uint64(binary.LittleEndian.Uint32(first[bpInitrdMax:]))
	if h.initrdMax == 0 {
		h.initrdMax = defaultInitMax
	}
	h.cmdlineMax = uint64(binary.LittleEndian.Uint32(first[bpCmdlineSize:]))
	if h.version >= 0x020a {
		h.prefAddr = binary.LittleEndian.Uint64(first[bpPrefAddress:])
		h.initSize = uint64(binary.LittleEndian.Uint32(first[bpInitSize:]))
	}
	return h, nil
}

// loadKernel copies the protected-mode kernel to KernelAddr and returns
// the lowest address an initrd may use without being overwritten while
// the kernel decompresses.
func loadKernel(mem []byte, img Image, h setupHeader) (uint64, error) {
	off := int64((h.setupSects + 1) * 512)
	n := img.KernelSize - off
	if n <= 0 {
		return 0, fmt.Errorf("%w: %d bytes, shorter than its setup code", ErrNotBzImage, img.KernelSize)
	}
	if uint64(n) > uint64(len(mem))-KernelAddr {
		return 0, fmt.Errorf("%w: kernel is %d bytes", ErrMemory, n)
	}
	if _, err := img.Kernel.ReadAt(mem[KernelAddr:KernelAddr+uint64(n)], off); err != nil && !errors.Is(err, io.EOF) {
		return 0, fmt.Errorf("reading the kernel: %w", err)
	}
	end := KernelAddr + uint64(n)
	if h.prefAddr > 0 && h.prefAddr < uint64(len(mem)) {
		end = max(end, h.prefAddr+h.initSize)
	}
	return max(end, KernelAddr+h.initSize), nil
}

func loadCmdline(mem, zp []byte, cmdline string, h setupHeader) error {
	limit := uint64(CmdlineMax - 1)
	if h.cmdlineMax > 0 {
		limit = min(limit, h.cmdlineMax)
	}
	if uint64(len(cmdline)) > limit {
		return fmt.Errorf("%w: %d bytes, the kernel takes %d", ErrCmdline, len(cmdline), limit)
	}
	dst := mem[CmdlineAddr : CmdlineAddr+CmdlineMax]
	clear(dst)
	copy(dst, cmdline)
	binary.LittleEndian.PutUint32(zp[bpCmdLinePtr:], CmdlineAddr)
	return nil
}

// loadInitrd puts the initrd as high as the kernel allows, page-aligned.
func loadInitrd(mem, zp []byte, img Image, h setupHeader, low uint64) error {
	if img.Initrd == nil || img.InitrdSize == 0 {
		return nil
	}
	size := uint64(img.InitrdSize)
	top := min(uint64(len(mem)), h.initrdMax+1)
	if size > top || (top-size)&^(pageSize-1) < low {
		return fmt.Errorf("%w: no room for a %d-byte initrd above the kernel (ends at %#x) and below %#x",
			ErrMemory, size, low, top)
	}
	addr := (top - size) &^ (pageSize - 1)
	if _, err := img.Initrd.ReadAt(mem[addr:addr+size], 0); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("reading the initrd: %w", err)
	}
	binary.LittleEndian.PutUint32(zp[bpRamdiskImage:], uint32(addr))
	binary.LittleEndian.PutUint32(zp[bpRamdiskSize:], uint32(size))
	return nil
}

func writeE820(zp []byte, memSize, high uint64) {
	type entry struct {
		addr, size uint64
		typ        uint32
	}
	entries := []entry{
		{0, EBDAStart, e820RAM},
		{EBDAStart, 0xa_0000 - EBDAStart, e820Reserved},
		{ACPIStart, ACPIEnd - ACPIStart, e820Reserved},
		{KernelAddr, memSize - KernelAddr, e820RAM},
	}
	if high > 0 {
		entries = append(entries, entry{guestmem.HighBase, high, e820RAM})
	}
	for i, e := range entries {
		b := zp[bpE820Table+20*i:]
		binary.LittleEndian.PutUint64(b[0:], e.addr)
		binary.LittleEndian.PutUint64(b[8:], e.size)
		binary.LittleEndian.PutUint32(b[16:], e.typ)
	}
	zp[bpE820Entries] = uint8(len(entries))
}
