package disk

import (
	"io"
	"os"
	"testing"
)

// FuzzOpen patches bytes of a good artifact in the places Open and
// go-diskfs parse (GPT, FAT boot sector, FAT, root directory, ext4
// superblock) and opens it: errors are fine, panics and hangs are not.
func FuzzOpen(f *testing.F) {
	a, loader := inputs(f)
	path := buildImage(f, a, loader)
	img, err := Open(path)
	if err != nil {
		f.Fatal(err)
	}
	parts := img.Partitions()
	img.Close()
	esp := parts[0].Start
	g, err := readFAT(mustOpen(f, path), esp, parts[0].Size)
	if err != nil {
		f.Fatal(err)
	}
	regions := []struct{ off, size int64 }{
		{0, 34 * sectorSize},                   // protective MBR, GPT header and entries
		{esp, 32 * sectorSize},                 // FAT boot sector, FSInfo, backups
		{g.fatStart, 4096},                     // start of the first FAT
		{g.clusterOffset(g.rootCluster), 4096}, // root directory and what follows
		{parts[1].Start + 1024, 256},           // ext4 superblock
	}
	f.Add(uint8(0), uint16(512), []byte{0xff, 0xff})
	f.Add(uint8(1), uint16(11), []byte{0, 0})
	f.Add(uint8(1), uint16(36), []byte{0xff, 0xff, 0xff, 0x7f})
	f.Add(uint8(2), uint16(8), []byte{3, 0, 0, 0})
	f.Add(uint8(3), uint16(32+26), []byte{0xff, 0xff})
	f.Add(uint8(3), uint16(32+28), []byte{0xff, 0xff, 0xff, 0xff})
	fh, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { fh.Close() })
	f.Fuzz(func(t *testing.T, region uint8, off uint16, patch []byte) {
		r := regions[int(region)%len(regions)]
		at := r.off + int64(off)%r.size
		if len(patch) > 64 {
			patch = patch[:64]
		}
		orig := make([]byte, len(patch))
		fh.ReadAt(orig, at)
		fh.WriteAt(patch, at)
		defer fh.WriteAt(orig, at)
		if img, err := Open(path); err == nil {
			img.Manifest()
			for _, open := range []func() (io.ReadCloser, error){img.Kernel, img.Initrd} {
				if r, err := open(); err == nil {
					r.Close()
				}
			}
			img.Close()
		}
	})
}

func mustOpen(tb testing.TB, p string) *os.File {
	tb.Helper()
	f, err := os.Open(p)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { f.Close() })
	return f
}
