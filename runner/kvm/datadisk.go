package kvm

import (
	"fmt"
	"os"

	"github.com/hyperbuild/hyper/runner/kvm/boot"
	"github.com/hyperbuild/hyper/runner/kvm/virtio"
)

// DataDisk is a disk volume's image: one more virtio-blk device after the
// artifact's, read-write unless ReadOnly, whose GET_ID serial is Name
// (hyperstart finds the volume by it). Writes go to the file as the guest
// makes them; only the guest's FLUSH syncs it (fsync), which is all its
// journal needs to survive a kill of the VMM.
type DataDisk struct {
	Name     string
	Path     string
	ReadOnly bool
}

// addDataDisk attaches d; the file stays open until the VM is closed.
func (m *machine) addDataDisk(d DataDisk) (boot.MMIODevice, error) {
	if len(m.virtio) >= maxVirtio {
		return boot.MMIODevice{}, fmt.Errorf("attaching data disk %q: %w: at most %d virtio devices", d.Name, boot.ErrTooManyDevices, maxVirtio)
	}
	flag := os.O_RDWR
	if d.ReadOnly {
		flag = os.O_RDONLY
	}
	f, err := os.OpenFile(d.Path, flag, 0)
	if err != nil {
		return boot.MMIODevice{}, fmt.Errorf("opening data disk %q: %w", d.Name, err)
	}
	m.dataDisks = append(m.dataDisks, f)
	fi, err := f.Stat()
	if err != nil {
		return boot.MMIODevice{}, fmt.Errorf("opening data disk %q: %w", d.Name, err)
	}
	if !fi.Mode().IsRegular() {
		return boot.MMIODevice{}, fmt.Errorf("data disk %q: %s is not a regular file", d.Name, d.Path)
	}
	blk := virtio.NewBlk(f, fi.Size(), d.ReadOnly, d.Name)
	dev := m.nextMMIO()
	m.virtio = append(m.virtio, virtio.NewMMIO(blk, m.gmem, irqFunc(m.irq), dev.IRQ))
	return dev, nil
}

func (m *machine) closeDataDisks() {
	for _, f := range m.dataDisks {
		f.Close()
	}
	m.dataDisks = nil
}
