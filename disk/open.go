package disk

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat12"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/diskfs/go-diskfs/partition/gpt"

	"github.com/hyperbuild/hyper/contract"
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

// Open opens the artifact at path, a file written by WriteImage or a
// directory written by WriteDir, and reads its manifest and command line.
func Open(path string) (*Image, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("opening artifact: %w", err)
	}
	var img *Image
	if fi.IsDir() {
		img, err = openDir(path)
	} else {
		img, err = openRaw(path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening artifact %s: %w", path, err)
	}
	return img, nil
}

func openDir(dir string) (*Image, error) {
	img := &Image{path: dir, dir: true, podPath: filepath.Join(dir, DirPodFS)}
	mb, err := os.ReadFile(filepath.Join(dir, DirManifest))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s in the directory", ErrNotArtifact, DirManifest)
	}
	if err != nil {
		return nil, err
	}
	if img.manifest, err = decodeManifest(mb); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotArtifact, err)
	}
	cb, err := os.ReadFile(filepath.Join(dir, DirCmdline))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMissing, err)
	}
	img.cmdline = strings.TrimSuffix(string(cb), "\n")
	for _, n := range []string{DirKernel, DirInitrd} {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMissing, err)
		}
	}
	st, err := os.Stat(img.podPath)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMissing, err)
	}
	img.podSize = st.Size()
	return img, nil
}

func openRaw(path string) (img *Image, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	img = &Image{path: path, f: f, podPath: path}
	t, err := gpt.Read(f, sectorSize, sectorSize)
	if err != nil {
		return nil, fmt.Errorf("%w: no GPT partition table: %w", ErrNotArtifact, err)
	}
	var esp, pod *PartitionInfo
	for _, p := range t.Partitions {
		if p.Type == gpt.Unused {
			continue
		}
		pi := PartitionInfo{
			Index: p.Index, Name: p.Name, Type: string(p.Type), GUID: p.GUID,
			Start: int64(p.Start) * sectorSize, Size: int64(p.End-p.Start+1) * sectorSize,
		}
		img.parts = append(img.parts, pi)
		switch {
		case p.Type == gpt.EFISystemPartition && esp == nil:
			esp = &img.parts[len(img.parts)-1]
		case p.Name == podName && pod == nil:
			pod = &img.parts[len(img.parts)-1]
		}
	}
	if esp == nil {
		return nil, fmt.Errorf("%w: no EFI System Partition", ErrMissing)
	}
	if pod == nil {
		return nil, fmt.Errorf("%w: no partition named %q", ErrMissing, podName)
	}
	img.podOff, img.podSize = pod.Start, pod.Size
	if err := checkExt4(f, pod.Start); err != nil {
		return nil, fmt.Errorf("%w: the pod partition %w", ErrNotArtifact, err)
	}
	img.espStart = esp.Start
	v, err := readFAT(f, esp.Start, esp.Size)
	if err == nil {
		err = v.walk(f, nil, nil)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: the ESP: %w", ErrNotArtifact, err)
	}
	if img.esp, err = fat32.Read(file.New(f, true), esp.Size, esp.Start, sectorSize); err != nil {
		return nil, fmt.Errorf("%w: reading the ESP: %w", ErrNotArtifact, err)
	}
	mb, err := img.readESP(ESPManifest)
	if err != nil {
		return nil, err
	}
	if img.manifest, err = decodeManifest(mb); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotArtifact, err)
	}
	cb, err := img.readESP(ESPCmdline)
	if err != nil {
		return nil, err
	}
	img.cmdline = strings.TrimSuffix(string(cb), "\n")
	return img, nil
}

// checkExt4 checks an ext4 superblock's magic and label; the error says
// what is wrong, for the caller to say where.
func checkExt4(f io.ReaderAt, off int64) error {
	sb := make([]byte, 136)
	if _, err := f.ReadAt(sb, off+1024); err != nil {
		return fmt.Errorf("holds no ext4 filesystem: %w", err)
	}
	if sb[56] != 0x53 || sb[57] != 0xef {
		return errors.New("holds no ext4 filesystem")
	}
	if l := strings.TrimRight(string(sb[120:136]), "\x00"); l != contract.PodLabel {
		return fmt.Errorf("has the ext4 label %q, want %q", l, contract.PodLabel)
	}
	return nil
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
