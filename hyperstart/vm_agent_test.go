package hyperstart

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/agent"
	"github.com/hyperbuild/hyper/contract"
)

// bootWithAgent boots p with the agent's port (as the runner gives it)
// and, while the pod runs, calls drive with a client whose agent has
// answered ping and a function that connects anew. drive should end the
// pod (Shutdown); whatever it does, the pod is shut down after it, then
// killed.
func (e *vmEnv) bootWithAgent(t *testing.T, p *contract.Pod, o bootOpts, drive func(ctx context.Context, c *agent.Client, redial func() (*agent.Client, error))) *vmRun {
	t.Helper()
	// A unix socket's path is short: not under t.TempDir's long name.
	dir, err := os.MkdirTemp("", "hs-agent-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	o.agent = filepath.Join(dir, "agent.sock")
	done := make(chan struct{})
	go func() {
		defer close(done)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		c, err := dialAgent(ctx, o.agent)
		if err != nil {
			t.Errorf("the agent: %v", err)
			return
		}
		redial := func() (*agent.Client, error) {
			c.Close()
			var err error
			c, err = dialAgent(ctx, o.agent)
			return c, err
		}
		drive(ctx, c, redial)
		defer c.Close()
		select {
		case <-c.Done(): // the VM has gone
		case <-time.After(30 * time.Second):
			c.Shutdown(ctx, time.Second)
			c.Shutdown(ctx, time.Second) // the second one kills
		}
	}()
	r := e.bootPod(t, p, o)
	select {
	case <-done:
	case <-time.After(time.Minute):
		t.Errorf("the test's agent calls still run a minute after the VM ended")
	}
	return r
}

// dialAgent connects to QEMU's socket once it exists and waits for the
// agent's answer to ping.
func dialAgent(ctx context.Context, sock string) (*agent.Client, error) {
	var conn net.Conn
	for {
		var err error
		var d net.Dialer
		if conn, err = d.DialContext(ctx, "unix", sock); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("connecting to %s: %w", sock, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	c, err := agent.Dial(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	if err := c.Ping(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("ping: %w", err)
	}
	return c, nil
}

type execResult struct {
	status         int
	stdout, stderr string
	err            error
}

func (r execResult) String() string {
	return fmt.Sprintf("status %d, stdout %.200q, stderr %.200q, err %v", r.status, r.stdout, r.stderr, r.err)
}

func agentExec(ctx context.Context, c *agent.Client, container string, req contract.ExecRequest, stdin string) execResult {
	var out, errs bytes.Buffer
	eio := agent.ExecIO{Stdout: &out, Stderr: &errs}
	if stdin != "" {
		eio.Stdin = strings.NewReader(stdin)
	}
	st, err := c.Exec(ctx, container, req, eio)
	return execResult{st, out.String(), errs.String(), err}
}

// pid1RSS is hyperstart's resident memory in KiB, read from inside a
// container (the pod shares the VM's PID namespace).
func pid1RSS(ctx context.Context, c *agent.Client, container string) (int, error) {
	r := agentExec(ctx, c, container, contract.ExecRequest{Args: []string{"sh", "-c", "grep VmRSS /proc/1/status"}}, "")
	f := strings.Fields(r.stdout)
	if r.err != nil || r.status != 0 || len(f) < 2 {
		return 0, fmt.Errorf("reading PID 1's VmRSS: %v", r)
	}
	return strconv.Atoi(f[1])
}

func agentPod() *contract.Pod {
	web := shContainer("web", `trap 'echo web-got-hup' HUP; echo web-started; while :; do sleep 0.2; done`)
	web.Process.User = "app"
	web.Process.Workdir = "/srv"
	web.Process.Env = append(web.Process.Env, "GREETING=hello", "WHO=web")
	job := shContainer("job", `echo job-out; echo job-err >&2; exit 3`)
	// Each time /tmp/go appears: 2 MiB to stdout in 1 KiB lines.
	flood := shContainer("flood", `x=$(head -c 1000 /dev/zero | tr '\0' x)
while :; do
	while [ ! -e /tmp/go ]; do sleep 0.1; done
	rm /tmp/go
	awk -v x="$x" 'BEGIN { for (i = 0; i < 2048; i++) print i, x }'
	n=$((n+1))
	echo flood-done $n
done`)
	limited := shContainer("limited", `while :; do sleep 1; done`)
	limited.Ulimits = []contract.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}}
	limited.Process.User = "app"
	return busyboxPod("agentpod", web, job, flood, limited)
}

// TestVMAgent boots a pod with the agent's port and drives every op over
// it with the host's client (package agent).
func TestVMAgent(t *testing.T) {
	e := requireVM(t)
	var notes []string
	r := e.bootWithAgent(t, agentPod(), bootOpts{timeout: 5 * time.Minute}, func(ctx context.Context, c *agent.Client, _ func() (*agent.Client, error)) {
		list := waitList(ctx, t, c, func(cs []contract.ContainerStatus) bool {
			return cs[0].State == contract.StateRunning && cs[1].State == contract.StateExited
		})
		if list == nil {
			return
		}
		web, job := list[0], list[1]
		if web.Name != "web" || web.Pid <= 1 || web.StartedAt.IsZero() || web.Restarts != 0 || web.ExitStatus != nil {
			t.Errorf("web = %+v, want running with a pid and a start time", web)
		}
		if job.Name != "job" || job.ExitStatus == nil || *job.ExitStatus != 3 || job.FinishedAt.Before(job.StartedAt) {
			t.Errorf("job = %+v, want exited 3", job)
		}
		if d := time.Since(web.StartedAt); d < -time.Hour || d > time.Hour {
			notes = append(notes, fmt.Sprintf("the guest's clock is %s away from the host's", d.Round(time.Second)))
		}
		testVMAgentExec(ctx, t, c)
		testVMAgentLogs(ctx, t, c, &notes)
		testVMAgentLifecycle(ctx, t, c)
		if err := c.Shutdown(ctx, 0); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	for _, n := range notes {
		t.Log(n)
	}
	// job's 3 is the first non-zero final status.
	if r.Status != 3 || r.Exit != debugExit(3) {
		t.Errorf("pod status %d, qemu exit %d; want 3, %d", r.Status, r.Exit, debugExit(3))
	}
}

// waitList polls List until ok holds.
func waitList(ctx context.Context, t *testing.T, c *agent.Client, ok func([]contract.ContainerStatus) bool) []contract.ContainerStatus {
	for {
		cs, err := c.List(ctx)
		if err != nil {
			t.Errorf("List: %v", err)
			return nil
		}
		if ok(cs) {
			return cs
		}
		select {
		case <-ctx.Done():
			t.Errorf("List never got there: %+v", cs)
			return nil
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func testVMAgentExec(ctx context.Context, t *testing.T, c *agent.Client) {
	tests := []struct {
		name      string
		container string
		req       contract.ExecRequest
		stdin     string
		want      execResult
	}{
		{"status and streams apart", "web", contract.ExecRequest{Args: []string{"sh", "-c", "echo out; echo err >&2; exit 5"}}, "", execResult{status: 5, stdout: "out\n", stderr: "err\n"}},
		{"stdin", "web", contract.ExecRequest{Args: []string{"cat"}}, "one\ntwo\n", execResult{stdout: "one\ntwo\n"}},
		{"the container's user, workdir and env", "web", contract.ExecRequest{Args: []string{"sh", "-c", `echo "$(id -u) $(pwd) $GREETING $WHO $HOME"`}, Env: []string{"WHO=exec"}},
			"", execResult{stdout: "1000 /srv hello exec /home/app\n"}},
		{"the request's user and workdir", "web", contract.ExecRequest{Args: []string{"sh", "-c", "echo $(id -u):$(id -g) $(pwd)"}, User: "0", Workdir: "/tmp"}, "", execResult{stdout: "0:0 /tmp\n"}},
		{"the container's root and namespaces", "web", contract.ExecRequest{Args: []string{"sh", "-c",
			`[ -e /srv ] && grep -q ' / overlay ' /proc/self/mounts && cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' ' | grep -q web-started && hostname`}},
			"", execResult{stdout: "agentpod\n"}},
		{"killed by a signal", "web", contract.ExecRequest{Args: []string{"sh", "-c", "kill -9 $$"}}, "", execResult{status: 137}},
		{"not found", "web", contract.ExecRequest{Args: []string{"/no/such/program"}}, "", execResult{status: 127, stderr: "hyperstart: exec: /no/such/program: not found\n"}},
		{"not executable", "web", contract.ExecRequest{Args: []string{"/etc/passwd"}}, "", execResult{status: 126}},
		{"the container's own ulimits", "limited", contract.ExecRequest{Args: []string{"sh", "-c", "echo $(ulimit -n) $(ulimit -Hn) $(id -u)"}}, "", execResult{stdout: "1024 2048 1000\n"}},
		{"ulimits with a missing program", "limited", contract.ExecRequest{Args: []string{"nope"}}, "", execResult{status: 127}},
	}
	for _, tt := range tests {
		got := agentExec(ctx, c, tt.container, tt.req, tt.stdin)
		if tt.want.stderr == "" && got.status == tt.want.status && tt.want.status >= 126 {
			got.stderr = "" // the message is checked where the test gives it
		}
		if got.err != nil || got.status != tt.want.status || got.stdout != tt.want.stdout || got.stderr != tt.want.stderr {
			t.Errorf("exec %s: %v; want %v", tt.name, got, tt.want)
		}
	}

	// A tty: its node exists in the container, its size, a resize.
	resize := make(chan contract.WindowSize, 1)
	release := make(chan struct{})
	out := &watchWriter{want: "30 90", then: func() {
		resize <- contract.WindowSize{Rows: 40, Cols: 100}
		time.Sleep(300 * time.Millisecond) // the resize frame goes first
		close(release)
	}}
	st, err := c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"sh", "-c", `t=$(tty); [ -c "$t" ] && echo "$t"; stty size; read x; stty size; stat -c %u "$t"`},
		TTY: true, Size: contract.WindowSize{Rows: 30, Cols: 90}}, agent.ExecIO{Stdin: &gatedReader{gate: release, data: "go\n"}, Stdout: out, Resize: resize})
	if got := out.String(); err != nil || st != 0 || !strings.Contains(got, "/dev/pts/") || !strings.Contains(got, "30 90") || !strings.Contains(got, "40 100") || !strings.Contains(got, "1000") {
		t.Errorf("exec with a tty: %d, %v, %q; want the user's /dev/pts/N, 30 90 then 40 100", st, err, got)
	}

	for _, tt := range []struct {
		name      string
		container string
		req       contract.ExecRequest
		want      contract.ErrorCode
	}{
		{"exited container", "job", contract.ExecRequest{Args: []string{"true"}}, contract.CodeConflict},
		{"no such container", "nope", contract.ExecRequest{Args: []string{"true"}}, contract.CodeNotFound},
		{"no such user", "web", contract.ExecRequest{Args: []string{"true"}, User: "nobody-here"}, contract.CodeBadRequest},
		{"no such workdir", "web", contract.ExecRequest{Args: []string{"true"}, Workdir: "/no/such/dir"}, contract.CodeBadRequest},
	} {
		if _, err := c.Exec(ctx, tt.container, tt.req, agent.ExecIO{}); agentCode(err) != tt.want {
			t.Errorf("exec %s: %v; want code %s", tt.name, err, tt.want)
		}
	}
}

func testVMAgentLogs(ctx context.Context, t *testing.T, c *agent.Client, notes *[]string) {
	var got []string
	err := c.Logs(ctx, "job", contract.LogsRequest{}, func(e contract.LogEntry) error {
		got = append(got, fmt.Sprintf("%d:%s", e.Stream, e.Line))
		return nil
	})
	if s := strings.Join(got, ","); err != nil || (s != "1:job-out,2:job-err" && s != "2:job-err,1:job-out") {
		t.Errorf("Logs(job) = %q, %v; want job-out on stdout, job-err on stderr", s, err)
	}

	// A signal, seen on a followed log.
	fctx, stop := context.WithCancel(ctx)
	seen := make(chan error, 1)
	go func() {
		seen <- c.Logs(fctx, "web", contract.LogsRequest{Follow: true, Stdout: true}, func(e contract.LogEntry) error {
			if e.Line == "web-got-hup" {
				stop()
			}
			return nil
		})
	}()
	time.Sleep(200 * time.Millisecond) // sh has set its trap long ago; the stream is open
	if err := c.Signal(ctx, "web", "HUP"); err != nil {
		t.Errorf("Signal: %v", err)
	}
	select {
	case err := <-seen:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("following web's log ended with %v before web-got-hup", err)
		}
	case <-time.After(time.Minute):
		t.Errorf("web-got-hup never came on the followed log")
	}
	stop()

	// A flood stays within its ring, and PID 1 within its memory: a
	// second flood as big as the first costs nothing more.
	var rss [3]int
	if rss[0], err = pid1RSS(ctx, c, "web"); err != nil {
		t.Error(err)
		return
	}
	var took [2]time.Duration
	for i := range 2 {
		if took[i], err = flood(ctx, c, i+1); err != nil {
			t.Error(err)
			return
		}
		if rss[i+1], err = pid1RSS(ctx, c, "web"); err != nil {
			t.Error(err)
			return
		}
	}
	var n, size int
	var first string
	err = c.Logs(ctx, "flood", contract.LogsRequest{}, func(e contract.LogEntry) error {
		if n == 0 {
			first = e.Line
		}
		n++
		size += len(e.Line)
		return nil
	})
	*notes = append(*notes, fmt.Sprintf("hyperstart VmRSS: %d KiB before, %d KiB after a 2 MiB log flood, %d KiB after a second one (each in %s, %s, paced by the console); the ring kept %d lines, %d bytes",
		rss[0], rss[1], rss[2], took[0].Round(100*time.Millisecond), took[1].Round(100*time.Millisecond), n, size))
	if err != nil || size > contract.LogRingBytes || n < 100 || strings.HasPrefix(first, "0 ") {
		t.Errorf("flood's log: %d lines, %d bytes, first %.20q, %v; want the last lines only, within %d bytes", n, size, first, err, contract.LogRingBytes)
	}
	if rss[2]-rss[1] > 1<<10 {
		t.Errorf("hyperstart's RSS grew by %d KiB over a second 2 MiB flood (%d KiB over the first)", rss[2]-rss[1], rss[1]-rss[0])
	}
}

// flood has the flood container write 2 MiB and waits for its last line.
func flood(ctx context.Context, c *agent.Client, round int) (time.Duration, error) {
	start := time.Now()
	if r := agentExec(ctx, c, "flood", contract.ExecRequest{Args: []string{"touch", "/tmp/go"}}, ""); r.err != nil || r.status != 0 {
		return 0, fmt.Errorf("starting the flood: %v", r)
	}
	fctx, stop := context.WithCancel(ctx)
	defer stop()
	err := c.Logs(fctx, "flood", contract.LogsRequest{Follow: true, Tail: 1}, func(e contract.LogEntry) error {
		if e.Line == fmt.Sprintf("flood-done %d", round) {
			stop()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) {
		return 0, fmt.Errorf("following the flood: %v", err)
	}
	return time.Since(start), nil
}

func testVMAgentLifecycle(ctx context.Context, t *testing.T, c *agent.Client) {
	ectx, stopEvents := context.WithCancel(ctx)
	defer stopEvents()
	events := make(chan contract.Event, 64)
	go c.Events(ectx, func(e contract.Event) error { events <- e; return nil })
	time.Sleep(300 * time.Millisecond) // the stream is open before what follows

	before := waitList(ctx, t, c, func([]contract.ContainerStatus) bool { return true })
	if err := c.Restart(ctx, "web"); err != nil {
		t.Errorf("Restart: %v", err)
	}
	after := waitList(ctx, t, c, func(cs []contract.ContainerStatus) bool { return cs[0].State == contract.StateRunning })
	if before == nil || after == nil {
		return
	}
	if w := after[0]; w.Restarts != 1 || w.Pid == before[0].Pid || !w.StartedAt.After(before[0].StartedAt) || w.ExitStatus == nil || *w.ExitStatus != 143 {
		t.Errorf("web after Restart = %+v (before %+v); want 1 restart, a new pid and start time, last status 143", w, before[0])
	}
	if err := c.Stop(ctx, "web", 0); err != nil {
		t.Errorf("Stop: %v", err)
	}
	cs := waitList(ctx, t, c, func([]contract.ContainerStatus) bool { return true })
	if cs != nil && (cs[0].State != contract.StateExited || cs[0].Restarts != 1 || cs[0].FinishedAt.IsZero()) {
		t.Errorf("web after Stop = %+v; want exited, still 1 restart", cs[0])
	}
	if r := agentExec(ctx, c, "web", contract.ExecRequest{Args: []string{"true"}}, ""); agentCode(r.err) != contract.CodeConflict {
		t.Errorf("exec into the stopped web: %v; want a conflict", r)
	}
	if err := c.Signal(ctx, "web", "TERM"); agentCode(err) != contract.CodeConflict {
		t.Errorf("signal to the stopped web: %v; want a conflict", err)
	}
	var got []string
	for len(got) < 4 {
		select {
		case e := <-events:
			if e.Container == "web" {
				got = append(got, e.Type)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("events of web: %q, then nothing", got)
			return
		}
	}
	if want := "exit,restart,stop,exit"; strings.Join(got, ",") != want {
		t.Errorf("events of web %q, want %q", strings.Join(got, ","), want)
	}
}

// The agent on microvm's virtio-mmio serial device.
func TestVMAgentMicrovm(t *testing.T) {
	e := requireVM(t)
	p := busyboxPod("micro", shContainer("app", `while :; do sleep 1; done`))
	var notes []string
	r := e.bootWithAgent(t, p, bootOpts{microvm: true}, func(ctx context.Context, c *agent.Client, redial func() (*agent.Client, error)) {
		threads := func() string {
			got := agentExec(ctx, c, "app", contract.ExecRequest{Args: []string{"sh", "-c", "grep -E '^(Threads|VmRSS)' /proc/1/status | tr -s '\t\n' '  '"}}, "")
			if got.err != nil || got.status != 0 {
				t.Errorf("reading PID 1's status: %v", got)
			}
			return got.stdout
		}
		before := threads()
		for range 20 {
			if got := agentExec(ctx, c, "app", contract.ExecRequest{Args: []string{"echo", "hi"}}, ""); got.err != nil || got.stdout != "hi\n" {
				t.Errorf("exec echo hi: %v", got)
			}
		}
		notes = append(notes, "PID 1 before 20 execs: "+before+"; after: "+threads())
		// The host goes away and comes back: a new session.
		c, err := redial()
		if err != nil {
			t.Errorf("connecting again: %v", err)
			return
		}
		if got := agentExec(ctx, c, "app", contract.ExecRequest{Args: []string{"echo", "again"}}, ""); got.err != nil || got.stdout != "again\n" {
			t.Errorf("exec after reconnecting: %v", got)
		}
		// Stopped, the only container keeps the pod up; the shutdown
		// that ends it at once is still answered.
		if err := c.Stop(ctx, "app", time.Second); err != nil {
			t.Errorf("Stop: %v", err)
		}
		if cs, err := c.List(ctx); err != nil || cs[0].State != contract.StateExited {
			t.Errorf("List after Stop = %+v, %v; want app exited", cs, err)
		}
		if err := c.Shutdown(ctx, time.Second); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	for _, n := range notes {
		t.Log(n)
	}
	if r.Status != 143 {
		t.Errorf("pod status %d, want 143 (app stopped by SIGTERM)", r.Status)
	}
}
