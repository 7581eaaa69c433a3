package disk

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk/ext4"
)

// Data disks: a disk volume's ext4 image, a plain file (no partition
// table) the guest mounts read-write. The builder makes it beside the
// artifact; the runner checks it before boot.

// ErrDataDisk is a data disk that cannot serve its volume: not ext4, not
// the volume's size, not a regular file.
var ErrDataDisk = errors.New("unusable data disk")

// DataDiskPath is where the builder puts volume name's data disk for the
// artifact at artifact (an image file or a --format dir directory): beside
// it, ".img" replaced by ".NAME.ext4" (web.img -> web.data.ext4; a
// directory web -> web.data.ext4), so that rebuilding the artifact, which
// replaces it whole, keeps the data.
func DataDiskPath(artifact, name string) string {
	base := strings.TrimSuffix(filepath.Clean(artifact), ".img")
	return base + "." + name + ".ext4"
}

// dataDiskOptions are the ext4 writer's options for v's data disk:
// exactly its size, with mke2fs's journal, a fixed time.
func dataDiskOptions(v contract.Volume, epoch time.Time) []ext4.Option {
	return []ext4.Option{
		ext4.WithSize(v.SizeBytes),
		ext4.WithMaxSize(v.SizeBytes), // a seed too large fails early
		ext4.WithJournal(ext4.DefaultJournalBlocks(v.SizeBytes)),
		ext4.WithTime(epoch),
	}
}

// WriteDataDisk writes the data disk of volume v to f (a new, empty
// file): an ext4 image of exactly v.SizeBytes with a journal, its top
// directory mode 0777 (as a tmpfs volume's), holding the files of v.Seed
// when it has one (read with WriteSeedTar: owned by root, times set to
// epoch).
func WriteDataDisk(f *os.File, v contract.Volume, epoch time.Time) error {
	if v.Type != contract.VolumeDisk {
		return fmt.Errorf("volume %q: a %s volume has no data disk: %w", v.Name, v.Type, ErrBadInput)
	}
	if err := contract.CheckVolume(v); err != nil {
		return fmt.Errorf("%w: %w", err, ErrBadInput)
	}
	w, err := ext4.NewWriter(f, dataDiskOptions(v, epoch)...)
	if err != nil {
		return fmt.Errorf("data disk %q: %w", v.Name, err)
	}
	// The top directory is open to every user, as a tmpfs volume's is, so
	// that a container that does not run as root can write there too.
	if err := w.AddTar("", rootDirTar(epoch)); err != nil {
		return fmt.Errorf("data disk %q: %w", v.Name, err)
	}
	if v.Seed != "" {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(WriteSeedTar(pw, v.Seed, epoch)) }()
		err := w.AddTar("", pr)
		pr.CloseWithError(err) // unblocks the writer if AddTar stopped early
		if err != nil {
			return seedError(v, err)
		}
	}
	st, err := w.Close()
	if err != nil {
		return seedError(v, err)
	}
	if err := f.Truncate(st.Size); err != nil {
		return fmt.Errorf("data disk %q: %w", v.Name, err)
	}
	return nil
}

// rootDirTar is a tar of one entry: the top directory, mode 0777.
func rootDirTar(epoch time.Time) io.Reader {
	var b bytes.Buffer
	tw := tar.NewWriter(&b)
	tw.WriteHeader(&tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o777, ModTime: epoch, Format: tar.FormatPAX})
	tw.Close()
	return &b
}

func seedError(v contract.Volume, err error) error {
	if errors.Is(err, ext4.ErrTooLarge) && v.Seed != "" {
		return fmt.Errorf("data disk %q: the seed %s does not fit in %d MiB; raise the volume's size: %w", v.Name, v.Seed, v.SizeBytes>>20, err)
	}
	if v.Seed != "" {
		return fmt.Errorf("data disk %q: seeding from %s: %w", v.Name, v.Seed, err)
	}
	return fmt.Errorf("data disk %q: %w", v.Name, err)
}

// CreateDataDisk makes v's data disk at path, which must not exist: it is
// written to a temporary file beside path, synced, and linked into place
// only when complete, so path is either absent or a whole disk, and an
// existing file is never replaced (os.ErrExist).
func CreateDataDisk(path string, v contract.Volume, epoch time.Time) (err error) {
	if _, err := os.Lstat(path); err == nil {
		return fmt.Errorf("creating data disk %s: %w", path, os.ErrExist)
	}
	f, err := os.CreateTemp(filepath.Dir(path), ".hyper-data-*.ext4")
	if err != nil {
		return fmt.Errorf("creating data disk %s: %w", path, err)
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	if err := WriteDataDisk(f, v, epoch); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("creating data disk %s: %w", path, err)
	}
	if err := f.Chmod(0o600); err != nil {
		return fmt.Errorf("creating data disk %s: %w", path, err)
	}
	if err := os.Link(f.Name(), path); err != nil {
		return fmt.Errorf("creating data disk %s: %w", path, err)
	}
	return nil
}

// CheckDataDisk reports whether the file f (open for reading, at path,
// for messages) can serve volume v: a regular file of exactly v's size
// holding an ext4 filesystem of that size.
func CheckDataDisk(f *os.File, path string, v contract.Volume) error {
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("data disk %s: %w", path, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("data disk %s for volume %q: %s, not a regular file: %w", path, v.Name, kindOf(fi), ErrDataDisk)
	}
	if fi.Size() != v.SizeBytes {
		return fmt.Errorf("data disk %s for volume %q: %d bytes, the volume is %d (%d MiB); pass the disk built for this pod, or move this one away to start afresh: %w", path, v.Name, fi.Size(), v.SizeBytes, v.SizeBytes>>20, ErrDataDisk)
	}
	var sb [1024]byte
	if _, err := f.ReadAt(sb[:], 1024); err != nil {
		return fmt.Errorf("data disk %s: reading its superblock: %w", path, err)
	}
	le := binary.LittleEndian
	if le.Uint16(sb[0x38:]) != 0xEF53 {
		return fmt.Errorf("data disk %s for volume %q: not an ext4 filesystem (no ext2/3/4 superblock); make one with hyperbuild, or pass -v %s=NEWFILE to have one made: %w", path, v.Name, v.Name, ErrDataDisk)
	}
	logBlock := le.Uint32(sb[0x18:])
	if logBlock > 6 {
		return fmt.Errorf("data disk %s: block size 2^%d KiB: %w", path, logBlock, ErrDataDisk)
	}
	blocks := uint64(le.Uint32(sb[0x04:]))
	if le.Uint32(sb[0x60:])&0x80 != 0 { // 64bit: blocks_count_hi
		blocks |= uint64(le.Uint32(sb[0x150:])) << 32
	}
	if fsSize := blocks << (10 + logBlock); fsSize > uint64(fi.Size()) {
		return fmt.Errorf("data disk %s: its filesystem is %d bytes, more than the file's %d: %w", path, fsSize, fi.Size(), ErrDataDisk)
	}
	return nil
}

func kindOf(fi os.FileInfo) string {
	switch {
	case fi.IsDir():
		return "a directory"
	case fi.Mode()&os.ModeDevice != 0:
		return "a device"
	}
	return "not a plain file"
}
