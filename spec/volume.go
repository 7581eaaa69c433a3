package spec

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/hyperbuild/hyper/contract"
)

// The checks shared by both front ends for what a volume's type allows.
// Each returns the diagnostic's summary and detail, or "" when all is well.

// volumeTypeError checks a type name.
func volumeTypeError(s string) (summary, detail string) {
	switch contract.VolumeType(s) {
	case contract.VolumeTmpfs, contract.VolumeDisk, contract.VolumeHost:
		return "", ""
	}
	return "Unsupported volume type", fmt.Sprintf("Volume type %q is not one hyper has: \"tmpfs\" (memory, empty at every boot), \"disk\" (an ext4 data disk that persists) or \"host\" (a host directory bound at run time).", s)
}

// volumeSizeError checks a size for the volume's type.
func volumeSizeError(t contract.VolumeType, n int64) (summary, detail string) {
	switch t {
	case contract.VolumeHost:
		return "Unexpected size", "A host volume shows a host directory, which has no size; leave size out."
	case contract.VolumeDisk:
		if err := contract.CheckDiskSize(n); err != nil {
			return "Invalid disk size", sentence(err)
		}
	}
	return "", ""
}

// volumeSeed resolves a disk volume's seed directory against the pod
// file's directory and checks it.
func volumeSeed(t contract.VolumeType, s, dir string) (seed, summary, detail string) {
	if t != contract.VolumeDisk {
		return "", "Unexpected seed", fmt.Sprintf("Only a disk volume has a seed (the directory a new data disk starts with); this volume is %s.", t)
	}
	if s == "" {
		return "", "Invalid seed", "A seed is a directory; a relative path is relative to the pod file's directory."
	}
	if !filepath.IsAbs(s) {
		s = filepath.Join(dir, s)
	}
	fi, err := os.Stat(s)
	switch {
	case err != nil:
		return "", "Seed not found", fmt.Sprintf("Cannot use %s as the seed (%v); a relative path is relative to the pod file's directory.", s, errors.Unwrap(err))
	case !fi.IsDir():
		return "", "Invalid seed", fmt.Sprintf("%s is not a directory; a seed is a directory whose files the new data disk starts with.", s)
	}
	return s, "", ""
}

// volumeReadOnlyError checks read_only (spelled field) for the volume's type.
func volumeReadOnlyError(t contract.VolumeType, field string) (summary, detail string) {
	if t == contract.VolumeHost {
		return "", ""
	}
	return "Unexpected " + field, fmt.Sprintf("Only a host volume is shared read-only as a whole; for a %s volume, make a container's mount read-only instead.", t)
}

// volumeNameError checks what a disk volume's type adds to its name.
func volumeNameError(t contract.VolumeType, name string) (summary, detail string) {
	if t == contract.VolumeDisk && len(name) > contract.DiskSerialMax {
		return "Disk volume name too long", fmt.Sprintf("A disk volume's name is its disk's serial, at most %d bytes; %q has %d.", contract.DiskSerialMax, name, len(name))
	}
	if t == contract.VolumeDisk && name == contract.ArtifactSerial {
		return "Reserved disk volume name", fmt.Sprintf("%q is the serial of the artifact's own disk; choose another name.", name)
	}
	return "", ""
}

// diskSizeMissing is said when a disk volume has no size.
const diskSizeMissing = `A disk volume needs a size, such as size = "1GiB": its ext4 image is made that size.`
