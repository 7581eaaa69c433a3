package layers

import (
	"io"
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Option configures a Resolver.
type Option func(*options)

type options struct {
	cacheDir   string
	insecure   map[string]bool
	progress   io.Writer
	tty        bool
	platform   string
	baseDir    string
	keychain   authn.Keychain
	dockerHost string
	jobs       int
}

func makeOptions(opts ...Option) options {
	o := options{
		insecure:   map[string]bool{},
		platform:   "linux/amd64",
		keychain:   authn.DefaultKeychain,
		dockerHost: os.Getenv("DOCKER_HOST"),
		jobs:       4,
	}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// WithCacheDir sets the cache directory (default: $HYPER_CACHE, else the
// user cache directory's "hyper").
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithInsecureRegistries lets hosts ("host:port") be reached over plain
// HTTP; localhost and loopback addresses always may.
func WithInsecureRegistries(hosts ...string) Option {
	return func(o *options) {
		for _, h := range hosts {
			o.insecure[h] = true
		}
	}
}

// WithProgress shows pull progress on w: bars when tty, nothing otherwise.
func WithProgress(w io.Writer, tty bool) Option {
	return func(o *options) { o.progress, o.tty = w, tty }
}

// WithPlatform chooses the platform ("linux/amd64", the default and, for
// now, the only one the guest runs).
func WithPlatform(p string) Option {
	return func(o *options) {
		if p != "" {
			o.platform = p
		}
	}
}

// WithBaseDir is the directory relative oci:, oci-archive: and
// docker-archive: paths are taken from (the pod file's directory).
func WithBaseDir(dir string) Option { return func(o *options) { o.baseDir = dir } }

// WithKeychain replaces authn.DefaultKeychain (docker config, credential
// helpers) for registry credentials.
func WithKeychain(k authn.Keychain) Option { return func(o *options) { o.keychain = k } }

// WithDockerHost sets the Docker daemon's address (default $DOCKER_HOST,
// else unix:///var/run/docker.sock).
func WithDockerHost(h string) Option { return func(o *options) { o.dockerHost = h } }

// WithConcurrency sets how many layers are pulled at once (default 4).
func WithConcurrency(n int) Option {
	return func(o *options) {
		if n > 0 {
			o.jobs = n
		}
	}
}
