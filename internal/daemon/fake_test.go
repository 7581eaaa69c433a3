package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hyperbuild/hyper/agent"
	"github.com/hyperbuild/hyper/contract"
)

// fakeRuntime boots fake VMs: each says "hello from NAME" on each
// container's stdout, answers the agent's calls in process, and stops
// when asked (status 0) or killed (137).
type fakeRuntime struct {
	mu       sync.Mutex
	startErr error
	vms      []*fakeVM
	noAgent  bool
}

func (f *fakeRuntime) Start(ctx context.Context, artifact string, cfg StartConfig) (VM, error) {
	if f.startErr != nil {
		return nil, f.startErr
	}
	if _, err := os.Stat(artifact); err != nil {
		return nil, err
	}
	vm := &fakeVM{cfg: cfg, done: make(chan struct{}), noAgent: f.noAgent}
	f.mu.Lock()
	f.vms = append(f.vms, vm)
	f.mu.Unlock()
	for _, c := range cfg.Containers {
		cfg.Log(contract.LogEntry{Container: c, Stream: contract.Stdout, Time: time.Now().UTC(), Line: "hello from " + c})
		cfg.Log(contract.LogEntry{Container: c, Stream: contract.Stderr, Time: time.Now().UTC(), Line: "warning from " + c})
	}
	fmt.Fprintln(cfg.Console, "hyperstart: fake boot")
	return vm, nil
}

type fakeVM struct {
	cfg     StartConfig
	noAgent bool
	once    sync.Once
	done    chan struct{}
	status  int
	// How the VM was stopped: "shutdown", "shutdown 5s", "kill".
	mu  sync.Mutex
	how []string
}

func (v *fakeVM) finish(status int, how string) {
	v.mu.Lock()
	v.how = append(v.how, how)
	v.mu.Unlock()
	v.once.Do(func() {
		v.status = status
		close(v.done)
	})
}

func (v *fakeVM) Wait() (int, error) {
	<-v.done
	return v.status, nil
}
func (v *fakeVM) Shutdown() error       { go v.finish(0, "shutdown"); return nil }
func (v *fakeVM) Kill() error           { v.finish(137, "kill"); return nil }
func (v *fakeVM) Done() <-chan struct{} { return v.done }
func (v *fakeVM) exited() bool {
	select {
	case <-v.done:
		return true
	default:
		return false
	}
}
func (v *fakeVM) Agent(ctx context.Context) (Agent, error) {
	if v.noAgent {
		<-ctx.Done()
		return nil, errors.New("no answer from the guest's agent")
	}
	return &fakeAgent{vm: v}, nil
}

type fakeAgent struct{ vm *fakeVM }

func (a *fakeAgent) List(ctx context.Context) ([]contract.ContainerStatus, error) {
	var out []contract.ContainerStatus
	for _, c := range a.vm.cfg.Containers {
		st := contract.StateRunning
		if c == "sidecar" || a.vm.exited() {
			st = contract.StateExited
		}
		out = append(out, contract.ContainerStatus{Name: c, State: st, Pid: 42})
	}
	return out, nil
}

// Exec understands: echo ARGS (to stdout), warn ARGS (to stderr), cat
// (stdin to stdout), exit N, tty (says whether it has one), sleep
// (until cancelled).
func (a *fakeAgent) Exec(ctx context.Context, container string, req contract.ExecRequest, eio agent.ExecIO) (int, error) {
	out, errw := eio.Stdout, eio.Stderr
	if out == nil {
		out = io.Discard
	}
	if errw == nil {
		errw = io.Discard
	}
	switch req.Args[0] {
	case "echo":
		fmt.Fprintln(out, strings.Join(req.Args[1:], " "))
	case "warn":
		fmt.Fprintln(errw, strings.Join(req.Args[1:], " "))
	case "cat":
		if eio.Stdin != nil {
			io.Copy(out, eio.Stdin)
		}
	case "exit":
		n, _ := strconv.Atoi(req.Args[1])
		return n, nil
	case "tty":
		fmt.Fprintf(out, "tty=%v size=%dx%d\n", req.TTY, req.Size.Cols, req.Size.Rows)
		if req.TTY {
			select {
			case ws := <-eio.Resize:
				fmt.Fprintf(out, "resized %dx%d\n", ws.Cols, ws.Rows)
			case <-time.After(5 * time.Second):
			}
		}
	case "sleep":
		<-ctx.Done()
		return 0, ctx.Err()
	default:
		fmt.Fprintf(errw, "%s: not found\n", req.Args[0])
		return 127, nil
	}
	return 0, nil
}

func (a *fakeAgent) Shutdown(ctx context.Context, timeout time.Duration) error {
	go a.vm.finish(0, "shutdown "+timeout.String())
	return nil
}

func (a *fakeAgent) Events(ctx context.Context, fn func(contract.Event) error) error {
	for _, c := range a.vm.cfg.Containers {
		fn(contract.Event{Time: time.Now().UTC(), Type: contract.EventStart, Container: c})
	}
	<-ctx.Done()
	return ctx.Err()
}
