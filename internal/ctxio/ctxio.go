// Package ctxio makes long copies stop when their context is done, so
// that Ctrl-C ends a pull, an image write or a stream within one buffer.
package ctxio

import (
	"context"
	"io"
)

// Reader is r, but a Read after ctx is done fails with ctx's error.
func Reader(ctx context.Context, r io.Reader) io.Reader { return reader{ctx, r} }

type reader struct {
	ctx context.Context
	r   io.Reader
}

func (c reader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
