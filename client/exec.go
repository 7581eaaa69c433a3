package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/hyperbuild/hyper/agent"
	"github.com/hyperbuild/hyper/api"
)

// ExecIO connects a process run by Exec: the same as the agent's, since
// hyperd passes the agent's frames through. Stdin is sent only when the
// request asks for stdin (ExecRequest.Stdin); its end closes the
// process's stdin.
type ExecIO = agent.ExecIO

// ErrExecCut is an exec whose connection ended before the process's exit
// status came.
var ErrExecCut = errors.New("the exec's connection ended before its exit status")

// Exec runs a process in a pod's container and returns its exit status
// (128+N when killed by signal N). The connection is upgraded
// (api.ExecUpgrade) and carries contract's agent frames both ways
// (agent.Attach). A failed write to Stdout or Stderr does not stop the
// process: its status comes back with the write's error.
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
	if !req.Stdin {
		eio.Stdin = nil
	}
	st, err := agent.Attach(rwc, req.TTY, eio)
	switch {
	case err == nil:
		return st, nil
	case ctx.Err() != nil:
		return 0, ctx.Err()
	case errors.Is(err, agent.ErrProtocol) && errors.Is(err, io.EOF):
		return 0, ErrExecCut
	}
	return st, fmt.Errorf("exec: %w", err)
}
