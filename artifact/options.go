package artifact

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hyperbuild/hyper/layers/cache"
)

// Option configures Push, Pull, Fetch and the kernel functions.
type Option func(*options)

type options struct {
	keychain  authn.Keychain
	insecure  map[string]bool
	cacheDir  string
	progress  io.Writer
	transport http.RoundTripper
	force     bool
}

// makeOptions applies opts over the defaults: the Docker keychain,
// $HYPER_CACHE (else the user cache directory's hyper/), no progress,
// remote's default transport.
func makeOptions(opts ...Option) *options {
	o := &options{keychain: authn.DefaultKeychain, insecure: map[string]bool{}, progress: io.Discard, transport: remote.DefaultTransport}
	for _, opt := range opts {
		opt(o)
	}
	return o
}

// WithKeychain replaces the Docker keychain for registry credentials.
func WithKeychain(k authn.Keychain) Option { return func(o *options) { o.keychain = k } }

// WithInsecureRegistries lets these hosts ("host:port") be reached over
// plain HTTP; localhost and loopback addresses always may.
func WithInsecureRegistries(hosts ...string) Option {
	return func(o *options) {
		for _, h := range hosts {
			o.insecure[h] = true
		}
	}
}

// WithCacheDir sets the cache (default $HYPER_CACHE, else the user cache
// directory's hyper/).
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithProgress prints a line per step (each blob, the manifest) on w.
func WithProgress(w io.Writer) Option {
	return func(o *options) {
		if w != nil {
			o.progress = w
		}
	}
}

// WithTransport sets the HTTP transport (tests inject faults with it).
func WithTransport(t http.RoundTripper) Option { return func(o *options) { o.transport = t } }

// WithForce lets Pull replace a regular file that is not an artifact.
func WithForce(force bool) Option { return func(o *options) { o.force = force } }

// parseRef parses a registry reference ("docker://" optional).
func (o *options) parseRef(ref string) (name.Reference, error) {
	s := trimTransport(ref)
	var nopts []name.Option
	if r, err := name.ParseReference(s); err == nil && o.insecure[r.Context().RegistryStr()] {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(s, nopts...)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v (write HOST/NAME:TAG or HOST/NAME@sha256:...)", ErrBadReference, ref, err)
	}
	return r, nil
}

func (o *options) remote(ctx context.Context) []remote.Option {
	return []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.keychain), remote.WithTransport(o.transport)}
}

func (o *options) cache() (*cache.Cache, error) {
	dir := o.cacheDir
	if dir == "" {
		d, err := cache.DefaultDir()
		if err != nil {
			return nil, err
		}
		dir = d
	}
	return cache.Open(dir)
}
