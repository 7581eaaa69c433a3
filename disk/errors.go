package disk

import "errors"

var (
	// ErrNotArtifact is a file or directory that is not a hyper artifact.
	ErrNotArtifact = errors.New("not a hyper artifact")
	// ErrMissing is a part of an artifact that is absent (the ESP, a file
	// in it, the pod partition).
	ErrMissing = errors.New("missing from the artifact")
	// ErrTruncated is an artifact cut short: a partition or a part of a
	// directory artifact ends past the end of its file.
	ErrTruncated = errors.New("artifact cut short")
	// ErrNotFile is a path that is neither a regular file, a block device
	// nor a directory (a named pipe, a socket, a character device).
	ErrNotFile = errors.New("not a regular file")
	// ErrBadInput is an Artifact field that cannot be used.
	ErrBadInput = errors.New("invalid artifact input")
)
