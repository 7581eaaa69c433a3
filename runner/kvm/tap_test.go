package kvm

import (
	"errors"
	"os"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/hyperbuild/hyper/runner/kvm/virtio"
)

// TestOpenTap opens a tap device the way the NIC does and sends a frame
// with its virtio-net header through it.
func TestOpenTap(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("creating a tap device needs root")
	}
	tap, err := openTap("hypertest0")
	if errors.Is(err, unix.EPERM) || errors.Is(err, os.ErrNotExist) || errors.Is(err, unix.ENODEV) {
		t.Skipf("no tap devices here: %v", err)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer tap.Close()
	frame := make([]byte, virtio.NetHdrLen+60)
	copy(frame[virtio.NetHdrLen:], []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2, 0, 0, 0, 0, 1, 0x08, 0x06})
	if _, err := tap.Write(frame); err != nil && !errors.Is(err, unix.EIO) { // EIO: the interface is down
		t.Errorf("writing a frame: %v", err)
	}
}
