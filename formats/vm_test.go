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

func bootDisk(t *testing.T, img string, f formats.Format, firmware []string) {
	t.Helper()
	args := append([]string{"-accel", "tcg", "-M", "q35", "-m", "512", "-display", "none", "-serial", "stdio",
		"-monitor", "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"}, firmware...)
	args = append(args, "-drive", "file="+img+",if=virtio,readonly=on,format="+f.QEMUFormat())
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
