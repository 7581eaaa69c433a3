package layers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/hyperbuild/hyper/layers/cache"
	"github.com/hyperbuild/hyper/layers/imageref"
)

// fromRegistry resolves a docker:// reference to its manifest. A digest
// reference already cached needs no network; a tag is asked of the
// registry, and when the registry cannot be reached the digest it last
// resolved to is used (blobs nil: the cache only).
//
// A tag names no digest: the manifest the registry serves for it is the
// one pinned, by the digest of its bytes. Everything from there is checked
// against a descriptor: a digest reference (which remote checks too), an
// index's entries, the manifest's config and layers.
func (r *Resolver) fromRegistry(ctx context.Context, ref imageref.Ref, c *cache.Cache, want v1.Platform) (*source, error) {
	var opts []name.Option
	if n, err := name.ParseReference(ref.Name); err == nil && r.o.insecure[n.Context().RegistryStr()] {
		opts = append(opts, name.Insecure)
	}
	nref, err := name.ParseReference(ref.Name, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadReference, err)
	}
	puller, err := remote.NewPuller(remote.WithAuthFromKeychain(r.o.keychain),
		remote.WithTransport(capManifests{remote.DefaultTransport}))
	if err != nil {
		return nil, err
	}
	store := registryStore{puller: puller, repo: nref.Context()}
	dref, byDigest := nref.(name.Digest)
	if byDigest && c.Has(cache.Blobs, dref.DigestStr()) {
		if src, err := cachedSource(c, dref.DigestStr(), store); err == nil {
			return src, nil
		}
	}
	top, err := puller.Get(ctx, nref)
	if err != nil {
		err = classify(err)
		if errors.Is(err, ErrUnreachable) {
			if d, cerr := c.Ref(ref.Name); cerr == nil && c.Has(cache.Blobs, d) {
				return cachedSource(c, d, nil)
			}
		}
		return nil, err
	}
	d, what := top.Descriptor, "manifest of tag "+nref.Identifier()
	if byDigest {
		if d.Digest, err = v1.NewHash(dref.DigestStr()); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrBadReference, err)
		}
		what = "manifest named by the reference"
	}
	if d.MediaType.IsIndex() {
		what = strings.Replace(what, "manifest", "index", 1)
	}
	if err := checkBytes(top.Manifest, d, what); err != nil {
		return nil, err
	}
	if !d.MediaType.IsIndex() {
		return &source{desc: d, raw: top.Manifest, blobs: store}, nil
	}
	im, err := v1.ParseIndexManifest(bytes.NewReader(top.Manifest))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", ErrCorrupt, what, err)
	}
	next, err := pick(im, want)
	if err != nil {
		return nil, err
	}
	return follow(ctx, store, next, want, "index "+d.Digest.String())
}

// registryStore reads one repository's manifests and blobs.
type registryStore struct {
	puller *remote.Puller
	repo   name.Repository
}

var _ manifestStore = registryStore{}

func (s registryStore) open(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	l, err := s.puller.Layer(ctx, s.repo.Digest(d.Digest.String()))
	if err != nil {
		return nil, err
	}
	return l.Compressed()
}

func (s registryStore) openManifest(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	desc, err := s.puller.Get(ctx, s.repo.Digest(d.Digest.String()))
	if err != nil {
		return nil, err
	}
	return io.NopCloser(bytes.NewReader(desc.Manifest)), nil
}

// capManifests stops reading a manifest response after maxDocSize bytes:
// remote itself reads up to 100 MiB.
type capManifests struct{ next http.RoundTripper }

func (t capManifests) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || req.Method != http.MethodGet || !strings.Contains(req.URL.Path, "/manifests/") {
		return resp, err
	}
	if resp.ContentLength > maxDocSize {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: manifest %s is %d bytes, more than the %d bytes hyper reads", ErrCorrupt, req.URL.Path, resp.ContentLength, maxDocSize)
	}
	resp.Body = &cappedBody{ReadCloser: resp.Body, left: maxDocSize, path: req.URL.Path}
	return resp, nil
}

type cappedBody struct {
	io.ReadCloser
	left int64
	path string
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One more byte says whether there is more.
		var one [1]byte
		n, err := b.ReadCloser.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("%w: manifest %s is more than the %d bytes hyper reads", ErrCorrupt, b.path, maxDocSize)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
