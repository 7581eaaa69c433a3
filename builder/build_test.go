package builder

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/kernelcfg"
	"github.com/hyperbuild/hyper/spec"
)

// testKernel is a real bzImage: the hyperkernel when built, else Debian's
// cloud kernel. The builder only copies it, so either will do here.
func testKernel(t *testing.T) string {
	t.Helper()
	if k, err := kernelcfg.Cached(); err == nil {
		return k.Path
	}
	m, _ := filepath.Glob("/boot/vmlinuz-*")
	if len(m) == 0 {
		t.Skip("no kernel: neither the hyperkernel (make kernel) nor one in /boot")
	}
	return m[0]
}

// busyboxLayout writes busybox as an OCI layout and returns its oci: ref.
func busyboxLayout(t *testing.T) string {
	t.Helper()
	ref, err := testimage.BusyboxLayout(filepath.Join(t.TempDir(), "busybox-oci"), "1.36")
	if err != nil {
		t.Skipf("busybox image: %v", err)
	}
	return ref
}

func fakeHyperstart(t *testing.T) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "hyperstart")
	if err := os.WriteFile(p, []byte("\x7fELF not really"), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func loadExample(t *testing.T, name, image string) (*contract.Pod, string) {
	t.Helper()
	return loadPod(t, filepath.Join("..", "examples", name), image)
}

// loadPod loads a pod file with var.image set; it returns the pod and the
// directory its relative paths are read from.
func loadPod(t *testing.T, path, image string) (*contract.Pod, string) {
	t.Helper()
	pod, diags := spec.NewLoader(spec.WithVars(map[string]string{"image": image})).Load(path)
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	abs, _ := filepath.Abs(path)
	return pod, filepath.Dir(abs)
}

func buildOpts(t *testing.T) []Option {
	return []Option{
		WithKernel(testKernel(t)),
		WithHyperstart(fakeHyperstart(t)),
		WithCacheDir(t.TempDir()),
		WithEpoch(time.Unix(1700000000, 0)),
	}
}

func TestBuildWeb(t *testing.T) {
	image := busyboxLayout(t)
	pod, dir := loadExample(t, "web.hcl", image)
	out := filepath.Join(t.TempDir(), "web.img")
	res, err := Build(context.Background(), pod, dir, out, buildOpts(t)...)
	if err != nil {
		t.Fatal(err)
	}
	img, err := disk.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	m := img.Manifest()
	if m.Pod != "web" || len(m.Containers) != 2 || !m.Built.Equal(time.Unix(1700000000, 0)) {
		t.Errorf("manifest = %+v", m)
	}
	for _, c := range m.Containers {
		if !strings.HasPrefix(c.Digest, "sha256:") || len(c.Args) == 0 {
			t.Errorf("container %s: digest %q args %q", c.Name, c.Digest, c.Args)
		}
	}
	if got := res.Pod.Containers[0].Process; got == nil || got.Workdir != "/" || got.StopSignal != "SIGTERM" {
		t.Errorf("server process = %+v", got)
	}
	if !strings.HasPrefix(img.Cmdline(), BaseCmdline) {
		t.Errorf("cmdline %q does not start with %q", img.Cmdline(), BaseCmdline)
	}

	// The pod partition holds each container's root, the spec's file
	// merged in; e2fsck finds it clean.
	path, off, size := img.PodFS()
	fs := extract(t, path, off, size)
	if _, err := exec.LookPath("debugfs"); err != nil {
		t.Skip("e2fsprogs not installed: debugfs")
	}
	if out, err := exec.Command("e2fsck", "-fn", fs).CombinedOutput(); err != nil {
		t.Errorf("e2fsck: %v\n%s", err, out)
	}
	got, err := exec.Command("debugfs", "-R", "cat /containers/server/rootfs/www/index.html", fs).Output()
	if err != nil || string(got) != "hello from the hyper web pod\n" {
		t.Errorf("index.html = %q, %v", got, err)
	}
	// busybox's applets are hard links to it, as in the image.
	st, err := exec.Command("debugfs", "-R", "stat /containers/sidecar/rootfs/bin/busybox", fs).Output()
	if err != nil || !strings.Contains(string(st), "Type: regular") || strings.Contains(string(st), "Links: 1 ") {
		t.Errorf("sidecar busybox: %q, %v", st, err)
	}
}

func extract(t *testing.T, path string, off, size int64) string {
	t.Helper()
	src, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst := filepath.Join(t.TempDir(), "pod.ext4")
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, io.NewSectionReader(src, off, size)); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestReproducible builds examples/web.hcl twice, in different working
// directories and at different times, with the same SOURCE_DATE_EPOCH.
func TestReproducible(t *testing.T) {
	image := busyboxLayout(t)
	opts := buildOpts(t)
	var sums []string
	for i := 0; i < 2; i++ {
		pod, dir := loadExample(t, "web.hcl", image)
		out := filepath.Join(t.TempDir(), "web.img")
		if _, err := Build(context.Background(), pod, dir, out, opts...); err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sha256File(t, out))
		time.Sleep(1100 * time.Millisecond)
	}
	if sums[0] != sums[1] {
		t.Errorf("two builds differ: %s != %s", sums[0], sums[1])
	}
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// A failed or cancelled build leaves nothing at -o nor beside it.
func TestFailureLeavesNothing(t *testing.T) {
	image := busyboxLayout(t)
	tests := []struct {
		name  string
		image string
		ctx   func() context.Context
	}{
		{"missing image", "oci:" + filepath.Join(t.TempDir(), "nope") + ":1", context.Background},
		{"cancelled", image, func() context.Context {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pod, dir := loadExample(t, "hello.hcl", tt.image)
			outDir := t.TempDir()
			out := filepath.Join(outDir, "hello.img")
			if _, err := Build(tt.ctx(), pod, dir, out, buildOpts(t)...); err == nil {
				t.Fatal("Build succeeded")
			}
			ents, _ := os.ReadDir(outDir)
			for _, e := range ents {
				t.Errorf("left behind: %s", e.Name())
			}
		})
	}
}

// Containers of one image without files of their own share one root on
// the pod partition; a container with files keeps its own.
func TestSharedRoot(t *testing.T) {
	pod, dir := loadPod(t, filepath.Join("..", "testdata", "pods", "shared-root.hcl"), busyboxLayout(t))
	out := filepath.Join(t.TempDir(), "shared.img")
	if _, err := Build(context.Background(), pod, dir, out, buildOpts(t)...); err != nil {
		t.Fatal(err)
	}
	img, err := disk.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	podfs, off, size := img.PodFS()
	fs := extract(t, podfs, off, size)
	if _, err := exec.LookPath("debugfs"); err != nil {
		t.Skip("e2fsprogs not installed: debugfs")
	}
	if out, err := exec.Command("e2fsck", "-fn", fs).CombinedOutput(); err != nil {
		t.Errorf("e2fsck: %v\n%s", err, out)
	}
	// debugfs says "File not found" on its error output, with status 0.
	stat := func(p string) string {
		out, err := exec.Command("debugfs", "-R", "stat "+p, fs).CombinedOutput()
		if err != nil {
			t.Fatalf("debugfs stat %s: %v", p, err)
		}
		return string(out)
	}
	if st := stat("/containers/a/rootfs"); !strings.Contains(st, "Type: directory") {
		t.Errorf("a's root is not a directory:\n%s", st)
	}
	if st := stat("/containers/b/rootfs"); !strings.Contains(st, "Type: symlink") || !strings.Contains(st, `"../a/rootfs"`) {
		t.Errorf("b's root is not a symlink to ../a/rootfs:\n%s", st)
	}
	if st := stat("/containers/c/rootfs"); !strings.Contains(st, "Type: directory") {
		t.Errorf("c, which has a file, does not have a root of its own:\n%s", st)
	}
	if st := stat("/containers/c/rootfs/from-c"); !strings.Contains(st, "Type: regular") {
		t.Errorf("c's file is missing:\n%s", st)
	}
	if st := stat("/containers/a/rootfs/from-c"); !strings.Contains(st, "File not found") {
		t.Errorf("c's file is in the shared root:\n%s", st)
	}
}
