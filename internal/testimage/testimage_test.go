package testimage

import (
	"archive/tar"
	"errors"
	"io"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

func busybox(t *testing.T) v1.Image {
	img, err := Busybox()
	if errors.Is(err, ErrNoBusybox) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestBusyboxShape(t *testing.T) {
	img := busybox(t)
	layers, err := img.Layers()
	if err != nil || len(layers) != 1 {
		t.Fatalf("layers = %d, %v", len(layers), err)
	}
	rc, err := layers[0].Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	links := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == "bin/sh" && (h.Typeflag != tar.TypeLink || h.Linkname != "bin/busybox") {
			t.Errorf("bin/sh = %c -> %q, want a hard link to bin/busybox", h.Typeflag, h.Linkname)
		}
		if h.Typeflag == tar.TypeLink {
			links++
		}
	}
	if links < 100 {
		t.Errorf("%d applet links, want hundreds", links)
	}
}

func TestWriteAndServe(t *testing.T) {
	l, err := Layer(File("a", 0o644, "x"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := Image(v1.Config{Cmd: []string{"/a"}}, l)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()

	dir := t.TempDir()
	if err := WriteLayout(dir, img, "v1"); err != nil {
		t.Fatal(err)
	}
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := idx.IndexManifest()
	if len(m.Manifests) != 1 || m.Manifests[0].Digest != want || m.Manifests[0].Annotations[refName] != "v1" {
		t.Errorf("layout index = %+v, want %s tagged v1", m.Manifests, want)
	}

	file := filepath.Join(t.TempDir(), "a.tar")
	if err := WriteDockerArchive(file, img, "a:1"); err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag("a:1")
	if _, err := tarball.ImageFromPath(file, &tag); err != nil {
		t.Fatal(err)
	}
	if err := WriteOCIArchive(filepath.Join(t.TempDir(), "o.tar"), img, "v1"); err != nil {
		t.Fatal(err)
	}

	host := Serve(t, map[string]v1.Image{"o/a:1": img})
	ref, _ := name.ParseReference(host + "/o/a:1")
	got, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := got.Digest(); d != want {
		t.Errorf("served digest = %s, want %s", d, want)
	}
}

func TestGoProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles a program")
	}
	img, err := GoProgram(t, "package main\nfunc main() { println(\"hi\") }\n")
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	if len(cf.Config.Entrypoint) != 1 || cf.Config.Entrypoint[0] != "/app" {
		t.Errorf("entrypoint = %q", cf.Config.Entrypoint)
	}
}
