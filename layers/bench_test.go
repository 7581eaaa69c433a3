package layers

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/layers/cache"
)

// benchImage writes a generated image straight into a cache: layers
// layers of files regular files each (about size bytes in all), with
// directories, overwritten files, whiteouts and hard links, and returns it
// as resolved.
func benchImage(b *testing.B, dir string, layers, files int, size int64) *Image {
	c, err := cache.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	noise := make([]byte, 1<<20)
	rand.New(rand.NewSource(1)).Read(noise)
	rng := rand.New(rand.NewSource(2))
	per := size / int64(layers*files)
	img := &Image{Digest: "sha256:bench", cache: c}
	for l := 0; l < layers; l++ {
		f, err := os.CreateTemp(dir, "layer-*")
		if err != nil {
			b.Fatal(err)
		}
		h := sha256.New()
		tw := tar.NewWriter(io.MultiWriter(f, h))
		mtime := time.Unix(1700000000, int64(l))
		for i := 0; i < files; i++ {
			d := fmt.Sprintf("d%03d/s%02d", i%200, i%7)
			if i < 200*7 {
				tw.WriteHeader(&tar.Header{Name: d + "/", Typeflag: tar.TypeDir, Mode: 0o755, ModTime: mtime, Format: tar.FormatPAX})
			}
			// Half the names repeat in every layer: upper ones win.
			name := fmt.Sprintf("%s/f%05d", d, i)
			if i%2 == 1 {
				name = fmt.Sprintf("%s/l%d-f%05d", d, l, i)
			}
			n := rng.Int63n(2*per + 1)
			if n > int64(len(noise)) {
				n = int64(len(noise))
			}
			tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: n, ModTime: mtime, Format: tar.FormatPAX})
			tw.Write(noise[:n])
			switch {
			case i%97 == 0:
				tw.WriteHeader(&tar.Header{Name: name + ".link", Typeflag: tar.TypeLink, Linkname: name, Format: tar.FormatPAX})
			case i%89 == 0 && l > 0:
				tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("%s/.wh.l%d-f%05d", d, l-1, i+2), Typeflag: tar.TypeReg, Format: tar.FormatPAX})
			}
		}
		if err := tw.Close(); err != nil {
			b.Fatal(err)
		}
		f.Close()
		diffID := fmt.Sprintf("sha256:%x", h.Sum(nil))
		p, _ := c.Path(cache.Diffs, diffID)
		if err := os.Rename(f.Name(), p); err != nil {
			b.Fatal(err)
		}
		img.Layers = append(img.Layers, Layer{DiffID: diffID})
	}
	return img
}

// BenchmarkFlatten flattens a generated 5-layer image of 20,000 files and
// about 200 MB from the cache. It reports the output size and the
// process's peak RSS (which includes the test binary itself).
func BenchmarkFlatten(b *testing.B) {
	img := benchImage(b, b.TempDir(), 5, 4000, 160<<20)
	var total int64
	for _, l := range img.Layers {
		p, _ := img.cache.Path(cache.Diffs, l.DiffID)
		info, _ := os.Stat(p)
		total += info.Size()
	}
	b.Logf("layers: %d, %.0f MB uncompressed in the cache (%s)", len(img.Layers), float64(total)/1e6, filepath.Base(img.cache.Dir()))
	b.ReportAllocs()
	b.SetBytes(total)
	var out countWriter
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		out = 0
		if err := img.Flatten(context.Background(), &out, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op")
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MiB")
	}
	b.ReportMetric(float64(out)/1e6, "out-MB")
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) {
	*c += countWriter(len(p))
	return len(p), nil
}

// cpuTime is the process's user and system CPU time so far: what a
// flatten costs whatever else the machine is doing.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
