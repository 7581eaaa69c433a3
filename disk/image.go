package disk

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/diskfs/go-diskfs/filesystem/fat12"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
)

// Image is an artifact opened for reading: a raw GPT image (read with
// go-diskfs, no loop mounts) or a --format dir directory.
type Image struct {
	path     string
	dir      bool
	f        *os.File
	esp      *fat32.FileSystem
	espStart int64
	parts    []PartitionInfo
	manifest Manifest
	cmdline  string
	podPath  string
	podOff   int64
	podSize  int64
}

// PartitionInfo is one GPT partition; Start and Size are in bytes.
type PartitionInfo struct {
	Index int    `json:"index"`
	Name  string `json:"name"`
	Type  string `json:"type"`
	GUID  string `json:"guid"`
	Start int64  `json:"start"`
	Size  int64  `json:"size"`
}

// openESP reads an ESP file through its cluster ranges: go-diskfs's own
// File.Read (v1.9.4) can return bytes past the end of a file when a read
// starts inside a cluster.
func (i *Image) openESP(p string) (io.ReadCloser, error) {
	fl, err := i.esp.OpenFile(p, os.O_RDONLY)
	if err != nil {
		return nil, fmt.Errorf("%w: %s in the ESP: %w", ErrMissing, p, err)
	}
	defer fl.Close()
	fi, err := fl.Stat()
	if err != nil {
		return nil, err
	}
	ff, ok := fl.(*fat12.File)
	if !ok {
		return nil, fmt.Errorf("ESP file %s: unexpected type %T", p, fl)
	}
	var parts []io.Reader
	if fi.Size() > 0 {
		ranges, err := ff.GetDiskRanges()
		if err != nil {
			return nil, fmt.Errorf("%w: ESP file %s: %w", ErrNotArtifact, p, err)
		}
		for _, r := range ranges {
			parts = append(parts, io.NewSectionReader(i.f, i.espStart+int64(r.Offset), int64(r.Length)))
		}
	}
	return io.NopCloser(io.LimitReader(io.MultiReader(parts...), fi.Size())), nil
}

func (i *Image) readESP(p string) ([]byte, error) {
	r, err := i.openESP(p)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// Manifest is the artifact's manifest.
func (i *Image) Manifest() Manifest { return i.manifest }

// Cmdline is the kernel command line.
func (i *Image) Cmdline() string { return i.cmdline }

// Format is "raw" or "dir".
func (i *Image) Format() string {
	if i.dir {
		return "dir"
	}
	return "raw"
}

// Partitions lists the GPT partitions (none for the directory format).
func (i *Image) Partitions() []PartitionInfo { return i.parts }

// PodFS says where the pod's ext4 is: the artifact file itself at an
// offset (the runner attaches the whole artifact, read-only, as the
// guest's first disk) or, in the directory format, pod.ext4 at offset 0.
func (i *Image) PodFS() (path string, offset, size int64) {
	return i.podPath, i.podOff, i.podSize
}

// Kernel opens the bzImage.
func (i *Image) Kernel() (io.ReadCloser, error) { return i.open(ESPKernel, DirKernel) }

// Initrd opens the initramfs.
func (i *Image) Initrd() (io.ReadCloser, error) { return i.open(ESPInitrd, DirInitrd) }

func (i *Image) open(espPath, dirName string) (io.ReadCloser, error) {
	if i.dir {
		return os.Open(filepath.Join(i.path, dirName))
	}
	return i.openESP(espPath)
}

// BootFiles returns host paths of the kernel and the initramfs for direct
// kernel boot: the directory format's own files, or copies written into
// dir for a raw image.
func (i *Image) BootFiles(dir string) (kernel, initrd string, err error) {
	if i.dir {
		return filepath.Join(i.path, DirKernel), filepath.Join(i.path, DirInitrd), nil
	}
	kernel, initrd = filepath.Join(dir, DirKernel), filepath.Join(dir, DirInitrd)
	for _, x := range []struct {
		open func() (io.ReadCloser, error)
		dst  string
	}{{i.Kernel, kernel}, {i.Initrd, initrd}} {
		if err := extract(x.open, x.dst); err != nil {
			return "", "", fmt.Errorf("extracting boot files from %s: %w", i.path, err)
		}
	}
	return kernel, initrd, nil
}

func extract(open func() (io.ReadCloser, error), dst string) error {
	r, err := open()
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// Close releases the artifact file.
func (i *Image) Close() error {
	if i.f == nil {
		return nil
	}
	return i.f.Close()
}
