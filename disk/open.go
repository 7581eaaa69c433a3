package disk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
	"github.com/diskfs/go-diskfs/partition/gpt"

	"github.com/hyperbuild/hyper/contract"
)

// Open opens the artifact at path, a file written by WriteImage (a block
// device holding one works too) or a directory written by WriteDir, and
// reads its manifest and command line. It never blocks on a named pipe
// and refuses an artifact whose partitions or parts end past the end of
// their file (ErrTruncated): a copy cut short.
func Open(path string) (*Image, error) {
	f, fi, err := openFile(path, true)
	if err != nil {
		return nil, fmt.Errorf("opening artifact %s: %w", path, err)
	}
	var img *Image
	if fi.IsDir() {
		f.Close()
		img, err = openDir(path)
	} else {
		img, err = openRaw(path, f)
	}
	if err != nil {
		return nil, fmt.Errorf("opening artifact %s: %w", path, err)
	}
	return img, nil
}

// openFile opens path for reading if it is a regular file, a block device
// or (when dirOK) a directory. The open does not block (O_NONBLOCK), so a
// named pipe is reported, not waited on; the type comes from the open
// file, so that it cannot change between the check and the use.
func openFile(path string, dirOK bool) (*os.File, os.FileInfo, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	m := fi.Mode()
	if m.IsRegular() || (m&os.ModeDevice != 0 && m&os.ModeCharDevice == 0) || (dirOK && m.IsDir()) {
		// Reads of regular files and block devices ignore O_NONBLOCK;
		// clear it anyway, so that the file behaves as a plain open's.
		if err := syscall.SetNonblock(int(f.Fd()), false); err != nil {
			f.Close()
			return nil, nil, err
		}
		return f, fi, nil
	}
	f.Close()
	return nil, nil, fmt.Errorf("%w: %s is %s", ErrNotFile, path, FileKind(m))
}

// fileSize is the size of a regular file or a block device.
func fileSize(f *os.File, fi os.FileInfo) (int64, error) {
	if fi.Mode().IsRegular() {
		return fi.Size(), nil
	}
	n, err := f.Seek(0, io.SeekEnd)
	if err != nil {
		return 0, fmt.Errorf("finding the size of %s: %w", f.Name(), err)
	}
	return n, nil
}

// readRegular reads a whole file of a directory artifact, refusing what
// is not a regular file.
func readRegular(path string) ([]byte, error) {
	f, _, err := openFile(path, false)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

func openDir(dir string) (*Image, error) {
	img := &Image{path: dir, dir: true, podPath: filepath.Join(dir, DirPodFS)}
	mb, err := readRegular(filepath.Join(dir, DirManifest))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s in the directory", ErrNotArtifact, DirManifest)
	}
	if err != nil {
		return nil, err
	}
	if img.manifest, err = decodeManifest(mb); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotArtifact, err)
	}
	cb, err := readRegular(filepath.Join(dir, DirCmdline))
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMissing, err)
	}
	img.cmdline = strings.TrimSuffix(string(cb), "\n")
	for _, n := range []string{DirKernel, DirInitrd, DirPodFS} {
		f, fi, err := openFile(filepath.Join(dir, n), false)
		if err != nil {
			return nil, fmt.Errorf("%w: %w", ErrMissing, err)
		}
		size, err := fileSize(f, fi)
		if err == nil && n == DirPodFS {
			img.podSize = size
			if err = checkExt4(f, 0, size); errors.Is(err, ErrTruncated) {
				err = fmt.Errorf("%s: %w", n, err)
			} else if err != nil {
				err = fmt.Errorf("%w: %s %w", ErrNotArtifact, n, err)
			}
		}
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	return img, nil
}

func openRaw(path string, f *os.File) (img *Image, err error) {
	defer func() {
		if err != nil {
			f.Close()
		}
	}()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	size, err := fileSize(f, fi)
	if err != nil {
		return nil, err
	}
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
		if end := pi.Start + pi.Size; pi.Start < 0 || pi.Size <= 0 || end > size {
			return nil, fmt.Errorf("%w: partition %d (%s) ends at byte %d, past the end of the file (%d bytes): copy it again", ErrTruncated, pi.Index, pi.Name, end, size)
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
	if err := checkExt4(f, pod.Start, pod.Size); err != nil {
		if errors.Is(err, ErrTruncated) {
			return nil, fmt.Errorf("partition %d (%s): %w", pod.Index, pod.Name, err)
		}
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

// checkExt4 checks an ext4 superblock's magic and label, and that the
// filesystem fits in the size bytes it is given; the error says what is
// wrong, for the caller to say where.
func checkExt4(f io.ReaderAt, off, size int64) error {
	sb := make([]byte, 0x154)
	if _, err := f.ReadAt(sb, off+1024); err != nil {
		return fmt.Errorf("holds no ext4 filesystem: %w", err)
	}
	if sb[56] != 0x53 || sb[57] != 0xef {
		return errors.New("holds no ext4 filesystem")
	}
	if l := strings.TrimRight(string(sb[120:136]), "\x00"); l != contract.PodLabel {
		return fmt.Errorf("has the ext4 label %q, want %q", l, contract.PodLabel)
	}
	blocks := uint64(binary.LittleEndian.Uint32(sb[4:]))
	if incompat := binary.LittleEndian.Uint32(sb[0x60:]); incompat&0x80 != 0 { // INCOMPAT_64BIT
		blocks |= uint64(binary.LittleEndian.Uint32(sb[0x150:])) << 32
	}
	logBlock := binary.LittleEndian.Uint32(sb[24:])
	if logBlock > 6 {
		return fmt.Errorf("holds an ext4 filesystem with blocks of 2^%d KiB", logBlock)
	}
	if fs := blocks << (10 + logBlock); fs > uint64(size) {
		return fmt.Errorf("%w: the ext4 filesystem is %d bytes, only %d are there: copy it again", ErrTruncated, fs, size)
	}
	return nil
}
