package layers

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hyperbuild/hyper/layers/cache"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// pull makes sure every layer of img is unpacked and verified in the
// cache, pulling at most r.o.jobs at once from src (nil: cache only).
func (r *Resolver) pull(ctx context.Context, c *cache.Cache, img *Image, src v1.Image) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	prog := newProgress(r.o.progress, r.o.tty)
	sem := make(chan struct{}, r.o.jobs)
	errs := make([]error, len(img.Layers))
	var wg sync.WaitGroup
	for i, l := range img.Layers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			defer func() { <-sem }()
			if err := pullLayer(ctx, c, l, src, prog); err != nil {
				errs[i] = fmt.Errorf("layer %s: %w", short(l.Digest), err)
				cancel()
			}
		}()
	}
	wg.Wait()
	prog.wait()
	// Report the cause, not the cancellations it triggered.
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func short(digest string) string {
	if len(digest) > 19 {
		return digest[7:19]
	}
	return digest
}

// pullLayer unpacks one layer into the cache unless a verified copy is
// there: from the cached compressed blob when it is intact, else from src,
// keeping the compressed blob too. Both are verified before they appear.
func pullLayer(ctx context.Context, c *cache.Cache, l Layer, src v1.Image, prog *progress) error {
	err := c.Verify(cache.Diffs, l.DiffID)
	if err == nil {
		return nil
	}
	if !errors.Is(err, cache.ErrMissing) && !errors.Is(err, cache.ErrDigestMismatch) {
		return err
	}
	var rc io.ReadCloser
	var blob *cache.Pending
	if c.Verify(cache.Blobs, l.Digest) == nil {
		if rc, err = c.Open(cache.Blobs, l.Digest); err != nil {
			return err
		}
	} else {
		if src == nil {
			return fmt.Errorf("%w: layer %s", ErrOffline, l.Digest)
		}
		h, err := v1.NewHash(l.Digest)
		if err != nil {
			return fmt.Errorf("%w: layer digest: %v", ErrCorrupt, err)
		}
		layer, err := src.LayerByDigest(h)
		if err != nil {
			return err
		}
		if rc, err = layer.Compressed(); err != nil {
			return err
		}
		if blob, err = c.Create(cache.Blobs, l.Digest); err != nil {
			rc.Close()
			return err
		}
		defer blob.Abort()
	}
	defer rc.Close()
	diff, err := c.Create(cache.Diffs, l.DiffID)
	if err != nil {
		return err
	}
	defer diff.Abort()

	in, done := prog.track(ctxReader{ctx, rc}, short(l.Digest), l.Size)
	if blob != nil {
		in = io.TeeReader(in, blob)
	}
	err = unpack(diff, in)
	if err != nil && blob != nil && errors.Is(err, ErrCorrupt) {
		// Undecodable data is more often a blob that is not what its
		// digest says: read the rest to tell.
		_, derr := io.Copy(io.Discard, in)
		if derr != nil {
			err = derr
		} else if !blob.Matches() {
			err = fmt.Errorf("%w: compressed blob does not hash to %s", ErrDigestMismatch, l.Digest)
		}
	}
	done(err == nil)
	if err != nil {
		return err
	}
	if blob != nil {
		if err := blob.Commit(); err != nil {
			return fmt.Errorf("compressed blob: %w", err)
		}
	}
	if err := diff.Commit(); err != nil {
		return fmt.Errorf("unpacked layer: %w", err)
	}
	return nil
}

// unpack decompresses a layer (gzip, zstd or plain tar, told by its first
// bytes) into w, then reads in to its end so that all of it is hashed.
func unpack(w io.Writer, in io.Reader) error {
	br := bufio.NewReaderSize(in, 1<<20)
	magic, _ := br.Peek(4)
	var r io.Reader = br
	switch {
	case bytes.HasPrefix(magic, []byte{0x1f, 0x8b}):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return fmt.Errorf("%w: gzip: %v", ErrCorrupt, err)
		}
		zr.Multistream(true)
		defer zr.Close()
		r = zr
	case bytes.HasPrefix(magic, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return fmt.Errorf("%w: zstd: %v", ErrCorrupt, err)
		}
		defer zr.Close()
		r = zr
	}
	buf := make([]byte, 1<<20)
	if _, err := io.CopyBuffer(w, r, buf); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		return fmt.Errorf("%w: unpacking: %v", ErrCorrupt, err)
	}
	if _, err := io.CopyBuffer(io.Discard, br, buf); err != nil {
		return fmt.Errorf("reading layer: %w", err)
	}
	return nil
}

// ctxReader stops a download when ctx is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
