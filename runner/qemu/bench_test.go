package qemu

import (
	"context"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/runner"
)

// BenchmarkBoot measures, per machine type with this host's accelerator,
// the time from Run to the first line /init prints (the floor under any
// pod's first line). Each iteration boots every machine type once, in
// turn, so that a busy host slows them alike; it reports the median and
// the best per machine:
//
//	go test ./runner/qemu -run '^$' -bench Boot -benchtime 10x
func BenchmarkBoot(b *testing.B) {
	kernel := testKernel(b)
	initrd := initramfs(b, "echo first-line-marker\npoweroff -f\n")
	machines := []string{Microvm, Q35, PC}
	times := map[string][]time.Duration{}
	for i := 0; i < b.N; i++ {
		for _, m := range machines {
			w := newWatch("first-line-marker")
			boot := runner.Boot{Kernel: kernel, Initrd: initrd, Cmdline: "console=ttyS0 quiet panic=-1", Net: "none", Stdout: w, Verbose: io.Discard}
			start := time.Now()
			seen := make(chan time.Duration, 1)
			go func() { <-w.seen; seen <- time.Since(start) }()
			_, err := backendRun(&Backend{Machine: m}, context.Background(), boot)
			select {
			case d := <-seen:
				times[m] = append(times[m], d)
			case <-time.After(time.Second):
				b.Fatalf("%s: no first line: %v (console %q)", m, err, w.String())
			}
		}
	}
	for _, m := range machines {
		d := times[m]
		slices.Sort(d)
		b.ReportMetric(float64(d[len(d)/2].Milliseconds()), m+"-median-ms")
		b.ReportMetric(float64(d[0].Milliseconds()), m+"-best-ms")
	}
}
