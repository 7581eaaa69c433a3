package kvm

import (
	"errors"
	"testing"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/runner/kvm/boot"
	"github.com/hyperbuild/hyper/runner/kvm/virtio"
)

// TestVirtioLines: every virtio device has a line of its own among the
// IOAPIC's 24, never the SCI's (a level-triggered line an edge-triggered
// device would share).
func TestVirtioLines(t *testing.T) {
	seen := map[uint32]bool{}
	for i := range maxVirtio {
		l := virtioLine(i)
		if l == sciLine || l < virtioIRQ || l > 23 || seen[l] {
			t.Errorf("device %d: line %d", i, l)
		}
		seen[l] = true
	}
}

// TestAddShare attaches shares as virtio-9p devices after the others
// and refuses a directory that is not there and a device too many.
func TestAddShare(t *testing.T) {
	m := &machine{}
	d, err := m.addShare(Share{Tag: "src", Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer m.closeShares()
	if d.IRQ != virtioIRQ || len(m.shares) != 1 {
		t.Errorf("first device: %+v, %d shares", d, len(m.shares))
	}
	if _, err := m.addShare(Share{Tag: "gone", Dir: t.TempDir() + "/missing"}); !errors.Is(err, virtio.ErrShare) {
		t.Errorf("missing directory: %v", err)
	}
	for len(m.virtio) < maxVirtio {
		m.virtio = append(m.virtio, nil)
	}
	if _, err := m.addShare(Share{Tag: "many", Dir: t.TempDir()}); !errors.Is(err, boot.ErrTooManyDevices) {
		t.Errorf("a device too many: %v", err)
	}
}

// TestShareMsize: the server takes the messages hyperstart's mount asks
// for.
func TestShareMsize(t *testing.T) {
	if virtio.P9MsizeMax < contract.ShareMsize {
		t.Errorf("P9MsizeMax %d < contract.ShareMsize %d", virtio.P9MsizeMax, contract.ShareMsize)
	}
}
