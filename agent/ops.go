package agent

import (
	"context"
	"fmt"
	"time"

	"github.com/hyperbuild/hyper/contract"
)

// Ping checks that the guest's agent answers and speaks this host's
// protocol version (contract.AgentVersion).
func (c *Client) Ping(ctx context.Context) error {
	r, err := c.do(ctx, &contract.Request{Op: contract.OpPing})
	if err != nil {
		return err
	}
	if r.Version != contract.AgentVersion {
		return fmt.Errorf("agent ping: %w: the guest's agent speaks version %d, this host %d: boot the pod with a hyperstart from this release (rebuild the artifact)", ErrVersion, r.Version, contract.AgentVersion)
	}
	return nil
}

// List returns the pod's containers and their states.
func (c *Client) List(ctx context.Context) ([]contract.ContainerStatus, error) {
	r, err := c.do(ctx, &contract.Request{Op: contract.OpList})
	if err != nil {
		return nil, err
	}
	for i := range r.Containers {
		if err := checkStatus(&r.Containers[i]); err != nil {
			return nil, fmt.Errorf("agent list: %w", err)
		}
	}
	return r.Containers, nil
}

// checkStatus refuses what no guest should report.
func checkStatus(s *contract.ContainerStatus) error {
	switch s.State {
	case contract.StateCreated, contract.StateRunning, contract.StateRestarting, contract.StateExited:
	default:
		return fmt.Errorf("%w: container %q in unknown state %q", ErrProtocol, clean(s.Name), clean(s.State))
	}
	if s.Name == "" || s.Restarts < 0 || s.Pid < 0 || s.ExitStatus != nil && (*s.ExitStatus < 0 || *s.ExitStatus > 255) {
		return fmt.Errorf("%w: container %q: impossible status", ErrProtocol, clean(s.Name))
	}
	return nil
}

// Signal sends sig (a name such as "TERM" or "SIGHUP", or a number) to
// container's main process.
func (c *Client) Signal(ctx context.Context, container, sig string) error {
	_, err := c.do(ctx, &contract.Request{Op: contract.OpSignal, Container: container, Signal: sig})
	return err
}

// Stop stops container gracefully: its stop signal, then SIGKILL after
// timeout (0: the container's stop timeout). Its restart policy does not
// start it again.
func (c *Client) Stop(ctx context.Context, container string, timeout time.Duration) error {
	_, err := c.do(ctx, &contract.Request{Op: contract.OpStop, Container: container, Timeout: contract.Duration(timeout)})
	return err
}

// Restart stops container (as Stop with its own timeout) and starts it
// again.
func (c *Client) Restart(ctx context.Context, container string) error {
	_, err := c.do(ctx, &contract.Request{Op: contract.OpRestart, Container: container})
	return err
}

// Shutdown stops the whole pod gracefully (each container's stop signal,
// SIGKILL after timeout, 0: each one's stop timeout), then the guest
// powers off; the VM's Wait reports the pod's status.
func (c *Client) Shutdown(ctx context.Context, timeout time.Duration) error {
	_, err := c.do(ctx, &contract.Request{Op: contract.OpShutdown, Timeout: contract.Duration(timeout)})
	return err
}
