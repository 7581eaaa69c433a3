package layers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/hyperbuild/hyper/layers/cache"
	"github.com/hyperbuild/hyper/layers/imageref"
)

// Resolver resolves image references and pulls them into the cache. It
// is safe for concurrent use.
type Resolver struct {
	o     options
	once  sync.Once
	cache *cache.Cache
	err   error
}

// NewResolver makes a Resolver; see the With... options for defaults.
func NewResolver(opts ...Option) *Resolver {
	return &Resolver{o: makeOptions(opts...)}
}

// Cache opens the resolver's cache (once).
func (r *Resolver) Cache() (*cache.Cache, error) {
	r.once.Do(func() { r.cache, r.err = OpenCache(r.o.cacheDir) })
	return r.cache, r.err
}

// Resolve parses ref, resolves it to one linux/amd64 image pinned by
// digest, and pulls its layers into the cache (concurrently, each
// verified). Errors are *Error values.
func (r *Resolver) Resolve(ctx context.Context, ref string) (*Image, error) {
	parsed, err := imageref.Parse(ref)
	if err != nil {
		return nil, wrapErr("pulling", imageref.Ref{Original: ref}, err)
	}
	if r.o.baseDir != "" {
		parsed = parsed.Resolve(r.o.baseDir)
	}
	img, err := r.resolve(ctx, parsed)
	if err != nil {
		return nil, wrapErr("pulling", parsed, err)
	}
	return img, nil
}

func (r *Resolver) resolve(ctx context.Context, ref imageref.Ref) (*Image, error) {
	want, err := r.platform()
	if err != nil {
		return nil, err
	}
	c, err := r.Cache()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(filepath.Join(c.Dir(), "tmp"), "source-*")
	if err != nil {
		return nil, fmt.Errorf("opening cache: %w", err)
	}
	defer os.RemoveAll(tmp)

	var src *source
	switch ref.Transport {
	case imageref.Docker:
		src, err = r.fromRegistry(ctx, ref, c, want)
	case imageref.OCI:
		src, err = fromLayout(ctx, ref.Path, ref.Tag, want)
	case imageref.OCIArchive:
		if err = unpackLayout(ref.Path, tmp); err == nil {
			src, err = fromLayout(ctx, tmp, ref.Tag, want)
		}
	case imageref.DockerArchive:
		src, err = fromDockerArchive(ref.Path, ref.Tag)
	case imageref.DockerDaemon:
		src, err = r.fromDaemon(ctx, ref.Name, tmp)
	default:
		err = fmt.Errorf("%w: transport %q", ErrBadReference, ref.Transport)
	}
	if err != nil {
		return nil, err
	}
	img, err := pin(ctx, c, src)
	if err != nil {
		return nil, err
	}
	img.Ref = ref
	if err := checkConfig(&img.Config, want); err != nil {
		return nil, err
	}
	if err := r.pull(ctx, c, img, src.blobs); err != nil {
		return nil, err
	}
	if ref.Transport == imageref.Docker && !strings.Contains(ref.Name, "@") {
		_ = c.SetRef(ref.Name, img.Digest) // only an offline rebuild needs it
	}
	return img, nil
}
