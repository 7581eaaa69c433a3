package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestOps(t *testing.T) {
	c, g := newFake(t, nil)
	ctx := testCtx(t)
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	cs, err := c.List(ctx)
	if err != nil || len(cs) != 2 || cs[0].Name != "web" || cs[0].State != contract.StateRunning || cs[1].Restarts != 2 || *cs[1].ExitStatus != 1 || !cs[1].FinishedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("List = %+v, %v", cs, err)
	}
	for _, err := range []error{
		c.Signal(ctx, "web", "HUP"),
		c.Stop(ctx, "web", 3*time.Second),
		c.Restart(ctx, "db"),
		c.Shutdown(ctx, 0),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []contract.Request{
		{Op: "ping"}, {Op: "list"}, {Op: "signal", Container: "web", Signal: "HUP"},
		{Op: "stop", Container: "web", Timeout: contract.Duration(3 * time.Second)}, {Op: "restart", Container: "db"}, {Op: "shutdown"},
	}
	if got := g.requests(); !reflect.DeepEqual(got, want) {
		t.Errorf("the guest got %+v, want %+v", got, want)
	}
}

func TestErrors(t *testing.T) {
	c, g := newFake(t, nil)
	ctx := testCtx(t)
	var e *Error
	err := c.Stop(ctx, "nope", 0)
	if !errors.As(err, &e) || e.Code != contract.CodeNotFound || err.Error() != "no container nope in this pod" {
		t.Errorf("Stop(nope) = %v; want the guest's not-found error", err)
	}
	_, err = c.Exec(ctx, "db", contract.ExecRequest{Args: []string{"true"}}, ExecIO{})
	if !errors.As(err, &e) || e.Code != contract.CodeConflict {
		t.Errorf("Exec in a stopped container = %v; want a conflict", err)
	}
	// Refused here, before a round trip.
	sent := len(g.requests())
	bad := []error{
		c.Signal(ctx, "web", "SIGNOPE"),
		c.Signal(ctx, "", "TERM"),
		c.Stop(ctx, "we/b", 0),
		c.Stop(ctx, "web", -time.Second),
		c.Logs(ctx, "web", contract.LogsRequest{Tail: -1}, func(contract.LogEntry) error { return nil }),
	}
	_, err = c.Exec(ctx, "web", contract.ExecRequest{}, ExecIO{})
	bad = append(bad, err)
	_, err = c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"sh"}, Workdir: "relative"}, ExecIO{})
	bad = append(bad, err)
	for i, err := range bad {
		if !errors.As(err, &e) || e.Code != contract.CodeBadRequest {
			t.Errorf("bad request %d: %v; want CodeBadRequest", i, err)
		}
	}
	if n := len(g.requests()); n != sent {
		t.Errorf("%d bad requests reached the guest", n-sent)
	}
}

