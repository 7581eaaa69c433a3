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
