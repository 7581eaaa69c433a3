package daemon

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/client"
	"github.com/hyperbuild/hyper/contract"
)

// harness runs a hyperd (Serve) on a temporary state directory, with
// in-process shims over a fake runtime, and a client of it.
type harness struct {
	t    *testing.T
	root string
	rt   *fakeRuntime
	c    *client.Client
	stop func()
	// art is an artifact of one container, "hello"; two is one of two,
	// "web" (running) and "sidecar" (exited).
	art, two string
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	// Short: a pod's shim.sock must fit a unix socket's 107 bytes.
	root, err := os.MkdirTemp("", "hyd")
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, root: filepath.Join(root, "state"), rt: &fakeRuntime{}}
	h.art = filepath.Join(root, "hello.img")
	h.two = filepath.Join(root, "two.img")
	os.WriteFile(h.art, []byte("artifact"), 0o644)
	os.WriteFile(h.two, []byte("artifact"), 0o644)
	t.Cleanup(func() {
		h.stop()
		h.rt.mu.Lock()
		for _, vm := range h.rt.vms {
			vm.Kill()
		}
		h.rt.mu.Unlock()
		// Let the shims record their pods' ends before the files go.
		time.Sleep(50 * time.Millisecond)
		os.RemoveAll(root)
	})
	h.serve()
	return h
}

func (h *harness) daemon() *Daemon {
	return &Daemon{
		Spawn: func(ctx context.Context, root, id string, lock *os.File) error {
			pr, pw, err := os.Pipe()
			if err != nil {
				return err
			}
			defer pr.Close()
			s := &Shim{Root: root, ID: id, Runtime: h.rt, Lock: lock, Ready: pw, Console: io.Discard}
			go s.Run(context.Background())
			return readReady(ctx, pr, podDir(root, id), nil)
		},
		Manifest: func(path string) (string, []string, error) {
			switch filepath.Base(path) {
			case "hello.img":
				return "hello", []string{"hello"}, nil
			case "two.img":
				return "two", []string{"web", "sidecar"}, nil
			}
			return "", nil, api.ErrBadRequest
		},
	}
}

// serve starts hyperd and waits until it answers.
func (h *harness) serve() {
	h.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, Config{Root: h.root, Daemon: h.daemon()}) }()
	var once sync.Once
	h.stop = func() {
		once.Do(func() {
			cancel()
			<-done
		})
	}
	var err error
	h.c, err = client.New(client.WithHost("unix://" + filepath.Join(h.root, api.SocketName)))
	if err != nil {
		h.t.Fatal(err)
	}
	for i := 0; ; i++ {
		if err = h.c.Ping(context.Background()); err == nil {
			return
		}
		select {
		case err := <-done:
			h.t.Fatalf("hyperd: %v", err)
		case <-time.After(10 * time.Millisecond):
		}
		if i > 500 {
			h.t.Fatalf("hyperd does not answer: %v", err)
		}
	}
}

func (h *harness) create(req api.CreateRequest) api.CreateResponse {
	h.t.Helper()
	res, err := h.c.Create(context.Background(), req)
	if err != nil {
		h.t.Fatalf("create %+v: %v", req, err)
	}
	return res
}

// logs is a pod's log lines, "CONTAINER STREAM LINE" each.
func (h *harness) logs(pod string, q api.LogsQuery) []string {
	h.t.Helper()
	var out []string
	err := h.c.Logs(context.Background(), pod, q, func(e contract.LogEntry) error {
		s := "out"
		if e.Stream == contract.Stderr {
			s = "err"
		}
		out = append(out, e.Container+" "+s+" "+e.Line)
		return nil
	})
	if err != nil {
		h.t.Fatalf("logs %s: %v", pod, err)
	}
	return out
}

func (h *harness) exec(pod string, req api.ExecRequest, stdin string) (int, string, string, error) {
	var out, errb bytes.Buffer
	eio := client.ExecIO{Stdout: &out, Stderr: &errb}
	if req.Stdin {
		eio.Stdin = strings.NewReader(stdin)
	}
	st, err := h.c.Exec(context.Background(), pod, req, eio)
	return st, out.String(), errb.String(), err
}

