package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/agent"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/syncbuf"
	"github.com/hyperbuild/hyper/runner"
)

// livePod has a server that runs until stopped (and says when it gets
// SIGHUP) and a job that has finished with status 3.
const livePod = `
variable "image" {
  type = string
}

pod "live" {
  container "web" {
    image   = var.image
    command = ["sh", "-c", "trap 'echo web-got-hup' HUP; echo web-started; while true; do sleep 0.2; done"]
  }
  container "job" {
    image   = var.image
    command = ["sh", "-c", "echo job-out; echo job-err >&2; exit 3"]
  }
}
`

// startPod builds pod (HCL text, var.image = busybox) and starts it under
// QEMU; the pod is killed at the end of the test if it still runs.
func startPod(t testing.TB, pod string) (*runner.VM, *syncbuf.Buffer) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "pod.hcl")
	if err := os.WriteFile(path, []byte(pod), 0o644); err != nil {
		t.Fatal(err)
	}
	img := build(t, path, map[string]string{"image": busyboxLayout(t)})
	var out syncbuf.Buffer
	var verbose bytes.Buffer
	vm, err := runner.Start(context.Background(), img, runner.Config{Backend: "qemu", Net: "none", Stdout: &out, Stderr: &out, Verbose: &verbose})
	if err != nil {
		t.Fatalf("starting %s: %v\nrunner:\n%s", img, err, verbose.String())
	}
	t.Cleanup(func() {
		vm.Kill()
		vm.Wait()
		if t.Failed() {
			t.Logf("console:\n%s\nrunner:\n%s\nreproduce: hyperboot --backend qemu --verbose %s", out.String(), verbose.String(), img)
		}
	})
	return vm, &out
}

// agentOf is the pod's agent, or a skip when hyperstart has none.
func agentOf(t testing.TB, vm *runner.VM) *agent.Client {
	t.Helper()
	// A guest boots to its agent in seconds under TCG; a minute without
	// an answer means there is none.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := vm.Agent(ctx)
	if errors.Is(err, runner.ErrNoAgent) && errors.Is(err, context.DeadlineExceeded) {
		t.Skipf("hyperstart has no agent yet (no reply to ping): %v", err)
	}
	if err != nil {
		t.Fatalf("the pod's agent: %v", err)
	}
	return c
}

