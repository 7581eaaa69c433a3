package initrd

import (
	"io"
	"os/exec"
	"strings"
	"testing"
)

// BenchmarkWrite packs the go binary (a stand-in for hyperstart, a static
// Go binary) into an initramfs with each compression.
func BenchmarkWrite(b *testing.B) {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		b.Skip("no go tool:", err)
	}
	bin := strings.TrimSpace(string(out)) + "/bin/go"
	for _, c := range []Compression{Gzip, Zstd, None} {
		b.Run(c.String(), func(b *testing.B) {
			var n countWriter
			for i := 0; i < b.N; i++ {
				n = 0
				if err := Write(&n, bin, nil, WithCompression(c)); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n), "bytes")
		})
	}
}

type countWriter int64

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

var _ io.Writer = (*countWriter)(nil)
