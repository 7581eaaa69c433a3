package main

import (
	"bytes"
	"encoding/binary"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hyperbuild/hyper/internal/testimage"
)

// bound is how long a signalled hyperbuild may take to exit before the
// test calls it stuck: generous, never a timing assertion.
const bound = 10 * time.Second

// fakeKernel writes the setup header of a bzImage, all the builder reads
// of a --kernel before the image write.
func fakeKernel(t *testing.T) string {
	h := make([]byte, 4*512)
	le := binary.LittleEndian
	h[0x1f1] = 3 // setup sectors
	le.PutUint16(h[0x1fe:], 0xaa55)
	copy(h[0x202:], "HdrS")
	le.PutUint16(h[0x206:], 0x020f)
	le.PutUint16(h[0x20e:], 0x100)
	le.PutUint16(h[0x236:], 1)
	copy(h[0x300:], "6.1.0-fake (signal test)\x00")
	p := filepath.Join(t.TempDir(), "bzImage")
	if err := os.WriteFile(p, h, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// hyperbuildExe is the hyperbuild that testscript.Main put on $PATH: this
// test binary, which runs main's code when called by that name.
func hyperbuildExe(t *testing.T) string {
	exe, err := exec.LookPath("hyperbuild")
	if err != nil {
		t.Fatal(err)
	}
	return exe
}

// interrupt starts cmd, waits for ready, sends sig and returns the exit
// status and standard error.
func interrupt(t *testing.T, cmd *exec.Cmd, ready <-chan struct{}, sig syscall.Signal) (int, string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	select {
	case <-ready:
	case err := <-exited:
		t.Fatalf("hyperbuild ended before the slow step (%v):\n%s", err, &stderr)
	case <-time.After(bound):
		cmd.Process.Kill()
		t.Fatalf("hyperbuild never reached the slow step:\n%s", &stderr)
	}
	cmd.Process.Signal(sig)
	select {
	case <-exited:
	case <-time.After(bound):
		cmd.Process.Kill()
		<-exited
		t.Fatalf("hyperbuild still running %v after %v:\n%s", bound, sig, &stderr)
	}
	return cmd.ProcessState.ExitCode(), stderr.String()
}

// A build stalled pulling a layer stops on SIGINT or SIGTERM, exits
// 128+signal and leaves nothing in the output directory.
func TestInterruptPull(t *testing.T) {
	layer, err := testimage.Layer(testimage.File("app", 0o755, "#!/bin/sh\n"))
	if err != nil {
		t.Fatal(err)
	}
	img, err := testimage.Image(v1.Config{Cmd: []string{"/app"}}, layer)
	if err != nil {
		t.Fatal(err)
	}
	ld, err := layer.Digest()
	if err != nil {
		t.Fatal(err)
	}
	stalled := make(chan struct{}, 1)
	release := make(chan struct{})
	defer close(release)
	host := testimage.ServeWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+ld.String()) {
				h.ServeHTTP(w, r)
				return
			}
			// Headers and a first byte, then nothing: a stalled download.
			w.Header().Set("Content-Length", "1000000")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte{0x1f})
			w.(http.Flusher).Flush()
			select {
			case stalled <- struct{}{}:
			default:
			}
			select {
			case <-r.Context().Done():
			case <-release:
			}
		})
	}, map[string]v1.Image{"slow:1": img})

	kernel := fakeKernel(t)
	hs := filepath.Join(t.TempDir(), "hyperstart")
	os.WriteFile(hs, []byte("\x7fELF not really"), 0o755)
	pod := filepath.Join(t.TempDir(), "pod.hcl")
	os.WriteFile(pod, []byte(`pod "slow" {
  container "app" { image = "`+host+`/slow:1" }
}
`), 0o644)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(hyperbuildExe(t), pod, "-o", filepath.Join(out, "pod.img"), "--kernel", kernel, "--hyperstart", hs)
			cmd.Env = append(os.Environ(), "HYPER_CACHE="+t.TempDir())
			got, stderr := interrupt(t, cmd, stalled, sig)
			if want := 128 + int(sig); got != want {
				t.Errorf("exit status %d, want %d; stderr:\n%s", got, want, stderr)
			}
			if !strings.Contains(stderr, "interrupted") {
				t.Errorf("stderr does not say it was interrupted:\n%s", stderr)
			}
			if ents, _ := os.ReadDir(out); len(ents) != 0 {
				t.Errorf("left in the output directory: %v", ents)
			}
		})
	}
}

// mkfs waiting on a standard input that sends half a tarball and then
// nothing stops on SIGINT too, and leaves nothing.
func TestInterruptMkfs(t *testing.T) {
	tarball, err := testimage.Tar(testimage.File("big", 0o644, strings.Repeat("x", 1<<20)))
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	cmd := exec.Command(hyperbuildExe(t), "mkfs", "-", "-o", filepath.Join(out, "root.ext4"))
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	defer stdin.Close()
	ready := make(chan struct{})
	go func() {
		// Once the pipe has taken half the tarball, mkfs is reading it.
		io.Copy(stdin, bytes.NewReader(tarball[:len(tarball)/2]))
		close(ready)
	}()
	got, stderr := interrupt(t, cmd, ready, syscall.SIGINT)
	if got != 130 {
		t.Errorf("exit status %d, want 130; stderr:\n%s", got, stderr)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("left in the output directory: %v", ents)
	}
}
