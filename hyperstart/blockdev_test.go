package hyperstart

import (
	"bytes"
	"encoding/binary"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func fakeExt4(label string) []byte {
	b := make([]byte, 4096)
	sb := b[superblockOffset:]
	binary.LittleEndian.PutUint16(sb[ext4MagicOffset:], ext4Magic)
	copy(sb[ext4LabelOffset:ext4LabelOffset+ext4LabelLen], label)
	return b
}

func TestExt4Label(t *testing.T) {
	if got, ok := Ext4Label(bytes.NewReader(fakeExt4("hyper-pod"))); !ok || got != "hyper-pod" {
		t.Errorf("Ext4Label = %q, %v", got, ok)
	}
	if got, ok := Ext4Label(bytes.NewReader(fakeExt4("sixteen-chars-xx"))); !ok || got != "sixteen-chars-xx" {
		t.Errorf("Ext4Label (16 chars) = %q, %v", got, ok)
	}
	if _, ok := Ext4Label(bytes.NewReader(make([]byte, 4096))); ok {
		t.Error("Ext4Label accepted a zeroed device")
	}
	if _, ok := Ext4Label(bytes.NewReader(make([]byte, 100))); ok {
		t.Error("Ext4Label accepted a short device")
	}
}

// The real thing, when mke2fs is here.
func TestExt4LabelMke2fs(t *testing.T) {
	mke2fs, err := exec.LookPath("mke2fs")
	if err != nil {
		t.Skipf("mke2fs not found: %v", err)
	}
	img := filepath.Join(t.TempDir(), "img")
	if out, err := exec.Command(mke2fs, "-q", "-F", "-t", "ext4", "-L", "hyper-pod", img, "4M").CombinedOutput(); err != nil {
		t.Fatalf("mke2fs: %v\n%s", err, out)
	}
	f, err := os.Open(img)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, ok := Ext4Label(f); !ok || got != "hyper-pod" {
		t.Errorf("Ext4Label(mke2fs image) = %q, %v", got, ok)
	}
}

func TestFindByLabel(t *testing.T) {
	dir := t.TempDir()
	sys, dev := filepath.Join(dir, "sys"), filepath.Join(dir, "dev")
	for _, d := range []string{"vda", "vdb", "vdb1", "loop0"} {
		os.MkdirAll(filepath.Join(sys, d), 0o755)
	}
	os.MkdirAll(dev, 0o755)
	os.WriteFile(filepath.Join(dev, "vda"), fakeExt4("other"), 0o644)
	os.WriteFile(filepath.Join(dev, "vdb"), make([]byte, 4096), 0o644)
	os.WriteFile(filepath.Join(dev, "vdb1"), fakeExt4("hyper-pod"), 0o644)
	// loop0 has no node: skipped.
	got, err := FindByLabel(sys, dev, "hyper-pod")
	if err != nil || got != filepath.Join(dev, "vdb1") {
		t.Errorf("FindByLabel = %q, %v", got, err)
	}
	if _, err := FindByLabel(sys, dev, "absent"); !errors.Is(err, ErrNoPodDisk) {
		t.Errorf("FindByLabel(absent) = %v, want ErrNoPodDisk", err)
	}
	if _, err := WaitForLabel(sys, dev, "absent", 30*time.Millisecond, 10*time.Millisecond); !errors.Is(err, ErrNoPodDisk) {
		t.Errorf("WaitForLabel(absent) = %v, want ErrNoPodDisk", err)
	}
}
