package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/internal/syncbuf"
	"github.com/hyperbuild/hyper/runner"
)

// bootWith runs img on backend with -v bindings and returns its status
// and console.
func bootWith(t *testing.T, backend, img string, vols ...runner.VolumeBinding) (int, string) {
	t.Helper()
	var out, verbose syncbuf.Buffer
	status, err := runner.Run(context.Background(), img, runner.Config{Backend: backend, Stdout: &out, Verbose: &verbose, Volumes: vols})
	if err != nil {
		t.Fatalf("booting %s: %v\nconsole:\n%s\nrunner:\n%s", img, err, out.String(), verbose.String())
	}
	t.Logf("console:\n%s", out.String())
	return status, out.String()
}

// TestHostVolume: examples/share.hcl reads a file the host put in the
// shared directory and writes one the host then reads (bound by the
// container path, Docker's form); bound read-only (by name), its write is
// refused and nothing changes on the host.
func TestHostVolume(t *testing.T) {
	requireVM(t)
	img := build(t, examplePath("share.hcl"), map[string]string{"image": busyboxLayout(t)})
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "hello.txt"), []byte("hello from the host\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	status, out := bootWith(t, "qemu", img, runner.VolumeBinding{Target: "/src", Path: src})
	if status != 0 {
		t.Errorf("status %d", status)
	}
	contains(t, out, "the host says: hello from the host")
	contains(t, out, "wrote /src/from-pod.txt")
	if b, err := os.ReadFile(filepath.Join(src, "from-pod.txt")); err != nil || string(b) != "written by the pod\n" {
		t.Errorf("the host reads %q, %v", b, err)
	}

	os.Remove(filepath.Join(src, "from-pod.txt"))
	_, out = bootWith(t, "qemu", img, runner.VolumeBinding{Target: "src", Path: src, ReadOnly: true})
	contains(t, out, "the host says: hello from the host")
	contains(t, out, "Read-only file system")
	if strings.Contains(out, "wrote /src/from-pod.txt") {
		t.Errorf("a read-only share took a write")
	}
	if _, err := os.Stat(filepath.Join(src, "from-pod.txt")); !os.IsNotExist(err) {
		t.Errorf("from-pod.txt on the host after a read-only run: %v", err)
	}
}

// escapePod tries to leave its share from inside the guest: through
// links the host put there (to a directory outside, to a file outside,
// to ..), through .., and by making its own links and renaming them.
const escapePod = `
variable "image" { type = string }
pod "escape" {
  container "prober" {
    image   = var.image
    command = ["sh", "-c", <<-EOT
      for p in /src/up/secret /src/secret-link /src/dotdot/secret /src/../secret /src/sub/../../secret; do
        if cat "$p" 2>/dev/null | grep -q outside; then echo "ESCAPED via $p"; else echo "refused $p"; fi
      done
      ln -s /etc /src/mine && echo planted > /src/mine/planted 2>/dev/null
      echo planted > /src/up/planted 2>/dev/null
      mv /src/sub /src/up/moved 2>/dev/null
      echo "probes done"
    EOT
    ]
    mount {
      volume = "src"
      path   = "/src"
    }
  }
  volume "src" {
    type = "host"
  }
}
`

// TestHostVolumeConfined: no path the guest can name reaches outside the
// shared directory on the host, on the backend given (qemu here; the
// nested test runs it on kvm).
func TestHostVolumeConfined(t *testing.T) {
	requireVM(t)
	testConfined(t, "qemu")
}

func testConfined(t *testing.T, backend string) {
	pod := filepath.Join(t.TempDir(), "escape.hcl")
	if err := os.WriteFile(pod, []byte(escapePod), 0o644); err != nil {
		t.Fatal(err)
	}
	img := build(t, pod, map[string]string{"image": busyboxLayout(t)})
	outside := t.TempDir()
	os.WriteFile(filepath.Join(outside, "secret"), []byte("outside\n"), 0o644)
	src := filepath.Join(outside, "share")
	os.MkdirAll(filepath.Join(src, "sub"), 0o755)
	os.Symlink(outside, filepath.Join(src, "up"))
	os.Symlink(filepath.Join(outside, "secret"), filepath.Join(src, "secret-link"))
	os.Symlink("..", filepath.Join(src, "dotdot"))

	_, out := bootWith(t, backend, img, runner.VolumeBinding{Target: "src", Path: src})
	contains(t, out, "probes done")
	if strings.Contains(out, "ESCAPED") {
		t.Errorf("the guest read a file outside its share:\n%s", out)
	}
	ents, _ := os.ReadDir(outside)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 2 {
		t.Errorf("outside the share the host now has %q, want [secret share]", names)
	}
	if _, err := os.Stat("/etc/planted"); err == nil {
		t.Errorf("the guest planted /etc/planted on the host")
	}
}
