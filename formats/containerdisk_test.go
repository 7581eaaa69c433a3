package formats_test

import (
	"archive/tar"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hyperbuild/hyper/formats"
)

// TestContainerDisk checks the image KubeVirt boots: linux/amd64, one OCI
// layer holding disk/ and disk/disk.img (the raw image, byte for byte),
// both owned 107:107; and that --format containerdisk's OCI archive holds
// that same image.
func TestContainerDisk(t *testing.T) {
	raw := build(t, formats.Raw)
	img, err := formats.ContainerDisk(raw, formats.WithEpoch(epoch))
	if err != nil {
		t.Fatal(err)
	}
	mt, _ := img.MediaType()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if mt != types.OCIManifestSchema1 || cf.OS != "linux" || cf.Architecture != "amd64" || !cf.Created.Time.Equal(epoch) {
		t.Errorf("manifest %s, config %s/%s created %v; want OCI, linux/amd64, %v", mt, cf.OS, cf.Architecture, cf.Created, epoch)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Annotations[formats.AnnotationPod] != "hello" {
		t.Errorf("annotations %v lack the pod", m.Annotations)
	}
	ls, err := img.Layers()
	if err != nil || len(ls) != 1 {
		t.Fatalf("layers: %d, %v; want one", len(ls), err)
	}
	if lmt, _ := ls[0].MediaType(); lmt != types.OCILayer {
		t.Errorf("layer media type %s, want %s", lmt, types.OCILayer)
	}
	rc, err := ls[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	var names []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
		if h.Uid != formats.ContainerDiskUID || h.Gid != formats.ContainerDiskGID {
			t.Errorf("%s owned %d:%d, want 107:107", h.Name, h.Uid, h.Gid)
		}
		if h.Name == formats.ContainerDiskPath {
			p := filepath.Join(t.TempDir(), "disk.img")
			f, _ := os.Create(p)
			io.Copy(f, tr)
			f.Close()
			if sha(t, p) != sha(t, raw) {
				t.Error("disk/disk.img differs from the raw image")
			}
		}
	}
	if len(names) != 2 || names[0] != "disk/" || names[1] != formats.ContainerDiskPath {
		t.Errorf("layer entries %q, want [disk/ %s]", names, formats.ContainerDiskPath)
	}

	out := filepath.Join(t.TempDir(), "pod.tar")
	if err := formats.Convert(context.Background(), formats.ContainerDiskFormat, raw, out, formats.WithEpoch(epoch)); err != nil {
		t.Fatal(err)
	}
	if f, ok := formats.Detect(out); !ok || f != formats.ContainerDiskFormat {
		t.Errorf("Detect = %q, %v", f, ok)
	}
	dir := untar(t, out)
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil || len(im.Manifests) != 1 {
		t.Fatalf("index: %v, %v", im, err)
	}
	want, _ := img.Digest()
	if im.Manifests[0].Digest != want {
		t.Errorf("archive's manifest %s, ContainerDisk's %s", im.Manifests[0].Digest, want)
	}
	got, err := idx.Image(want)
	if err != nil {
		t.Fatal(err)
	}
	gl, _ := got.Layers()
	wd, _ := ls[0].Digest()
	if d, _ := gl[0].Digest(); d != wd {
		t.Errorf("archive's layer %s, want %s", d, wd)
	}
	if _, err := formats.ContainerDisk(filepath.Join(t.TempDir(), "nothing.img")); err == nil {
		t.Error("ContainerDisk of a missing file: no error")
	}
	if _, err := formats.ContainerDisk(out); err == nil {
		t.Error("ContainerDisk of a file that is no hyper artifact: no error")
	}
}

func untar(t *testing.T, p string) string {
	t.Helper()
	dir := t.TempDir()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		dst := filepath.Join(dir, filepath.FromSlash(h.Name))
		if h.Typeflag == tar.TypeDir {
			os.MkdirAll(dst, 0o755)
			continue
		}
		w, err := os.Create(dst)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(w, tr)
		w.Close()
	}
}
