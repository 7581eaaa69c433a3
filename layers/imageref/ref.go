package imageref

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/hyperbuild/hyper/internal/suggest"
)

// Transport says where an image comes from.
type Transport string

// The transports hyper understands.
const (
	Docker        Transport = "docker"
	DockerDaemon  Transport = "docker-daemon"
	DockerArchive Transport = "docker-archive"
	OCI           Transport = "oci"
	OCIArchive    Transport = "oci-archive"
)

// Transports lists the known transports in the order they are documented.
var Transports = []Transport{Docker, OCI, OCIArchive, DockerArchive, DockerDaemon}

// Unsupported lists skopeo's other transports (containers-transports(5)),
// which hyper recognises in order to refuse them by name: without this,
// "dir:/x" or "tarball:x.tar" would read as registry references.
var Unsupported = []Transport{"containers-storage", "dir", "ostree", "sif", "tarball", "atomic"}

// Errors returned by Parse, checked with errors.Is.
var (
	ErrEmpty                = errors.New("empty image reference")
	ErrUnknownTransport     = errors.New("unknown transport")
	ErrUnsupportedTransport = errors.New("unsupported transport")
	ErrBadReference         = errors.New("invalid image reference")
)

// Ref is a parsed image reference.
type Ref struct {
	Transport Transport
	// Name is the registry reference, normalised (index.docker.io/library/
	// busybox:1.36), for the docker and docker-daemon transports.
	Name string
	// Path is the directory or file of the oci, oci-archive and
	// docker-archive transports, as written (see Resolve).
	Path string
	// Tag is the optional :TAG (oci, oci-archive) or :REF (docker-archive)
	// after Path; empty when absent.
	Tag string
	// Original is the text Parse was given.
	Original string
}

// IsLocal reports whether the image lives in a file or directory (Path).
func (r Ref) IsLocal() bool {
	switch r.Transport {
	case OCI, OCIArchive, DockerArchive:
		return true
	}
	return false
}

// String writes r in transport syntax, with the transport always spelled
// out; Parse(r.String()) gives r back (but for Original).
func (r Ref) String() string {
	switch r.Transport {
	case Docker:
		return "docker://" + r.Name
	case DockerDaemon:
		return "docker-daemon:" + r.Name
	}
	s := string(r.Transport) + ":" + r.Path
	if r.Tag != "" {
		s += ":" + r.Tag
	}
	return s
}

// Resolve returns r with a relative Path made absolute against dir (the
// directory of the pod file that named it). Registry references and
// absolute paths are returned unchanged.
func (r Ref) Resolve(dir string) Ref {
	if r.IsLocal() && !filepath.IsAbs(r.Path) {
		r.Path = filepath.Join(dir, r.Path)
	}
	return r
}

// Parse reads an image reference. A reference without a transport is a
// registry reference (docker://). The error says what is wrong and shows
// the valid syntax.
func Parse(s string) (Ref, error) {
	r, err := parse(s)
	if err != nil {
		return Ref{}, fmt.Errorf("parsing image reference %q: %w", s, err)
	}
	r.Original = s
	return r, nil
}

func parse(s string) (Ref, error) {
	if strings.TrimSpace(s) == "" {
		return Ref{}, fmt.Errorf("%w; write e.g. %q or %q", ErrEmpty, "busybox:1.36", "oci:./busybox:latest")
	}
	if s != strings.TrimSpace(s) {
		return Ref{}, fmt.Errorf("%w: leading or trailing space", ErrBadReference)
	}
	if rest, ok := strings.CutPrefix(s, "docker://"); ok {
		return registry(Docker, rest)
	}
	if scheme, _, ok := strings.Cut(s, "://"); ok {
		if isUnsupported(scheme) {
			return Ref{}, unsupportedTransport(scheme, "")
		}
		return Ref{}, unknownTransport(scheme)
	}
	transport, rest, ok := strings.Cut(s, ":")
	if !ok {
		return registry(Docker, s)
	}
	switch t := Transport(transport); t {
	case DockerDaemon:
		return registry(t, rest)
	case OCI, OCIArchive, DockerArchive:
		return local(t, rest)
	}
	if isUnsupported(transport) {
		// As in skopeo, the transport wins over a Docker Hub image of
		// the same name ("dir:latest"), which docker:// still names.
		return Ref{}, unsupportedTransport(transport, s)
	}
	if strings.HasPrefix(rest, "/") {
		// "word:/path": a registry host's port is never empty, so this
		// is a transport hyper does not know, not a registry reference.
		return Ref{}, unknownTransport(transport)
	}
	// busybox:1.36, localhost:5000/app: a bare registry reference.
	r, err := registry(Docker, s)
	if err != nil && looksLikeTransport(transport) {
		return Ref{}, unknownTransport(transport)
	}
	return r, err
}

