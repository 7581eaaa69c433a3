package kernelcfg

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
)

// DefaultSource is where Debian's linux-source-6.1 package puts the tarball.
const DefaultSource = "/usr/src/linux-source-6.1.tar.xz"

// Option configures Build and Cached.
type Option func(*options)

type options struct {
	cacheDir string
	progress io.Writer
	source   string
	jobs     int
	warn     func(string)
	// build makes the cache entry final for key; buildInto, or a stand-in
	// in tests.
	build func(ctx context.Context, key, final string) error
}

// WithCacheDir sets the cache root; kernels live under <dir>/kernel/<key>/.
func WithCacheDir(dir string) Option { return func(o *options) { o.cacheDir = dir } }

// WithProgress streams build progress (a compact count of compiled objects)
// to w. A terminal gets one updating line, anything else periodic lines.
func WithProgress(w io.Writer) Option { return func(o *options) { o.progress = w } }

// WithSource sets the Linux source tarball (default DefaultSource).
func WithSource(tarball string) Option { return func(o *options) { o.source = tarball } }

// WithJobs sets make's -j (default: the number of CPUs).
func WithJobs(n int) Option { return func(o *options) { o.jobs = n } }

// WithWarnings receives warnings: a cached kernel that no longer matches
// its recorded hash (and is rebuilt), a brought kernel whose
// configuration cannot be checked.
func WithWarnings(f func(string)) Option { return func(o *options) { o.warn = f } }

// makeOptions applies opts over the defaults: cache $HYPER_CACHE, else
// os.UserCacheDir()/hyper; source DefaultSource; jobs NumCPU; no progress;
// warnings dropped.
func makeOptions(opts []Option) (*options, error) {
	o := &options{source: DefaultSource, jobs: runtime.NumCPU(), progress: io.Discard}
	o.build = o.buildInto
	for _, opt := range opts {
		opt(o)
	}
	if o.warn == nil {
		o.warn = func(string) {}
	}
	if o.cacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		o.cacheDir = dir
	}
	if o.jobs < 1 {
		o.jobs = 1
	}
	if o.progress == nil {
		o.progress = io.Discard
	}
	return o, nil
}

// DefaultCacheDir is $HYPER_CACHE, else os.UserCacheDir()/hyper.
func DefaultCacheDir() (string, error) {
	if dir := os.Getenv("HYPER_CACHE"); dir != "" {
		return dir, nil
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the user cache dir (set HYPER_CACHE): %w", err)
	}
	return filepath.Join(dir, "hyper"), nil
}
