package artifact

import (
	"errors"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types of hyper's OCI artifacts (docs/registry.md).
const (
	// ArtifactType is a pod artifact's manifest artifactType.
	ArtifactType = "application/vnd.hyper.artifact.v1"
	// KernelArtifactType is a hyperkernel's manifest artifactType.
	KernelArtifactType = "application/vnd.hyper.kernel.v1"

	MediaManifest types.MediaType = "application/vnd.hyper.manifest.v1+json"
	MediaPod      types.MediaType = "application/vnd.hyper.pod.v1+json"
	MediaDisk     types.MediaType = "application/vnd.hyper.disk.raw.v1+zstd"

	MediaBzImage      types.MediaType = "application/vnd.hyper.kernel.bzimage.v1"
	MediaKernelConfig types.MediaType = "application/vnd.hyper.kernel.config.v1"
	MediaKernelVer    types.MediaType = "application/vnd.hyper.kernel.version.v1"

	// MediaEmpty is OCI 1.1's empty config, "{}".
	MediaEmpty types.MediaType = "application/vnd.oci.empty.v1+json"
)

// Annotations hyper writes.
const (
	AnnotationTitle   = "org.opencontainers.image.title"
	AnnotationCreated = "org.opencontainers.image.created"
	// AnnotationDiskSHA256 and AnnotationDiskSize describe the disk layer
	// uncompressed: what a pull must write.
	AnnotationDiskSHA256    = "org.hyper.disk.sha256"
	AnnotationDiskSize      = "org.hyper.disk.size"
	AnnotationPod           = "org.hyper.pod"
	AnnotationKernelVersion = "org.hyper.kernel.version"
)

// Limits on what a pull reads.
const (
	// maxManifest bounds a manifest, and maxSmall each small layer
	// (manifest.json, pod.json, a kernel's config and version).
	maxManifest = 1 << 20
	maxSmall    = 4 << 20
	// maxDisk bounds a disk's declared size, maxKernel a bzImage.
	maxDisk   = 1 << 40
	maxKernel = 256 << 20
)

// Errors, checked with errors.Is.
var (
	// ErrNotArtifact: the reference names something that is not a hyper
	// artifact of the kind asked for (a container image, an index, a kernel
	// where a pod was wanted).
	ErrNotArtifact = errors.New("not a hyper artifact")
	// ErrDigestMismatch: content that does not match its digest, size or
	// recorded sha256; nothing is written.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrBadArtifact: a hyper artifact whose manifest breaks its rules
	// (a layer missing or twice, a bad annotation, past a limit).
	ErrBadArtifact = errors.New("malformed hyper artifact")
	// ErrBadReference: not a registry reference.
	ErrBadReference = errors.New("invalid registry reference")
	// ErrOffline: the registry cannot be reached and the cache does not
	// hold the reference.
	ErrOffline = errors.New("registry unreachable and not in the cache")
)
