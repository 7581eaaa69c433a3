package hyperstart

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/agent"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/syncbuf"
)

// The agent on the host: a real Supervisor running sh scripts (hostPod),
// its processes exec'd on the host, and the host's client (package agent)
// on the other end of a net.Pipe. What happens inside a container (its
// namespace, root, user) is for the VM tests.

// hostExec starts req on the host as the agent's StartExec would in a
// container.
func hostExec(c *contract.Container, mainPid int, req *contract.ExecRequest, io *ExecIO) (int, error) {
	bin, err := exec.LookPath(req.Args[0])
	if err != nil {
		return 0, execFailure(req.Args[0], syscall.ENOENT)
	}
	sys := &syscall.SysProcAttr{Setsid: true}
	var files []uintptr
	if req.TTY {
		master, slave, err := openPTY(User{}, req.Size)
		if err != nil {
			return 0, err
		}
		defer slave.Close()
		io.PTY = master
		files = []uintptr{slave.Fd(), slave.Fd(), slave.Fd()}
		sys.Setctty = true
	} else {
		files = []uintptr{io.Stdin.Fd(), io.Stdout.Fd(), io.Stderr.Fd()}
	}
	env := append([]string{"PATH=/usr/bin:/bin"}, req.Env...)
	return syscall.ForkExec(bin, req.Args, &syscall.ProcAttr{Dir: req.Workdir, Env: env, Files: files, Sys: sys})
}

