package daemon

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hyperbuild/hyper/agent"
	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
)

// Runtime starts a pod's VM. The shim uses runner.Start through
// runnerRuntime; the tests use a fake.
type Runtime interface {
	Start(ctx context.Context, artifact string, cfg StartConfig) (VM, error)
}

// StartConfig is one pod's run.
type StartConfig struct {
	api.RunConfig
	// Log receives each line of the containers' output as the console
	// delivers it.
	Log func(contract.LogEntry)
	// Containers are the pod's container names.
	Containers []string
	// Console receives the rest of what the guest prints (the kernel's
	// and hyperstart's messages) and the runner's own.
	Console io.Writer
}

// VM is a running pod's machine (runner.VM).
type VM interface {
	// Wait returns the pod's exit status once the VM has stopped.
	Wait() (int, error)
	// Shutdown asks the pod to stop gracefully; it returns at once.
	Shutdown() error
	// Kill ends the VM now.
	Kill() error
	// Done is closed when the VM has stopped.
	Done() <-chan struct{}
	// Agent is the guest's control channel, once its agent answers.
	Agent(ctx context.Context) (Agent, error)
}

// Agent is what the shim asks of the guest: *agent.Client.
type Agent interface {
	List(ctx context.Context) ([]contract.ContainerStatus, error)
	Exec(ctx context.Context, container string, req contract.ExecRequest, eio agent.ExecIO) (int, error)
	// Shutdown stops every container with timeout (0: each one's own),
	// then powers the VM off.
	Shutdown(ctx context.Context, timeout time.Duration) error
	Events(ctx context.Context, fn func(contract.Event) error) error
}

// codeOf is the guest's error code in err, or "".
func codeOf(err error) contract.ErrorCode {
	var ae *agent.Error
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// errNoAgent is a VM whose guest never answered on the control channel.
var errNoAgent = errors.New("the pod's agent does not answer")

func noAgent(err error) error {
	return fmt.Errorf("%w (an artifact built before the agent existed has none: rebuild it with this hyperbuild): %w", errNoAgent, err)
}

var _ Agent = (*agent.Client)(nil)
