package disk

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// openSoon runs Open and fails the test if it does not return: before,
// opening a fifo waited for a writer forever.
func openSoon(t *testing.T, path string) error {
	t.Helper()
	done := make(chan error, 1)
	go func() {
		img, err := Open(path)
		if err == nil {
			img.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		return err
	case <-time.After(30 * time.Second):
		t.Fatalf("Open(%s) blocked", path)
		return nil
	}
}

func TestOpenNotAFile(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "web.img")
	if err := syscall.Mkfifo(fifo, 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	err := openSoon(t, fifo)
	if !errors.Is(err, ErrNotFile) || !strings.Contains(err.Error(), fifo) || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("Open(fifo) = %v; want ErrNotFile naming the fifo", err)
	}
	if err := openSoon(t, "/dev/null"); !errors.Is(err, ErrNotFile) || !strings.Contains(err.Error(), "character device") {
		t.Errorf("Open(/dev/null) = %v; want ErrNotFile, a character device", err)
	}
}

func TestOpenDirNotAFile(t *testing.T) {
	a, _ := inputs(t)
	for _, part := range []string{DirManifest, DirCmdline, DirKernel, DirPodFS} {
		t.Run(part, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "web")
			if err := WriteDir(context.Background(), dir, a); err != nil {
				t.Fatal(err)
			}
			p := filepath.Join(dir, part)
			os.Remove(p)
			if err := syscall.Mkfifo(p, 0o644); err != nil {
				t.Skipf("mkfifo: %v", err)
			}
			if err := openSoon(t, dir); !errors.Is(err, ErrNotFile) || !strings.Contains(err.Error(), p) {
				t.Errorf("Open = %v; want ErrNotFile naming %s", err, p)
			}
		})
	}
}

func TestOpenDirTruncated(t *testing.T) {
	a, _ := inputs(t)
	dir := filepath.Join(t.TempDir(), "web")
	if err := WriteDir(context.Background(), dir, a); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, DirPodFS)
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(p, fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	if err := openSoon(t, dir); !errors.Is(err, ErrTruncated) || !strings.Contains(err.Error(), DirPodFS) {
		t.Errorf("Open = %v; want ErrTruncated naming %s", err, DirPodFS)
	}
}

// TestManifestPortAddress: a port's listen address reaches the artifact's
// manifest, where hyperboot and inspect read it.
func TestManifestPortAddress(t *testing.T) {
	a, opt := inputs(t)
	pod := testPod()
	pod.Ports = []contract.Port{{Host: 8080, Guest: 80, Protocol: "tcp"}, {Address: "0.0.0.0", Host: 8443, Guest: 443, Protocol: "tcp"}}
	a.Manifest = ManifestFor(pod)
	img, err := Open(buildImage(t, a, opt))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if got := img.Manifest().Ports; !slices.Equal(got, pod.Ports) {
		t.Errorf("manifest ports %#v, want %#v", got, pod.Ports)
	}
}

// TestManifestStopTimeout: each container's stop timeout reaches the
// manifest, from which the runner sizes a graceful stop (it reads no
// initramfs); a manifest from before it was recorded decodes as zero.
func TestManifestStopTimeout(t *testing.T) {
	a, opt := inputs(t)
	pod := testPod()
	pod.Containers[0].StopTimeout = contract.Duration(42 * time.Second)
	a.Manifest = ManifestFor(pod)
	img, err := Open(buildImage(t, a, opt))
	if err != nil {
		t.Fatal(err)
	}
	defer img.Close()
	if got := img.Manifest().Containers[0].StopTimeout; got != pod.Containers[0].StopTimeout {
		t.Errorf("manifest stop_timeout %v, want %v", time.Duration(got), time.Duration(pod.Containers[0].StopTimeout))
	}
	old, err := decodeManifest([]byte(`{"pod": "web", "containers": [{"name": "nginx", "image": "nginx"}]}`))
	if err != nil || old.Containers[0].StopTimeout != 0 {
		t.Errorf("old manifest: stop_timeout %v, %v; want 0", old.Containers[0].StopTimeout, err)
	}
}
