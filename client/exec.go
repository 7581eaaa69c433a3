package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
)

// ExecIO connects a process run by Exec.
type ExecIO struct {
	// Stdin is copied to the process when the request asks for stdin;
	// its end closes the process's stdin.
	Stdin io.Reader
	// Stdout and Stderr receive the process's output (a tty has only
	// stdout); nil discards it.
	Stdout, Stderr io.Writer
	// Resize sends the terminal's new size (with TTY).
	Resize <-chan contract.WindowSize
	// Signal sends a signal to the process ("TERM", "9").
	Signal <-chan string
}

// ErrExecCut is an exec whose connection ended before the process's exit
// status came.
var ErrExecCut = errors.New("the exec's connection ended before its exit status")

// Exec runs a process in a pod's container and returns its exit status
// (128+N when killed by signal N). The connection is upgraded
// (api.ExecUpgrade) and carries contract's agent frames both ways.
func (c *Client) Exec(ctx context.Context, pod string, req api.ExecRequest, eio ExecIO) (int, error) {
	hdr := http.Header{"Connection": {"Upgrade"}, "Upgrade": {api.ExecUpgrade}}
	resp, err := c.do(ctx, http.MethodPost, podPath(pod, "/exec"), nil, req, hdr)
	if err != nil {
		return 0, err
	}
	rwc, ok := resp.Body.(io.ReadWriteCloser)
	if resp.StatusCode != http.StatusSwitchingProtocols || !ok {
		resp.Body.Close()
		return 0, fmt.Errorf("exec: hyperd answered %s, not an upgraded connection", resp.Status)
	}
	defer rwc.Close()
	stop := context.AfterFunc(ctx, func() { rwc.Close() })
	defer stop()
	fw := &frames{w: rwc}
	done := make(chan struct{})
	defer close(done)
	if req.Stdin && eio.Stdin != nil {
		go fw.copyStdin(eio.Stdin)
	}
	go fw.control(eio.Resize, eio.Signal, done)
	out := map[contract.FrameType]io.Writer{contract.FrameStdout: eio.Stdout, contract.FrameStderr: eio.Stderr}
	for {
		t, p, err := contract.ReadFrame(rwc)
		if err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return 0, ErrExecCut
			}
			return 0, fmt.Errorf("exec: %w", err)
		}
		switch t {
		case contract.FrameStdout, contract.FrameStderr:
			if w := out[t]; w != nil {
				if _, err := w.Write(p); err != nil {
					out[t] = nil // a closed output stops nothing
				}
			}
		case contract.FrameExit:
			var st contract.ExitStatus
			if err := contract.DecodeJSON(p, &st); err != nil {
				return 0, fmt.Errorf("exec: %w", err)
			}
			return st.Status, nil
		default:
			return 0, fmt.Errorf("exec: %w: unexpected frame type %d", contract.ErrFrame, t)
		}
	}
}

// frames writes whole frames from several goroutines.
type frames struct {
	mu sync.Mutex
	w  io.Writer
}

func (f *frames) write(t contract.FrameType, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return contract.WriteData(f.w, t, p)
}

func (f *frames) writeJSON(t contract.FrameType, v any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return contract.WriteJSON(f.w, t, v)
}

// copyStdin sends r as stdin frames, then the empty frame that closes it.
func (f *frames) copyStdin(r io.Reader) {
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if f.write(contract.FrameStdin, buf[:n]) != nil {
				return
			}
		}
		if err != nil {
			f.write(contract.FrameStdin, nil)
			return
		}
	}
}

func (f *frames) control(resize <-chan contract.WindowSize, signals <-chan string, done <-chan struct{}) {
	for {
		select {
		case ws, ok := <-resize:
			if !ok {
				resize = nil
				continue
			}
			f.writeJSON(contract.FrameResize, ws)
		case s, ok := <-signals:
			if !ok {
				signals = nil
				continue
			}
			f.writeJSON(contract.FrameSignal, contract.SignalRequest{Signal: s})
		case <-done:
			return
		}
	}
}
