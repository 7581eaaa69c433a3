package disk

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/hyperbuild/hyper/contract"
)

// BenchmarkWriteImage writes an artifact with a 10 MB kernel, a 30 MB
// initramfs and a 200 MB pod filesystem of which half is data.
func BenchmarkWriteImage(b *testing.B) {
	d := b.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(d, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			b.Fatal(err)
		}
		return p
	}
	pod := make([]byte, 200<<20)
	copy(pod, pseudoRandom(100<<20, 5))
	copy(pod[1024+56:], []byte{0x53, 0xef})
	copy(pod[1024+120:1024+136], append([]byte(contract.PodLabel), make([]byte, 16)...))
	a := Artifact{
		Kernel:   write("bzImage", pseudoRandom(10<<20, 6)),
		Initrd:   write("initrd.img", pseudoRandom(30<<20, 7)),
		PodFS:    write("pod.ext4", pod),
		Cmdline:  "console=ttyS0",
		Manifest: testManifest(),
	}
	out := filepath.Join(d, "out.img")
	b.SetBytes(240 << 20)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := WriteImage(context.Background(), out, a, WithBootloader("")); err != nil {
			b.Fatal(err)
		}
	}
}
