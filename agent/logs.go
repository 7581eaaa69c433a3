package agent

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/hyperbuild/hyper/contract"
)

// Logs sends container's log lines (every container's when container is
// ""), oldest first, to fn, as req selects them (tail, since, streams).
// Without req.Follow it returns nil once the guest has sent what it
// keeps; with it, it returns when ctx is done (ctx's error) or the pod
// stops. An error from fn ends the stream and is returned as it is.
func (c *Client) Logs(ctx context.Context, container string, req contract.LogsRequest, fn func(contract.LogEntry) error) error {
	s, _, err := c.call(ctx, &contract.Request{Op: contract.OpLogs, Container: container, Logs: &req})
	if err != nil {
		return err
	}
	defer s.close()
	var fnErr error
	err = readLogs(s, container, func(e contract.LogEntry) error {
		fnErr = fn(e)
		return fnErr
	})
	switch {
	case err == nil:
		return nil
	case fnErr != nil:
		return fnErr
	}
	return c.fail(ctx, contract.OpLogs, err)
}

// readLogs reads FrameLog frames until the stream ends or fn fails.
func readLogs(r io.Reader, container string, fn func(contract.LogEntry) error) error {
	for {
		t, p, err := contract.ReadFrame(r)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if t != contract.FrameLog {
			return fmt.Errorf("%w: frame type %d in a log stream", ErrProtocol, t)
		}
		var e contract.LogEntry
		if err := contract.DecodeJSON(p, &e); err != nil {
			return err
		}
		if e.Stream != contract.Stdout && e.Stream != contract.Stderr {
			return fmt.Errorf("%w: log line of unknown stream %d", ErrProtocol, e.Stream)
		}
		if e.Container == "" || container != "" && e.Container != container {
			return fmt.Errorf("%w: log line of container %q where %q's were asked for", ErrProtocol, clean(e.Container), container)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}

// Events sends the pod's events (containers starting, exiting,
// restarting; the pod stopping) to fn as they happen, until ctx is done
// (ctx's error), fn fails (its error) or the pod stops (nil).
func (c *Client) Events(ctx context.Context, fn func(contract.Event) error) error {
	s, _, err := c.call(ctx, &contract.Request{Op: contract.OpEvents})
	if err != nil {
		return err
	}
	defer s.close()
	var fnErr error
	err = readEvents(s, func(e contract.Event) error {
		fnErr = fn(e)
		return fnErr
	})
	switch {
	case err == nil:
		return nil
	case fnErr != nil:
		return fnErr
	}
	return c.fail(ctx, contract.OpEvents, err)
}

// readEvents reads FrameEvent frames until the stream ends or fn fails.
func readEvents(r io.Reader, fn func(contract.Event) error) error {
	for {
		t, p, err := contract.ReadFrame(r)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if t != contract.FrameEvent {
			return fmt.Errorf("%w: frame type %d in an event stream", ErrProtocol, t)
		}
		var e contract.Event
		if err := contract.DecodeJSON(p, &e); err != nil {
			return err
		}
		if e.Type == "" {
			return fmt.Errorf("%w: an event without a type", ErrProtocol)
		}
		if e.ExitStatus != nil && (*e.ExitStatus < 0 || *e.ExitStatus > 255) {
			return fmt.Errorf("%w: event exit status %d", ErrProtocol, *e.ExitStatus)
		}
		if err := fn(e); err != nil {
			return err
		}
	}
}