func TestExec(t *testing.T) {
	c, g := newFake(t, nil)
	ctx := testCtx(t)
	t.Run("stdout and stderr apart", func(t *testing.T) {
		var out, errs bytes.Buffer
		st, err := c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"split"}}, ExecIO{Stdout: &out, Stderr: &errs})
		if err != nil || st != 3 || out.String() != "to stdout\n" || errs.String() != "to stderr\n" {
			t.Errorf("Exec = %d, %v, stdout %q, stderr %q; want 3 and the streams apart", st, err, out.String(), errs.String())
		}
	})
	t.Run("stdin", func(t *testing.T) {
		in := strings.Repeat("some input\n", 10000) // several frames
		var out bytes.Buffer
		st, err := c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"cat"}}, ExecIO{Stdin: strings.NewReader(in), Stdout: &out})
		if err != nil || st != 0 || out.String() != in {
			t.Errorf("Exec cat = %d, %v, %d bytes back; want 0 and the %d bytes", st, err, out.Len(), len(in))
		}
		reqs := g.requests()
		if last := reqs[len(reqs)-1]; !last.Exec.Stdin {
			t.Errorf("the request does not ask for stdin: %+v", last.Exec)
		}
	})
	t.Run("resize and signal", func(t *testing.T) {
		resize, signal := make(chan contract.WindowSize, 1), make(chan string, 1)
		resize <- contract.WindowSize{Rows: 40, Cols: 100}
		var out bytes.Buffer
		done := make(chan struct{})
		var st int
		var err error
		go func() {
			defer close(done)
			st, err = c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"tty"}, TTY: true}, ExecIO{Stdout: &out, Resize: resize, Signal: signal})
		}()
		time.Sleep(10 * time.Millisecond) // the resize first, as a terminal would
		signal <- "INT"
		<-done
		want := `6{"rows":40,"cols":100}7{"signal":"INT"}`
		if err != nil || st != 130 || out.String() != want {
			t.Errorf("Exec tty = %d, %v, %q; want 130, %q", st, err, out.String(), want)
		}
	})
	t.Run("output larger than a frame", func(t *testing.T) {
		n := 0
		st, err := c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"flood"}}, ExecIO{Stdout: writerFunc(func(p []byte) (int, error) { n += len(p); return len(p), nil })})
		if err != nil || st != 0 || n != contract.MaxFrame+10 {
			t.Errorf("Exec flood = %d, %v, %d bytes; want all %d", st, err, n, contract.MaxFrame+10)
		}
	})
	t.Run("a failed write drains", func(t *testing.T) {
		broken := errors.New("client gone")
		st, err := c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"split"}}, ExecIO{Stdout: writerFunc(func([]byte) (int, error) { return 0, broken })})
		if !errors.Is(err, broken) || st != 3 {
			t.Errorf("Exec with a broken stdout = %d, %v; want 3 and the write's error", st, err)
		}
	})
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(50*time.Millisecond, cancel)
		_, err := c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"sleep"}}, ExecIO{})
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled Exec = %v; want context.Canceled", err)
		}
		if op := waitEnded(t, g); op != contract.OpExec {
			t.Errorf("the guest saw %q end, want exec", op)
		}
	})
	t.Run("many at once", func(t *testing.T) {
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				in := fmt.Sprintf("exec %d\n", i)
				var out bytes.Buffer
				st, err := c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"cat"}}, ExecIO{Stdin: strings.NewReader(in), Stdout: &out})
				if err != nil || st != 0 || out.String() != in {
					errs <- fmt.Errorf("exec %d: %d, %v, %q", i, st, err, out.String())
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func waitEnded(t *testing.T, g *fakeGuest) string {
	t.Helper()
	select {
	case op := <-g.ended:
		return op
	case <-time.After(10 * time.Second):
		t.Fatal("the guest never saw the stream end")
		return ""
	}
}

func TestLogs(t *testing.T) {
	c, g := newFake(t, nil)
	ctx := testCtx(t)
	var got []contract.LogEntry
	collect := func(e contract.LogEntry) error { got = append(got, e); return nil }
	if err := c.Logs(ctx, "", contract.LogsRequest{}, collect); err != nil || !reflect.DeepEqual(got, fakeLogs) {
		t.Fatalf("Logs(all) = %v, %+v; want every line", err, got)
	}
	got = nil
	if err := c.Logs(ctx, "web", contract.LogsRequest{}, collect); err != nil || len(got) != 2 || got[1].Stream != contract.Stderr {
		t.Errorf("Logs(web) = %v, %+v; want web's two lines", err, got)
	}
	stop := errors.New("enough")
	n := 0
	err := c.Logs(ctx, "", contract.LogsRequest{}, func(contract.LogEntry) error { n++; return stop })
	if err != stop || n != 1 {
		t.Errorf("Logs with a failing fn = %v after %d lines; want fn's error after 1", err, n)
	}
	fctx, cancel := context.WithCancel(ctx)
	got = nil
	err = c.Logs(fctx, "web", contract.LogsRequest{Follow: true}, func(e contract.LogEntry) error {
		got = append(got, e)
		if len(got) == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || len(got) != 2 {
		t.Errorf("Logs follow = %v, %d lines; want context.Canceled after 2", err, len(got))
	}
	if op := waitEnded(t, g); op != contract.OpLogs {
		t.Errorf("the guest saw %q end, want logs", op)
	}
}

func TestEvents(t *testing.T) {
	c, _ := newFake(t, nil)
	ctx, cancel := context.WithCancel(testCtx(t))
	var got []contract.Event
	err := c.Events(ctx, func(e contract.Event) error {
		got = append(got, e)
		if len(got) == 2 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || len(got) != 2 || got[0].Type != contract.EventStart || got[1].ExitStatus == nil || *got[1].ExitStatus != 0 {
		t.Errorf("Events = %v, %+v", err, got)
	}
}

// TestProtocol: a guest that breaks the protocol gets ErrProtocol (or
// ErrVersion), never a hang or a panic; its error text is bounded and
// cannot drive the user's terminal.
func TestProtocol(t *testing.T) {
	ctx := testCtx(t)
	frame := func(ft contract.FrameType, v any) func(*contract.Request, net.Conn) {
		return func(_ *contract.Request, s net.Conn) { contract.WriteJSON(s, ft, v) }
	}
	raw := func(b []byte) func(*contract.Request, net.Conn) {
		return func(_ *contract.Request, s net.Conn) { s.Write(b) }
	}
	then := func(first func(*contract.Request, net.Conn), more ...func(*contract.Request, net.Conn)) func(*contract.Request, net.Conn) {
		return func(r *contract.Request, s net.Conn) {
			first(r, s)
			for _, m := range more {
				m(r, s)
			}
		}
	}
	ok := frame(contract.FrameReply, contract.Reply{})
	exec := func(c *Client) error {
		_, err := c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"true"}}, ExecIO{})
		return err
	}
	logs := func(c *Client) error {
		return c.Logs(ctx, "web", contract.LogsRequest{}, func(contract.LogEntry) error { return nil })
	}
	list := func(c *Client) error { _, err := c.List(ctx); return err }
	tests := []struct {
		name  string
		guest func(*contract.Request, net.Conn)
		call  func(*Client) error
		want  error
	}{
		{"no reply", func(*contract.Request, net.Conn) {}, (*Client).pingBG, ErrProtocol},
		{"not a reply", frame(contract.FrameStdout, contract.Reply{}), (*Client).pingBG, ErrProtocol},
		{"unknown frame type", raw([]byte{99, 0, 0, 0, 0}), (*Client).pingBG, contract.ErrFrame},
		{"huge frame", raw([]byte{2, 0xff, 0xff, 0xff, 0xff}), (*Client).pingBG, contract.ErrFrame},
		{"unknown field", raw(append([]byte{2, 0, 0, 0, 12}, `{"bogus":1}`+" "...)), (*Client).pingBG, contract.ErrFrame},
		{"cut short", raw([]byte{2, 0, 0, 0, 9, '{'}), (*Client).pingBG, ErrProtocol},
		{"old version", frame(contract.FrameReply, contract.Reply{Version: 99}), (*Client).pingBG, ErrVersion},
		{"exec without exit", ok, exec, ErrProtocol},
		{"exec log frame", then(ok, frame(contract.FrameLog, contract.LogEntry{})), exec, ErrProtocol},
		{"exec status 300", then(ok, frame(contract.FrameExit, contract.ExitStatus{Status: 300})), exec, ErrProtocol},
		{"log of another container", then(ok, frame(contract.FrameLog, contract.LogEntry{Container: "db", Stream: contract.Stdout})), logs, ErrProtocol},
		{"log of no stream", then(ok, frame(contract.FrameLog, contract.LogEntry{Container: "web"})), logs, ErrProtocol},
		{"list of a strange state", frame(contract.FrameReply, contract.Reply{Containers: []contract.ContainerStatus{{Name: "web", State: "zombie"}}}), list, ErrProtocol},
	}
	for _, tt := range tests {
		c, _ := newFake(t, tt.guest)
		if err := tt.call(c); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v; want %v", tt.name, err, tt.want)
		}
	}
	c, _ := newFake(t, frame(contract.FrameReply, contract.Reply{Error: "\x1b[2Jgone" + strings.Repeat("!", 5000), Code: "weird"}))
	var e *Error
	if err := c.Ping(ctx); !errors.As(err, &e) || e.Code != contract.CodeInternal || strings.ContainsRune(e.Message, 0x1b) || len(e.Message) > maxMessage+10 {
		t.Errorf("a hostile error reply: %#v; want CodeInternal, bounded, no escape", err)
	}
}

// pingBG is Ping with a bounded wait, for guests that may not answer.
func (c *Client) pingBG() error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	return c.Ping(ctx)
}