// startAgent serves tp's pod on one end of a pipe and returns the
// client on the other.
func startAgent(t *testing.T, tp *hostPod, logs *LogStore) *agent.Client {
	t.Helper()
	if logs == nil {
		logs = NewLogStore(contract.LogRingBytes)
	}
	a := &Agent{Sup: tp.s, Logs: logs, Log: NewLog(&syncbuf.Buffer{}, true), StartExec: hostExec}
	guest, host := net.Pipe()
	go a.Serve(guest)
	c, err := agent.Dial(host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func agentCode(err error) contract.ErrorCode {
	var e *agent.Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func TestAgentOps(t *testing.T) {
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		ctr("web", contract.RestartNever, forever),
		ctr("job", contract.RestartNever, "exit 3"),
	}}
	tp := startHostPod(t, p, time.Millisecond)
	c := startAgent(t, tp, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	tp.waitReady(t, "web")
	waitState(t, tp.s, "job", contract.StateExited)
	list, err := c.List(ctx)
	if err != nil || len(list) != 2 || list[0].State != contract.StateRunning || list[1].ExitStatus == nil || *list[1].ExitStatus != 3 {
		t.Errorf("List = %+v, %v; want web running, job exited 3", list, err)
	}
	for _, tt := range []struct {
		name string
		err  error
		want contract.ErrorCode
	}{
		{"signal nope", c.Signal(ctx, "nope", "HUP"), contract.CodeNotFound},
		{"signal job", c.Signal(ctx, "job", "HUP"), contract.CodeConflict},
		{"stop nope", c.Stop(ctx, "nope", 0), contract.CodeNotFound},
		{"restart nope", c.Restart(ctx, "nope"), contract.CodeNotFound},
		{"logs nope", c.Logs(ctx, "nope", contract.LogsRequest{}, func(contract.LogEntry) error { return nil }), contract.CodeNotFound},
	} {
		if got := agentCode(tt.err); got != tt.want {
			t.Errorf("%s: %v, want code %s", tt.name, tt.err, tt.want)
		}
	}
	if err := c.Restart(ctx, "web"); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	if web := statusOf(t, tp.s, "web"); web.Restarts != 1 || web.State != contract.StateRunning {
		t.Errorf("web after Restart = %+v", web)
	}
	tp.waitReady(t, "web")
	if err := c.Stop(ctx, "web", 0); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if web := statusOf(t, tp.s, "web"); web.State != contract.StateExited {
		t.Errorf("web after Stop = %+v", web)
	}
	if err := c.Shutdown(ctx, 0); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	if st := tp.wait(t); st != 3 {
		t.Errorf("pod status %d, want 3", st)
	}
	if _, err := c.List(ctx); agentCode(err) != contract.CodeConflict {
		t.Errorf("List after the pod ended = %v, want a conflict", err)
	}
}

func TestAgentExec(t *testing.T) {
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		ctr("web", contract.RestartNever, forever),
		ctr("job", contract.RestartNever, "exit 0"),
	}}
	tp := startHostPod(t, p, time.Millisecond)
	c := startAgent(t, tp, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tp.waitReady(t, "web")
	waitState(t, tp.s, "job", contract.StateExited)
	run := func(req contract.ExecRequest, stdin string, eio agent.ExecIO) (int, string, string, error) {
		var out, errs bytes.Buffer
		eio.Stdout, eio.Stderr = &out, &errs
		if stdin != "" {
			eio.Stdin = strings.NewReader(stdin)
		}
		st, err := c.Exec(ctx, "web", req, eio)
		return st, out.String(), errs.String(), err
	}
	tests := []struct {
		name           string
		req            contract.ExecRequest
		stdin          string
		status         int
		stdout, stderr string
	}{
		{"streams apart", contract.ExecRequest{Args: []string{"sh", "-c", "echo out; echo err >&2; exit 5"}}, "", 5, "out\n", "err\n"},
		{"stdin", contract.ExecRequest{Args: []string{"cat"}}, "one\ntwo\n", 0, "one\ntwo\n", ""},
		{"no stdin", contract.ExecRequest{Args: []string{"cat"}}, "", 0, "", ""},
		{"env", contract.ExecRequest{Args: []string{"sh", "-c", "echo $A"}, Env: []string{"A=b"}}, "", 0, "b\n", ""},
		{"signal", contract.ExecRequest{Args: []string{"sh", "-c", "kill -9 $$"}}, "", 137, "", ""},
		{"not found", contract.ExecRequest{Args: []string{"no-such-program"}}, "", 127, "", "hyperstart: exec: no-such-program: not found\n"},
		{"big output", contract.ExecRequest{Args: []string{"sh", "-c", "head -c 3000000 /dev/zero | tr '\\0' x"}}, "", 0, strings.Repeat("x", 3000000), ""},
	}
	for _, tt := range tests {
		st, out, errs, err := run(tt.req, tt.stdin, agent.ExecIO{})
		if err != nil || st != tt.status || out != tt.stdout || errs != tt.stderr {
			t.Errorf("%s: Exec = %d, %v, stdout %.80q, stderr %q; want %d, %.80q, %q", tt.name, st, err, out, errs, tt.status, tt.stdout, tt.stderr)
		}
	}

	// A signal frame reaches the process.
	sig := make(chan string, 1)
	sig <- "TERM"
	st, out, _, err := run(contract.ExecRequest{Args: []string{"sh", "-c", "trap 'echo got-term; exit 9' TERM; while :; do sleep 0.05; done"}}, "", agent.ExecIO{Signal: sig})
	if err != nil || st != 9 || out != "got-term\n" {
		// The trap may not be set when the signal comes: then sh dies of it.
		if !(err == nil && st == 143) {
			t.Errorf("Exec with a signal = %d, %v, %q; want 9 and got-term (or 143)", st, err, out)
		}
	}

	// A tty: one stream, its size, then a resize once the first size is
	// out, then the line that lets it print the second.
	resize := make(chan contract.WindowSize, 1)
	release := make(chan struct{})
	out2 := &watchWriter{want: "30 90", then: func() {
		resize <- contract.WindowSize{Rows: 40, Cols: 100}
		time.Sleep(200 * time.Millisecond) // the resize frame goes first
		close(release)
	}}
	st, err = c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"sh", "-c", "stty size; read x; stty size"}, TTY: true, Size: contract.WindowSize{Rows: 30, Cols: 90}},
		agent.ExecIO{Stdin: &gatedReader{gate: release, data: "go\n"}, Stdout: out2, Resize: resize})
	if got := out2.String(); err != nil || st != 0 || !strings.Contains(got, "30 90") || !strings.Contains(got, "40 100") {
		t.Errorf("Exec with a tty = %d, %v, %q; want sizes 30 90 then 40 100 on stdout", st, err, got)
	}

	if _, err := c.Exec(ctx, "job", contract.ExecRequest{Args: []string{"true"}}, agent.ExecIO{}); agentCode(err) != contract.CodeConflict {
		t.Errorf("Exec into an exited container = %v, want CodeConflict", err)
	}
	if _, err := c.Exec(ctx, "nope", contract.ExecRequest{Args: []string{"true"}}, agent.ExecIO{}); agentCode(err) != contract.CodeNotFound {
		t.Errorf("Exec into no such container = %v, want CodeNotFound", err)
	}
	tp.s.Shutdown("test", 0)
	tp.wait(t)
}

