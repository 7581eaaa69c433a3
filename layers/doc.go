// Package layers turns an image reference from a pod spec into what a VM
// disk needs: the image pinned by digest, its config, and one flattened,
// confined, deterministic root-filesystem tar stream.
//
//	r := layers.NewResolver(layers.WithProgress(os.Stderr, isTTY))
//	img, err := r.Resolve(ctx, "docker://localhost:5000/app:1")
//	proc, err := layers.Merge(container, &img.Config)
//	err = img.Flatten(ctx, w, files) // one tar stream, for the ext4 writer
//
// References use skopeo's syntax (package imageref): docker:// (and bare
// names), oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REF]
// and docker-daemon:REF. Multi-platform indexes resolve to linux/amd64, the
// one platform the guest runs.
//
// Every descriptor followed is checked, digest and size: index.json (or
// the tag, or the digest reference) → nested indexes → the manifest → its
// config → its layers; Image.Digest is the manifest digest so verified.
// Indexes, manifests and configs are read into memory only up to 4 MiB;
// a layer blob no further than its descriptor's size. A docker archive's
// manifest.json names files, not digests: there the config is checked
// against the digest in its file name and each layer against its DiffID.
//
// Resolve pulls every layer into a content-addressed cache (package cache)
// concurrently, verifying each compressed blob against its digest and each
// unpacked layer against its DiffID; a warm cache needs no network, and a
// corrupt entry is detected and fetched again. Flatten reads the unpacked
// layers from the cache (package flatten) with memory bounded by the
// number of entries, never by file sizes.
//
// Errors are one line naming the reference, the transport and what to do,
// and wrap a sentinel (ErrNotFound, ErrUnsupportedPlatform, ...) for
// errors.Is.
package layers
