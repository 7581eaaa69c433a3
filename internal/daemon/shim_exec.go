package daemon

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/hyperbuild/hyper/agent"
	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
)

// Exit statuses an exec gets when it could not run, as Docker's.
const (
	statusCannotExec = 126
)

// handleExec runs a process in a container: the request is checked and
// the container found running before the connection is upgraded, so
// that those errors have their status codes (400, 404, 409); then the
// connection carries agent frames both ways until the process exits.
func (s *Shim) handleExec(w http.ResponseWriter, r *http.Request) {
	if err := api.ParseNone(r.URL.Query()); err != nil {
		writeError(w, err)
		return
	}
	req, err := api.DecodeExec(r.Body)
	if err != nil {
		writeError(w, err)
		return
	}
	if err := checkUpgrade(r); err != nil {
		writeError(w, err)
		return
	}
	name, err := s.execContainer(req.Container)
	if err != nil {
		writeError(w, err)
		return
	}
	actx, cancel := context.WithTimeout(r.Context(), agentTimeout)
	a, err := s.waitAgent(actx)
	if err == nil {
		err = checkRunning(actx, a, name)
	}
	cancel()
	if err != nil {
		writeError(w, err)
		return
	}
	conn, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		writeError(w, fmt.Errorf("exec: upgrading the connection: %w", err))
		return
	}
	defer conn.Close()
	fmt.Fprintf(brw, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: %s\r\n\r\n", api.ExecUpgrade)
	if brw.Flush() != nil {
		return
	}
	ctx, stop := context.WithCancel(r.Context())
	defer stop()
	fw := contract.NewFrameWriter(conn)
	eio := agent.ExecIO{Stdout: fw.Stream(contract.FrameStdout), Stderr: fw.Stream(contract.FrameStderr)}
	var stdin *io.PipeWriter
	if req.Stdin {
		pr, pw := io.Pipe()
		eio.Stdin, stdin = pr, pw
	}
	resize := make(chan contract.WindowSize, 16)
	signals := make(chan string, 16)
	eio.Resize, eio.Signal = resize, signals
	go readExecFrames(brw.Reader, stdin, resize, signals, stop)
	status, err := a.Exec(ctx, name, req.ExecRequest, eio)
	if err != nil {
		fw.Data(contract.FrameStderr, []byte(fmt.Sprintf("hyperd: exec in %s: %v\n", name, err)))
		status = statusCannotExec
	}
	fw.JSON(contract.FrameExit, contract.ExitStatus{Status: status})
}

// checkUpgrade: exec needs the connection: Connection: Upgrade and
// Upgrade: hyper-exec/1.
func checkUpgrade(r *http.Request) error {
	if !headerHas(r.Header, "Connection", "upgrade") || !strings.EqualFold(r.Header.Get("Upgrade"), api.ExecUpgrade) {
		return fmt.Errorf("%w: exec upgrades the connection: send Connection: Upgrade and Upgrade: %s", api.ErrBadRequest, api.ExecUpgrade)
	}
	return nil
}

func headerHas(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// execContainer is the container an exec names, or the pod's only one.
func (s *Shim) execContainer(name string) (string, error) {
	if name == "" {
		if len(s.cfg.Containers) == 1 {
			return s.cfg.Containers[0], nil
		}
		return "", fmt.Errorf("%w: pod %s has %d containers: name one (%s)", api.ErrBadRequest, s.cfg.Name, len(s.cfg.Containers), strings.Join(s.cfg.Containers, ", "))
	}
	return name, checkContainer(s.cfg, name)
}

// checkRunning: an exec goes into a running container only.
func checkRunning(ctx context.Context, a Agent, name string) error {
	cs, err := a.List(ctx)
	if err != nil {
		return fmt.Errorf("asking the guest for its containers: %w", err)
	}
	for _, c := range cs {
		if c.Name == name {
			if c.State != contract.StateRunning {
				return conflictf("container %s is %s, not running", name, c.State)
			}
			return nil
		}
	}
	return fmt.Errorf("%w: %q", errNoContainer, name)
}

// readExecFrames turns the client's frames into the process's stdin,
// window sizes and signals. When the client goes away the exec is
// cancelled.
func readExecFrames(r io.Reader, stdin *io.PipeWriter, resize chan<- contract.WindowSize, signals chan<- string, stop func()) {
	defer stop()
	defer func() {
		if stdin != nil {
			stdin.Close()
		}
	}()
	for {
		t, p, err := contract.ReadFrame(r)
		if err != nil {
			return
		}
		switch t {
		case contract.FrameStdin:
			if stdin == nil {
				continue
			}
			if len(p) == 0 {
				stdin.Close()
				stdin = nil
				continue
			}
			if _, err := stdin.Write(p); err != nil {
				stdin = nil
			}
		case contract.FrameResize:
			var ws contract.WindowSize
			if contract.DecodeJSON(p, &ws) == nil {
				select {
				case resize <- ws:
				default:
				}
			}
		case contract.FrameSignal:
			var sr contract.SignalRequest
			if contract.DecodeJSON(p, &sr) == nil {
				if _, _, err := contract.ParseSignal(sr.Signal); err == nil {
					select {
					case signals <- sr.Signal:
					default:
					}
				}
			}
		default:
			return // not a frame a client sends: the stream cannot be trusted
		}
	}
}