func registry(t Transport, s string) (Ref, error) {
	ref, err := name.ParseReference(s)
	if err != nil {
		example := "busybox:1.36, docker.io/library/nginx:1.27 or ghcr.io/org/app@sha256:<64 hex digits>"
		if t == DockerDaemon {
			example = "docker-daemon:busybox:1.36"
		}
		return Ref{}, fmt.Errorf("%w: %q is not a registry reference (%v); write e.g. %s", ErrBadReference, s, strings.TrimPrefix(err.Error(), "could not parse reference: "), example)
	}
	if host := ref.Context().RegistryStr(); strings.HasSuffix(host, ":") {
		return Ref{}, fmt.Errorf("%w: %q: registry host %q has an empty port; write HOST:PORT/NAME or leave the colon out", ErrBadReference, s, host)
	}
	// The full name must parse too: Docker Hub's "library/" can push a
	// repository that was within the 255-byte limit as written past it.
	if _, err := name.ParseReference(ref.Name()); err != nil {
		return Ref{}, fmt.Errorf("%w: %q is %s once normalised, which is not a valid reference (%v)", ErrBadReference, s, ref.Name(), strings.TrimPrefix(err.Error(), "could not parse reference: "))
	}
	return Ref{Transport: t, Name: ref.Name()}, nil
}

// local splits PATH[:TAG] at the first colon, as skopeo does: paths with a
// colon in them cannot be named, and docker-archive's REF keeps its own
// colon (docker-archive:FILE:busybox:1.36).
func local(t Transport, s string) (Ref, error) {
	path, tag, hasTag := strings.Cut(s, ":")
	what := map[Transport]string{OCI: "DIR[:TAG]", OCIArchive: "FILE[:TAG]", DockerArchive: "FILE[:REF]"}[t]
	example := map[Transport]string{OCI: "oci:./busybox:latest", OCIArchive: "oci-archive:busybox.tar:latest", DockerArchive: "docker-archive:busybox.tar:busybox:1.36"}[t]
	switch {
	case path == "":
		return Ref{}, fmt.Errorf("%w: %s needs a path: %s:%s, e.g. %s", ErrBadReference, t, t, what, example)
	case hasTag && tag == "":
		return Ref{}, fmt.Errorf("%w: empty tag after %q; drop the colon or write e.g. %s", ErrBadReference, path, example)
	case strings.ContainsRune(s, 0):
		return Ref{}, fmt.Errorf("%w: NUL byte in path", ErrBadReference)
	}
	if t == DockerArchive && hasTag && !strings.HasPrefix(tag, "@") {
		if _, err := name.ParseReference(tag); err != nil {
			return Ref{}, fmt.Errorf("%w: %q after the archive path is not an image reference; write e.g. %s", ErrBadReference, tag, example)
		}
	}
	return Ref{Transport: t, Path: path, Tag: tag}, nil
}

func isUnsupported(name string) bool {
	for _, t := range Unsupported {
		if string(t) == name {
			return true
		}
	}
	return false
}

// supported spells the served transports as they are written.
func supported() string {
	names := make([]string, len(Transports))
	for i, t := range Transports {
		names[i] = string(t) + ":"
		if t == Docker {
			names[i] = "docker://"
		}
	}
	return strings.Join(names, ", ")
}

// unsupportedTransport refuses one of skopeo's transports hyper does not
// serve; whole, when not empty, is the reference, named for the Docker Hub
// image it could also mean.
func unsupportedTransport(name, whole string) error {
	hint := ""
	if whole != "" {
		if _, err := registry(Docker, whole); err == nil {
			hint = fmt.Sprintf(" (for the registry image, write docker://%s)", whole)
		}
	}
	return fmt.Errorf("%w: transport %q is not supported; supported: %s%s", ErrUnsupportedTransport, name+":", supported(), hint)
}

func unknownTransport(scheme string) error {
	names := make([]string, len(Transports))
	for i, t := range Transports {
		names[i] = string(t)
	}
	hint := ""
	if s := suggest.Closest(scheme, names, 3); s != "" {
		hint = fmt.Sprintf(" (did you mean %q?)", s)
	}
	return fmt.Errorf("%w %q%s; supported: %s, or a bare registry reference such as busybox:1.36", ErrUnknownTransport, scheme, hint, supported())
}

// looksLikeTransport reports whether a failed bare reference's prefix is
// a near-miss of a transport ("oci-archiv:x.tar"), worth naming as such.
func looksLikeTransport(prefix string) bool {
	for _, t := range Transports {
		if suggest.Distance(strings.ToLower(prefix), string(t)) <= 2 {
			return true
		}
	}
	return false
}
