package layers

import (
	"context"
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/layers/cache"
	"github.com/hyperbuild/hyper/layers/flatten"
	"github.com/hyperbuild/hyper/layers/imageref"
)

// Image is a resolved image whose layers are in the cache.
type Image struct {
	Ref imageref.Ref
	// Digest pins the image: its manifest's digest ("sha256:…").
	Digest string
	Config v1.ConfigFile
	Layers []Layer
	cache  *cache.Cache
}

// Layer is one layer of an Image.
type Layer struct {
	Digest    string // of the compressed blob
	DiffID    string // of the uncompressed tar
	Size      int64  // compressed
	MediaType string
}

// source is an image whose manifest was read and checked against the
// descriptor that named it (index.json, an index, a digest reference; a
// tag names no digest, so there it is the one the bytes have).
type source struct {
	desc  v1.Descriptor // the manifest's digest and size
	raw   []byte        // the manifest
	blobs blobStore     // where its config and layers come from; nil: the cache only
}

// blobStore opens the blobs (config, layers) a manifest names, for the
// caller to read within the descriptor's size and verify.
type blobStore interface {
	open(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error)
}

// pin checks the config against the manifest's descriptor of it and
// records both in the cache.
func pin(ctx context.Context, c *cache.Cache, src *source) (*Image, error) {
	digest := src.desc.Digest.String()
	m, err := v1.ParseManifest(bytesReader(src.raw))
	if err != nil {
		return nil, fmt.Errorf("%w: manifest %s: %v", ErrCorrupt, digest, err)
	}
	what := "config named by manifest " + digest
	if err := checkDescriptor(m.Config, what, maxDocSize); err != nil {
		return nil, err
	}
	rawCfg, err := c.ReadFile(cache.Blobs, m.Config.Digest.String())
	switch {
	case err == nil:
		// The cache vouches for the digest; the manifest may still
		// claim another size.
		if err := checkBytes(rawCfg, m.Config, what); err != nil {
			return nil, err
		}
	case src.blobs == nil:
		return nil, fmt.Errorf("%w: %s: %v", ErrOffline, what, err)
	default:
		if rawCfg, err = readBlob(ctx, src.blobs, m.Config, what); err != nil {
			return nil, err
		}
	}
	if err := c.PutBytes(cache.Blobs, digest, src.raw); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if err := c.PutBytes(cache.Blobs, m.Config.Digest.String(), rawCfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return build(c, digest, m, rawCfg)
}

// readBlob reads a config from blobs, verified.
func readBlob(ctx context.Context, blobs blobStore, d v1.Descriptor, what string) ([]byte, error) {
	rc, err := blobs.open(ctx, d)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	defer rc.Close()
	return readVerified(rc, d, what)
}

// cachedSource is the manifest pinned as digest, read from the cache
// (which verifies it); blobs serves what the cache lacks.
func cachedSource(c *cache.Cache, digest string, blobs blobStore) (*source, error) {
	raw, err := c.ReadFile(cache.Blobs, digest)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOffline, err)
	}
	if len(raw) > maxDocSize {
		return nil, fmt.Errorf("%w: cached manifest %s is more than the %d bytes hyper reads", ErrCorrupt, digest, maxDocSize)
	}
	h, err := v1.NewHash(digest)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &source{desc: v1.Descriptor{Digest: h, Size: int64(len(raw))}, raw: raw, blobs: blobs}, nil
}

func build(c *cache.Cache, digest string, m *v1.Manifest, rawCfg []byte) (*Image, error) {
	cf, err := v1.ParseConfigFile(bytesReader(rawCfg))
	if err != nil {
		return nil, fmt.Errorf("%w: config: %v", ErrCorrupt, err)
	}
	if len(cf.RootFS.DiffIDs) != len(m.Layers) {
		return nil, fmt.Errorf("%w: %d layers but %d diff IDs in the config", ErrCorrupt, len(m.Layers), len(cf.RootFS.DiffIDs))
	}
	img := &Image{Digest: digest, Config: *cf, cache: c}
	for i, l := range m.Layers {
		if err := checkDescriptor(l, fmt.Sprintf("layer %d of manifest %s", i+1, digest), 0); err != nil {
			return nil, err
		}
		img.Layers = append(img.Layers, Layer{
			Digest: l.Digest.String(), DiffID: cf.RootFS.DiffIDs[i].String(),
			Size: l.Size, MediaType: string(l.MediaType),
		})
	}
	return img, nil
}

// Flatten writes the image's root filesystem, with files (this
// container's spec files: see FilesFor) added, as one tar stream to w: see package
// flatten for its order and guarantees. Each layer is verified against its
// DiffID while it is read. On error, what was written is to be discarded.
func (img *Image) Flatten(ctx context.Context, w io.Writer, files []contract.File) error {
	var ls []flatten.Layer
	for _, l := range img.Layers {
		f, err := img.cache.Open(cache.Diffs, l.DiffID)
		if err != nil {
			return wrapErr("flattening", img.Ref, err)
		}
		defer f.Close()
		info, err := f.Stat()
		if err != nil {
			return wrapErr("flattening", img.Ref, err)
		}
		ls = append(ls, flatten.Layer{R: f, Size: info.Size(), DiffID: l.DiffID})
	}
	return wrapErr("flattening", img.Ref, flatten.Flatten(ctx, w, ls, files))
}

// FilesFor picks the spec files meant for one container, in their order,
// for Flatten.
func FilesFor(files []contract.File, container string) []contract.File {
	var mine []contract.File
	for _, f := range files {
		if f.Container == container {
			mine = append(mine, f)
		}
	}
	return mine
}
