package hyperstart

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/hyperbuild/hyper/contract"
	"golang.org/x/sys/unix"
)

// ExecIO is an exec'd process's stdio. Without a tty, Stdin, Stdout and
// Stderr are the child's ends, made by the agent; with one, StartExec
// opens a pseudo-terminal in the container and sets PTY to its master
// (the child gets the terminal on all three).
type ExecIO struct {
	Stdin, Stdout, Stderr *os.File
	PTY                   *os.File
}

// ExecFailure is an exec whose program could not be run (not found: 127;
// not executable: 126). The agent reports it as a shell would: a message
// on the process's stderr and that exit status.
type ExecFailure struct {
	Status int
	Err    error
}

func (e *ExecFailure) Error() string { return e.Err.Error() }
func (e *ExecFailure) Unwrap() error { return e.Err }

// execChunk is how much output goes into one frame.
const execChunk = 32 << 10

// exec runs an OpExec stream: start the process, answer, then carry its
// stdio both ways and end with its exit status.
func (a *Agent) exec(st Stream, req *contract.Request) {
	x := req.Exec
	var eio ExecIO
	var stdinW, stdoutR, stderrR *os.File
	closeAll := func(fs ...*os.File) {
		for _, f := range fs {
			if f != nil {
				f.Close()
			}
		}
	}
	if !x.TTY {
		var err error
		if eio.Stdin, stdinW, stdoutR, eio.Stdout, stderrR, eio.Stderr, err = execPipes(x.Stdin); err != nil {
			replyErr(st, fmt.Errorf("exec: making its pipes: %w", err))
			return
		}
	}
	pid, exited, err := a.Sup.Exec(req.Container, func(c *contract.Container, mainPid int) (int, error) {
		return a.StartExec(c, mainPid, x, &eio)
	})
	closeAll(eio.Stdin, eio.Stdout, eio.Stderr) // the child's ends
	if err != nil {
		closeAll(stdinW, stdoutR, stderrR, eio.PTY)
		var fail *ExecFailure
		if !errors.As(err, &fail) {
			replyErr(st, err)
			return
		}
		// As a shell reports it: the request was fine, the program is not.
		a.Log.Debugf("agent: exec in %q: %v", req.Container, err)
		out := contract.FrameStderr
		if x.TTY {
			out = contract.FrameStdout
		}
		if sendReply(st, contract.Reply{}) == nil && contract.WriteData(st, out, []byte("hyperstart: "+fail.Error()+"\n")) == nil {
			contract.WriteJSON(st, contract.FrameExit, contract.ExitStatus{Status: fail.Status})
		}
		return
	}
	a.Log.Debugf("agent: exec %q in %q: pid %d", x.Args, req.Container, pid)
	if sendReply(st, contract.Reply{}) != nil {
		// The host is gone: the process runs on without its stdio.
		closeAll(stdinW, stdoutR, stderrR, eio.PTY)
		return
	}
	fw := contract.NewFrameWriter(st)
	var pumps sync.WaitGroup
	pump := func(r *os.File, t contract.FrameType) {
		pumps.Add(1)
		go func() {
			defer pumps.Done()
			pumpFrames(fw, r, t)
		}()
	}
	target := &procTarget{pid: pid, stdin: stdinW, tty: eio.PTY}
	if x.TTY {
		target.stdin = eio.PTY
		pump(eio.PTY, contract.FrameStdout)
	} else {
		pump(stdoutR, contract.FrameStdout)
		pump(stderrR, contract.FrameStderr)
	}
	go func() {
		if err := execInput(st, target, x.Stdin); err != nil {
			a.Log.Debugf("agent: exec pid %d: %v", pid, err)
		}
		target.closeStdin()
	}()

	var status int
	select {
	case status = <-exited:
	case <-a.Sup.Ended():
		// The pod is going down with the process: no status to give.
		target.exited.Store(true)
		closeAll(stdoutR, stderrR, eio.PTY)
		return
	}
	target.exited.Store(true)
	target.closeStdin()
	outputs := make(chan struct{})
	go func() {
		pumps.Wait()
		close(outputs)
	}()
	waitTimeout(outputs, outputGraceExec)
	closeAll(stdoutR, stderrR, eio.PTY)
	<-outputs
	fw.JSON(contract.FrameExit, contract.ExitStatus{Status: status})
}

