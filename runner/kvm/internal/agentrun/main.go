package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hyperbuild/hyper/agent"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/runner"
	_ "github.com/hyperbuild/hyper/runner/kvm"
)

// The pod's container and what it prints (the test's pod file).
const (
	container = "web"
	outLine   = "web-started"
	errLine   = "web-warn"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("agentrun", flag.ContinueOnError)
	timeout := fs.Duration("timeout", 3*time.Minute, "give up on the whole run after this long")
	if err := fs.Parse(args); err != nil || fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: agentrun [-timeout D] IMG")
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	v, err := runner.Start(ctx, fs.Arg(0), runner.Config{Backend: runner.BackendKVM, Net: "none", Stdout: stdout, Stderr: stderr, Verbose: stderr})
	if err != nil {
		fmt.Fprintf(stderr, "agentrun: %v\n", err)
		return 1
	}
	defer func() {
		v.Kill()
		v.Wait()
	}()
	r := &checks{w: stderr}
	// A pod boots to its agent in seconds even nested; the outer VM's
	// init takes a minute of silence for a hung VMM.
	actx, acancel := context.WithTimeout(ctx, 45*time.Second)
	defer acancel()
	c, err := v.Agent(actx)
	switch {
	case errors.Is(err, runner.ErrNoAgent) && errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(stderr, "agentrun: no agent: %v\n", err) // a hyperstart without one
		return 2
	case err != nil:
		r.check("agent", err)
		return 1
	}
	r.check("list", listRunning(ctx, c))
	r.check("exec streams", execStreams(ctx, c))
	r.check("exec stdin", execStdin(ctx, c))
	r.check("exec tty", execTTY(ctx, c))
	r.check("logs", logs(ctx, c))
	execTrue(ctx, c, stderr)
	r.check("shutdown", shutdown(ctx, c, v, stderr))
	if r.failed {
		return 1
	}
	return 0
}

type checks struct {
	w      io.Writer
	failed bool
}

func (r *checks) check(name string, err error) {
	if err != nil {
		r.failed = true
		fmt.Fprintf(r.w, "agentrun: FAIL: %s: %v\n", name, err)
		return
	}
	fmt.Fprintf(r.w, "agentrun: ok: %s\n", name)
}

// listRunning waits until the container runs.
func listRunning(ctx context.Context, c *agent.Client) error {
	for {
		cs, err := c.List(ctx)
		if err != nil {
			return err
		}
		for _, s := range cs {
			if s.Name == container && s.State == contract.StateRunning && s.Pid > 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s never running: %+v", container, cs)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func execStreams(ctx context.Context, c *agent.Client) error {
	var out, errs bytes.Buffer
	st, err := c.Exec(ctx, container, contract.ExecRequest{Args: []string{"sh", "-c", "echo out; echo err >&2; exit 5"}},
		agent.ExecIO{Stdout: &out, Stderr: &errs})
	if err != nil || st != 5 || out.String() != "out\n" || errs.String() != "err\n" {
		return fmt.Errorf("status %d, %v, stdout %q, stderr %q; want 5, out, err", st, err, out.String(), errs.String())
	}
	return nil
}

// execStdin sends more than the agent port buffers (64 KiB) through
// the exec's stdin.
func execStdin(ctx context.Context, c *agent.Client) error {
	const n = 200000
	var out bytes.Buffer
	st, err := c.Exec(ctx, container, contract.ExecRequest{Args: []string{"wc", "-c"}},
		agent.ExecIO{Stdin: bytes.NewReader(bytes.Repeat([]byte("x"), n)), Stdout: &out})
	if got := strings.TrimSpace(out.String()); err != nil || st != 0 || got != fmt.Sprint(n) {
		return fmt.Errorf("status %d, %v, wc -c said %q; want %d", st, err, got, n)
	}
	return nil
}

func execTTY(ctx context.Context, c *agent.Client) error {
	var out bytes.Buffer
	st, err := c.Exec(ctx, container, contract.ExecRequest{Args: []string{"stty", "size"}, TTY: true, Size: contract.WindowSize{Rows: 30, Cols: 90}},
		agent.ExecIO{Stdout: &out})
	if err != nil || st != 0 || !strings.Contains(out.String(), "30 90") {
		return fmt.Errorf("status %d, %v, %q; want a terminal of 30x90", st, err, out.String())
	}
	return nil
}

// logs checks that the container's stdout and stderr lines come back
// apart, with their times.
func logs(ctx context.Context, c *agent.Client) error {
	var got []string
	err := c.Logs(ctx, container, contract.LogsRequest{}, func(e contract.LogEntry) error {
		if e.Time.IsZero() {
			return fmt.Errorf("line %q without a time", e.Line)
		}
		got = append(got, fmt.Sprintf("%s/%d/%s", e.Container, e.Stream, e.Line))
		return nil
	})
	want := []string{
		fmt.Sprintf("%s/%d/%s", container, contract.Stdout, outLine),
		fmt.Sprintf("%s/%d/%s", container, contract.Stderr, errLine),
	}
	for _, w := range want {
		if !slices.Contains(got, w) {
			return fmt.Errorf("%q lacks %q (%v)", got, w, err)
		}
	}
	return err
}

// execTrue reports exec true's round trip (under nested emulation: a
// figure to compare runs, not hardware).
func execTrue(ctx context.Context, c *agent.Client, w io.Writer) {
	var ds []time.Duration
	for range 5 {
		start := time.Now()
		if st, err := c.Exec(ctx, container, contract.ExecRequest{Args: []string{"true"}}, agent.ExecIO{}); err != nil || st != 0 {
			fmt.Fprintf(w, "agentrun: exec true: %d, %v\n", st, err)
			return
		}
		ds = append(ds, time.Since(start))
	}
	slices.Sort(ds)
	fmt.Fprintf(w, "agentrun: exec true round trip p50 %.1f ms, max %.1f ms (%d runs, nested)\n",
		float64(ds[len(ds)/2].Microseconds())/1000, float64(ds[len(ds)-1].Microseconds())/1000, len(ds))
}

// shutdown stops the pod through the agent and waits for the VM.
func shutdown(ctx context.Context, c *agent.Client, v *runner.VM, w io.Writer) error {
	if err := c.Shutdown(ctx, 0); err != nil {
		return err
	}
	select {
	case <-v.Done():
	case <-ctx.Done():
		return errors.New("the VM still runs after the agent's shutdown")
	}
	st, err := v.Wait()
	fmt.Fprintf(w, "agentrun: pod exited with status %d (%v)\n", st, err)
	return err
}
