package agent

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/hashicorp/yamux"

	"github.com/hyperbuild/hyper/contract"
)

// Client talks to one guest's agent. It is safe for concurrent use: each
// call runs on a yamux stream of its own.
type Client struct {
	sess *yamux.Session
}

// acceptBacklog bounds the streams the guest may open towards the host,
// which are never accepted, and this side's unanswered stream opens.
const acceptBacklog = 16

// Dial starts a client session on rwc, the agent port's byte stream. It
// sends nothing until the first call; the session owns rwc and closes it
// on Close.
func Dial(rwc io.ReadWriteCloser) (*Client, error) {
	cfg := yamux.DefaultConfig()
	// The VM's lifetime says whether the peer is there: no keepalive
	// that would end the session while a slow guest boots, and no open
	// timeout (each call has its context).
	cfg.EnableKeepAlive = false
	cfg.StreamOpenTimeout = 0
	cfg.AcceptBacklog = acceptBacklog
	cfg.LogOutput = io.Discard
	s, err := yamux.Client(rwc, cfg)
	if err != nil {
		return nil, fmt.Errorf("starting the agent session: %w", err)
	}
	return &Client{sess: s}, nil
}

// Close ends the session and closes the byte stream.
func (c *Client) Close() error { return c.sess.Close() }

// Done is closed when the session has ended (Close, or the guest's end
// went away).
func (c *Client) Done() <-chan struct{} { return c.sess.CloseChan() }

// stream is one request's yamux stream. Cancelling the request's context
// sets a deadline in the past, which ends a blocked read or write.
type stream struct {
	*yamux.Stream
	stop func() bool
}

// close abandons the stream (the guest sees it end).
func (s *stream) close() {
	s.stop()
	s.Stream.Close()
}

// call sends req on a new stream and reads the reply. On success the
// stream is open for the op's frames, and the caller closes it.
func (c *Client) call(ctx context.Context, req *contract.Request) (*stream, *contract.Reply, error) {
	if err := req.Check(); err != nil {
		return nil, nil, badRequest(err)
	}
	s, err := c.open(ctx)
	if err != nil {
		return nil, nil, c.fail(ctx, req.Op, err)
	}
	if err := contract.WriteJSON(s, contract.FrameRequest, req); err != nil {
		s.close()
		return nil, nil, c.fail(ctx, req.Op, err)
	}
	reply, err := readReply(s)
	if err != nil {
		s.close()
		return nil, nil, c.fail(ctx, req.Op, err)
	}
	if err := replyError(reply); err != nil {
		s.close()
		return nil, nil, err
	}
	return s, reply, nil
}

// do is call for the ops whose stream ends with the reply.
func (c *Client) do(ctx context.Context, req *contract.Request) (*contract.Reply, error) {
	s, reply, err := c.call(ctx, req)
	if err != nil {
		return nil, err
	}
	s.close()
	return reply, nil
}

// open opens a stream, giving up when ctx is done (yamux blocks an open
// while too many are unanswered).
func (c *Client) open(ctx context.Context) (*stream, error) {
	type opened struct {
		s   *yamux.Stream
		err error
	}
	ch := make(chan opened, 1)
	go func() {
		s, err := c.sess.OpenStream()
		ch <- opened{s, err}
	}()
	select {
	case o := <-ch:
		if o.err != nil {
			return nil, o.err
		}
		s := &stream{Stream: o.s}
		s.stop = context.AfterFunc(ctx, func() { o.s.SetDeadline(time.Unix(1, 0)) })
		return s, nil
	case <-ctx.Done():
		go func() {
			if o := <-ch; o.s != nil {
				o.s.Close()
			}
		}()
		return nil, ctx.Err()
	}
}

// fail says why op failed: the context, the session's end, or err.
func (c *Client) fail(ctx context.Context, op string, err error) error {
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("agent %s: %w", op, ctx.Err())
	case c.sess.IsClosed() || errors.Is(err, yamux.ErrSessionShutdown) || errors.Is(err, yamux.ErrStreamClosed) || errors.Is(err, yamux.ErrConnectionReset):
		return fmt.Errorf("agent %s: %w", op, ErrClosed)
	case errors.Is(err, contract.ErrFrame) || errors.Is(err, ErrProtocol):
		if !errors.Is(err, ErrProtocol) {
			err = fmt.Errorf("%w: %w", ErrProtocol, err)
		}
		return fmt.Errorf("agent %s: %w", op, err)
	}
	return fmt.Errorf("agent %s: %w", op, err)
}

// readReply reads a stream's first frame from the guest, which must be
// a reply.
func readReply(r io.Reader) (*contract.Reply, error) {
	t, p, err := contract.ReadFrame(r)
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%w: the stream ended without a reply", ErrProtocol)
	}
	if err != nil {
		return nil, err
	}
	if t != contract.FrameReply {
		return nil, fmt.Errorf("%w: frame type %d where a reply belongs", ErrProtocol, t)
	}
	var reply contract.Reply
	if err := contract.DecodeJSON(p, &reply); err != nil {
		return nil, err
	}
	return &reply, nil
}
