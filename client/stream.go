package client

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
)

// maxStreamLine bounds one line of a logs or events stream.
const maxStreamLine = 1 << 20

// Logs sends the lines q selects to fn, oldest first; with q.Follow it
// keeps sending new lines until the pod stops or ctx is done. An error
// from fn ends the stream and is returned.
func (c *Client) Logs(ctx context.Context, pod string, q api.LogsQuery, fn func(contract.LogEntry) error) error {
	return c.stream(ctx, podPath(pod, "/logs"), q.Values(), func(data []byte) error {
		var e contract.LogEntry
		if err := json.Unmarshal(data, &e); err != nil {
			return fmt.Errorf("decoding a log line: %w", err)
		}
		return fn(e)
	})
}

// Events sends a running pod's events to fn as they happen (container
// start, exit, restart; the pod stopping and exiting) until the pod has
// exited or ctx is done.
func (c *Client) Events(ctx context.Context, pod string, fn func(contract.Event) error) error {
	return c.stream(ctx, podPath(pod, "/events"), nil, func(data []byte) error {
		var e contract.Event
		if err := json.Unmarshal(data, &e); err != nil {
			return fmt.Errorf("decoding an event: %w", err)
		}
		return fn(e)
	})
}

func (c *Client) stream(ctx context.Context, path string, q map[string][]string, fn func([]byte) error) error {
	resp, err := c.do(ctx, http.MethodGet, path, q, nil, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), maxStreamLine)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("reading %s from hyperd: %w", path, err)
	}
	return nil
}