// gatedReader gives data once gate is closed, then EOF.
type gatedReader struct {
	gate <-chan struct{}
	data string
	done bool
}

func (r *gatedReader) Read(p []byte) (int, error) {
	if r.done {
		return 0, io.EOF
	}
	<-r.gate
	r.done = true
	return copy(p, r.data), nil
}

// watchWriter keeps what is written and calls then (once) when want
// appears in it.
type watchWriter struct {
	syncbuf.Buffer
	want string
	then func()
}

func (w *watchWriter) Write(p []byte) (int, error) {
	n, err := w.Buffer.Write(p)
	if w.then != nil && strings.Contains(w.Buffer.String(), w.want) {
		then := w.then
		w.then = nil
		go then()
	}
	return n, err
}

func TestAgentLogs(t *testing.T) {
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		ctr("web", contract.RestartNever, forever),
		ctr("db", contract.RestartNever, forever),
	}}
	tp := startHostPod(t, p, time.Millisecond)
	logs := NewLogStore(contract.LogRingBytes)
	c := startAgent(t, tp, logs)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	logs.Add("web", contract.Stdout, []byte("w1"))
	logs.Add("db", contract.Stdout, []byte("d1"))
	logs.Add("web", contract.Stderr, []byte("w2"))
	mid := time.Now()
	time.Sleep(10 * time.Millisecond)
	logs.Add("web", contract.Stdout, []byte("w3"))
	read := func(container string, req contract.LogsRequest) string {
		var got []string
		err := c.Logs(ctx, container, req, func(e contract.LogEntry) error {
			got = append(got, e.Container+":"+e.Line)
			return nil
		})
		if err != nil {
			t.Errorf("Logs(%q, %+v): %v", container, req, err)
		}
		return strings.Join(got, ",")
	}
	for _, tt := range []struct {
		container string
		req       contract.LogsRequest
		want      string
	}{
		{"", contract.LogsRequest{}, "web:w1,db:d1,web:w2,web:w3"},
		{"web", contract.LogsRequest{}, "web:w1,web:w2,web:w3"},
		{"web", contract.LogsRequest{Stderr: true}, "web:w2"},
		{"web", contract.LogsRequest{Stdout: true}, "web:w1,web:w3"},
		{"web", contract.LogsRequest{Tail: 2}, "web:w2,web:w3"},
		{"", contract.LogsRequest{Since: mid}, "web:w3"},
	} {
		if got := read(tt.container, tt.req); got != tt.want {
			t.Errorf("Logs(%q, %+v) = %q, want %q", tt.container, tt.req, got, tt.want)
		}
	}
	// Follow: the last line, then new ones, until the store closes.
	got := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- c.Logs(ctx, "web", contract.LogsRequest{Follow: true, Tail: 1}, func(e contract.LogEntry) error {
			got <- e.Line
			return nil
		})
	}()
	if l := <-got; l != "w3" {
		t.Errorf("first followed line %q, want w3", l)
	}
	logs.Add("db", contract.Stdout, []byte("d2"))
	logs.Add("web", contract.Stdout, []byte("w4"))
	if l := <-got; l != "w4" {
		t.Errorf("next followed line %q, want w4", l)
	}
	logs.Close()
	if err := <-done; err != nil {
		t.Errorf("Logs follow after the store closed: %v", err)
	}
	tp.s.Shutdown("test", 0)
	tp.wait(t)
}

