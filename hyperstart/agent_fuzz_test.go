package hyperstart

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/syncbuf"
	"golang.org/x/sys/unix"
)

// recTarget records what execInput asks of a process.
type recTarget struct {
	stdin    int
	closed   bool
	resizes  []contract.WindowSize
	signals  []unix.Signal
	afterEOF bool // stdin after CloseStdin
}

func (r *recTarget) Stdin(p []byte) error {
	if r.closed {
		r.afterEOF = true
	}
	r.stdin += len(p)
	return nil
}
func (r *recTarget) CloseStdin() { r.closed = true }
func (r *recTarget) Resize(ws contract.WindowSize) error {
	r.resizes = append(r.resizes, ws)
	return nil
}
func (r *recTarget) Signal(s unix.Signal) error { r.signals = append(r.signals, s); return nil }

func frames(fs ...func(w io.Writer)) []byte {
	var b bytes.Buffer
	for _, f := range fs {
		f(&b)
	}
	return b.Bytes()
}

func TestExecInput(t *testing.T) {
	in := frames(
		func(w io.Writer) { contract.WriteData(w, contract.FrameStdin, []byte("abc")) },
		func(w io.Writer) { contract.WriteJSON(w, contract.FrameResize, contract.WindowSize{Rows: 3, Cols: 4}) },
		func(w io.Writer) { contract.WriteJSON(w, contract.FrameSignal, contract.SignalRequest{Signal: "INT"}) },
		func(w io.Writer) { contract.WriteFrame(w, contract.FrameStdin, nil) },
		func(w io.Writer) { contract.WriteData(w, contract.FrameStdin, []byte("dropped")) },
	)
	var r recTarget
	if err := execInput(bytes.NewReader(in), &r, true); err != nil {
		t.Fatal(err)
	}
	if r.stdin != 3 || !r.closed || r.afterEOF || len(r.resizes) != 1 || r.resizes[0] != (contract.WindowSize{Rows: 3, Cols: 4}) || len(r.signals) != 1 || r.signals[0] != unix.SIGINT {
		t.Errorf("got %+v", r)
	}
	for _, tt := range []struct {
		name string
		in   []byte
	}{
		{"a request mid-exec", frames(func(w io.Writer) { contract.WriteJSON(w, contract.FrameRequest, contract.Request{Op: "ping"}) })},
		{"a bad signal", frames(func(w io.Writer) { contract.WriteJSON(w, contract.FrameSignal, contract.SignalRequest{Signal: "NOPE"}) })},
		{"a bad size", frames(func(w io.Writer) { contract.WriteFrame(w, contract.FrameResize, []byte(`{"rows":-1}`)) })},
		{"a cut frame", []byte{byte(contract.FrameStdin), 0, 0, 0, 9, 'x'}},
	} {
		var r recTarget
		if err := execInput(bytes.NewReader(tt.in), &r, true); err == nil {
			t.Errorf("%s: no error", tt.name)
		}
	}
}

// FuzzExecInput feeds the host's side of an exec stream, as the guest
// reads it after the request: whatever it is, execInput ends without a
// panic, acts only on well-formed frames, and sends nothing to stdin
// after the host closed it.
func FuzzExecInput(f *testing.F) {
	f.Add(frames(
		func(w io.Writer) { contract.WriteData(w, contract.FrameStdin, []byte("abc")) },
		func(w io.Writer) { contract.WriteJSON(w, contract.FrameResize, contract.WindowSize{Rows: 3, Cols: 4}) },
		func(w io.Writer) {
			contract.WriteJSON(w, contract.FrameSignal, contract.SignalRequest{Signal: "SIGTERM"})
		},
		func(w io.Writer) { contract.WriteFrame(w, contract.FrameStdin, nil) },
	))
	f.Add([]byte{byte(contract.FrameSignal), 0, 0, 0, 4, '"', '9', '"', '}'})
	f.Add([]byte{byte(contract.FrameResize), 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		var r recTarget
		execInput(bytes.NewReader(in), &r, true)
		if r.afterEOF {
			t.Error("stdin after the host closed it")
		}
		if r.stdin > len(in) {
			t.Errorf("%d bytes to stdin from %d of input", r.stdin, len(in))
		}
		for _, s := range r.signals {
			if s < 1 || s > 64 {
				t.Errorf("signal %d", s)
			}
		}
	})
}

// fakeController is one running container, "web", whose commands
// succeed without doing anything; exec is refused (nothing runs).
type fakeController struct{ ended chan struct{} }

