package layers

import (
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// manifestStore is a blobStore that also serves manifests and indexes by
// digest (a layout keeps them with the other blobs; a registry does not).
type manifestStore interface {
	blobStore
	openManifest(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error)
}

// follow reads the manifest d names, through the indexes on the way (in
// each, the manifest for want), checking every one against the
// descriptor that named it: namedBy says where d came from.
func follow(ctx context.Context, store manifestStore, d v1.Descriptor, want v1.Platform, namedBy string) (*source, error) {
	for depth := 0; ; depth++ {
		what := "manifest named by " + namedBy
		if d.MediaType.IsIndex() {
			what = "index named by " + namedBy
		}
		if depth > maxIndexDepth {
			return nil, fmt.Errorf("%w: %s: indexes nest more than %d deep", ErrCorrupt, what, maxIndexDepth)
		}
		raw, err := readManifest(ctx, store, d, what)
		if err != nil {
			return nil, err
		}
		if !d.MediaType.IsIndex() {
			return &source{desc: d, raw: raw, blobs: store}, nil
		}
		im, err := v1.ParseIndexManifest(bytesReader(raw))
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, what, err)
		}
		next, err := pick(im, want)
		if err != nil {
			return nil, err
		}
		d, namedBy = next, "index "+d.Digest.String()
	}
}

func readManifest(ctx context.Context, store manifestStore, d v1.Descriptor, what string) ([]byte, error) {
	if err := checkDescriptor(d, what, maxDocSize); err != nil {
		return nil, err
	}
	rc, err := store.openManifest(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rc.Close()
	return readVerified(rc, d, what)
}
