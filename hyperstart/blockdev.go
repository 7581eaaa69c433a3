package hyperstart

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// ext4 superblock layout: the superblock starts 1024 bytes into the
// device; the magic and the volume label sit at fixed offsets in it.
const (
	superblockOffset = 1024
	ext4MagicOffset  = 0x38
	ext4LabelOffset  = 0x78
	ext4LabelLen     = 16
	ext4Magic        = 0xEF53
)

// Ext4Label returns an ext4 (or ext2/3) filesystem's volume label, and
// false when r holds no such filesystem.
func Ext4Label(r io.ReaderAt) (string, bool) {
	var sb [ext4LabelOffset + ext4LabelLen]byte
	if _, err := r.ReadAt(sb[:], superblockOffset); err != nil {
		return "", false
	}
	if binary.LittleEndian.Uint16(sb[ext4MagicOffset:]) != ext4Magic {
		return "", false
	}
	label := sb[ext4LabelOffset:]
	if i := bytes.IndexByte(label, 0); i >= 0 {
		label = label[:i]
	}
	return string(label), true
}

// FindByLabel scans the block devices the kernel lists in sysBlock
// (/sys/class/block: disks and partitions) for an ext4 filesystem labelled
// label and returns its node in devDir (/dev).
func FindByLabel(sysBlock, devDir, label string) (string, error) {
	entries, err := os.ReadDir(sysBlock)
	if err != nil {
		return "", fmt.Errorf("listing block devices: %w", err)
	}
	for _, e := range entries {
		if s := diskSerial(sysBlock, e.Name()); s != "" && s != contract.ArtifactSerial {
			continue // a data disk: never the pod's, whatever its label
		}
		dev := filepath.Join(devDir, e.Name())
		f, err := os.Open(dev)
		if err != nil {
			continue
		}
		got, ok := Ext4Label(f)
		f.Close()
		if ok && got == label {
			return dev, nil
		}
	}
	return "", fmt.Errorf("label %q: %w", label, ErrNoPodDisk)
}

// WaitForLabel retries FindByLabel every poll until timeout: virtio disks
// may appear a little after init starts.
func WaitForLabel(sysBlock, devDir, label string, timeout, poll time.Duration) (string, error) {
	deadline := time.Now().Add(timeout)
	for {
		dev, err := FindByLabel(sysBlock, devDir, label)
		if err == nil || time.Now().After(deadline) {
			return dev, err
		}
		time.Sleep(poll)
	}
}
