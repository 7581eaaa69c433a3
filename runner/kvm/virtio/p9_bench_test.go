package virtio

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/hugelgupf/p9/p9"
)

// BenchmarkP9Read reads a file through the device and the server, a
// message's worth at a time (the test driver's 16 KiB msize): the cost of
// the VMM's 9p path without a guest.
func BenchmarkP9Read(b *testing.B) {
	dir := b.TempDir()
	data := make([]byte, 4<<20)
	os.WriteFile(filepath.Join(dir, "f"), data, 0o644)
	fs, err := OpenShare(dir, true)
	if err != nil {
		b.Fatal(err)
	}
	defer fs.Close()
	dev, _ := NewP9(fs, "bench")
	g := newP9Guest(b, dev)
	c, err := p9.NewClient(g, p9.WithMessageSize(p9TestMsz))
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	root, err := c.Attach("")
	if err != nil {
		b.Fatal(err)
	}
	_, f, err := root.Walk([]string{"f"})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := f.Open(p9.ReadOnly); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 8<<10)
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for range b.N {
		for off := int64(0); off < int64(len(data)); off += int64(len(buf)) {
			if _, err := f.ReadAt(buf, off); err != nil {
				b.Fatal(err)
			}
		}
	}
}