// TestClosed: once the guest's end is gone, every call says so at once.
func TestClosed(t *testing.T) {
	c, g := newFake(t, nil)
	ctx := testCtx(t)
	if err := c.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	g.sess.Close()
	select {
	case <-c.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("Done not closed after the guest went away")
	}
	if err := c.Ping(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Ping after the guest went away = %v; want ErrClosed", err)
	}
	if _, err := c.Exec(ctx, "web", contract.ExecRequest{Args: []string{"true"}}, ExecIO{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Exec after the guest went away = %v; want ErrClosed", err)
	}
}

// TestNoAnswer: a guest that never answers (no agent in hyperstart) holds
// a call only as long as its context.
func TestNoAnswer(t *testing.T) {
	host, guest := net.Pipe()
	defer guest.Close()
	go io.Copy(io.Discard, guest)
	c, err := Dial(host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := c.Ping(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Ping of a silent guest = %v; want its deadline", err)
	}
}

// TestGuestOpensStreams: streams the guest opens towards the host are
// never served; the client works on.
func TestGuestOpensStreams(t *testing.T) {
	c, g := newFake(t, nil)
	for range 3 * acceptBacklog {
		s, err := g.sess.OpenStream()
		if err != nil {
			break // reset once the backlog is full
		}
		s.Write([]byte("hello host"))
	}
	if err := c.Ping(testCtx(t)); err != nil {
		t.Errorf("Ping after the guest opened streams: %v", err)
	}
}