func (f *fakeController) lookup(name string) error {
	if name != "web" {
		return ErrNoContainer
	}
	return nil
}
func (f *fakeController) List() ([]contract.ContainerStatus, error) {
	return []contract.ContainerStatus{{Name: "web", State: contract.StateRunning, Pid: 7}}, nil
}
func (f *fakeController) Container(name string) (contract.ContainerStatus, error) {
	return contract.ContainerStatus{Name: name}, f.lookup(name)
}
func (f *fakeController) Signal(name string, _ unix.Signal) error             { return f.lookup(name) }
func (f *fakeController) StopContainer(name string, _ time.Duration) error    { return f.lookup(name) }
func (f *fakeController) RestartContainer(name string, _ time.Duration) error { return f.lookup(name) }
func (f *fakeController) Shutdown(string, time.Duration) error                { return nil }
func (f *fakeController) Ended() <-chan struct{}                              { return f.ended }
func (f *fakeController) Unsubscribe(*EventSub)                               {}
func (f *fakeController) Subscribe() (*EventSub, error)                       { return nil, ErrPodEnded }
func (f *fakeController) Exec(name string, _ ExecStart) (int, <-chan int, error) {
	if err := f.lookup(name); err != nil {
		return 0, nil, err
	}
	return 0, nil, errors.New("exec: nothing runs here")
}

// FuzzAgentStream feeds one whole stream from the host to the agent's
// Handle: it always answers with one well-formed reply (when the stream
// held anything) and ends, never panics or hangs.
func FuzzAgentStream(f *testing.F) {
	for _, r := range []contract.Request{
		{Op: contract.OpPing},
		{Op: contract.OpList},
		{Op: contract.OpSignal, Container: "web", Signal: "HUP"},
		{Op: contract.OpStop, Container: "nope", Timeout: contract.Duration(time.Second)},
		{Op: contract.OpLogs, Container: "web", Logs: &contract.LogsRequest{Tail: 2, Stderr: true}},
		{Op: contract.OpLogs, Logs: &contract.LogsRequest{Since: time.Unix(5, 0)}},
		{Op: contract.OpExec, Container: "web", Exec: &contract.ExecRequest{Args: []string{"sh"}, TTY: true}},
		{Op: contract.OpEvents},
	} {
		f.Add(frames(func(w io.Writer) { contract.WriteJSON(w, contract.FrameRequest, r) }))
	}
	logs := NewLogStore(4 << 10)
	for i := 0; i < 50; i++ {
		logs.Add("web", contract.Stream(1+i%2), []byte("line"))
	}
	a := &Agent{Sup: &fakeController{ended: make(chan struct{})}, Logs: logs, Log: NewLog(&syncbuf.Buffer{}, false)}
	f.Fuzz(func(t *testing.T, in []byte) {
		st := &fakeStream{in: bytes.NewReader(in)}
		done := make(chan struct{})
		go func() {
			a.Handle(st)
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Handle did not return")
		}
		if !st.closed {
			t.Error("the stream was not closed")
		}
		out := strings.NewReader(st.out.String())
		typ, p, err := contract.ReadFrame(out)
		if errors.Is(err, io.EOF) {
			return // nothing came: no request, no reply
		}
		var r contract.Reply
		if err != nil || typ != contract.FrameReply || contract.DecodeJSON(p, &r) != nil {
			t.Fatalf("first frame: type %d %q, %v", typ, p, err)
		}
		if r.Error != "" && r.Code == "" {
			t.Errorf("error %q without a code", r.Error)
		}
		for {
			typ, p, err := contract.ReadFrame(out)
			if errors.Is(err, io.EOF) {
				break
			}
			var e contract.LogEntry
			if err != nil || typ != contract.FrameLog || contract.DecodeJSON(p, &e) != nil {
				t.Fatalf("after the reply: type %d %q, %v", typ, p, err)
			}
		}
	})
}

// fakeStream is a stream whose host sent in and then closed its side.
type fakeStream struct {
	in     *bytes.Reader
	out    syncbuf.Buffer
	closed bool
}

func (s *fakeStream) Read(p []byte) (int, error)      { return s.in.Read(p) }
func (s *fakeStream) Write(p []byte) (int, error)     { return s.out.Write(p) }
func (s *fakeStream) Close() error                    { s.closed = true; return nil }
func (s *fakeStream) SetReadDeadline(time.Time) error { return nil }
