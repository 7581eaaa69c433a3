package boot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBzImage is a header that passes the checks, one setup sector, and
// a recognisable payload.
func fakeBzImage(version uint16, payload []byte) []byte {
	k := make([]byte, 1024)
	k[bpSetupSects] = 1
	binary.LittleEndian.PutUint16(k[bpBootFlag:], 0xaa55)
	k[bpJump+1] = 0x66 // header ends at 0x268
	binary.LittleEndian.PutUint32(k[bpHeader:], hdrMagic)
	binary.LittleEndian.PutUint16(k[bpVersion:], version)
	k[bpLoadFlags] = loadedHigh
	binary.LittleEndian.PutUint32(k[bpInitrdMax:], 0x7fffffff)
	binary.LittleEndian.PutUint32(k[bpCmdlineSize:], 2047)
	binary.LittleEndian.PutUint64(k[bpPrefAddress:], 0x100_0000)
	binary.LittleEndian.PutUint32(k[bpInitSize:], 0x80_0000)
	return append(k, payload...)
}

func image(kernel, initrd []byte, cmdline string, cpus int) Image {
	img := Image{Kernel: bytes.NewReader(kernel), KernelSize: int64(len(kernel)), Cmdline: cmdline, CPUs: cpus}
	if initrd != nil {
		img.Initrd, img.InitrdSize = bytes.NewReader(initrd), int64(len(initrd))
	}
	return img
}

func TestLoad(t *testing.T) {
	mem := make([]byte, 64<<20)
	payload := bytes.Repeat([]byte("KERNEL"), 1000)
	initrd := bytes.Repeat([]byte("INITRD"), 5000)
	entry, err := Load(mem, image(fakeBzImage(0x020f, payload), initrd, "console=ttyS0 quiet", 2))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := entry, (Entry{RIP: KernelAddr, RSI: ZeroPage}); got != want {
		t.Errorf("entry = %+v, want %+v", got, want)
	}
	if !bytes.Equal(mem[KernelAddr:KernelAddr+len(payload)], payload) {
		t.Errorf("kernel payload not at %#x", KernelAddr)
	}
	zp := mem[ZeroPage:]
	u32 := func(off int) uint32 { return binary.LittleEndian.Uint32(zp[off:]) }
	rd, rdSize := u32(bpRamdiskImage), u32(bpRamdiskSize)
	if rdSize != uint32(len(initrd)) || rd%pageSize != 0 || int(rd)+len(initrd) > len(mem) || len(mem)-int(rd)-len(initrd) >= pageSize {
		t.Errorf("initrd at %#x+%#x: want page-aligned at the top of %#x", rd, rdSize, len(mem))
	}
	if !bytes.Equal(mem[rd:int(rd)+len(initrd)], initrd) {
		t.Errorf("initrd contents differ")
	}
	if got, want := u32(bpCmdLinePtr), uint32(CmdlineAddr); got != want {
		t.Errorf("cmd_line_ptr = %#x", got)
	}
	if got := string(mem[CmdlineAddr : CmdlineAddr+20]); got != "console=ttyS0 quiet\x00" {
		t.Errorf("cmdline = %q", got)
	}
	if zp[bpTypeOfLoader] != loaderUndef || zp[bpLoadFlags]&(loadedHigh|canUseHeap) != loadedHigh|canUseHeap {
		t.Errorf("type_of_loader %#x loadflags %#x", zp[bpTypeOfLoader], zp[bpLoadFlags])
	}
	if got := binary.LittleEndian.Uint32(zp[bpHeader:]); got != hdrMagic {
		t.Errorf("setup header not copied into the zero page")
	}
	if got := zp[bpE820Entries]; got != 4 {
		t.Errorf("e820 entries = %d", got)
	}
	last := zp[bpE820Table+20*3:]
	if a, s := binary.LittleEndian.Uint64(last), binary.LittleEndian.Uint64(last[8:]); a != KernelAddr || a+s != uint64(len(mem)) {
		t.Errorf("last e820 entry %#x+%#x does not end at the top of memory", a, s)
	}
	if got := binary.LittleEndian.Uint64(zp[bpACPIRSDP:]); got != ACPIStart {
		t.Errorf("acpi_rsdp_addr = %#x", got)
	}
}

func TestHighMemoryInE820(t *testing.T) {
	mem := make([]byte, 64<<20)
	img := image(fakeBzImage(0x020f, make([]byte, 4096)), nil, "", 1)
	img.HighMemory = 1 << 30
	if _, err := Load(mem, img); err != nil {
		t.Fatal(err)
	}
	zp := mem[ZeroPage:]
	if got := zp[bpE820Entries]; got != 5 {
		t.Fatalf("e820 entries = %d, want 5", got)
	}
	e := zp[bpE820Table+20*4:]
	if a, s := binary.LittleEndian.Uint64(e), binary.LittleEndian.Uint64(e[8:]); a != 1<<32 || s != 1<<30 {
		t.Errorf("high RAM entry %#x+%#x, want 4 GiB+1 GiB", a, s)
	}
}

