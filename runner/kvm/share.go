package kvm

import (
	"fmt"
	"sync"

	"github.com/hyperbuild/hyper/runner/kvm/boot"
	"github.com/hyperbuild/hyper/runner/kvm/virtio"
)

// Share is a host directory the guest mounts over 9P by Tag (a host
// volume: hyperstart mounts the volume of that name).
type Share struct {
	Tag      string
	Dir      string
	ReadOnly bool
}

// share is one virtio-9p device and the directory it serves.
type share struct {
	fs   *virtio.ShareFS
	dev  *virtio.P9
	mmio *virtio.MMIO
}

// addShare opens s's directory and attaches a virtio-9p device for it.
func (m *machine) addShare(s Share) (boot.MMIODevice, error) {
	if len(m.virtio) >= maxVirtio {
		return boot.MMIODevice{}, fmt.Errorf("sharing %s as %q: %w: at most %d virtio devices", s.Dir, s.Tag, boot.ErrTooManyDevices, maxVirtio)
	}
	fs, err := virtio.OpenShare(s.Dir, s.ReadOnly)
	if err != nil {
		return boot.MMIODevice{}, fmt.Errorf("sharing %s as %q: %w", s.Dir, s.Tag, err)
	}
	dev, err := virtio.NewP9(fs, s.Tag)
	if err != nil {
		fs.Close()
		return boot.MMIODevice{}, fmt.Errorf("sharing %s as %q: %w", s.Dir, s.Tag, err)
	}
	d := m.nextMMIO()
	t := virtio.NewMMIO(dev, m.gmem, irqFunc(m.irq), d.IRQ)
	m.virtio = append(m.virtio, t)
	m.shares = append(m.shares, &share{fs: fs, dev: dev, mmio: t})
	return d, nil
}

// serveShares starts each share's request loop; each ends, and touches
// guest memory no more, once m.stop.done is closed.
func (m *machine) serveShares(devices *sync.WaitGroup) {
	for _, s := range m.shares {
		devices.Add(1)
		go func() {
			defer devices.Done()
			s.dev.Serve(s.mmio, m.stop.done)
		}()
	}
}

// closeShares releases the shared directories.
func (m *machine) closeShares() {
	for _, s := range m.shares {
		s.dev.Stop()
		s.fs.Close()
	}
	m.shares = nil
}
