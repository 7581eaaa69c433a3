package kvm

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/hyperbuild/hyper/runner/kvm/boot"
)

// TestAddDataDisk attaches disks as virtio-blk devices in order, opens a
// read-only one read-only, and refuses a missing file, a directory and
// a device too many.
func TestAddDataDisk(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.ext4"), filepath.Join(dir, "b.ext4")
	for _, p := range []string{a, b} {
		if err := os.WriteFile(p, make([]byte, 1<<20), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m := &machine{}
	defer m.closeDataDisks()
	d0, err := m.addDataDisk(DataDisk{Name: "data", Path: a})
	if err != nil {
		t.Fatal(err)
	}
	d1, err := m.addDataDisk(DataDisk{Name: "logs", Path: b, ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if d0.IRQ != virtioIRQ || d1.Base != d0.Base+d0.Size || len(m.virtio) != 2 || len(m.dataDisks) != 2 {
		t.Errorf("devices %+v %+v, %d virtio, %d files", d0, d1, len(m.virtio), len(m.dataDisks))
	}
	if _, err := m.dataDisks[1].Write([]byte("x")); err == nil {
		t.Error("the read-only disk was opened for writing")
	}
	if _, err := m.addDataDisk(DataDisk{Name: "gone", Path: filepath.Join(dir, "missing")}); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
	if _, err := m.addDataDisk(DataDisk{Name: "dir", Path: dir, ReadOnly: true}); err == nil {
		t.Error("a directory was attached")
	}
	for len(m.virtio) < maxVirtio {
		m.virtio = append(m.virtio, nil)
	}
	if _, err := m.addDataDisk(DataDisk{Name: "many", Path: a}); !errors.Is(err, boot.ErrTooManyDevices) {
		t.Errorf("a device too many: %v", err)
	}
}
