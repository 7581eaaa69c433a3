package qemu

import (
	"context"
	"io"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/runner"
)

// BenchmarkBoot measures, per machine type with this host's accelerator,
// the time from Run to the first line /init prints (the floor under any
// pod's first line) and to QEMU's exit after a power-off:
//
//	go test ./runner/qemu -run '^$' -bench Boot -benchtime 5x
func BenchmarkBoot(b *testing.B) {
	kernel := testKernel(b)
	initrd := initramfs(b, "echo first-line-marker\npoweroff -f\n")
	for _, m := range []string{Microvm, Q35, PC} {
		b.Run(m, func(b *testing.B) {
			var first, total time.Duration
			for i := 0; i < b.N; i++ {
				w := newWatch("first-line-marker")
				boot := runner.Boot{Kernel: kernel, Initrd: initrd, Cmdline: "console=ttyS0 quiet panic=-1", Net: "none", Stdout: w, Verbose: io.Discard}
				start := time.Now()
				seen := make(chan time.Duration, 1)
				go func() { <-w.seen; seen <- time.Since(start) }()
				_, err := (&Backend{Machine: m}).Run(context.Background(), boot)
				total += time.Since(start)
				select {
				case d := <-seen:
					first += d
				default:
					b.Fatalf("no first line: %v (console %q)", err, w.String())
				}
			}
			b.ReportMetric(float64(first.Milliseconds())/float64(b.N), "ms-to-first-line")
			b.ReportMetric(float64(total.Milliseconds())/float64(b.N), "ms-to-exit")
		})
	}
}