// execPipes makes an exec's pipes: the child's stdin (/dev/null without
// stdin), stdout and stderr, each with the agent's end.
func execPipes(stdin bool) (inR, inW, outR, outW, errR, errW *os.File, err error) {
	fail := func(err error, fs ...*os.File) (inR, inW, outR, outW, errR, errW *os.File, _ error) {
		for _, f := range fs {
			if f != nil {
				f.Close()
			}
		}
		return nil, nil, nil, nil, nil, nil, err
	}
	if stdin {
		inR, inW, err = os.Pipe()
	} else {
		inR, err = os.Open("/dev/null")
	}
	if err != nil {
		return fail(err)
	}
	if outR, outW, err = os.Pipe(); err != nil {
		return fail(err, inR, inW)
	}
	if errR, errW, err = os.Pipe(); err != nil {
		return fail(err, inR, inW, outR, outW)
	}
	return inR, inW, outR, outW, errR, errW, nil
}

// pumpFrames sends what r gives as frames of type t until r ends or the
// stream fails; then it closes r, so that the process writing to it gets
// SIGPIPE (a pipe) or the terminal hangs up (a pty) rather than block.
func pumpFrames(fw *contract.FrameWriter, r *os.File, t contract.FrameType) {
	defer r.Close()
	buf := make([]byte, execChunk)
	for {
		n, err := r.Read(buf)
		if n > 0 && fw.Data(t, buf[:n]) != nil {
			return
		}
		if err != nil {
			return
		}
	}
}

// execTarget is what an exec's input frames act on.
type execTarget interface {
	Stdin(p []byte) error
	CloseStdin()
	Resize(ws contract.WindowSize) error
	Signal(sig unix.Signal) error
}

// execInput reads the host's frames on an exec stream (FrameStdin,
// FrameResize, FrameSignal) and applies them to t until the stream ends,
// which is not an error. Stdin frames are dropped when the request did
// not ask for stdin. Any other frame, or one that does not decode, is a
// protocol error: reading stops there (stdin is closed; the process goes
// on), as the stream cannot be trusted after it.
func execInput(r io.Reader, t execTarget, stdin bool) error {
	for {
		typ, p, err := contract.ReadFrame(r)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch typ {
		case contract.FrameStdin:
			if !stdin {
				continue
			}
			if len(p) == 0 {
				t.CloseStdin()
				stdin = false
				continue
			}
			if err := t.Stdin(p); err != nil {
				// The process closed its stdin: drop the rest.
				stdin = false
			}
		case contract.FrameResize:
			var ws contract.WindowSize
			if err := contract.DecodeJSON(p, &ws); err != nil {
				return fmt.Errorf("window size: %w", err)
			}
			t.Resize(ws)
		case contract.FrameSignal:
			var sr contract.SignalRequest
			if err := contract.DecodeJSON(p, &sr); err != nil {
				return fmt.Errorf("signal: %w", err)
			}
			_, num, err := contract.ParseSignal(sr.Signal)
			if err != nil {
				return fmt.Errorf("signal: %w", err)
			}
			t.Signal(unix.Signal(num))
		default:
			return fmt.Errorf("%w: frame type %d on an exec stream", contract.ErrFrame, typ)
		}
	}
}

// procTarget is an exec'd process as execInput acts on it.
type procTarget struct {
	pid       int
	stdin     *os.File // the pipe's write end, or the pty's master
	tty       *os.File // the pty's master, nil without a tty
	exited    atomic.Bool
	closeOnce sync.Once
}

func (p *procTarget) Stdin(b []byte) error {
	if p.stdin == nil {
		return os.ErrClosed
	}
	_, err := p.stdin.Write(b)
	return err
}

func (p *procTarget) CloseStdin() {
	p.closeStdin()
}

// closeStdin closes a pipe's write end (the process reads EOF); a tty's
// master stays open: it is the process's output too.
func (p *procTarget) closeStdin() {
	if p.tty != nil {
		return
	}
	p.closeOnce.Do(func() {
		if p.stdin != nil {
			p.stdin.Close()
		}
	})
}

func (p *procTarget) Resize(ws contract.WindowSize) error {
	if p.tty == nil || ws.Rows == 0 || ws.Cols == 0 {
		return nil
	}
	return setWinsize(p.tty, ws)
}

func (p *procTarget) Signal(sig unix.Signal) error {
	if p.exited.Load() {
		return nil // its pid may be another process's by now
	}
	return unix.Kill(p.pid, sig)
}

// setWinsize sets a terminal's size (TIOCSWINSZ).
func setWinsize(f *os.File, ws contract.WindowSize) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	err = rc.Control(func(fd uintptr) {
		ioErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: ws.Rows, Col: ws.Cols})
	})
	if err != nil {
		return err
	}
	return ioErr
}
