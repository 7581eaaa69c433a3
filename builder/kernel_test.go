package builder

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/artifact"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/kernelcfg"
)

// TestNoKernelNoCompile: with no kernel given and none in the cache, the
// build says how to get one instead of compiling one, and writes nothing.
func TestNoKernelNoCompile(t *testing.T) {
	image := busyboxLayout(t)
	pod, dir := loadExample(t, "hello.hcl", image)
	cache := t.TempDir()
	outDir := t.TempDir()
	_, err := Build(context.Background(), pod, dir, filepath.Join(outDir, "hello.img"),
		WithHyperstart(fakeHyperstart(t)), WithCacheDir(cache))
	if !errors.Is(err, ErrNoKernel) {
		t.Fatalf("build without a kernel: %v, want ErrNoKernel", err)
	}
	for _, want := range []string{"hyperbuild kernel", "--kernel-image", "--kernel FILE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	// Only the memo of the source tarball's digest (kernel/digests).
	es, _ := os.ReadDir(filepath.Join(cache, "kernel"))
	for _, e := range es {
		if e.Name() != "digests" {
			t.Errorf("the kernel cache got %s: a build started", e.Name())
		}
	}
	if es, _ := os.ReadDir(outDir); len(es) != 0 {
		t.Errorf("left %d files beside the output", len(es))
	}
}

// TestKernelImage builds with a hyperkernel pulled from a registry into
// an empty cache, pinned by digest.
func TestKernelImage(t *testing.T) {
	k, err := kernelcfg.Cached()
	if err != nil {
		t.Skipf("no hyperkernel to push (make kernel): %v", err)
	}
	host := testimage.Serve(t, nil)
	pushed, err := artifact.PushKernel(context.Background(), k, host+"/hyper/kernel:6.1", artifact.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	image := busyboxLayout(t)
	pod, dir := loadExample(t, "hello.hcl", image)
	out := filepath.Join(t.TempDir(), "hello.img")
	var warnings []string
	res, err := Build(context.Background(), pod, dir, out,
		WithHyperstart(fakeHyperstart(t)), WithCacheDir(t.TempDir()), WithEpoch(time.Unix(1700000000, 0)),
		WithKernelImage(pushed.Pinned), WithWarnings(func(w string) { warnings = append(warnings, w) }))
	if err != nil {
		t.Fatal(err)
	}
	if res.Kernel.Origin != pushed.Pinned || res.Kernel.Version != k.Version {
		t.Errorf("kernel = %+v, want %s from %s", res.Kernel, k.Version, pushed.Pinned)
	}
	if len(warnings) != 0 {
		t.Errorf("warnings for a pinned kernel: %q", warnings)
	}
	img, err := disk.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if m := img.Manifest(); m.Kernel.Version != k.Version || m.Kernel.ConfigHash != k.ConfigHash {
		t.Errorf("manifest kernel = %+v", m.Kernel)
	}
}
