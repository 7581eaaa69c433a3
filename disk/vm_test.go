package disk

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/initrd"
)

// The VM tests boot an artifact under QEMU with software emulation, by
// direct kernel boot (what hyperboot does) and through OVMF + systemd-boot
// (what a UEFI machine does). The initramfs's /init is a busybox script
// that mounts the partition labelled hyper-pod read-only and prints the
// marker and its /proc/mounts line. The pod filesystem comes from
// disk/ext4, so the guest kernel also vouches for that writer.
//
// Kernel: $HYPER_TEST_KERNEL (e.g. the hyperkernel's bzImage), else
// Debian's cloud kernel from /boot, whose virtio drivers are modules that
// the script loads from the initramfs.

const vmMarker = "HYPER-VM-TEST-MOUNTED"

const vmInit = `#!/bin/busybox sh
B=/bin/busybox
$B mkdir -p /proc /sys /dev /mnt
$B mount -t proc proc /proc
$B mount -t sysfs sys /sys
$B mount -t devtmpfs dev /dev
for m in /lib/modules/*.ko; do [ -e "$m" ] && $B insmod "$m"; done
i=0
while ! dev=$($B findfs LABEL=` + contract.PodLabel + ` 2>/dev/null); do
	i=$((i+1)); [ $i -gt 100 ] && break; $B sleep 0.1
done
if $B mount -t ext4 -o ro "$dev" /mnt; then
	echo "` + vmMarker + ` $dev $($B cat /mnt/` + "containers/nginx/rootfs/etc/hostname" + `)"
	$B grep " /mnt " /proc/mounts
else
	echo "HYPER-VM-TEST-FAILED no partition labelled ` + contract.PodLabel + ` ($dev)"; $B cat /proc/partitions
fi
if [ -e /dev/port ]; then printf '\001' | $B dd of=/dev/port bs=1 seek=244 2>/dev/null; fi
$B poweroff -f
`

type vmKernel struct {
	path    string
	modules []string // .ko files to load, in order
}

func findKernel(t *testing.T) vmKernel {
	t.Helper()
	if p := os.Getenv("HYPER_TEST_KERNEL"); p != "" {
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("HYPER_TEST_KERNEL: %v", err)
		}
		return vmKernel{path: p}
	}
	ks, _ := filepath.Glob("/boot/vmlinuz-*")
	for _, k := range ks {
		ver := strings.TrimPrefix(filepath.Base(k), "vmlinuz-")
		dir := filepath.Join("/lib/modules", ver, "kernel/drivers")
		var mods []string
		for _, m := range []string{"virtio/virtio_ring.ko", "virtio/virtio.ko", "virtio/virtio_pci_legacy_dev.ko",
			"virtio/virtio_pci_modern_dev.ko", "virtio/virtio_pci.ko", "block/virtio_blk.ko"} {
			if _, err := os.Stat(filepath.Join(dir, m)); err == nil {
				mods = append(mods, filepath.Join(dir, m))
			}
		}
		if len(mods) == 6 {
			return vmKernel{path: k, modules: mods}
		}
	}
	t.Skip("no kernel: set HYPER_TEST_KERNEL to a bzImage, or install linux-image-cloud-amd64")
	return vmKernel{}
}

// vmArtifact builds an artifact whose initramfs runs vmInit.
func vmArtifact(t *testing.T, k vmKernel, c initrd.Compression) string {
	t.Helper()
	need(t, "qemu-system-x86_64", "mke2fs")
	if _, err := os.Stat("/bin/busybox"); err != nil {
		t.Skip("no /bin/busybox (Debian package busybox-static)")
	}
	if testing.Short() {
		t.Skip("boots a VM under emulation; skipped with -short")
	}
	a, _ := inputs(t)
	a.PodFS, a.PodFSSize = ext4PodFS(t) // the pod filesystem as the builder makes it
	d := t.TempDir()
	a.Kernel = k.path
	a.Initrd = filepath.Join(d, "initrd.img")
	a.Cmdline = "console=ttyS0 panic=-1 quiet"
	extra := []initrd.Entry{{Name: "bin/busybox", Mode: 0o755, Source: "/bin/busybox"}}
	for i, m := range k.modules {
		extra = append(extra, initrd.Entry{Name: fmt.Sprintf("lib/modules/%d-%s", i, filepath.Base(m)), Mode: 0o644, Source: m})
	}
	script := writeFile(t, filepath.Join(d, "init"), []byte(vmInit))
	f, err := os.Create(a.Initrd)
	if err != nil {
		t.Fatal(err)
	}
	if err := initrd.Write(f, script, nil, initrd.WithEntries(extra...), initrd.WithCompression(c)); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out := filepath.Join(d, "vm.img")
	warnings, err := WriteImage(context.Background(), out, a)
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range warnings {
		t.Log("warning:", w)
	}
	return out
}

