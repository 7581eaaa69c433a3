package agent

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/hyperbuild/hyper/contract"
)

// fakeGuest is hyperstart's agent as far as the client can tell: a yamux
// server on the other end of a pipe, one goroutine per stream, that reads
// the request with contract.ReadRequest and hands it to handle.
type fakeGuest struct {
	sess   *yamux.Session
	handle func(req *contract.Request, s net.Conn)

	mu   sync.Mutex
	reqs []contract.Request
	// ended gets the op of each stream the host ended while the guest
	// was still reading from it (an abandoned exec, log follow).
	ended chan string
}

// newFake returns a client connected to a fake guest; handle nil serves
// the usual answers (serve).
func newFake(t testing.TB, handle func(req *contract.Request, s net.Conn)) (*Client, *fakeGuest) {
	t.Helper()
	host, guest := net.Pipe()
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = io.Discard
	sess, err := yamux.Server(guest, cfg)
	if err != nil {
		t.Fatal(err)
	}
	g := &fakeGuest{sess: sess, handle: handle, ended: make(chan string, 16)}
	if g.handle == nil {
		g.handle = g.serve
	}
	go g.accept()
	c, err := Dial(host)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c.Close()
		sess.Close()
	})
	return c, g
}

func (g *fakeGuest) accept() {
	for {
		s, err := g.sess.AcceptStream()
		if err != nil {
			return
		}
		go func() {
			defer s.Close()
			req, err := contract.ReadRequest(s)
			if err != nil {
				contract.WriteJSON(s, contract.FrameReply, contract.Reply{Error: err.Error(), Code: contract.CodeBadRequest})
				return
			}
			g.mu.Lock()
			g.reqs = append(g.reqs, *req)
			g.mu.Unlock()
			g.handle(req, s)
		}()
	}
}

// requests returns the requests the guest has received.
func (g *fakeGuest) requests() []contract.Request {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]contract.Request(nil), g.reqs...)
}

func reply(s net.Conn, r contract.Reply) { contract.WriteJSON(s, contract.FrameReply, r) }

func fail(s net.Conn, code contract.ErrorCode, msg string) {
	reply(s, contract.Reply{Error: msg, Code: code})
}

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

var fakeLogs = []contract.LogEntry{
	{Container: "web", Stream: contract.Stdout, Time: t0, Line: "listening"},
	{Container: "db", Stream: contract.Stdout, Time: t0.Add(time.Second), Line: "ready"},
	{Container: "web", Stream: contract.Stderr, Time: t0.Add(2 * time.Second), Line: "GET / 404"},
}

// serve answers as hyperstart would for a pod of "web" (running) and
// "db" (exited).
func (g *fakeGuest) serve(req *contract.Request, s net.Conn) {
	known := req.Container == "" || req.Container == "web" || req.Container == "db"
	if !known {
		fail(s, contract.CodeNotFound, "no container "+req.Container+" in this pod")
		return
	}
	switch req.Op {
	case contract.OpPing:
		reply(s, contract.Reply{Version: contract.AgentVersion})
	case contract.OpList:
		one := 1
		reply(s, contract.Reply{Containers: []contract.ContainerStatus{
			{Name: "web", State: contract.StateRunning, Pid: 7, StartedAt: t0},
			{Name: "db", State: contract.StateExited, Restarts: 2, ExitStatus: &one, StartedAt: t0, FinishedAt: t0.Add(time.Minute)},
		}})
	case contract.OpSignal, contract.OpStop, contract.OpRestart, contract.OpShutdown:
		reply(s, contract.Reply{})
	case contract.OpExec:
		if req.Container == "db" {
			fail(s, contract.CodeConflict, "container db is not running")
			return
		}
		reply(s, contract.Reply{})
		g.exec(req.Exec, s)
	case contract.OpLogs:
		reply(s, contract.Reply{})
		for _, e := range fakeLogs {
			if req.Container == "" || e.Container == req.Container {
				contract.WriteJSON(s, contract.FrameLog, e)
			}
		}
		if req.Logs.Follow {
			g.waitEnd(s, req.Op)
		}
	case contract.OpEvents:
		reply(s, contract.Reply{})
		st := 0
		contract.WriteJSON(s, contract.FrameEvent, contract.Event{Time: t0, Type: contract.EventStart, Container: "web"})
		contract.WriteJSON(s, contract.FrameEvent, contract.Event{Time: t0, Type: contract.EventExit, Container: "web", ExitStatus: &st})
		g.waitEnd(s, req.Op)
	}
}

// waitEnd blocks until the host ends the stream.
func (g *fakeGuest) waitEnd(s net.Conn, op string) {
	for {
		if _, _, err := contract.ReadFrame(s); err != nil {
			g.ended <- op
			return
		}
	}
}

// exec plays a process by its first argument.
func (g *fakeGuest) exec(e *contract.ExecRequest, s net.Conn) {
	exit := func(st int) { contract.WriteJSON(s, contract.FrameExit, contract.ExitStatus{Status: st}) }
	switch e.Args[0] {
	case "true":
		exit(0)
	case "split": // stdout and stderr apart, a status
		contract.WriteData(s, contract.FrameStdout, []byte("to stdout\n"))
		contract.WriteData(s, contract.FrameStderr, []byte("to stderr\n"))
		exit(3)
	case "cat": // stdin back on stdout until it closes
		for {
			t, p, err := contract.ReadFrame(s)
			if err != nil || t != contract.FrameStdin {
				exit(125)
				return
			}
			if len(p) == 0 {
				exit(0)
				return
			}
			contract.WriteData(s, contract.FrameStdout, p)
		}
	case "tty": // report the resize and the signal it gets
		for n := 0; n < 2; n++ {
			t, p, err := contract.ReadFrame(s)
			if err != nil {
				return
			}
			contract.WriteData(s, contract.FrameStdout, append([]byte{byte('0' + t)}, p...))
		}
		exit(130)
	case "sleep": // until the host goes away
		g.waitEnd(s, contract.OpExec)
	case "flood": // more output than one frame
		contract.WriteData(s, contract.FrameStdout, bytes.Repeat([]byte("x"), contract.MaxFrame+10))
		exit(0)
	}
}
