package flatten

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"

	"github.com/hyperbuild/hyper/contract"
)

// Errors, checked with errors.Is.
var (
	// ErrCorrupt is a layer that is not a valid tar stream (truncated,
	// a bad header) or that changed between the two reads.
	ErrCorrupt = errors.New("corrupt layer")
	// ErrDigestMismatch is a layer whose bytes do not hash to its DiffID.
	ErrDigestMismatch = errors.New("layer digest mismatch")
	// ErrSymlinkLoop is a path whose directories loop through symlinks.
	ErrSymlinkLoop = errors.New("too many levels of symbolic links")
	// ErrNotDir is a path below something that is not a directory.
	ErrNotDir = errors.New("not a directory")
	// ErrSparse is a GNU sparse file, which image tools never write and
	// whose header can claim any size: refused.
	ErrSparse = errors.New("sparse files are not supported")
	// ErrBadFile is a spec file that cannot be placed (the root itself).
	ErrBadFile = errors.New("bad file path")
)

// Layer is one uncompressed layer tar, read at random (an *os.File, a
// *bytes.Reader).
type Layer struct {
	R    io.ReaderAt
	Size int64
	// DiffID, when set ("sha256:<hex>"), is checked while the layer is
	// read in full; a mismatch is ErrDigestMismatch. When empty, layers
	// holding no winning file are not read a second time.
	DiffID string
}

// Flatten writes the root filesystem of layers (bottom first) with files
// added on top, as one tar stream to w (see the package doc for its
// order and guarantees). files are one container's spec files: each
// replaces what the image has at its path, with missing parent directories
// made (0755, root); a zero Mode means 0644. On error, what was written to
// w is not a valid image and must be discarded.
func Flatten(ctx context.Context, w io.Writer, layers []Layer, files []contract.File) error {
	f := &flattener{tree: newTree(), layers: layers}
	if err := f.scanAll(ctx); err != nil {
		return err
	}
	for _, file := range files {
		if err := f.addFile(file); err != nil {
			return fmt.Errorf("adding file %s: %w", file.Path, err)
		}
	}
	return f.emit(ctx, w)
}

type flattener struct {
	tree   *tree
	layers []Layer
}

// scanAll reads the layers' headers concurrently and applies them in
// order.
func (f *flattener) scanAll(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		adds, whs []entry
		err       error
	}
	results := make([]chan result, len(f.layers))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, l := range f.layers {
		results[i] = make(chan result, 1)
		go func() {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				results[i] <- result{err: ctx.Err()}
				return
			}
			defer func() { <-sem }()
			adds, whs, err := scan(ctx, l)
			results[i] <- result{adds, whs, err}
		}()
	}
	for i := range f.layers {
		r := <-results[i]
		if r.err == nil {
			r.err = f.apply(i, r.adds, r.whs)
		}
		if r.err != nil {
			return fmt.Errorf("reading layer %d: %w", i, r.err)
		}
	}
	return nil
}
