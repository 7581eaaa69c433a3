package layers

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/hyperbuild/hyper/layers/cache"
	"github.com/hyperbuild/hyper/layers/flatten"
	"github.com/hyperbuild/hyper/layers/imageref"
)

// Errors, checked with errors.Is.
var (
	ErrBadReference        = errors.New("invalid image reference")
	ErrNotFound            = errors.New("image not found")
	ErrUnauthorized        = errors.New("access denied")
	ErrUnreachable         = errors.New("registry unreachable")
	ErrUnsupportedPlatform = errors.New("unsupported platform")
	ErrDigestMismatch      = errors.New("digest mismatch")
	ErrCorrupt             = errors.New("corrupt image")
	ErrNoDaemon            = errors.New("no Docker daemon")
	ErrOffline             = errors.New("not in the cache and the source is unreachable")
)

// hints say what to do about each kind of failure.
var hints = []struct {
	err  error
	hint string
}{
	{ErrBadReference, "write e.g. busybox:1.36, docker://HOST/NAME:TAG, oci:DIR:TAG or docker-archive:FILE"},
	{ErrNotFound, "check the name and tag"},
	{ErrUnauthorized, "log in (docker login HOST) or check the credentials in ~/.docker/config.json"},
	{ErrUnreachable, "check the network and the registry address; a plain-HTTP registry needs --insecure-registry HOST"},
	{ErrUnsupportedPlatform, "the guest is x86-64: use an image with a linux/amd64 variant"},
	{ErrDigestMismatch, "the source served data that does not match its digest or size; try again or check the source"},
	{ErrCorrupt, "the image is truncated or malformed; export or push it again"},
	{ErrNoDaemon, "start Docker or set DOCKER_HOST, or export the image with docker save and use docker-archive:FILE"},
	{ErrOffline, "connect to the registry once to fill the cache"},
}

// transportNames are the words errors use for each transport.
var transportNames = map[imageref.Transport]string{
	imageref.Docker:        "registry",
	imageref.OCI:           "OCI layout",
	imageref.OCIArchive:    "OCI archive",
	imageref.DockerArchive: "docker archive",
	imageref.DockerDaemon:  "Docker daemon",
}

// Error is a failed resolution: the reference, its transport, the cause
// (wrapping one of the Err values) and what to do.
type Error struct {
	Op        string // "pulling", "flattening"
	Ref       string
	Transport string
	Err       error
}

func (e *Error) Error() string {
	s := fmt.Sprintf("%s %s (%s): %v", e.Op, e.Ref, e.Transport, e.Err)
	if e.Transport == "" {
		s = fmt.Sprintf("%s %s: %v", e.Op, e.Ref, e.Err)
	}
	for _, h := range hints {
		if !errors.Is(e.Err, h.err) {
			continue
		}
		if h.err == ErrNotFound && e.Transport != transportNames[imageref.Docker] && e.Transport != transportNames[imageref.DockerDaemon] {
			return s + ": check the path and tag (relative paths start at the pod file's directory)"
		}
		return s + ": " + h.hint
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

func wrapErr(op string, ref imageref.Ref, err error) error {
	var e *Error
	if err == nil || errors.As(err, &e) {
		return err
	}
	t := transportNames[ref.Transport]
	if t == "" {
		t = string(ref.Transport)
	}
	s := ref.String()
	if ref.Transport == "" {
		s = ref.Original
	}
	return &Error{Op: op, Ref: s, Transport: t, Err: classify(err)}
}

// classify adds the sentinel a lower-level error stands for.
func classify(err error) error {
	for _, h := range hints {
		if errors.Is(err, h.err) {
			return err
		}
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, imageref.ErrEmpty), errors.Is(err, imageref.ErrBadReference), errors.Is(err, imageref.ErrUnknownTransport),
		errors.Is(err, imageref.ErrUnsupportedTransport):
		return fmt.Errorf("%w: %w", ErrBadReference, err)
	case errors.Is(err, cache.ErrDigestMismatch), errors.Is(err, flatten.ErrDigestMismatch):
		return fmt.Errorf("%w: %w", ErrDigestMismatch, err)
	case errors.Is(err, flatten.ErrCorrupt), errors.Is(err, flatten.ErrSparse):
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	// go-containerregistry's verifying readers (an internal package) and
	// its check of a manifest fetched by digest say so in their message
	// only.
	if msg := err.Error(); strings.Contains(msg, "error verifying") || strings.Contains(msg, "does not match requested digest") {
		return fmt.Errorf("%w: %v", ErrDigestMismatch, err)
	}
	var te *transport.Error
	if errors.As(err, &te) {
		switch {
		case te.StatusCode == http.StatusUnauthorized || te.StatusCode == http.StatusForbidden:
			return fmt.Errorf("%w: %s", ErrUnauthorized, firstLine(err))
		case te.StatusCode == http.StatusNotFound:
			return fmt.Errorf("%w: %s", ErrNotFound, registryMessage(te))
		}
		for _, d := range te.Errors {
			switch d.Code {
			case transport.ManifestUnknownErrorCode, transport.NameUnknownErrorCode, transport.BlobUnknownErrorCode:
				return fmt.Errorf("%w: %s", ErrNotFound, registryMessage(te))
			case transport.UnauthorizedErrorCode, transport.DeniedErrorCode:
				return fmt.Errorf("%w: %s", ErrUnauthorized, registryMessage(te))
			}
		}
		return err
	}
	var ne net.Error
	var ue *url.Error
	if errors.As(err, &ne) || errors.As(err, &ue) {
		return fmt.Errorf("%w: %s", ErrUnreachable, firstLine(err))
	}
	return err
}

func registryMessage(te *transport.Error) string {
	if len(te.Errors) > 0 {
		return te.Errors[0].Message
	}
	return http.StatusText(te.StatusCode)
}

func firstLine(err error) string {
	s := err.Error()
	for i, c := range s {
		if c == '\n' {
			return s[:i]
		}
	}
	return s
}
