package disk

import (
	"context"
	"crypto/sha256"
	"fmt"
	"hash"
	"io"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/diskfs/go-diskfs/backend/file"
	"github.com/diskfs/go-diskfs/filesystem/fat32"
)

// Paths inside the ESP (and, without the /hyper prefix, in the directory
// format).
const (
	ESPKernel   = "/hyper/bzImage"
	ESPInitrd   = "/hyper/initrd.img"
	ESPCmdline  = "/hyper/cmdline"
	ESPManifest = "/hyper/manifest.json"
	espLoader   = "/EFI/BOOT/BOOTX64.EFI"
	espLoaderCf = "/loader/loader.conf"
	espEntry    = "/loader/entries/hyper.conf"
)

// espFile is one file to put in the ESP: data, or the host file src.
type espFile struct {
	path string
	src  string
	data []byte
	size int64
}

func (f espFile) open() (io.ReadCloser, error) {
	if f.src == "" {
		return io.NopCloser(strings.NewReader(string(f.data))), nil
	}
	return os.Open(f.src)
}

// loaderFiles are systemd-boot's configuration: boot hyper.conf at once.
func loaderFiles(cmdline, title string) []espFile {
	conf := "timeout 0\ndefault hyper.conf\neditor no\n"
	entry := fmt.Sprintf("title %s\nlinux %s\ninitrd %s\noptions %s\n", title, ESPKernel, ESPInitrd, cmdline)
	return []espFile{
		{path: espLoaderCf, data: []byte(conf), size: int64(len(conf))},
		{path: espEntry, data: []byte(entry), size: int64(len(entry))},
	}
}

// writeESP creates the FAT32 volume at start and copies files into it,
// adding each file's path and content to h (in path order).
func writeESP(ctx context.Context, f *os.File, start, size int64, files []espFile, h hash.Hash) error {
	fs, err := fat32.Create(file.New(f, false), size, start, sectorSize, ESPLabel, true)
	if err != nil {
		return fmt.Errorf("creating the FAT32 ESP (%d bytes): %w", size, err)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].path < files[j].path })
	made := map[string]bool{}
	buf := make([]byte, mib)
	for _, ef := range files {
		if err := ctx.Err(); err != nil {
			return err
		}
		if d := path.Dir(ef.path); !made[d] {
			if err := fs.Mkdir(d); err != nil {
				return fmt.Errorf("creating ESP directory %s: %w", d, err)
			}
			made[d] = true
		}
		if err := copyIntoESP(fs, ef, buf, h); err != nil {
			return fmt.Errorf("writing ESP file %s: %w", ef.path, err)
		}
	}
	return nil
}

func copyIntoESP(fs *fat32.FileSystem, ef espFile, buf []byte, h hash.Hash) error {
	src, err := ef.open()
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := fs.OpenFile(ef.path, os.O_CREATE|os.O_RDWR)
	if err != nil {
		return err
	}
	fh := sha256.New()
	n, err := io.CopyBuffer(io.MultiWriter(dst, fh), io.LimitReader(src, ef.size+1), buf)
	if err != nil {
		dst.Close()
		return err
	}
	if err := dst.Close(); err != nil {
		return err
	}
	if n != ef.size {
		return fmt.Errorf("%d bytes, want %d (file changed while being copied?)", n, ef.size)
	}
	fmt.Fprintf(h, "%s\x00%d\x00%x\n", ef.path, n, fh.Sum(nil))
	return nil
}
