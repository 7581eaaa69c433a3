package qemu

import (
	"fmt"

	"github.com/hyperbuild/hyper/runner"
)

// shareArgs shares the pod's host volumes over 9P: per share a "local"
// fsdev on the directory and a virtio-9p device whose mount tag is the
// volume's name, which hyperstart mounts.
//
// security_model=none is the rootless model and the kvm backend's: QEMU
// runs as the user who runs hyperboot, so what the guest creates belongs
// to that user on the host, the guest sees the host's uids, gids and
// modes as they are, and an ownership change that user may not make is
// ignored (mapped-xattr would instead keep the guest's owners in xattrs
// the host does not see). QEMU's local backend opens every path beneath
// the directory without following links (since 2.9); readonly=on makes
// it refuse writes; multidevs=remap keeps inode numbers apart when the
// directory spans file systems.
func shareArgs(machine string, shares []runner.Share) []string {
	dev := "virtio-9p-pci"
	if machine == Microvm {
		dev = "virtio-9p-device"
	}
	var a []string
	for i, s := range shares {
		id := fmt.Sprintf("share%d", i)
		fsdev := "local,id=" + id + ",path=" + escapeOpt(s.Path) + ",security_model=none,multidevs=remap"
		if s.ReadOnly {
			fsdev += ",readonly=on"
		}
		a = append(a, "-fsdev", fsdev, "-device", dev+",fsdev="+id+",mount_tag="+escapeOpt(s.Name))
	}
	return a
}
