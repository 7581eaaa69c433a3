package daemon

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/client"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/scripttest"
	"github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/kernelcfg"
	"github.com/hyperbuild/hyper/spec"
)

// requireVM skips unless a pod can be built and booted here.
func requireVM(t testing.TB) {
	t.Helper()
	if testing.Short() {
		t.Skip("VM boot: skipped with -short")
	}
	if _, err := kernelcfg.Cached(); err != nil {
		t.Skipf("hyperkernel: %v", err)
	}
	if _, err := exec.LookPath("qemu-system-x86_64"); err != nil {
		t.Skip("qemu-system-x86_64 not installed (make deps)")
	}
	if _, err := os.Stat(testimage.BusyboxPath); err != nil {
		t.Skip("busybox-static not installed (make deps)")
	}
}

// idPod says a random id once, then runs until stopped.
const idPod = `
variable "image" {}
pod "many" {
  container "app" {
    image   = var.image
    command = ["sh", "-c", "echo id=$(cat /proc/sys/kernel/random/uuid); while true; do sleep 1; done"]
  }
}
`

// buildPod builds HCL text with busybox as var.image and the hyperstart
// of this tree.
func buildPod(t testing.TB, hcl string) string {
	t.Helper()
	dir := t.TempDir()
	ref, err := testimage.BusyboxLayout(filepath.Join(dir, "busybox-oci"), "1.36")
	if err != nil {
		t.Skipf("busybox image: %v", err)
	}
	path := filepath.Join(dir, "pod.hcl")
	os.WriteFile(path, []byte(hcl), 0o644)
	pod, diags := spec.NewLoader(spec.WithVars(map[string]string{"image": ref})).Load(path)
	if diags.HasErrors() {
		t.Fatalf("%s: %v", path, diags)
	}
	out := filepath.Join(dir, "pod.img")
	hs := filepath.Join(scripttest.Tools(t), "hyperstart")
	if _, err := builder.Build(context.Background(), pod, dir, out, builder.WithHyperstart(hs)); err != nil {
		t.Fatalf("building %s: %v", path, err)
	}
	return out
}

// TestVMManyPods runs 20 pods at once under one hyperd, each with its own
// shim and QEMU VM: all are listed, each one's logs hold its own line
// only, each stops and goes; no VM is left. HYPER_MANY_PODS changes the
// count. The time until every pod has said its line is logged (under
// TCG on 2 CPUs, tens of seconds; not asserted).
func TestVMManyPods(t *testing.T) {
	requireVM(t)
	n := 20
	if s := os.Getenv("HYPER_MANY_PODS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	img := buildPod(t, idPod)
	root, err := os.MkdirTemp("", "hyd")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(root)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, Config{Root: root}) }()
	defer func() { cancel(); <-done }()
	c, err := client.New(client.WithHost("unix://" + filepath.Join(root, api.SocketName)))
	if err != nil {
		t.Fatal(err)
	}
	waitSocket(t, filepath.Join(root, api.SocketName))
	bg := context.Background()
	defer func() {
		// Whatever a failure left running goes.
		pods, _ := c.List(bg, true)
		for _, p := range pods {
			c.Remove(bg, p.ID, true)
		}
	}()

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			name := fmt.Sprintf("pod%02d", i)
			if _, err := c.Create(bg, api.CreateRequest{Name: name, Artifact: img, RunConfig: api.RunConfig{Backend: "qemu", Net: "none", MemoryMiB: 96}}); err != nil {
				errs <- fmt.Errorf("create %s: %w", name, err)
				return
			}
			// Its line, followed until it comes.
			lctx, lcancel := context.WithTimeout(bg, 5*time.Minute)
			defer lcancel()
			err := c.Logs(lctx, name, api.LogsQuery{LogsRequest: contract.LogsRequest{Follow: true}}, func(e contract.LogEntry) error {
				if strings.HasPrefix(e.Line, "id=") {
					return errFound
				}
				return nil
			})
			if err != errFound {
				errs <- fmt.Errorf("%s never said its id: %v", name, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	t.Logf("%d pods created and each said its line in %.1fs", n, time.Since(start).Seconds())

	pods, err := c.List(bg, false)
	if err != nil || len(pods) != n {
		t.Fatalf("list: %d pods, %v; want %d running", len(pods), err, n)
	}
	seen := map[string]string{}
	for _, p := range pods {
		var ids []string
		c.Logs(bg, p.ID, api.LogsQuery{}, func(e contract.LogEntry) error {
			if e.Container != "app" {
				t.Errorf("pod %s: a line of container %q", p.Name, e.Container)
			}
			ids = append(ids, e.Line)
			return nil
		})
		if len(ids) != 1 {
			t.Errorf("pod %s: logs %q; want its one line", p.Name, ids)
			continue
		}
		if other, dup := seen[ids[0]]; dup {
			t.Errorf("pods %s and %s have the same line %q: logs mixed up", other, p.Name, ids[0])
		}
		seen[ids[0]] = p.Name
	}
	start = time.Now()
	for _, p := range pods {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := c.Stop(bg, p.ID, 5*time.Second); err != nil {
				t.Errorf("stop %s: %v", p.Name, err)
			}
		}()
	}
	wg.Wait()
	t.Logf("%d pods stopped in %.1fs", n, time.Since(start).Seconds())
	all, _ := c.List(bg, true)
	var states []string
	for _, p := range all {
		if p.State != api.StateExited || p.ExitStatus == nil {
			states = append(states, p.Name+": "+p.State+" "+p.Error)
		}
		if err := c.Remove(bg, p.ID, false); err != nil {
			t.Errorf("rm %s: %v", p.Name, err)
		}
	}
	sort.Strings(states)
	if len(states) > 0 {
		t.Errorf("pods not exited with a status after stop: %v", states)
	}
	if left, _ := c.List(bg, true); len(left) != 0 {
		t.Errorf("%d pods left after rm", len(left))
	}
	if vms := qemuWith(img); len(vms) > 0 {
		t.Errorf("VMs left running: %v", vms)
	}
}

var errFound = fmt.Errorf("found")

// qemuWith are the pids of qemu processes whose command line names path.
func qemuWith(path string) []string {
	var out []string
	procs, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	for _, p := range procs {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		cmd := strings.ReplaceAll(string(data), "\x00", " ")
		if strings.Contains(cmd, "qemu-system") && strings.Contains(cmd, path) {
			out = append(out, filepath.Base(filepath.Dir(p)))
		}
	}
	return out
}
