package disk

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

func TestDataDiskPath(t *testing.T) {
	tests := []struct{ artifact, name, want string }{
		{"web.img", "data", "web.data.ext4"},
		{"/o/web.img", "db", "/o/web.db.ext4"},
		{"out/web", "data", "out/web.data.ext4"},
		{"out/web/", "data", "out/web.data.ext4"},
	}
	for _, tt := range tests {
		if got := DataDiskPath(tt.artifact, tt.name); got != tt.want {
			t.Errorf("DataDiskPath(%q, %q) = %q, want %q", tt.artifact, tt.name, got, tt.want)
		}
	}
}

// TestCreateDataDisk makes a seeded data disk, checks it with e2fsck and
// debugfs and with CheckDataDisk, and that a second one is refused.
func TestCreateDataDisk(t *testing.T) {
	seed := t.TempDir()
	os.MkdirAll(filepath.Join(seed, "sub"), 0o750)
	os.WriteFile(filepath.Join(seed, "sub", "hello.txt"), []byte("hello\n"), 0o640)
	os.Symlink("sub/hello.txt", filepath.Join(seed, "link"))
	v := contract.Volume{Name: "data", Type: contract.VolumeDisk, SizeBytes: 32 << 20, Seed: seed}
	path := filepath.Join(t.TempDir(), "web.data.ext4")
	epoch := time.Unix(1700000000, 0)
	if err := CreateDataDisk(path, v, epoch); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Size() != v.SizeBytes || fi.Mode().Perm() != 0o600 {
		t.Fatalf("data disk: %v, %v", fi, err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".hyper-data-*")); len(left) != 0 {
		t.Errorf("left behind: %v", left)
	}
	if e2fsck, err := exec.LookPath("e2fsck"); err == nil || fileExists("/usr/sbin/e2fsck") {
		if err != nil {
			e2fsck = "/usr/sbin/e2fsck"
		}
		if out, err := exec.Command(e2fsck, "-fn", path).CombinedOutput(); err != nil {
			t.Errorf("e2fsck -fn: %v\n%s", err, out)
		}
		debugfs := filepath.Join(filepath.Dir(e2fsck), "debugfs")
		out, err := exec.Command(debugfs, "-R", "cat /sub/hello.txt", path).Output()
		if err != nil || string(out) != "hello\n" {
			t.Errorf("debugfs cat = %q, %v", out, err)
		}
		out, _ = exec.Command(debugfs, "-R", "stat /", path).Output()
		if !strings.Contains(string(out), "Mode:  0777") {
			t.Errorf("the top directory is not 0777:\n%s", out)
		}
		out, _ = exec.Command(debugfs, "-R", "stat /link", path).Output()
		if !strings.Contains(string(out), "sub/hello.txt") {
			t.Errorf("link not kept as a symlink:\n%s", out)
		}
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := CheckDataDisk(f, path, v); err != nil {
		t.Errorf("CheckDataDisk: %v", err)
	}
	bigger := v
	bigger.SizeBytes = 64 << 20
	if err := CheckDataDisk(f, path, bigger); !errors.Is(err, ErrDataDisk) {
		t.Errorf("CheckDataDisk, wrong size = %v, want ErrDataDisk", err)
	}
	if err := CreateDataDisk(path, v, epoch); !errors.Is(err, os.ErrExist) {
		t.Errorf("CreateDataDisk over an existing disk = %v, want os.ErrExist", err)
	}
	// Not ext4.
	junk := filepath.Join(t.TempDir(), "junk")
	os.WriteFile(junk, nil, 0o600)
	os.Truncate(junk, v.SizeBytes)
	jf, _ := os.Open(junk)
	defer jf.Close()
	if err := CheckDataDisk(jf, junk, v); !errors.Is(err, ErrDataDisk) || !strings.Contains(err.Error(), "not an ext4") {
		t.Errorf("CheckDataDisk(zeros) = %v, want not ext4", err)
	}
	// A seed too large for the disk.
	big := t.TempDir()
	os.WriteFile(filepath.Join(big, "big"), []byte(strings.Repeat("x", 20<<20)), 0o644)
	small := contract.Volume{Name: "data", Type: contract.VolumeDisk, SizeBytes: 16 << 20, Seed: big}
	p2 := filepath.Join(t.TempDir(), "small.ext4")
	if err := CreateDataDisk(p2, small, epoch); err == nil || !strings.Contains(err.Error(), "does not fit") {
		t.Errorf("CreateDataDisk(seed too large) = %v", err)
	}
	if _, err := os.Stat(p2); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed CreateDataDisk left %s", p2)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