func args(a ...string) api.ExecRequest {
	return api.ExecRequest{ExecRequest: contract.ExecRequest{Args: a}}
}

func TestPodLifecycle(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res := h.create(api.CreateRequest{Artifact: h.art})
	if res.Name != "hello" || !isID(res.ID) {
		t.Fatalf("create = %+v; want the pod's own name and a 32-digit ID", res)
	}
	pods, err := h.c.List(ctx, false)
	if err != nil || len(pods) != 1 || pods[0].State != api.StateRunning || pods[0].Pid != os.Getpid() {
		t.Fatalf("list = %+v, %v; want one running pod, supervised by pid %d", pods, err, os.Getpid())
	}
	// The containers come from the guest once its agent answers.
	for i := 0; ; i++ {
		p, err := h.c.Inspect(ctx, res.ID)
		if err == nil && len(p.Containers) == 1 && p.Containers[0].Pid == 42 {
			break
		}
		if i > 500 {
			t.Fatalf("inspect never shows the guest's containers: %+v, %v", p, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	// By name, ID, or a unique ID prefix.
	for _, ref := range []string{"hello", res.ID, res.ID[:5]} {
		p, err := h.c.Inspect(ctx, ref)
		if err != nil || p.ID != res.ID || len(p.Containers) != 1 || p.Containers[0].Pid != 42 {
			t.Errorf("inspect %s = %+v, %v; want the pod with its live containers", ref, p, err)
		}
	}
	if got := h.logs("hello", api.LogsQuery{}); strings.Join(got, ";") != "hello out hello from hello;hello err warning from hello" {
		t.Errorf("logs = %q", got)
	}
	if got := h.logs("hello", api.LogsQuery{LogsRequest: contract.LogsRequest{Stderr: true}}); len(got) != 1 || !strings.Contains(got[0], "warning") {
		t.Errorf("logs stderr=1 = %q", got)
	}

	st, out, errs, err := h.exec("hello", args("echo", "hi", "there"), "")
	if err != nil || st != 0 || out != "hi there\n" || errs != "" {
		t.Errorf("exec echo = %d, %q, %q, %v", st, out, errs, err)
	}
	st, out, errs, err = h.exec("hello", args("warn", "careful"), "")
	if err != nil || st != 0 || out != "" || errs != "careful\n" {
		t.Errorf("exec warn = %d, %q, %q, %v; want stderr apart", st, out, errs, err)
	}
	st, _, _, err = h.exec("hello", args("exit", "3"), "")
	if err != nil || st != 3 {
		t.Errorf("exec exit 3 = %d, %v", st, err)
	}
	req := args("cat")
	req.Stdin = true
	st, out, _, err = h.exec("hello", req, "through stdin\n")
	if err != nil || st != 0 || out != "through stdin\n" {
		t.Errorf("exec -i cat = %d, %q, %v", st, out, err)
	}
	// A tty, its first size and a resize.
	req = args("tty")
	req.TTY, req.Size = true, contract.WindowSize{Rows: 24, Cols: 80}
	resize := make(chan contract.WindowSize, 1)
	resize <- contract.WindowSize{Rows: 50, Cols: 132}
	var tout bytes.Buffer
	st, err = h.c.Exec(ctx, "hello", req, client.ExecIO{Stdout: &tout, Resize: resize})
	if err != nil || st != 0 || tout.String() != "tty=true size=80x24\nresized 132x50\n" {
		t.Errorf("exec -t = %d, %q, %v", st, tout.String(), err)
	}

	if err := h.c.Stop(ctx, "hello", 5*time.Second); err != nil {
		t.Fatalf("stop: %v", err)
	}
	p, err := h.c.Inspect(ctx, "hello")
	if err != nil || p.State != api.StateExited || p.ExitStatus == nil || *p.ExitStatus != 0 || p.Pid != 0 {
		t.Fatalf("inspect after stop = %+v, %v; want exited with status 0", p, err)
	}
	if how := h.rt.vms[0].how; len(how) == 0 || how[0] != "shutdown 5s" {
		t.Errorf("stop -t 5 stopped the VM by %v; want the guest's shutdown with 5s", how)
	}
	w, err := h.c.Wait(ctx, "hello")
	if err != nil || w.ExitStatus == nil || *w.ExitStatus != 0 {
		t.Errorf("wait on an exited pod = %+v, %v", w, err)
	}
	// The logs outlive the pod, from its files.
	if got := h.logs("hello", api.LogsQuery{LogsRequest: contract.LogsRequest{Follow: true}}); len(got) != 2 {
		t.Errorf("logs -f of a stopped pod = %q; want its two lines, then the end", got)
	}
	if pods, _ := h.c.List(ctx, false); len(pods) != 0 {
		t.Errorf("list without all shows a stopped pod: %+v", pods)
	}
	if pods, _ := h.c.List(ctx, true); len(pods) != 1 {
		t.Errorf("list all = %+v; want the stopped pod", pods)
	}
	// Stopping it again is fine.
	if err := h.c.Stop(ctx, "hello", client.DefaultTimeout); err != nil {
		t.Errorf("stop of a stopped pod: %v", err)
	}
	if err := h.c.Remove(ctx, "hello", false); err != nil {
		t.Fatalf("rm: %v", err)
	}
	if _, err := os.Stat(podDir(h.root, res.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("rm left the pod's directory: %v", err)
	}
	if _, err := h.c.Inspect(ctx, "hello"); !client.IsNotFound(err) {
		t.Errorf("inspect after rm: %v; want a 404", err)
	}
}

// The errors the issue names, each with its status; never a 500.
func TestErrorStatuses(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	h.create(api.CreateRequest{Artifact: h.art, Name: "up"})
	h.create(api.CreateRequest{Artifact: h.two, Name: "two"})
	h.create(api.CreateRequest{Artifact: h.art, Name: "down"})
	if err := h.c.Kill(ctx, "down"); err != nil {
		t.Fatal(err)
	}
	if p, _ := h.c.Inspect(ctx, "down"); p.ExitStatus == nil || *p.ExitStatus != 137 {
		t.Fatalf("kill: pod %+v; want exit status 137", p)
	}
	raw := func(method, path, body string, hdr ...string) (int, string) {
		hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return net.Dial("unix", filepath.Join(h.root, api.SocketName))
		}}}
		req, _ := http.NewRequest(method, "http://hyperd"+path, strings.NewReader(body))
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := hc.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", method, path, err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	up := []string{"Connection", "Upgrade", "Upgrade", api.ExecUpgrade}
	for _, tt := range []struct {
		method, path, body string
		hdr                []string
		status             int
		msg                string
	}{
		{"GET", "/v1/pods/nope", "", nil, 404, `no such pod: \"nope\"`},
		{"POST", "/v1/pods/nope/stop", "", nil, 404, "no such pod"},
		{"DELETE", "/v1/pods/nope", "", nil, 404, "no such pod"},
		{"GET", "/v1/pods/nope/logs", "", nil, 404, "no such pod"},
		{"POST", "/v1/pods/nope/exec", `{"args":["true"]}`, up, 404, "no such pod"},
		{"GET", "/v1/nothing", "", nil, 404, "no such endpoint"},
		{"GET", "/v2/pods", "", nil, 404, "the API is under /v1/"},
		{"POST", "/v1/pods", `{`, nil, 400, "decoding the JSON body"},
		{"POST", "/v1/pods", `{"artifact":"rel.img"}`, nil, 400, "absolute path"},
		{"POST", "/v1/pods", `{"artifact":"/nonexistent.img"}`, nil, 400, "no such file"},
		{"POST", "/v1/pods", `{"artifact":"` + h.art + `","name":"up"}`, nil, 409, `the name \"up\" is in use`},
		{"POST", "/v1/pods", `{"artifact":"` + h.art + `","bogus":1}`, nil, 400, `unknown field \"bogus\"`},
		{"POST", "/v1/pods", `{"artifact":"/` + strings.Repeat("x", api.MaxBody) + `"}`, nil, 413, "more than"},
		{"GET", "/v1/pods?all=maybe", "", nil, 400, `all=\"maybe\"`},
		{"GET", "/v1/pods/up/logs?tail=-3", "", nil, 400, `tail \"-3\"`},
		{"GET", "/v1/pods/up/logs?container=nope", "", nil, 404, `no such container: \"nope\"`},
		{"POST", "/v1/pods/up/stop?t=soon", "", nil, 400, `t \"soon\"`},
		{"POST", "/v1/pods/up/exec", `{"args":[]}`, up, 400, "no command"},
		{"POST", "/v1/pods/up/exec", `{"args":["true"]}`, nil, 400, "exec upgrades the connection"},
		{"POST", "/v1/pods/up/exec", `{"args":["true"],"container":"nope"}`, up, 404, "no such container"},
		{"POST", "/v1/pods/two/exec", `{"args":["true"]}`, up, 400, "has 2 containers: name one (web, sidecar)"},
		{"POST", "/v1/pods/two/exec", `{"args":["true"],"container":"sidecar"}`, up, 409, "container sidecar is exited, not running"},
		{"POST", "/v1/pods/down/exec", `{"args":["true"]}`, up, 409, "pod down is not running (exited with status 137)"},
		{"POST", "/v1/pods/down/kill", "", nil, 409, "pod down is not running"},
		{"DELETE", "/v1/pods/up", "", nil, 409, "stop it first, or remove it with force"},
		{"DELETE", "/v1/pods/up?force=please", "", nil, 400, `force=\"please\"`},
	} {
		got, body := raw(tt.method, tt.path, tt.body, tt.hdr...)
		if len(body) > 300 {
			body = body[:300]
		}
		if got != tt.status || !strings.Contains(body, tt.msg) || !strings.HasPrefix(body, `{"message":`) {
			t.Errorf("%s %.60s %.40s = %d %s; want %d saying %s", tt.method, tt.path, tt.body, got, body, tt.status, tt.msg)
		}
	}
	// An ambiguous prefix is the request's fault.
	if _, err := h.c.Inspect(ctx, ""); err == nil {
		t.Errorf("inspect of an empty name succeeded")
	}
	// rm -f kills and removes.
	if err := h.c.Remove(ctx, "up", true); err != nil {
		t.Fatalf("rm -f: %v", err)
	}
	if _, err := h.c.Inspect(ctx, "up"); !client.IsNotFound(err) {
		t.Errorf("inspect after rm -f: %v", err)
	}
}

// Restarting hyperd keeps the pods: the new one finds them running, and
// their shims answer through it.
func TestRestartKeepsPods(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res := h.create(api.CreateRequest{Artifact: h.art})
	h.stop()
	if _, err := os.Stat(filepath.Join(h.root, api.SocketName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a stopped hyperd left its socket: %v", err)
	}
	h.serve()
	p, err := h.c.Inspect(ctx, res.ID)
	if err != nil || p.State != api.StateRunning {
		t.Fatalf("after a restart: %+v, %v; want the pod running", p, err)
	}
	if st, out, _, err := h.exec(res.ID, args("echo", "still", "here"), ""); err != nil || st != 0 || out != "still here\n" {
		t.Errorf("exec after a restart = %d, %q, %v", st, out, err)
	}
}

// A pod whose shim died (kill -9) without recording the end: its lock is
// free, and hyperd says what happened.
func TestLostShim(t *testing.T) {
	h := newHarness(t)
	id := newID()
	dir := podDir(h.root, id)
	os.MkdirAll(dir, 0o700)
	writeFile(filepath.Join(dir, configFile), podConfig{ID: id, Name: "orphan", Containers: []string{"c"}, Created: time.Now()})
	writeFile(filepath.Join(dir, stateFile), podState{State: api.StateRunning, Pid: 999999})
	p, err := h.c.Inspect(context.Background(), "orphan")
	if err != nil || p.State != api.StateExited || !strings.Contains(p.Error, "supervisor (hyperd shim, pid 999999) was killed; its VM stopped with it") {
		t.Fatalf("inspect of a pod whose shim died = %+v, %v", p, err)
	}
	var st podState
	readJSON(filepath.Join(dir, stateFile), &st)
	if st.State != api.StateExited || st.Error == "" {
		t.Errorf("the correction was not written down: %+v", st)
	}
	_, _, _, err = h.exec("orphan", args("true"), "")
	if !client.IsConflict(err) {
		t.Errorf("exec into it: %v; want a 409", err)
	}
}

// A second hyperd on the same state directory is refused; a socket a
// killed one left behind does not stop the next.
func TestDaemonLockAndStaleSocket(t *testing.T) {
	h := newHarness(t)
	err := Serve(context.Background(), Config{Root: h.root, Daemon: h.daemon()})
	if !errors.Is(err, ErrRunning) {
		t.Errorf("a second hyperd on %s: %v; want ErrRunning", h.root, err)
	}
	h.stop()
	// What a hyperd killed with SIGKILL leaves: a socket nobody serves.
	sock := filepath.Join(h.root, api.SocketName)
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	if _, err := os.Stat(sock); err != nil {
		t.Fatalf("no stale socket to test with: %v", err)
	}
	h.serve()
}

func TestStartFailureLeavesNothing(t *testing.T) {
	h := newHarness(t)
	h.rt.startErr = errors.New("qemu-system-x86_64: cannot start")
	_, err := h.c.Create(context.Background(), api.CreateRequest{Artifact: h.art})
	var ce *client.Error
	if !errors.As(err, &ce) || ce.StatusCode != 500 || !strings.Contains(ce.Message, "cannot start") {
		t.Fatalf("create with a failing start: %v; want the runner's error", err)
	}
	entries, _ := os.ReadDir(filepath.Join(h.root, podsDir))
	if len(entries) != 0 {
		t.Errorf("a failed create left %d pod directories", len(entries))
	}
}

// run --rm: the pod goes once it stops, after its waiter had the status.
func TestAutoRemove(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res := h.create(api.CreateRequest{Artifact: h.art, RunConfig: api.RunConfig{AutoRemove: true}})
	waited := make(chan api.WaitResponse, 1)
	go func() {
		w, err := h.c.Wait(ctx, res.ID)
		if err != nil {
			t.Errorf("wait: %v", err)
		}
		waited <- w
	}()
	time.Sleep(50 * time.Millisecond)
	if err := h.c.Kill(ctx, res.ID); err != nil {
		t.Fatal(err)
	}
	if w := <-waited; w.ExitStatus == nil || *w.ExitStatus != 137 {
		t.Errorf("wait = %+v; want 137", w)
	}
	for i := 0; ; i++ {
		if _, err := os.Stat(podDir(h.root, res.ID)); errors.Is(err, os.ErrNotExist) {
			break
		}
		if i > 500 {
			t.Fatal("an auto-remove pod is still there after it stopped")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logs -f follows a running pod until it stops; events stream too.
func TestFollow(t *testing.T) {
	h := newHarness(t)
	ctx := context.Background()
	res := h.create(api.CreateRequest{Artifact: h.art})
	lines := make(chan string, 10)
	done := make(chan error, 1)
	go func() {
		done <- h.c.Logs(ctx, res.ID, api.LogsQuery{LogsRequest: contract.LogsRequest{Follow: true, Stdout: true}}, func(e contract.LogEntry) error {
			lines <- e.Line
			return nil
		})
	}()
	if got := <-lines; got != "hello from hello" {
		t.Errorf("first line followed: %q", got)
	}
	events := make(chan contract.Event, 10)
	go h.c.Events(ctx, res.ID, func(e contract.Event) error {
		events <- e
		return nil
	})
	// The agent's events arrive, then the stop's.
	time.Sleep(100 * time.Millisecond)
	if err := h.c.Stop(ctx, res.ID, client.DefaultTimeout); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("logs -f: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("logs -f did not end when the pod stopped")
	}
	var types []string
	for e := range events {
		types = append(types, e.Type)
		if e.Type == contract.EventExit && e.Container == "" {
			break
		}
	}
	if got := strings.Join(types, ","); !strings.HasSuffix(got, "stop,exit") {
		t.Errorf("events = %s; want ..., stop, exit", got)
	}
}