func bootQEMU(t *testing.T, args []string) string {
	t.Helper()
	args = append([]string{"-accel", "tcg", "-m", "512", "-display", "none", "-serial", "stdio",
		"-monitor", "none", "-no-reboot", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"}, args...)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, "qemu-system-x86_64", args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	t.Logf("qemu-system-x86_64 %s\n(%v, %v)", strings.Join(args, " "), time.Since(start).Round(time.Millisecond), err)
	code := cmd.ProcessState.ExitCode()
	if ctx.Err() != nil || (code != 0 && code != 3) {
		t.Fatalf("qemu: %v (exit %d)\n%s", err, code, tail(out.String()))
	}
	return out.String()
}

var roMount = regexp.MustCompile(`(?m)^/dev/vda2 /mnt ext4 ro[,\s].*$`)

func checkMounted(t *testing.T, console string) {
	t.Helper()
	if !strings.Contains(console, vmMarker+" /dev/vda2 web") {
		t.Fatalf("no %q line for /dev/vda2 in the console:\n%s", vmMarker, tail(console))
	}
	if !roMount.MatchString(console) {
		t.Fatalf("no read-only /proc/mounts line for /mnt in the console:\n%s", tail(console))
	}
	t.Log(roMount.FindString(console))
}

func tail(s string) string {
	if len(s) > 4000 {
		s = "..." + s[len(s)-4000:]
	}
	return s
}

// TestVMDirectKernelBoot boots with -kernel/-initrd from Open's output, as
// hyperboot does, once per initramfs compression the hyperkernel unpacks.
func TestVMDirectKernelBoot(t *testing.T) {
	k := findKernel(t)
	for _, c := range []initrd.Compression{initrd.Gzip, initrd.Zstd} {
		t.Run(c.String(), func(t *testing.T) {
			out := vmArtifact(t, k, c)
			img, err := Open(out)
			if err != nil {
				t.Fatal(err)
			}
			defer img.Close()
			kernel, initramfs, err := img.BootFiles(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			path, _, _ := img.PodFS()
			console := bootQEMU(t, []string{"-M", "q35", "-kernel", kernel, "-initrd", initramfs, "-append", img.Cmdline(),
				"-drive", "file=" + path + ",if=virtio,format=raw,readonly=on"})
			checkMounted(t, console)
		})
	}
}

func TestVMUEFIBoot(t *testing.T) {
	k := findKernel(t)
	const code, vars = "/usr/share/OVMF/OVMF_CODE.fd", "/usr/share/OVMF/OVMF_VARS.fd"
	for _, p := range []string{code, vars, DefaultBootloader} {
		if _, err := os.Stat(p); err != nil {
			t.Skipf("%s missing (Debian packages ovmf, systemd-boot-efi)", p)
		}
	}
	out := vmArtifact(t, k, initrd.Gzip)
	// OVMF keeps boot entries in its variable store: use a fresh copy.
	varsCopy := filepath.Join(t.TempDir(), "OVMF_VARS.fd")
	src, err := os.Open(vars)
	if err != nil {
		t.Fatal(err)
	}
	dst, _ := os.Create(varsCopy)
	io.Copy(dst, src)
	src.Close()
	dst.Close()
	console := bootQEMU(t, []string{"-M", "q35",
		"-drive", "if=pflash,format=raw,unit=0,readonly=on,file=" + code,
		"-drive", "if=pflash,format=raw,unit=1,file=" + varsCopy,
		"-drive", "file=" + out + ",if=virtio,format=raw,readonly=on"})
	checkMounted(t, console)
}
