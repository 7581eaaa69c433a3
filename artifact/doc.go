// Package artifact moves hyper artifacts and hyperkernels through OCI
// registries, as OCI artifacts (an image manifest with an artifactType of
// ours and an empty config, as OCI 1.1 and ORAS describe them), so that
// `crane manifest` and `oras manifest fetch` show what they hold.
//
// A pod artifact (ArtifactType) has three layers, small ones first:
//
//	application/vnd.hyper.manifest.v1+json   manifest.json (the ESP's)
//	application/vnd.hyper.pod.v1+json        pod.json (the guest contract)
//	application/vnd.hyper.disk.raw.v1+zstd   disk.img, the raw GPT image,
//	                                         zstd-compressed; annotated with
//	                                         its own sha256 and size
//
// The disk's holes and zero runs cost zstd almost nothing, so the bytes
// moved are close to what the image allocates. A hyperkernel
// (KernelArtifactType) has bzImage, config and version layers.
//
// Push uploads every blob, then the manifest: an interrupted push leaves
// no tag pointing at a half-written artifact. Pull and Fetch check the
// manifest (the digest of a REF@sha256: reference, or of the bytes a tag
// served), each blob's digest and the disk's own sha256 and size, and
// write nothing they did not verify (a temporary file renamed into place).
// Credentials come from the Docker keychain (~/.docker/config.json and
// its credential helpers), as image pulls in package layers do.
//
//	d, err := artifact.Push(ctx, "web.img", "registry.example.com/pods/web:1")
//	path, err := artifact.Fetch(ctx, "registry.example.com/pods/web:1") // cached, verified
package artifact
