package kernelcfg

import "errors"

var (
	// ErrNotBuilt: the kernel for this source, fragment and compiler is not in the cache.
	ErrNotBuilt = errors.New("hyperkernel not built (run `hyperbuild kernel`)")
	// ErrOptionDropped: olddefconfig did not keep a wanted option.
	ErrOptionDropped = errors.New("kernel config lost wanted options")
	// ErrMissingTool: a build prerequisite is not installed.
	ErrMissingTool = errors.New("kernel build prerequisite missing")
	// ErrNoSource: the Linux source tarball is not there.
	ErrNoSource = errors.New("linux source not found")
	// ErrNotBzImage: a file is not a usable 64-bit bzImage.
	ErrNotBzImage = errors.New("not a usable x86_64 bzImage")
	// ErrMissingBuiltins: a brought kernel does not build in what a pod
	// needs to boot (BootFeatures).
	ErrMissingBuiltins = errors.New("kernel lacks built-in options a pod needs to boot")
	// ErrCacheCorrupt: a cached hyperkernel's bzImage no longer matches
	// the sha256 recorded when it was built.
	ErrCacheCorrupt = errors.New("cached hyperkernel does not match its recorded sha256")
)