// waitState polls List until container is in state.
func waitState(t testing.TB, ctx context.Context, c *agent.Client, container, state string) contract.ContainerStatus {
	t.Helper()
	var last []contract.ContainerStatus
	for {
		cs, err := c.List(ctx)
		if err != nil {
			t.Fatalf("List: %v", err)
		}
		last = cs
		for _, s := range cs {
			if s.Name == container && s.State == state {
				return s
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s never %s: %+v", container, state, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestAgent boots one live pod and drives it through the agent: list,
// exec (status, streams apart, stdin, env, user, workdir, a tty, the
// errors), logs, signal, events, stop and shutdown.
func TestAgent(t *testing.T) {
	requireVM(t)
	vm, _ := startPod(t, livePod)
	c := agentOf(t, vm)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	job := waitState(t, ctx, c, "job", contract.StateExited)
	if job.ExitStatus == nil || *job.ExitStatus != 3 || job.StartedAt.IsZero() {
		t.Errorf("job = %+v; want exited with status 3 and a start time", job)
	}
	web := waitState(t, ctx, c, "web", contract.StateRunning)
	if web.Pid <= 0 || web.Restarts != 0 {
		t.Errorf("web = %+v; want running with a pid", web)
	}

	exec := func(req contract.ExecRequest, stdin string) (int, string, string, error) {
		var out, errs bytes.Buffer
		eio := agent.ExecIO{Stdout: &out, Stderr: &errs}
		if stdin != "" {
			eio.Stdin = strings.NewReader(stdin)
		}
		st, err := c.Exec(ctx, "web", req, eio)
		return st, out.String(), errs.String(), err
	}
	t.Run("exec", func(t *testing.T) {
		tests := []struct {
			name           string
			req            contract.ExecRequest
			stdin          string
			status         int
			stdout, stderr string
		}{
			{"true", contract.ExecRequest{Args: []string{"true"}}, "", 0, "", ""},
			{"streams apart", contract.ExecRequest{Args: []string{"sh", "-c", "echo out; echo err >&2; exit 5"}}, "", 5, "out\n", "err\n"},
			{"stdin", contract.ExecRequest{Args: []string{"cat"}}, "line one\nline two\n", 0, "line one\nline two\n", ""},
			{"env", contract.ExecRequest{Args: []string{"sh", "-c", "echo $GREETING"}, Env: []string{"GREETING=hello"}}, "", 0, "hello\n", ""},
			{"workdir", contract.ExecRequest{Args: []string{"pwd"}, Workdir: "/tmp"}, "", 0, "/tmp\n", ""},
			{"user", contract.ExecRequest{Args: []string{"id", "-u"}, User: "65534"}, "", 0, "65534\n", ""},
			// web's pid as List gives it names web's process here too.
			{"in the pod's PID namespace", contract.ExecRequest{Args: []string{"sh", "-c", fmt.Sprintf("grep -q web-started /proc/%d/cmdline && echo sees-web", web.Pid)}}, "", 0, "sees-web\n", ""},
			{"killed by a signal", contract.ExecRequest{Args: []string{"sh", "-c", "kill -9 $$"}}, "", 137, "", ""},
		}
		for _, tt := range tests {
			st, out, errs, err := exec(tt.req, tt.stdin)
			if err != nil || st != tt.status || out != tt.stdout || errs != tt.stderr {
				t.Errorf("%s: Exec = %d, %v, stdout %q, stderr %q; want %d, %q, %q", tt.name, st, err, out, errs, tt.status, tt.stdout, tt.stderr)
			}
		}
		st, out, _, err := exec(contract.ExecRequest{Args: []string{"sh", "-c", "tty; stty size"}, TTY: true, Size: contract.WindowSize{Rows: 30, Cols: 90}}, "")
		if err != nil || st != 0 || !strings.Contains(out, "/dev/pts/") || !strings.Contains(out, "30 90") {
			t.Errorf("Exec with a tty = %d, %v, %q; want a pts of 30x90", st, err, out)
		}
		var e *agent.Error
		if _, err := c.Exec(ctx, "job", contract.ExecRequest{Args: []string{"true"}}, agent.ExecIO{}); !errors.As(err, &e) || e.Code != contract.CodeConflict {
			t.Errorf("Exec in an exited container = %v; want CodeConflict", err)
		}
		if _, err := c.Exec(ctx, "nope", contract.ExecRequest{Args: []string{"true"}}, agent.ExecIO{}); !errors.As(err, &e) || e.Code != contract.CodeNotFound {
			t.Errorf("Exec in no such container = %v; want CodeNotFound", err)
		}
		if st, _, errs, err := exec(contract.ExecRequest{Args: []string{"/no/such/program"}}, ""); err == nil && st == 0 {
			t.Errorf("Exec of a missing program = %d, %q; want a failure", st, errs)
		}
	})

	t.Run("logs", func(t *testing.T) {
		var got []string
		err := c.Logs(ctx, "job", contract.LogsRequest{}, func(e contract.LogEntry) error {
			if e.Time.IsZero() {
				t.Errorf("log line without a time: %+v", e)
			}
			got = append(got, e.Container+string(rune('0'+e.Stream))+e.Line)
			return nil
		})
		// Two pipes, two readers: the order between the streams is the
		// guest scheduler's, as in Docker.
		slices.Sort(got)
		if err != nil || strings.Join(got, ",") != "job1job-out,job2job-err" {
			t.Errorf("Logs(job) = %q, %v; want job-out on stdout, job-err on stderr", got, err)
		}
		got = nil
		c.Logs(ctx, "job", contract.LogsRequest{Stderr: true}, func(e contract.LogEntry) error { got = append(got, e.Line); return nil })
		if strings.Join(got, ",") != "job-err" {
			t.Errorf("Logs(job, stderr) = %q; want job-err only", got)
		}
	})

	t.Run("signal and follow", func(t *testing.T) {
		fctx, stop := context.WithCancel(ctx)
		defer stop()
		seen := make(chan error, 1)
		go func() {
			seen <- c.Logs(fctx, "web", contract.LogsRequest{Follow: true}, func(e contract.LogEntry) error {
				if e.Line == "web-got-hup" {
					stop()
				}
				return nil
			})
		}()
		if err := c.Signal(ctx, "web", "HUP"); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-seen:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Logs follow ended with %v before web-got-hup", err)
			}
		case <-time.After(time.Minute):
			t.Error("web-got-hup never came on the followed log")
		}
	})

	t.Run("stop and events", func(t *testing.T) {
		ectx, stop := context.WithCancel(ctx)
		defer stop()
		events := make(chan contract.Event, 16)
		go c.Events(ectx, func(e contract.Event) error { events <- e; return nil })
		time.Sleep(200 * time.Millisecond) // the stream opened before the stop
		if err := c.Stop(ctx, "web", 2*time.Second); err != nil {
			t.Fatal(err)
		}
		web := waitState(t, ctx, c, "web", contract.StateExited)
		if web.ExitStatus == nil || *web.ExitStatus != 128+15 {
			t.Errorf("web after Stop = %+v; want exited by SIGTERM (143)", web)
		}
		for {
			select {
			case e := <-events:
				if e.Type == contract.EventExit && e.Container == "web" {
					return
				}
			case <-time.After(time.Minute):
				t.Fatal("no exit event for web")
			}
		}
	})

	t.Run("shutdown", func(t *testing.T) {
		if err := c.Shutdown(ctx, 0); err != nil {
			t.Fatal(err)
		}
		select {
		case <-vm.Done():
		case <-time.After(time.Minute):
			t.Fatal("the VM still runs a minute after Shutdown")
		}
		if _, err := vm.Wait(); err != nil {
			t.Errorf("Wait after Shutdown: %v", err)
		}
		if _, err := c.List(ctx); !errors.Is(err, agent.ErrClosed) {
			t.Errorf("List after the VM stopped = %v; want ErrClosed", err)
		}
	})
}
