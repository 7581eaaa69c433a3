package agent

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hyperbuild/hyper/contract"
)

// ExecIO connects an exec'd process to the caller.
type ExecIO struct {
	// Stdin, when not nil, is copied to the process's stdin until EOF
	// (ExecRequest.Stdin is set from it); nil: stdin is /dev/null. A Read
	// in progress when Exec returns finishes in the background and what
	// it read is dropped.
	Stdin io.Reader
	// Stdout and Stderr receive the process's output (nil: discarded);
	// with a TTY everything arrives on Stdout.
	Stdout, Stderr io.Writer
	// Resize carries the terminal's new sizes (TTY only).
	Resize <-chan contract.WindowSize
	// Signal carries signals for the process ("INT", "SIGWINCH", "9").
	Signal <-chan string
}

// stdinChunk is how much of Stdin goes into one frame.
const stdinChunk = 32 << 10

// Exec runs req in container and returns the process's exit status
// (128+N when signal N ended it). It returns when the process has
// exited and its output has been written, or when ctx is done. A
// container that is not running is a *Error with CodeConflict; one
// that does not exist, CodeNotFound. A failed write to Stdout or Stderr
// does not stop the process: Exec drains its output and returns the
// status with the write's error.
func (c *Client) Exec(ctx context.Context, container string, req contract.ExecRequest, eio ExecIO) (int, error) {
	req.Stdin = eio.Stdin != nil
	s, _, err := c.call(ctx, &contract.Request{Op: contract.OpExec, Container: container, Exec: &req})
	if err != nil {
		return 0, err
	}
	defer s.close()
	st, err := Attach(s, req.TTY, eio)
	if err != nil {
		var we *writeError
		if errors.As(err, &we) {
			return st, fmt.Errorf("agent exec: %w", err)
		}
		return 0, c.fail(ctx, contract.OpExec, err)
	}
	return st, nil
}

// Attach carries an exec's frames on rw, whose request and reply have
// been exchanged: eio's stdin, window sizes (with tty) and signals go
// out, its output comes in, up to the exit status it returns. hyperd's
// client attaches the same way to an upgraded HTTP connection. A stream
// that ends before the exit status is ErrProtocol; closing rw is how a
// caller stops waiting.
func Attach(rw io.ReadWriter, tty bool, eio ExecIO) (int, error) {
	w := contract.NewFrameWriter(rw)
	done := make(chan struct{})
	defer close(done)
	if eio.Stdin != nil {
		go copyStdin(w, eio.Stdin, done)
	}
	if eio.Resize != nil || eio.Signal != nil {
		go forward(w, eio.Resize, eio.Signal, tty, done)
	}
	return readExec(rw, eio)
}

// copyStdin sends r as FrameStdin frames, then the empty frame that
// closes the process's stdin (also when r fails).
func copyStdin(f *contract.FrameWriter, r io.Reader, done <-chan struct{}) {
	buf := make([]byte, stdinChunk)
	for {
		n, err := r.Read(buf)
		select {
		case <-done:
			return
		default:
		}
		if n > 0 {
			if f.Data(contract.FrameStdin, buf[:n]) != nil {
				return
			}
		}
		if err != nil {
			f.Data(contract.FrameStdin, nil)
			return
		}
	}
}

// forward sends window sizes (with a TTY) and signals as they come.
func forward(f *contract.FrameWriter, resize <-chan contract.WindowSize, signal <-chan string, tty bool, done <-chan struct{}) {
	if !tty {
		resize = nil
	}
	for {
		var err error
		select {
		case <-done:
			return
		case sz, ok := <-resize:
			if !ok {
				resize = nil
				continue
			}
			err = f.JSON(contract.FrameResize, sz)
		case sig, ok := <-signal:
			if !ok {
				signal = nil
				continue
			}
			err = f.JSON(contract.FrameSignal, contract.SignalRequest{Signal: sig})
		}
		if err != nil {
			return
		}
	}
}

// writeError is a failed write to the caller's Stdout or Stderr.
type writeError struct {
	stream string
	err    error
}

func (e *writeError) Error() string {
	return "writing the process's " + e.stream + ": " + e.err.Error()
}
func (e *writeError) Unwrap() error { return e.err }

// readExec reads an exec's output frames up to its exit status.
func readExec(r io.Reader, eio ExecIO) (int, error) {
	var werr *writeError
	write := func(w io.Writer, name string, p []byte) {
		if w == nil || werr != nil {
			return
		}
		if _, err := w.Write(p); err != nil {
			werr = &writeError{name, err}
		}
	}
	for {
		t, p, err := contract.ReadFrame(r)
		if errors.Is(err, io.EOF) {
			return 0, fmt.Errorf("%w: the exec stream ended without an exit status (%w)", ErrProtocol, err)
		}
		if err != nil {
			return 0, err
		}
		switch t {
		case contract.FrameStdout:
			write(eio.Stdout, "stdout", p)
		case contract.FrameStderr:
			write(eio.Stderr, "stderr", p)
		case contract.FrameExit:
			var e contract.ExitStatus
			if err := contract.DecodeJSON(p, &e); err != nil {
				return 0, err
			}
			if e.Status < 0 || e.Status > 255 {
				return 0, fmt.Errorf("%w: exit status %d", ErrProtocol, e.Status)
			}
			if werr != nil {
				return e.Status, werr
			}
			return e.Status, nil
		default:
			return 0, fmt.Errorf("%w: frame type %d in an exec's output", ErrProtocol, t)
		}
	}
}
