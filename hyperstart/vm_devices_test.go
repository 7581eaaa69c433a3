package hyperstart

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// podDiskDev is the pod disk's major:minor in the guest (virtio-blk's
// dynamic major on the hyperkernel, first disk): the device node an image
// would ship to read the whole pod partition.
const podDiskDev = "254:0"

// TestVMImageDeviceNodesInert boots an image that ships a block device node
// for the pod disk, a /dev/mem-like c 1 1 and a null-like c 1 3, all 0666:
// a non-root container must not be able to open any of them (the root is
// mounted nodev), so it cannot read another container's 0600 file through
// the raw disk, while the /dev hyperstart makes works.
func TestVMImageDeviceNodesInert(t *testing.T) {
	e := requireVM(t)
	secret := shContainer("secret", `echo ready`)
	reader := shContainer("reader", `echo "vda $(cat /sys/class/block/vda/dev)"
for n in disk mem null; do
	if head -c 512 /nodes/$n >/dev/null 2>/tmp/err; then echo "$n: opened"; else echo "$n: $(cat /tmp/err)"; fi
done
grep -q TOPSECRET-7d1e /nodes/disk 2>/dev/null && echo "read the other container's secret"
echo x >/dev/null && [ "$(head -c 8 /dev/zero | wc -c)" = 8 ] && [ "$(head -c 8 /dev/urandom | wc -c)" = 8 ] && echo "dev works"
echo "dev: $(ls /dev | tr '\n' ' ')"
echo "root: $(awk '$2 == "/" {print $4}' /proc/mounts)"
ls -l /bin/su-like | cut -c1-10`)
	reader.Process.User = "app"
	requireMknod(t)
	rootfs := func(t testing.TB, container, root string) {
		switch container {
		case "secret":
			if err := os.WriteFile(filepath.Join(root, "secret.txt"), []byte("TOPSECRET-7d1e\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		case "reader":
			// setuid files stay as the image has them.
			if err := os.WriteFile(filepath.Join(root, "bin/su-like"), []byte("#!/bin/sh\n"), 0o4755); err != nil {
				t.Fatal(err)
			}
			unix.Chmod(filepath.Join(root, "bin/su-like"), 0o4755)
			nodes := []struct {
				name         string
				mode         uint32
				major, minor uint32
			}{{"disk", unix.S_IFBLK, 254, 0}, {"mem", unix.S_IFCHR, 1, 1}, {"null", unix.S_IFCHR, 1, 3}}
			os.MkdirAll(filepath.Join(root, "nodes"), 0o755)
			for _, n := range nodes {
				p := filepath.Join(root, "nodes", n.name)
				if err := unix.Mknod(p, n.mode|0o666, int(unix.Mkdev(n.major, n.minor))); err != nil {
					t.Fatalf("mknod: %v", err)
				}
				os.Chmod(p, 0o666)
			}
		}
	}
	r := e.bootPod(t, busyboxPod("devices", secret, reader), bootOpts{rootfs: rootfs})
	if !r.has("reader | vda " + podDiskDev) {
		t.Fatalf("the pod disk is not %s in the guest: update podDiskDev, or the test proves nothing", podDiskDev)
	}
	for _, n := range []string{"disk", "mem", "null"} {
		line := ""
		for _, l := range r.Lines {
			if strings.HasPrefix(l, "reader | "+n+": ") {
				line = l
			}
		}
		if !strings.Contains(line, "Permission denied") && !strings.Contains(line, "Operation not permitted") {
			t.Errorf("the image's device node %s: %q, want permission denied", n, line)
		}
	}
	if r.has("reader | read the other container's secret") {
		t.Errorf("a non-root container read another container's 0600 file through the image's device node")
	}
	for _, want := range []string{
		"reader | dev works",
		"reader | dev: fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero",
		"reader | -rwsr-xr-x",
	} {
		if !r.has(want) {
			t.Errorf("console lacks %q", want)
		}
	}
	root := ""
	for _, l := range r.Lines {
		if s, ok := strings.CutPrefix(l, "reader | root: "); ok {
			root = s
		}
	}
	opts := "," + root + ","
	if !strings.Contains(opts, ",nodev,") || strings.Contains(opts, ",nosuid,") {
		t.Errorf("container root mounted %q, want nodev and not nosuid", root)
	}
	if r.Status != 0 {
		t.Errorf("pod status %d, want 0", r.Status)
	}
}

// requireMknod skips unless this process can make device nodes (root on
// the host): the pod disk is copied from a host tree by mke2fs -d.
func requireMknod(t *testing.T) {
	t.Helper()
	err := unix.Mknod(filepath.Join(t.TempDir(), "probe"), unix.S_IFCHR|0o600, int(unix.Mkdev(1, 3)))
	if errors.Is(err, unix.EPERM) {
		t.Skipf("an image with device nodes needs root on the host (mknod: %v)", err)
	}
	if err != nil {
		t.Fatalf("mknod: %v", err)
	}
}
