package builder

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"

	"github.com/hyperbuild/hyper/artifact"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/kernelcfg"
)

// ErrNoKernel: no kernel was given and the cache holds no hyperkernel;
// the build does not compile one unasked.
var ErrNoKernel = errors.New("no hyperkernel in the cache")

// WithKernelImage boots a hyperkernel pulled from a registry (pushed by
// `hyperbuild kernel --push`), best pinned as REF@sha256:...; it wins
// over the pod file's kernel { path } and { image }, and WithKernel wins
// over it.
func WithKernelImage(ref string) Option { return func(o *options) { o.kernelImage = ref } }

// kernelFor picks the pod's kernel, first found: WithKernel, then
// WithKernelImage, the pod's kernel { path }, its kernel { image }, and
// the hyperkernel in the cache. It never compiles one (a 12 to 20 minute
// job that `hyperbuild kernel` does on purpose): without one, ErrNoKernel
// says how to get one.
func (o *options) kernelFor(ctx context.Context, pod *contract.Pod) (*kernelcfg.Kernel, error) {
	switch {
	case o.kernel != "":
		return o.kernelFile(o.kernel)
	case o.kernelImage != "":
		return o.kernelFromImage(ctx, o.kernelImage)
	case pod.Kernel.Path != "":
		return o.kernelFile(pod.Kernel.Path)
	case pod.Kernel.Image != "":
		return o.kernelFromImage(ctx, pod.Kernel.Image)
	}
	var kopts []kernelcfg.Option
	if o.cacheDir != "" {
		kopts = append(kopts, kernelcfg.WithCacheDir(o.cacheDir))
	}
	k, err := kernelcfg.Cached(kopts...)
	switch {
	case err == nil:
		return k, nil
	case errors.Is(err, kernelcfg.ErrNotBuilt):
		dir := o.cacheDir
		if dir == "" {
			dir, _ = kernelcfg.DefaultCacheDir()
		}
		return nil, fmt.Errorf("%w (%s), and hyperbuild does not compile one unasked (12 to 20 minutes): "+
			"build it once with `hyperbuild kernel` (or make kernel), "+
			"use a prebuilt one with --kernel-image REF or kernel { image = \"REF\" } (pushed by hyperbuild kernel --push), "+
			"or bring a bzImage with --kernel FILE", ErrNoKernel, filepath.Join(dir, "kernel"))
	case errors.Is(err, kernelcfg.ErrCacheCorrupt):
		return nil, fmt.Errorf("%w; rebuild it with `hyperbuild kernel`", err)
	}
	return nil, fmt.Errorf("finding the hyperkernel: %w", err)
}

func (o *options) kernelFile(path string) (*kernelcfg.Kernel, error) {
	k, err := kernelcfg.FromFile(path, kernelcfg.WithWarnings(o.warn))
	if err != nil {
		return nil, fmt.Errorf("using kernel %s: %w", path, err)
	}
	return k, nil
}

func (o *options) kernelFromImage(ctx context.Context, ref string) (*kernelcfg.Kernel, error) {
	aopts := []artifact.Option{artifact.WithProgress(o.progress), artifact.WithInsecureRegistries(o.insecure...)}
	if o.cacheDir != "" {
		aopts = append(aopts, artifact.WithCacheDir(o.cacheDir))
	}
	k, err := artifact.PullKernel(ctx, ref, aopts...)
	if err != nil {
		return nil, fmt.Errorf("kernel image %s: %w", ref, err)
	}
	if !artifact.IsPinned(ref) {
		o.warn(fmt.Sprintf("kernel image %s is not pinned by digest; pin it as %s for reproducible builds", ref, k.Origin))
	}
	return k, nil
}
