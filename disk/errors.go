package disk

import "errors"

var (
	// ErrNotArtifact is a file or directory that is not a hyper artifact.
	ErrNotArtifact = errors.New("not a hyper artifact")
	// ErrMissing is a part of an artifact that is absent (the ESP, a file
	// in it, the pod partition).
	ErrMissing = errors.New("missing from the artifact")
	// ErrBadInput is an Artifact field that cannot be used.
	ErrBadInput = errors.New("invalid artifact input")
)
