package disk

import (
	"archive/tar"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk/ext4"
)

// rootfsTar is a small container root filesystem as a tar stream.
func rootfsTar(t *testing.T) *bytes.Buffer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	mt := time.Unix(1700000000, 0)
	for _, h := range []*tar.Header{
		{Name: "etc/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mt},
		{Name: "etc/hostname", Typeflag: tar.TypeReg, Mode: 0o644, Size: 4, ModTime: mt},
		{Name: "bin/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mt},
		{Name: "bin/sh", Typeflag: tar.TypeSymlink, Linkname: "busybox", Mode: 0o777, ModTime: mt},
		{Name: "big", Typeflag: tar.TypeReg, Mode: 0o600, Size: 300 << 10, ModTime: mt},
	} {
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		switch h.Name {
		case "etc/hostname":
			tw.Write([]byte("web\n"))
		case "big":
			tw.Write(pseudoRandom(300<<10, 4))
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf
}

// ext4PodFS writes the pod filesystem with hyper's own ext4 writer, as the
// builder does, and returns its path and size.
func ext4PodFS(t *testing.T) (string, int64) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "pod.ext4")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := ext4.NewWriter(f, ext4.WithLabel(contract.PodLabel))
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AddTar(contract.RootfsDir("nginx"), rootfsTar(t)); err != nil {
		t.Fatal(err)
	}
	st, err := w.Close()
	if err != nil {
		t.Fatal(err)
	}
	return p, st.Size
}

// TestWithExt4Writer builds the artifact from disk/ext4's output, twice,
// and checks the pod partition with e2fsck.
func TestWithExt4Writer(t *testing.T) {
	a, loader := inputs(t)
	a.PodFS, a.PodFSSize = ext4PodFS(t)
	out := buildImage(t, a, loader)
	if sha(t, out) != sha(t, buildImage(t, a, loader)) {
		t.Error("two builds differ")
	}
	img, err := Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if got := img.Manifest().Sizes.PodFS; got != a.PodFSSize {
		t.Errorf("manifest pod_fs size = %d, want %d", got, a.PodFSSize)
	}
	need(t, "e2fsck")
	run(t, "e2fsck", "-fn", extractPart(t, out, img.Partitions()[1]))
}
