package disk

import (
	"bytes"
	"encoding/binary"
	"os"
	"testing"
)

// TestBIOSBoot: WithBIOSBoot puts the boot code in the MBR (leaving the
// protective partition entry), marks the ESP legacy-BIOS bootable in the
// GPT, adds its files to the ESP with room to spare, runs the installer on
// the written ESP, and records the loader in the manifest. Without it,
// none of that is there.
func TestBIOSBoot(t *testing.T) {
	a, loader := inputs(t)
	mbr := bytes.Repeat([]byte{0xeb}, mbrCodeSize)
	var installedAt int64 = -1
	bios := &BIOSBoot{
		MBR:     mbr,
		Files:   map[string][]byte{"/syslinux.cfg": []byte("DEFAULT hyper\n")},
		Reserve: 256 << 10,
		Name:    "test-loader",
		Install: func(f *os.File, espStart int64) error {
			installedAt = espStart
			_, err := f.WriteAt([]byte("VBR"), espStart+90) // in the boot code area
			return err
		},
	}
	out := buildImage(t, a, loader, WithBIOSBoot(bios))
	plain := buildImage(t, a, loader)
	if installedAt != mib {
		t.Errorf("Install ran at %d, want the ESP's start %d", installedAt, mib)
	}
	b := mustRead(t, out)
	if !bytes.Equal(b[:mbrCodeSize], mbr) || b[450] != 0xee || b[510] != 0x55 || b[511] != 0xaa {
		t.Errorf("MBR: code %x..., type %#x, signature %x", b[:4], b[450], b[510:512])
	}
	if p := mustRead(t, plain); bytes.Equal(p[:4], mbr[:4]) {
		t.Error("an image without WithBIOSBoot has the boot code")
	}
	// GPT entries at LBA 2: the ESP's attributes at bytes 48..56.
	if attrs := binary.LittleEndian.Uint64(b[2*sectorSize+48:]); attrs != legacyBIOSBootable {
		t.Errorf("ESP attributes %#x, want %#x", attrs, legacyBIOSBootable)
	}
	if attrs := binary.LittleEndian.Uint64(mustRead(t, plain)[2*sectorSize+48:]); attrs != 0 {
		t.Errorf("plain ESP attributes %#x, want 0", attrs)
	}
	if string(b[mib+90:mib+93]) != "VBR" {
		t.Error("what Install wrote is gone")
	}
	img, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if got := img.Manifest().Bootloader; got != "systemd-boot+test-loader" {
		t.Errorf("manifest bootloader %q", got)
	}
	cfg, err := img.readESP("/syslinux.cfg")
	if err != nil || string(cfg) != "DEFAULT hyper\n" {
		t.Errorf("/syslinux.cfg: %q, %v", cfg, err)
	}

	bad := *bios
	bad.MBR = make([]byte, mbrCodeSize+1)
	if _, err := WriteImage(t.Context(), t.TempDir()+"/x.img", a, loader, WithBIOSBoot(&bad)); err == nil {
		t.Error("a 441-byte MBR code: no error")
	}
}
