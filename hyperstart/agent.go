package hyperstart

import (
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/yamux"
	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// Agent serves the host's requests on the agent port (contract/agent.go):
// one yamux session at a time, one goroutine per stream, each stream one
// request. It acts only through the Supervisor's commands and reads logs
// from the LogStore; exec'd processes are started by StartExec inside the
// container.
type Agent struct {
	Sup  Controller
	Logs *LogStore
	Log  *Log
	// StartExec starts req in container c, whose main process is
	// mainPid, with io (see ExecIO); it runs with the Reaper's lock held.
	StartExec func(c *contract.Container, mainPid int, req *contract.ExecRequest, io *ExecIO) (int, error)

	once sync.Once
	sem  chan struct{} // bounds the streams served at once
	owed atomic.Int32  // replies being worked out (not the streams')
}

// Flush waits up to timeout for the replies being worked out to be sent:
// the pod ends as the host's shutdown is answered, and the VM must not
// power off before the answer is on its way.
func (a *Agent) Flush(timeout time.Duration) {
	for deadline := time.Now().Add(timeout); a.owed.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

// Controller is what the agent asks of the pod: the Supervisor's
// commands.
type Controller interface {
	List() ([]contract.ContainerStatus, error)
	Container(name string) (contract.ContainerStatus, error)
	Signal(name string, sig unix.Signal) error
	StopContainer(name string, timeout time.Duration) error
	RestartContainer(name string, timeout time.Duration) error
	Exec(name string, start ExecStart) (int, <-chan int, error)
	Shutdown(why string, timeout time.Duration) error
	Subscribe() (*EventSub, error)
	Unsubscribe(sub *EventSub)
	Ended() <-chan struct{}
}

var _ Controller = (*Supervisor)(nil)

// maxStreams bounds the requests served at once: each holds a goroutine
// or three and yamux buffers, and the guest's memory is small.
const maxStreams = 128

// outputGraceExec is how long an exec's output may go on after its
// process exited (a background child holding the pipe or the tty must
// not hold the exit status back for ever).
const outputGraceExec = time.Second

// Serve runs one yamux session on conn until it breaks.
func (a *Agent) Serve(conn io.ReadWriteCloser) error {
	cfg := yamux.DefaultConfig()
	cfg.LogOutput = debugWriter{a.Log}
	sess, err := yamux.Server(conn, cfg)
	if err != nil {
		return fmt.Errorf("agent: starting the session: %w", err)
	}
	defer sess.Close()
	a.once.Do(func() { a.sem = make(chan struct{}, maxStreams) })
	for {
		st, err := sess.AcceptStream()
		if err != nil {
			return err
		}
		select {
		case a.sem <- struct{}{}:
			go func() {
				defer func() { <-a.sem }()
				a.Handle(st)
			}()
		default:
			sendReply(st, contract.Reply{Code: contract.CodeConflict, Error: fmt.Sprintf("agent: %d requests already being served; try again when one ends", maxStreams)})
			st.Close()
		}
	}
}

// Stream is one request's stream: a yamux stream in the VM.
type Stream interface {
	io.ReadWriteCloser
	SetReadDeadline(t time.Time) error
}

// requestTimeout is how long a new stream may take to send its request.
const requestTimeout = time.Minute

// debugWriter sends yamux's own log lines to the debug log.
type debugWriter struct{ l *Log }

func (w debugWriter) Write(p []byte) (int, error) {
	w.l.Debugf("agent: %s", trimNewline(p))
	return len(p), nil
}

func trimNewline(p []byte) string {
	for len(p) > 0 && (p[len(p)-1] == '\n' || p[len(p)-1] == '\r') {
		p = p[:len(p)-1]
	}
	return string(p)
}

// Handle serves one stream: it reads the request, checks it, acts and
// answers, then closes the stream.
func (a *Agent) Handle(st Stream) {
	defer st.Close()
	st.SetReadDeadline(time.Now().Add(requestTimeout))
	req, err := contract.ReadRequest(st)
	if err != nil {
		if !errors.Is(err, io.EOF) {
			sendReply(st, contract.Reply{Code: contract.CodeBadRequest, Error: "agent: " + err.Error()})
		}
		return
	}
	st.SetReadDeadline(time.Time{})
	a.Log.Debugf("agent: %s %s", req.Op, req.Container)
	switch req.Op {
	case contract.OpExec, contract.OpLogs, contract.OpEvents:
	default:
		a.owed.Add(1)
		defer a.owed.Add(-1)
	}
	switch req.Op {
	case contract.OpPing:
		sendReply(st, contract.Reply{Version: contract.AgentVersion})
	case contract.OpList:
		cs, err := a.Sup.List()
		if err != nil {
			replyErr(st, err)
			return
		}
		sendReply(st, contract.Reply{Containers: cs})
	case contract.OpSignal:
		_, num, _ := contract.ParseSignal(req.Signal) // checked by ReadRequest
		replyErr(st, a.Sup.Signal(req.Container, unix.Signal(num)))
	case contract.OpStop:
		replyErr(st, a.Sup.StopContainer(req.Container, time.Duration(req.Timeout)))
	case contract.OpRestart:
		replyErr(st, a.Sup.RestartContainer(req.Container, time.Duration(req.Timeout)))
	case contract.OpShutdown:
		replyErr(st, a.Sup.Shutdown("the host asked", time.Duration(req.Timeout)))
	case contract.OpExec:
		a.exec(st, req)
	case contract.OpLogs:
		a.logs(st, req)
	case contract.OpEvents:
		a.events(st)
	}
}

// reply writes one FrameReply; a failed write means the host went away.
func sendReply(w io.Writer, r contract.Reply) error {
	return contract.WriteJSON(w, contract.FrameReply, r)
}

// replyErr answers with err's code and message, or with success when err
// is nil.
func replyErr(w io.Writer, err error) error {
	if err == nil {
		return sendReply(w, contract.Reply{})
	}
	return sendReply(w, contract.Reply{Code: errorCode(err), Error: err.Error()})
}

// errorCode maps an error to the code the host turns into an HTTP status.
func errorCode(err error) contract.ErrorCode {
	switch {
	case errors.Is(err, ErrNoContainer):
		return contract.CodeNotFound
	case errors.Is(err, ErrNotRunning), errors.Is(err, ErrPodStopping), errors.Is(err, ErrPodEnded):
		return contract.CodeConflict
	case errors.Is(err, ErrNoUser), errors.Is(err, ErrWorkdir):
		return contract.CodeBadRequest
	}
	return contract.CodeInternal
}

// closed returns a channel closed once the host has closed its side of
// st (or the stream broke): for streams where the host only listens.
// Anything the host sends is read and dropped.
func closed(st io.Reader) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		io.Copy(io.Discard, st)
	}()
	return done
}

