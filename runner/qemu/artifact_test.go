package qemu

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/runner"
)

// podScript finds the pod partition by label on the read-only first disk,
// shows a file from it, and checks that the disk refuses writes.
const podScript = `
dev=$(findfs LABEL=` + contract.PodLabel + ` 2>/dev/null)
if [ -z "$dev" ]; then echo no-pod-disk; pod_exit 97; fi
mkdir /pod && mount -o ro -t ext4 $dev /pod && cat /pod/hello.txt
if dd if=/dev/zero of=/dev/vda bs=512 count=1 conv=fsync 2>/dev/null; then echo disk-writable; else echo disk-read-only; fi
pod_exit 3
`

// TestVMArtifact boots a real artifact (disk.WriteImage, and the --format
// dir output) through runner.Run with this backend.
func TestVMArtifact(t *testing.T) {
	kernel := testKernel(t)
	initrd := initramfs(t, podScript)
	mkfs, err := exec.LookPath("mkfs.ext4")
	if err != nil {
		t.Skipf("needs mkfs.ext4 (e2fsprogs): %v", err)
	}
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	os.MkdirAll(root, 0o755)
	os.WriteFile(filepath.Join(root, "hello.txt"), []byte("hello-from-the-pod-disk\n"), 0o644)
	podfs := filepath.Join(dir, "pod.ext4")
	if out, err := exec.Command(mkfs, "-q", "-F", "-L", contract.PodLabel, "-d", root, podfs, "8M").CombinedOutput(); err != nil {
		t.Fatalf("mkfs.ext4: %v: %s", err, out)
	}
	a := disk.Artifact{Kernel: kernel, Initrd: initrd, PodFS: podfs, Cmdline: "console=ttyS0 quiet panic=-1", Manifest: disk.Manifest{Pod: "t"}}
	img := filepath.Join(dir, "t.img")
	if _, err := disk.WriteImage(context.Background(), img, a); err != nil {
		t.Fatal(err)
	}
	asDir := filepath.Join(dir, "t")
	if err := disk.WriteDir(context.Background(), asDir, a); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{img, asDir} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			var out, trace bytes.Buffer
			// Everything Run creates goes under TMPDIR, which must be empty again.
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			defer func() {
				if left, _ := os.ReadDir(tmp); len(left) > 0 {
					t.Errorf("left behind in TMPDIR: %v", left)
				}
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			got, err := runner.Run(ctx, path, runner.Config{Backend: "qemu", Net: "none", Stdout: &out, Trace: &trace, Verbose: testLog{t}})
			t.Logf("trace:\n%s", trace.String())
			if strings.Contains(out.String(), "no-pod-disk") {
				t.Skipf("the kernel finds no virtio disk: %q", out.String())
			}
			if err != nil || got != 3 {
				t.Fatalf("Run = %d, %v; want 3 (console %q)", got, err, out.String())
			}
			for _, w := range []string{"hello-from-the-pod-disk", "disk-read-only"} {
				if !strings.Contains(out.String(), w) {
					t.Errorf("console lacks %q: %q", w, out.String())
				}
			}
		})
	}
}
