package layers

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hyperbuild/hyper/layers/cache"
	"github.com/hyperbuild/hyper/layers/imageref"
)

// fromRegistry resolves a docker:// reference. A digest reference already
// cached needs no network; a tag is asked of the registry, and when the
// registry cannot be reached the digest it last resolved to is used.
// Either returns the image (nil when served from the cache) or the cached
// manifest digest.
func (r *Resolver) fromRegistry(ctx context.Context, ref imageref.Ref, c *cache.Cache, want v1.Platform) (v1.Image, string, error) {
	var opts []name.Option
	if n, err := name.ParseReference(ref.Name); err == nil && r.o.insecure[n.Context().RegistryStr()] {
		opts = append(opts, name.Insecure)
	}
	nref, err := name.ParseReference(ref.Name, opts...)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", ErrBadReference, err)
	}
	if d, ok := nref.(name.Digest); ok && c.Has(cache.Blobs, d.DigestStr()) {
		return nil, d.DigestStr(), nil
	}
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(r.o.keychain), remote.WithPlatform(want)}
	desc, err := remote.Get(nref, ropts...)
	if err != nil {
		err = classify(err)
		if errors.Is(err, ErrUnreachable) {
			if d, cerr := c.Ref(ref.Name); cerr == nil && c.Has(cache.Blobs, d) {
				return nil, d, nil
			}
		}
		return nil, "", err
	}
	if !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		return img, "", err
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, "", err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, "", err
	}
	d, err := pick(im, want)
	if err != nil {
		return nil, "", err
	}
	img, err := idx.Image(d.Digest)
	return img, "", err
}