// logs sends the lines the request selects, then, with Follow, new ones
// as they come until the host closes the stream or the pod ends.
func (a *Agent) logs(st Stream, req *contract.Request) {
	lr := req.Logs
	if lr == nil {
		lr = &contract.LogsRequest{}
	}
	if req.Container != "" {
		if _, err := a.Sup.Container(req.Container); err != nil {
			replyErr(st, err)
			return
		}
	}
	if sendReply(st, contract.Reply{}) != nil {
		return
	}
	q := LogQuery{Container: req.Container, Stdout: lr.Stdout, Stderr: lr.Stderr, Since: lr.Since, Tail: lr.Tail}
	var hostDone <-chan struct{}
	if lr.Follow {
		hostDone = closed(st)
	}
	for {
		lines, next, wake, end := a.Logs.Read(q)
		for _, l := range lines {
			if contract.WriteJSON(st, contract.FrameLog, l) != nil {
				return
			}
		}
		if !lr.Follow || end {
			return
		}
		q.After, q.Tail = next, 0
		select {
		case <-wake:
		case <-hostDone:
			return
		}
	}
}

// events sends the pod's events as they happen until the host closes the
// stream or the pod ends.
func (a *Agent) events(st Stream) {
	sub, err := a.Sup.Subscribe()
	if err != nil {
		replyErr(st, err)
		return
	}
	defer a.Sup.Unsubscribe(sub)
	if sendReply(st, contract.Reply{}) != nil {
		return
	}
	hostDone := closed(st)
	for {
		select {
		case ev, ok := <-sub.C():
			if !ok {
				return
			}
			if contract.WriteJSON(st, contract.FrameEvent, ev) != nil {
				return
			}
		case <-hostDone:
			return
		}
	}
}
