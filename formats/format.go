package formats

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Format is an output format of hyperbuild.
type Format string

// The formats. Raw and Dir are the disk package's own; the others are
// made from a raw image here.
const (
	Raw                 Format = "raw"
	Dir                 Format = "dir"
	QCOW2               Format = "qcow2"
	VHD                 Format = "vhd"
	GCE                 Format = "gce"
	VMDK                Format = "vmdk"
	RawBIOS             Format = "raw-bios"
	ContainerDiskFormat Format = "containerdisk"
)

// Errors.
var (
	// ErrUnknownFormat is a --format this package does not know.
	ErrUnknownFormat = errors.New("unknown output format")
	// ErrMissingTool is a format whose tool is not installed; the error
	// names the Debian package to install.
	ErrMissingTool = errors.New("tool not installed")
)

var about = map[Format]string{
	Raw:                 "one GPT disk image, UEFI (default)",
	Dir:                 "a directory: bzImage, initrd.img, pod.ext4, cmdline, manifest.json",
	QCOW2:               "compressed qcow2 (QEMU, libvirt, OpenStack)",
	VHD:                 "fixed VHD, 1 MiB aligned (Azure)",
	GCE:                 "disk.raw in a sparse tar.gz (GCE image import)",
	VMDK:                "stream-optimized VMDK (AWS import-image, VMware)",
	RawBIOS:             "raw image that also boots on legacy-BIOS machines",
	ContainerDiskFormat: "KubeVirt containerDisk: an OCI image archive, /disk/disk.img",
}

// All lists the formats, sorted by name.
func All() []Format {
	out := make([]Format, 0, len(about))
	for f := range about {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// About says in a few words what f is, for --help and completions.
func (f Format) About() string { return about[f] }

// Parse checks a --format value.
func Parse(s string) (Format, error) {
	f := Format(s)
	if _, ok := about[f]; ok {
		return f, nil
	}
	names := make([]string, 0, len(about))
	for _, f := range All() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("%w %q: want one of %s", ErrUnknownFormat, s, strings.Join(names, ", "))
}

// Converted reports whether f is made from a finished raw image by
// Convert (every format but raw, raw-bios and dir).
func (f Format) Converted() bool {
	switch f {
	case QCOW2, VHD, GCE, VMDK, ContainerDiskFormat:
		return true
	}
	return false
}

// QEMUFormat is the name QEMU's -drive format= gives f's disk, for the
// formats QEMU boots as they are.
func (f Format) QEMUFormat() string {
	switch f {
	case Raw, RawBIOS:
		return "raw"
	case QCOW2:
		return "qcow2"
	case VHD:
		return "vpc"
	case VMDK:
		return "vmdk"
	}
	return ""
}