func TestAgentEvents(t *testing.T) {
	p := &contract.Pod{Version: contract.Version, Containers: []contract.Container{
		ctr("web", contract.RestartNever, forever),
	}}
	tp := startHostPod(t, p, time.Millisecond)
	c := startAgent(t, tp, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	tp.waitReady(t, "web")
	events := make(chan contract.Event, 16)
	done := make(chan error, 1)
	go func() {
		done <- c.Events(ctx, func(e contract.Event) error { events <- e; return nil })
	}()
	// The stream is open once the supervisor has a subscriber.
	waitFor(t, "the events subscription", func() bool {
		n, _ := call(tp.s, func(p *podState) int { return len(p.subs) })
		return n == 1
	})
	if err := c.Restart(ctx, "web"); err != nil {
		t.Fatal(err)
	}
	tp.waitReady(t, "web")
	c.Shutdown(ctx, 0)
	tp.wait(t)
	if err := <-done; err != nil {
		t.Errorf("Events ended with %v, want nil when the pod ends", err)
	}
	close(events)
	var got []string
	for e := range events {
		got = append(got, e.Type+" "+e.Container)
	}
	if want := "exit web,restart web,stop ,exit web"; strings.Join(got, ",") != want {
		t.Errorf("events %q, want %q", strings.Join(got, ","), want)
	}
}

// A request that is not one gets a bad request reply, whatever it is.
func TestAgentBadRequests(t *testing.T) {
	a := &Agent{Log: NewLog(&syncbuf.Buffer{}, false)}
	for _, tt := range []struct {
		name  string
		frame func(w *bytes.Buffer)
	}{
		{"unknown op", func(w *bytes.Buffer) {
			contract.WriteJSON(w, contract.FrameRequest, contract.Request{Op: "format-disk"})
		}},
		{"unknown field", func(w *bytes.Buffer) { contract.WriteFrame(w, contract.FrameRequest, []byte(`{"op":"ping","x":1}`)) }},
		{"not a request", func(w *bytes.Buffer) { contract.WriteFrame(w, contract.FrameStdin, []byte("hi")) }},
		{"bad type", func(w *bytes.Buffer) { w.Write([]byte{99, 0, 0, 0, 0}) }},
		{"exec without args", func(w *bytes.Buffer) {
			contract.WriteJSON(w, contract.FrameRequest, contract.Request{Op: contract.OpExec, Container: "web", Exec: &contract.ExecRequest{}})
		}},
	} {
		var in bytes.Buffer
		tt.frame(&in)
		r := replyOf(t, a, in.Bytes())
		if r.Code != contract.CodeBadRequest || r.Error == "" {
			t.Errorf("%s: reply %+v, want a bad request", tt.name, r)
		}
	}
}

// replyOf serves one stream holding in and decodes the reply.
func replyOf(t *testing.T, a *Agent, in []byte) contract.Reply {
	t.Helper()
	guest, host := net.Pipe()
	go a.Handle(guest)
	go func() { host.Write(in) }()
	host.SetDeadline(time.Now().Add(30 * time.Second))
	typ, p, err := contract.ReadFrame(host)
	host.Close()
	if err != nil || typ != contract.FrameReply {
		t.Fatalf("reading the reply: type %d, %v", typ, err)
	}
	var r contract.Reply
	if err := contract.DecodeJSON(p, &r); err != nil {
		t.Fatal(err)
	}
	return r
}
