package kernelcfg

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// Build returns the hyperkernel for the current source, fragment and
// compiler, building it first if the cache lacks it, or if the cached
// bzImage no longer matches the sha256 recorded when it was built (with a
// warning, see WithWarnings). Concurrent builders of
// the same kernel (in this or other processes) wait for one another through
// a lock file instead of building twice.
func Build(ctx context.Context, opts ...Option) (*Kernel, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	key, err := o.key(ctx)
	if err != nil {
		return nil, err
	}
	final := o.entryDir(key)
	if k, err := loadEntry(final); err == nil || !errors.Is(err, ErrNotBuilt) && !errors.Is(err, ErrCacheCorrupt) {
		return k, err
	}
	if err := os.MkdirAll(o.kernelDir(), 0o755); err != nil {
		return nil, fmt.Errorf("creating kernel cache: %w", err)
	}
	unlock, err := lockFile(ctx, final+".lock", o.progress)
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Another builder may have finished (or replaced a corrupt entry)
	// while we waited.
	k, err := loadEntry(final)
	switch {
	case err == nil:
		return k, nil
	case errors.Is(err, ErrCacheCorrupt):
		o.warn(fmt.Sprintf("%v; removing it and building the hyperkernel again", err))
		if err := os.RemoveAll(final); err != nil {
			return nil, fmt.Errorf("removing corrupt cached kernel: %w", err)
		}
	case !errors.Is(err, ErrNotBuilt):
		return nil, err
	}
	if err := o.build(ctx, key, final); err != nil {
		return nil, err
	}
	return loadEntry(final)
}

// buildInto runs the whole recipe in a temporary directory under the cache
// and renames the result to final. The work tree is removed either way; on
// failure the build log is kept next to the entry as <key>.failed.log.
func (o *options) buildInto(ctx context.Context, key, final string) (err error) {
	if err := checkTools(); err != nil {
		return err
	}
	work, err := os.MkdirTemp(o.kernelDir(), "build-"+key[:12]+"-")
	if err != nil {
		return fmt.Errorf("creating kernel build dir: %w", err)
	}
	defer os.RemoveAll(work)
	logPath := filepath.Join(work, "build.log")
	log, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("creating kernel build log: %w", err)
	}
	defer func() {
		log.Close()
		if err != nil {
			kept := final + ".failed.log"
			if os.Rename(logPath, kept) == nil {
				err = fmt.Errorf("%w (full log: %s)", err, kept)
			}
		}
	}()

	start := time.Now()
	r := &recipe{src: filepath.Join(work, "src"), out: filepath.Join(work, "out"), log: log, progress: o.progress, jobs: o.jobs}
	r.total = o.recordedObjects()
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"extracting " + filepath.Base(o.source), func(ctx context.Context) error { return r.extract(ctx, o.source) }},
		{"configuring (tinyconfig + fragment + olddefconfig)", r.configure},
		{fmt.Sprintf("compiling bzImage (make -j%d)", o.jobs), r.compile},
		{"collecting", r.collect},
	}
	for _, s := range steps {
		fmt.Fprintf(o.progress, "kernel: %s\n", s.name)
		if err := s.run(ctx); err != nil {
			return err
		}
	}
	if err := recordImage(r.out); err != nil {
		return fmt.Errorf("recording the built kernel's sha256: %w", err)
	}
	if err := os.Rename(r.out, final); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return nil // someone without our lock (a manual copy) got there first
		}
		return fmt.Errorf("installing built kernel: %w", err)
	}
	fmt.Fprintf(o.progress, "kernel: built in %s: %s\n", time.Since(start).Round(time.Second), filepath.Join(final, fileBzImage))
	return nil
}
