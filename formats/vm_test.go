package formats_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/formats"
)

// The VM tests boot each bootable format as a cloud's VM would: from the
// disk, through the firmware (OVMF and systemd-boot for UEFI, SeaBIOS and
// syslinux for legacy BIOS), under QEMU's software emulation, and wait
// for the hello pod's line and exit status on the serial console.

const (
	ovmfCode = "/usr/share/OVMF/OVMF_CODE.fd"
	ovmfVars = "/usr/share/OVMF/OVMF_VARS.fd"
)

func requireQEMU(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("boots a VM under emulation; skipped with -short")
	}
	need(t, "qemu-system-x86_64")
}

// TestBootBIOS boots raw-bios, qcow2 (which carries both boot paths) and
// gce's disk.raw (grown to a GiB, its backup GPT moved) with QEMU's
// default firmware, SeaBIOS.
func TestBootBIOS(t *testing.T) {
	requireQEMU(t)
	needSyslinux(t)
	for _, f := range []formats.Format{formats.RawBIOS, formats.QCOW2, formats.GCE} {
		t.Run(string(f), func(t *testing.T) {
			switch f {
			case formats.QCOW2:
				need(t, "qemu-img")
			case formats.GCE:
				need(t, "tar")
			}
			img := build(t, f)
			if f == formats.GCE {
				dir := t.TempDir()
				run(t, "tar", "-xSzf", img, "-C", dir)
				img, f = filepath.Join(dir, "disk.raw"), formats.Raw
			}
			bootDisk(t, img, f, nil)
		})
	}
}

// TestBootUEFI boots the formats QEMU reads (and the clouds boot as UEFI
// VMs) through OVMF.
func TestBootUEFI(t *testing.T) {
	requireQEMU(t)
	need(t, "qemu-img")
	for _, p := range []string{ovmfCode, ovmfVars} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s missing (Debian package ovmf)", p)
		}
	}
	for _, f := range []formats.Format{formats.QCOW2, formats.VMDK, formats.VHD} {
		t.Run(string(f), func(t *testing.T) {
			t.Parallel()
			img := build(t, f)
			// OVMF keeps boot entries in its variable store: use a fresh copy.
			vars := filepath.Join(t.TempDir(), "OVMF_VARS.fd")
			copyFile(t, ovmfVars, vars)
			bootDisk(t, img, f, []string{
				"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + ovmfCode,
				"-drive", "if=pflash,format=raw,unit=1,file=" + vars,
			})
		})
	}
}

// TestBootCloudDisks boots the raw artifact through OVMF with its disk on
// the controllers clouds give instead of virtio-blk: NVMe (AWS Nitro, GCE's
// newer machines) and virtio-scsi (GCE). The hyperkernel has their drivers
// built in (kernelcfg's "cloud disks and NICs") and hyperstart finds the pod
// disk by its label, whatever the device is called. Hyper-V's storvsc
// (Azure) has no QEMU device to test it with.
func TestBootCloudDisks(t *testing.T) {
	requireQEMU(t)
	for _, p := range []string{ovmfCode, ovmfVars} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s missing (Debian package ovmf)", p)
		}
	}
	img := build(t, formats.Raw)
	for _, c := range []struct{ name, drive string }{
		{"nvme", "-device nvme,drive=pod,serial=hyper0"},
		{"virtio-scsi", "-device virtio-scsi-pci,id=scsi -device scsi-hd,drive=pod,bus=scsi.0"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			vars := filepath.Join(t.TempDir(), "OVMF_VARS.fd")
			copyFile(t, ovmfVars, vars)
			drive := append([]string{"-drive", "if=none,id=pod,snapshot=on,format=raw,file=" + img}, strings.Fields(c.drive)...)
			bootWith(t, append([]string{
				"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + ovmfCode,
				"-drive", "if=pflash,format=raw,unit=1,file=" + vars,
			}, drive...))
		})
	}
}

func bootDisk(t *testing.T, img string, f formats.Format, firmware []string) {
	t.Helper()
	bootWith(t, append(firmware, "-drive", "file="+img+",if=virtio,readonly=on,format="+f.QEMUFormat()))
}

// bootWith boots QEMU with the firmware and disk arguments given and waits
// for the hello pod's line and exit status on the serial console.
func bootWith(t *testing.T, extra []string) {
	t.Helper()
	args := append([]string{"-accel", "tcg", "-M", "q35", "-m", "512", "-display", "none", "-serial", "stdio",
		"-monitor", "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"}, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	console := out.String()
	t.Logf("reproduce: qemu-system-x86_64 %s\n(%v, %v)", strings.Join(args, " "), time.Since(start).Round(time.Millisecond), err)
	if !strings.Contains(console, "hello | hello from hyper") || !strings.Contains(console, "HYPER-POD-EXIT status=0") {
		if len(console) > 4000 {
			console = "..." + console[len(console)-4000:]
		}
		t.Fatalf("the pod did not run to its end (%v):\n%s", err, console)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	out.Close()
}
