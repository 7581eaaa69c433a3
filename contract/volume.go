package contract

import (
	"fmt"
	"path/filepath"
)

// Data disk sizes: the pod file's checks, the builder and the runner use
// these, so a disk that one accepts every other does.
const (
	// MinDiskBytes is the smallest disk volume: room for ext4's metadata
	// and its journal with space to spare.
	MinDiskBytes = 16 << 20
	// MaxDiskBytes bounds a disk volume (1 TiB): the image is sparse, but
	// more is a typo.
	MaxDiskBytes = 1 << 40
	// DiskSizeUnit: a disk volume is a whole number of MiB.
	DiskSizeUnit = 1 << 20
)

// ArtifactSerial is the virtio serial of the artifact's own disk where a
// backend gives it one (the kvm backend does): no disk volume may take it,
// so that hyperstart never mistakes a data disk for the pod's.
const ArtifactSerial = "hyper-artifact"

// CheckVolume reports whether v is a volume hyper can provide: a known
// type, and the fields that type takes, within their limits. Names are
// checked by the pod file's rules (package spec); here only a disk
// volume's length, which its serial bounds.
func CheckVolume(v Volume) error {
	switch v.Type {
	case VolumeTmpfs, "":
		if v.Seed != "" {
			return fmt.Errorf("volume %q: a tmpfs volume has no seed (it starts empty at every boot); use type \"disk\"", v.Name)
		}
		if v.ReadOnly {
			return fmt.Errorf("volume %q: a tmpfs volume is not read-only; make a container's mount read_only instead", v.Name)
		}
		if v.SizeBytes < 0 {
			return fmt.Errorf("volume %q: size %d is negative", v.Name, v.SizeBytes)
		}
	case VolumeDisk:
		if len(v.Name) > DiskSerialMax {
			return fmt.Errorf("disk volume %q: a disk volume's name is its disk's serial, at most %d bytes; choose a shorter name", v.Name, DiskSerialMax)
		}
		if v.Name == ArtifactSerial {
			return fmt.Errorf("disk volume %q: the name is the artifact disk's serial; choose another", v.Name)
		}
		if err := CheckDiskSize(v.SizeBytes); err != nil {
			return fmt.Errorf("disk volume %q: %w", v.Name, err)
		}
		if v.Seed != "" && !filepath.IsAbs(v.Seed) {
			return fmt.Errorf("disk volume %q: seed %q is not an absolute path", v.Name, v.Seed)
		}
		if v.ReadOnly {
			return fmt.Errorf("disk volume %q: read_only is for host volumes; make a container's mount read_only instead", v.Name)
		}
	case VolumeHost:
		if v.SizeBytes != 0 {
			return fmt.Errorf("host volume %q: a host directory has no size", v.Name)
		}
		if v.Seed != "" {
			return fmt.Errorf("host volume %q: a host volume has no seed; it shows the host directory bound at run time (hyperboot -v DIR:%s)", v.Name, v.Name)
		}
	default:
		return fmt.Errorf("volume %q: unknown type %q; hyper has \"tmpfs\", \"disk\" and \"host\"", v.Name, v.Type)
	}
	return nil
}

// CheckDiskSize reports whether n bytes is a valid disk volume size: a
// whole number of MiB from MinDiskBytes to MaxDiskBytes.
func CheckDiskSize(n int64) error {
	switch {
	case n == 0:
		return fmt.Errorf("no size: a disk volume needs one, such as size = \"1GiB\"")
	case n < MinDiskBytes || n > MaxDiskBytes:
		return fmt.Errorf("size %d bytes: want %d MiB to %d GiB", n, MinDiskBytes>>20, MaxDiskBytes>>30)
	case n%DiskSizeUnit != 0:
		return fmt.Errorf("size %d bytes: a disk volume is a whole number of MiB", n)
	}
	return nil
}
