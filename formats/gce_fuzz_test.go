package formats

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzSparseTar writes disks of data and zero blocks as an oldgnu sparse
// tar entry and reads them back with archive/tar: the same bytes, the
// same size, for any number of data runs (the header's four map entries
// and any number of 21-entry extension blocks) and any tail.
func FuzzSparseTar(f *testing.F) {
	f.Add([]byte{1, 0, 1}, uint16(0))
	f.Add(bytes.Repeat([]byte{1, 0}, 30), uint16(100))
	f.Add([]byte{0, 0, 0}, uint16(4095))
	f.Add(bytes.Repeat([]byte{3, 0, 0, 7}, 40), uint16(1))
	f.Fuzz(func(t *testing.T, runs []byte, tail uint16) {
		// Each byte is a block: 0 is zeros, anything else that byte
		// repeated; tail bytes of data follow, a partial block.
		if len(runs) > 256 {
			runs = runs[:256]
		}
		var disk []byte
		for _, r := range runs {
			disk = append(disk, bytes.Repeat([]byte{r}, sparseBlock)...)
		}
		disk = append(disk, bytes.Repeat([]byte{byte(tail) | 1}, int(tail%sparseBlock))...)
		p := filepath.Join(t.TempDir(), "disk.raw")
		if err := os.WriteFile(p, disk, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer src.Close()
		regions, err := dataRegions(context.Background(), src, int64(len(disk)))
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := writeSparseTar(context.Background(), &buf, src, "disk.raw", int64(len(disk)), regions, time.Unix(1700000000, 0)); err != nil {
			t.Fatal(err)
		}
		if buf.Len()%512 != 0 {
			t.Fatalf("tar of %d bytes, not whole blocks", buf.Len())
		}
		tr := tar.NewReader(&buf)
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("reading the entry (%d regions): %v", len(regions), err)
		}
		if h.Name != "disk.raw" || h.Size != int64(len(disk)) {
			t.Fatalf("entry %q of %d bytes, want disk.raw of %d", h.Name, h.Size, len(disk))
		}
		got, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading disk.raw (%d regions): %v", len(regions), err)
		}
		if !bytes.Equal(got, disk) {
			t.Fatalf("disk.raw read back differs (%d regions)", len(regions))
		}
		if _, err := tr.Next(); err != io.EOF {
			t.Fatalf("after disk.raw: %v", err)
		}
	})
}
