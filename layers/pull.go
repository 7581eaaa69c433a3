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
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/hyperbuild/hyper/internal/ctxio"
	"github.com/hyperbuild/hyper/layers/cache"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

// pull makes sure every layer of img is unpacked and verified in the
// cache, pulling at most r.o.jobs at once from src (nil: cache only).
func (r *Resolver) pull(ctx context.Context, c *cache.Cache, img *Image, src blobStore) error {
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
// keeping the compressed blob too. Both are verified before they appear:
// the blob against the manifest's digest and size, the unpacked layer
// against the config's diff_id.
func pullLayer(ctx context.Context, c *cache.Cache, l Layer, src blobStore, prog *progress) error {
	err := c.Verify(cache.Diffs, l.DiffID)
	if err == nil {
		return nil
	}
	if !errors.Is(err, cache.ErrMissing) && !errors.Is(err, cache.ErrDigestMismatch) {
		return err
	}
	desc, err := l.descriptor()
	if err != nil {
		return err
	}
	var rc io.ReadCloser
	var blob *cache.Pending
	if c.Verify(cache.Blobs, l.Digest) == nil {
		f, err := c.Open(cache.Blobs, l.Digest)
		if err != nil {
			return err
		}
		rc = f
		// The cache vouches for the digest; the manifest may still
		// claim another size.
		if info, err := f.Stat(); err != nil || info.Size() != l.Size {
			f.Close()
			if err != nil {
				return err
			}
			return matches(desc, "compressed blob (cached)", l.Digest, info.Size(), info.Size())
		}
	} else {
		if src == nil {
			return fmt.Errorf("%w: layer %s", ErrOffline, l.Digest)
		}
		if rc, err = src.open(ctx, desc); err != nil {
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

	// One byte past the descriptor's size is enough to refuse a source
	// that sends more: it is not read to its end.
	in, done := prog.track(ctxio.Reader(ctx, io.LimitReader(rc, l.Size+1)), short(l.Digest), l.Size)
	if blob != nil {
		in = io.TeeReader(in, blob)
	}
	err = unpack(diff, in)
	if err != nil && blob != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		// Undecodable data, or data the source's own check refused, is
		// more often a blob that is not what its descriptor says: read
		// the rest to tell, and say so.
		_, _ = io.Copy(io.Discard, in)
		if merr := blobMatches(desc, blob); merr != nil {
			err = merr
		}
	}
	if err == nil && blob != nil {
		err = blobMatches(desc, blob)
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

// descriptor is the manifest's descriptor of the layer's compressed blob.
func (l Layer) descriptor() (v1.Descriptor, error) {
	h, err := v1.NewHash(l.Digest)
	if err != nil {
		return v1.Descriptor{}, fmt.Errorf("%w: layer digest: %v", ErrCorrupt, err)
	}
	return v1.Descriptor{MediaType: types.MediaType(l.MediaType), Size: l.Size, Digest: h}, nil
}

// blobMatches checks what was read of a compressed blob (at most one byte
// more than d.Size) against d.
func blobMatches(d v1.Descriptor, blob *cache.Pending) error {
	return matches(d, "compressed blob", blob.Digest(), blob.Size(), d.Size)
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