func TestLoadErrors(t *testing.T) {
	good := fakeBzImage(0x020f, make([]byte, 4096))
	bad := append([]byte(nil), good...)
	bad[bpHeader] = 'X'
	zimage := append([]byte(nil), good...)
	zimage[bpLoadFlags] = 0
	tests := []struct {
		name string
		mem  int
		img  Image
		want error
	}{
		{"not a kernel", 64 << 20, image(bytes.Repeat([]byte{0x90}, 4096), nil, "", 1), ErrNotBzImage},
		{"no magic", 64 << 20, image(bad, nil, "", 1), ErrNotBzImage},
		{"short file", 64 << 20, image(good[:100], nil, "", 1), ErrNotBzImage},
		{"zImage", 64 << 20, image(zimage, nil, "", 1), ErrNotBzImage},
		{"old protocol", 64 << 20, image(fakeBzImage(0x0204, nil), nil, "", 1), ErrOldProtocol},
		{"cmdline too long", 64 << 20, image(good, nil, strings.Repeat("x", 2048), 1), ErrCmdline},
		{"initrd does not fit", 64 << 20, image(good, make([]byte, 60<<20), "", 1), ErrMemory},
		{"memory too small", 16 << 20, image(good, nil, "", 1), ErrMemory},
		{"no CPUs", 64 << 20, image(good, nil, "", 0), ErrTooManyCPUs},
		{"too many CPUs", 64 << 20, image(good, nil, "", 256), ErrTooManyCPUs},
		{"too many devices", 64 << 20, func() Image {
			img := image(good, nil, "", 1)
			img.Devices = make([]MMIODevice, 5000)
			return img
		}(), ErrTooManyDevices},
	}
	for _, tt := range tests {
		_, err := Load(make([]byte, tt.mem), tt.img)
		if !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestACPI(t *testing.T) {
	for _, cpus := range []int{1, 4, 255} {
		area := make([]byte, ACPIEnd-ACPIStart)
		rsdp, err := writeACPI(area, ACPIStart, cpus, []MMIODevice{{Base: MMIOBase, Size: 0x1000, IRQ: 5}})
		if err != nil {
			t.Fatal(err)
		}
		at := func(addr uint64) []byte { return area[addr-ACPIStart:] }
		r := at(rsdp)
		if string(r[:8]) != "RSD PTR " || sum(r[:20]) != 0 || sum(r[:36]) != 0 {
			t.Fatalf("RSDP signature or checksums wrong")
		}
		tables := map[string][]byte{}
		xsdt := table(t, at(binary.LittleEndian.Uint64(r[24:])))
		for p := xsdt[hdrLen:]; len(p) >= 8; p = p[8:] {
			tb := table(t, at(binary.LittleEndian.Uint64(p)))
			tables[string(tb[:4])] = tb
		}
		fadt, madt := tables["FACP"], tables["APIC"]
		if fadt == nil || madt == nil {
			t.Fatalf("XSDT lists %d tables, want FACP and APIC", len(tables))
		}
		if got := binary.LittleEndian.Uint32(fadt[64:]); got != PM1ControlPort {
			t.Errorf("PM1a_CNT_BLK = %#x", got)
		}
		dsdt := table(t, at(binary.LittleEndian.Uint64(fadt[140:])))
		if !bytes.Contains(dsdt, []byte("_S5_")) || !bytes.Contains(dsdt, []byte("LNRO0005")) {
			t.Errorf("DSDT lacks _S5 or the virtio-mmio device")
		}
		if got := binary.LittleEndian.Uint64(fadt[116+4:]); got != ResetPort || fadt[128] != resetValue {
			t.Errorf("reset register %#x value %#x", got, fadt[128])
		}
		var lapics, ioapics int
		for e := madt[hdrLen+8:]; len(e) >= 2; e = e[e[1]:] {
			switch e[0] {
			case madtLAPIC:
				lapics++
			case madtIOAPIC:
				ioapics++
			}
		}
		if lapics != cpus || ioapics != 1 {
			t.Errorf("MADT: %d local APICs, %d IOAPICs; want %d, 1", lapics, ioapics, cpus)
		}
	}
}

func sum(b []byte) (s uint8) {
	for _, c := range b {
		s += c
	}
	return s
}

func table(t *testing.T, b []byte) []byte {
	t.Helper()
	n := binary.LittleEndian.Uint32(b[4:])
	if n < hdrLen || int(n) > len(b) {
		t.Fatalf("table %q length %d", b[:4], n)
	}
	if sum(b[:n]) != 0 {
		t.Errorf("table %q checksum is wrong", b[:4])
	}
	return b[:n]
}

// TestRealKernel loads the host's kernel if there is one.
func TestRealKernel(t *testing.T) {
	paths, _ := filepath.Glob("/boot/vmlinuz-*")
	if len(paths) == 0 {
		t.Skip("no /boot/vmlinuz-* on this machine")
	}
	f, err := os.Open(paths[0])
	if err != nil {
		t.Skipf("cannot read %s: %v", paths[0], err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	mem := make([]byte, 256<<20)
	if _, err := Load(mem, Image{Kernel: f, KernelSize: fi.Size(), Cmdline: "console=ttyS0", CPUs: 2}); err != nil {
		t.Errorf("loading %s: %v", paths[0], err)
	}
}
