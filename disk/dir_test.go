package disk

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestDirRoundTrip(t *testing.T) {
	a, _ := inputs(t)
	dir := filepath.Join(t.TempDir(), "web")
	for i := 0; i < 2; i++ { // the second write replaces the first
		if err := WriteDir(context.Background(), dir, a); err != nil {
			t.Fatal(err)
		}
	}
	if left := leftovers(t, filepath.Dir(dir), "web"); len(left) != 0 {
		t.Errorf("left behind: %q", left)
	}
	img, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if img.Format() != "dir" || img.Cmdline() != a.Cmdline || len(img.Partitions()) != 0 {
		t.Errorf("Format %q, Cmdline %q, Partitions %v", img.Format(), img.Cmdline(), img.Partitions())
	}
	m := img.Manifest()
	if m.Pod != "web" || !m.Built.Equal(built) || m.Sizes.Kernel != 1<<20+123 || m.Sizes.Image != 0 || m.Bootloader != "" {
		t.Errorf("Manifest = %+v", m)
	}
	if got := readAll(t, img.Kernel); !bytes.Equal(got, mustRead(t, a.Kernel)) {
		t.Error("Kernel differs")
	}
	p, off, size := img.PodFS()
	if p != filepath.Join(dir, DirPodFS) || off != 0 || !bytes.Equal(mustRead(t, p), mustRead(t, a.PodFS)) || size != int64(len(mustRead(t, a.PodFS))) {
		t.Errorf("PodFS = %s, %d, %d", p, off, size)
	}
	k, i, err := img.BootFiles(t.TempDir())
	if err != nil || k != filepath.Join(dir, DirKernel) || i != filepath.Join(dir, DirInitrd) {
		t.Errorf("BootFiles = %s, %s, %v", k, i, err)
	}
}

func TestWriteDirBadInput(t *testing.T) {
	a, _ := inputs(t)
	parent := t.TempDir()
	other := filepath.Join(parent, "photos")
	os.Mkdir(other, 0o755)
	writeFile(t, filepath.Join(other, "cat.jpg"), []byte("meow"))
	if err := WriteDir(context.Background(), other, a); !errors.Is(err, ErrBadInput) {
		t.Errorf("over a non-artifact directory: err = %v", err)
	}
	if _, err := os.Stat(filepath.Join(other, "cat.jpg")); err != nil {
		t.Error("the directory was touched")
	}
	bad := a
	bad.Kernel = "/nonexistent/bzImage"
	if err := WriteDir(context.Background(), filepath.Join(parent, "web"), bad); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing kernel: err = %v", err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	if err := WriteDir(cancelled, filepath.Join(parent, "web"), a); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v", err)
	}
	if left := leftovers(t, parent, "photos"); len(left) != 0 {
		t.Errorf("left behind: %q", left)
	}
}
