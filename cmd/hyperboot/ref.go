package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/hyperbuild/hyper/artifact"
)

// resolveArtifact turns hyperboot's argument into an artifact path: a
// file or directory as given; otherwise a registry reference
// (HOST/NAME:TAG, HOST/NAME@sha256:..., docker://...) is fetched into the
// cache, verified, and its cached disk image is booted. Progress goes to
// progress.
func resolveArtifact(ctx context.Context, arg string, progress io.Writer) (string, error) {
	if _, err := os.Stat(arg); err == nil || !errors.Is(err, os.ErrNotExist) || !artifact.LooksLikeRef(arg) {
		return arg, nil // the runner says what is wrong with a file
	}
	p, err := artifact.Fetch(ctx, arg, artifact.WithProgress(progress))
	if err != nil {
		return "", fmt.Errorf("%s is no file, and fetching it from its registry failed: %w", arg, err)
	}
	return p.Path, nil
}

// registryArtifact tells run's image reference apart from an artifact in
// a registry: a reference with a registry host whose manifest is a hyper
// artifact is fetched (verified, cached) and run as the artifact it is;
// anything else stays an image for hyperd to build a pod of. A hyper
// artifact that fails its checks is an error, not an image.
func registryArtifact(ctx context.Context, ref string, progress io.Writer) (kind, path string, err error) {
	if !artifact.LooksLikeRef(ref) {
		return "image", "", nil
	}
	p, err := artifact.Fetch(ctx, ref, artifact.WithProgress(progress))
	switch {
	case err == nil:
		return "artifact", p.Path, nil
	case errors.Is(err, artifact.ErrDigestMismatch), errors.Is(err, artifact.ErrBadArtifact):
		return "", "", fmt.Errorf("%s: %w", ref, err)
	}
	return "image", "", nil
}
