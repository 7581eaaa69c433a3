package e2e

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/agent"
	"github.com/hyperbuild/hyper/contract"
)

// BenchmarkExecTrue measures `exec true` on a running pod, from the
// request to the exit status (a yamux stream over the virtio-serial port,
// a process started in the container's namespaces, its status back), and
// reports the median and the 99th percentile:
//
//	go test ./e2e -run '^$' -bench ExecTrue -benchtime 200x
//
// The baselines users know: ssh into a VM (tens to hundreds of ms) and
// docker exec (~50-100 ms).
func BenchmarkExecTrue(b *testing.B) {
	requireVM(b)
	vm, _ := startPod(b, `
variable "image" {
  type = string
}
pod "bench" {
  container "web" {
    image   = var.image
    command = ["sleep", "3600"]
  }
}
`)
	c := agentOf(b, vm)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	waitState(b, ctx, c, "web", contract.StateRunning)
	req := contract.ExecRequest{Args: []string{"true"}}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		start := time.Now()
		st, err := c.Exec(ctx, "web", req, agent.ExecIO{})
		times = append(times, time.Since(start))
		if err != nil || st != 0 {
			b.Fatalf("exec true = %d, %v", st, err)
		}
	}
	b.StopTimer()
	slices.Sort(times)
	ms := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	b.ReportMetric(ms(times[len(times)/2]), "p50-ms")
	b.ReportMetric(ms(times[min(len(times)-1, len(times)*99/100)]), "p99-ms")
}
