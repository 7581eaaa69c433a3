package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/internal/syncbuf"
	"github.com/hyperbuild/hyper/runner"
)

// e2fsckClean fails the test unless e2fsck -fn finds the data disk clean
// (a disk whose journal needs replaying is not).
func e2fsckClean(t *testing.T, img string) {
	t.Helper()
	e2fsck, err := exec.LookPath("e2fsck")
	if err != nil {
		if e2fsck, err = exec.LookPath("/usr/sbin/e2fsck"); err != nil {
			t.Skip("e2fsck not installed (e2fsprogs)")
		}
	}
	out, err := exec.Command(e2fsck, "-fn", img).CombinedOutput()
	if err != nil || bytes.Contains(out, []byte("recover")) {
		t.Errorf("e2fsck -fn %s: %v\n%s", img, err, out)
	}
}

// TestDataVolume: examples/data.hcl's disk volume keeps what the pod
// wrote across boots, is clean after each graceful stop, and -v binds
// another disk, made empty where none is.
func TestDataVolume(t *testing.T) {
	requireVM(t)
	img := build(t, examplePath("data.hcl"), map[string]string{"image": busyboxLayout(t)})
	dd := disk.DataDiskPath(img, "data")
	if _, err := os.Stat(dd); err != nil {
		t.Fatalf("the build made no data disk: %v", err)
	}
	for i, want := range []string{"boots: 1", "boots: 2"} {
		status, out := boot(t, context.Background(), img)
		if status != 0 || !strings.Contains(out, want) {
			t.Fatalf("boot %d: status %d, want %q in:\n%s", i+1, status, want, out)
		}
		e2fsckClean(t, dd)
	}
	other := filepath.Join(t.TempDir(), "other.ext4")
	var out syncbuf.Buffer
	status, err := runner.Run(context.Background(), img, runner.Config{Backend: "qemu", Stdout: &out, Volumes: []runner.VolumeBinding{{Target: "data", Path: other}}})
	if err != nil || status != 0 || !strings.Contains(out.String(), "boots: 1") || !strings.Contains(out.String(), "made an empty data disk") {
		t.Errorf("boot with -v data=%s: %d, %v:\n%s", other, status, err, out.String())
	}
	e2fsckClean(t, other)
}

// crashPod writes to its data disk until killed; booted again, it
// counts what survived.
const crashPod = `
variable "image" { type = string }
pod "crash" {
  container "writer" {
    image   = var.image
    command = ["sh", "-c", <<-EOT
      if [ -e /data/log ]; then echo "survived: $(wc -l < /data/log) lines"; exit 0; fi
      i=0
      while :; do
        echo "line $i" >> /data/log
        dd if=/dev/urandom of=/data/f$((i % 8)) bs=64k count=4 2>/dev/null
        sync
        i=$((i + 1))
        echo "wrote $i"
      done
    EOT
    ]
    mount {
      volume = "data"
      path   = "/data"
    }
  }
  volume "data" {
    type = "disk"
    size = "64MiB"
  }
}
`

// TestDataVolumeKill: kill -9 of the VMM in the middle of writes; the
// next boot's mount replays the journal, what was synced is there, and
// the disk is clean after it.
func TestDataVolumeKill(t *testing.T) {
	requireVM(t)
	pod := filepath.Join(t.TempDir(), "crash.hcl")
	if err := os.WriteFile(pod, []byte(crashPod), 0o644); err != nil {
		t.Fatal(err)
	}
	img := build(t, pod, map[string]string{"image": busyboxLayout(t)})
	dd := disk.DataDiskPath(img, "data")

	var out syncbuf.Buffer
	v, err := runner.Start(context.Background(), img, runner.Config{Backend: "qemu", Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(out.String(), "wrote 10\n") && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if err := v.Kill(); err != nil { // SIGKILL to QEMU, mid-write
		t.Fatal(err)
	}
	v.Wait()
	if !strings.Contains(out.String(), "wrote 10\n") {
		t.Fatalf("the writer never got going:\n%s", out.String())
	}
	// Killed mid-write, the disk is normally left with its journal to
	// replay (needs_recovery): said, not required, as a kill between two
	// transactions leaves nothing to replay.
	if dumpe2fs, err := exec.LookPath("/usr/sbin/dumpe2fs"); err == nil {
		hdr, _ := exec.Command(dumpe2fs, "-h", dd).Output()
		t.Logf("after kill -9: needs_recovery=%v", bytes.Contains(hdr, []byte("needs_recovery")))
	}
	status, console := boot(t, context.Background(), img)
	if status != 0 || !strings.Contains(console, "survived: ") {
		t.Fatalf("boot after kill -9: status %d:\n%s", status, console)
	}
	var n int
	if i := strings.Index(console, "survived: "); i >= 0 {
		for _, c := range console[i+len("survived: "):] {
			if c < '0' || c > '9' {
				break
			}
			n = n*10 + int(c-'0')
		}
	}
	if n < 10 {
		t.Errorf("%d lines survived; the pod had synced 10 before the kill", n)
	}
	e2fsckClean(t, dd)
}
