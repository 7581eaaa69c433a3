package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/client"
	"github.com/hyperbuild/hyper/contract"
)

// livePod says "ready", then runs until stopped.
const livePod = `variable "image" {}
pod "live" {
  container "live" {
    image   = var.image
    command = ["sh", "-c", "echo ready; while true; do sleep 1; done"]
  }
}
`

// execRuns is how many exec round trips the percentiles come from.
const execRuns = 100

var errSeen = errors.New("seen")

// hyperd measures the daemon on the binaries make build made (bin/hyperd
// with its shims, QEMU under TCG): run -d to the pod's first log line
// beside hyperboot IMG to its first line; exec true round trips through
// the API (p50, p99) and through the CLI; hyperd's and a shim's RSS.
func (b *bench) hyperd() error {
	image, err := b.busybox()
	if err != nil {
		return err
	}
	pod := filepath.Join(b.work, "live.hcl")
	if err := os.WriteFile(pod, []byte(livePod), 0o644); err != nil {
		return err
	}
	img := filepath.Join(b.work, "live.img")
	if _, err := timed(nil, filepath.Join(b.bin, "hyperbuild"), pod, "-q", "-o", img, "-var", "image="+image); err != nil {
		return err
	}
	// A short state directory: the pods' sockets must fit 107 bytes.
	root, err := os.MkdirTemp("", "hyb")
	if err != nil {
		return err
	}
	defer os.RemoveAll(root)
	d := exec.Command(filepath.Join(b.bin, "hyperd"), "--root", root)
	if err := d.Start(); err != nil {
		return err
	}
	defer func() {
		d.Process.Signal(syscall.SIGTERM)
		d.Wait()
	}()
	host := "unix://" + filepath.Join(root, api.SocketName)
	c, err := client.New(client.WithHost(host))
	if err != nil {
		return err
	}
	bg := context.Background()
	for i := 0; c.Ping(bg) != nil; i++ {
		if i > 200 {
			return fmt.Errorf("bin/hyperd does not answer at %s", host)
		}
		time.Sleep(50 * time.Millisecond)
	}
	defer func() {
		pods, _ := c.List(bg, true)
		for _, p := range pods {
			c.Remove(bg, p.ID, true)
		}
	}()
	create := api.CreateRequest{Artifact: img, RunConfig: api.RunConfig{Backend: "qemu"}}

	run, err := median(b.runs, func() (measured, error) {
		start := time.Now()
		res, err := c.Create(bg, create)
		if err != nil {
			return measured{}, err
		}
		defer c.Remove(bg, res.ID, true)
		ctx, cancel := context.WithTimeout(bg, 2*time.Minute)
		defer cancel()
		err = c.Logs(ctx, res.ID, api.LogsQuery{LogsRequest: contract.LogsRequest{Follow: true}}, func(e contract.LogEntry) error {
			if e.Line == "ready" {
				return errSeen
			}
			return nil
		})
		if err != errSeen {
			return measured{}, fmt.Errorf("run -d: no first line: %v", err)
		}
		return measured{wall: time.Since(start)}, nil
	})
	if err != nil {
		return err
	}
	fg, err := median(b.runs, func() (measured, error) {
		return firstStdout(filepath.Join(b.bin, "hyperboot"), "ready", "--backend", "qemu", img)
	})
	if err != nil {
		return err
	}
	b.add(Row{Area: "hyperd (TCG)", What: "run -d → the pod's first log line", Value: run.wall.Seconds(), Unit: "s",
		Baseline: fg.wall.Seconds(), BaseWhat: "hyperboot IMG → first line", Goal: "ratio ≤ 1.2"})

	res, err := c.Create(bg, create)
	if err != nil {
		return err
	}
	// The first exec waits for the guest's agent; the rest are the figure.
	if _, err := c.Exec(bg, res.ID, execTrue(), client.ExecIO{}); err != nil {
		return err
	}
	var ds []time.Duration
	for i := 0; i < execRuns; i++ {
		start := time.Now()
		st, err := c.Exec(bg, res.ID, execTrue(), client.ExecIO{})
		if err != nil || st != 0 {
			return fmt.Errorf("exec true: %d, %v", st, err)
		}
		ds = append(ds, time.Since(start))
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.add(Row{Area: "hyperd (TCG)", What: fmt.Sprintf("exec true round trip, API, p50 of %d", execRuns), Value: ms(ds[len(ds)/2]), Unit: "ms",
		Goal: "docker exec: 50–100 ms; ssh into a VM: more"})
	b.add(Row{Area: "hyperd (TCG)", What: fmt.Sprintf("exec true round trip, API, p99 of %d", execRuns), Value: ms(ds[len(ds)*99/100]), Unit: "ms",
		Goal: "docker exec: 50–100 ms"})
	cli, err := median(b.runs, func() (measured, error) {
		return timed([]string{api.EnvHost + "=" + host}, filepath.Join(b.bin, "hyperboot"), "exec", res.ID, "--", "true")
	})
	if err != nil {
		return err
	}
	b.add(Row{Area: "hyperd (TCG)", What: "hyperboot exec POD -- true (the CLI, median)", Value: ms(cli.wall), Unit: "ms",
		Goal: "docker exec: 50–100 ms"})

	pod2, err := c.Inspect(bg, res.ID)
	if err != nil {
		return err
	}
	if kb, err := vmRSS(d.Process.Pid); err == nil {
		b.add(Row{Area: "hyperd", What: "hyperd RSS, one pod running", Value: kb / 1024, Unit: "MiB", Goal: "dockerd: ~40–80 MiB"})
	}
	if kb, err := vmRSS(pod2.Pid); err == nil {
		b.add(Row{Area: "hyperd", What: "a pod's supervisor (hyperd shim) RSS, without its VM", Value: kb / 1024, Unit: "MiB", Goal: "containerd-shim: ~10–15 MiB"})
	}
	return nil
}

func execTrue() api.ExecRequest {
	return api.ExecRequest{ExecRequest: contract.ExecRequest{Args: []string{"true"}}}
}

// firstStdout starts a command and measures until a line of its stdout
// holds marker; then it stops the command (SIGINT, a graceful stop).
func firstStdout(name, marker string, args ...string) (measured, error) {
	cmd := exec.Command(name, args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return measured{}, err
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return measured{}, err
	}
	defer cmd.Wait()
	defer cmd.Process.Signal(os.Interrupt)
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		if strings.Contains(sc.Text(), marker) {
			m := measured{wall: time.Since(start)}
			go func() {
				for sc.Scan() {
				}
			}()
			return m, nil
		}
	}
	return measured{}, fmt.Errorf("%s: no %q on stdout", name, marker)
}

// vmRSS is a process's resident set in kB.
func vmRSS(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			return strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
		}
	}
	return 0, fmt.Errorf("no VmRSS for pid %d", pid)
}
