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

// pin records the image's manifest and config in the cache.
func pin(c *cache.Cache, src v1.Image) (*Image, error) {
	digest, err := src.Digest()
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	raw, err := src.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("reading manifest: %w", err)
	}
	m, err := v1.ParseManifest(bytesReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrCorrupt, err)
	}
	rawCfg, err := c.ReadFile(cache.Blobs, m.Config.Digest.String())
	if err != nil {
		if rawCfg, err = src.RawConfigFile(); err != nil {
			return nil, fmt.Errorf("reading config: %w", err)
		}
	}
	if err := c.PutBytes(cache.Blobs, digest.String(), raw); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if err := c.PutBytes(cache.Blobs, m.Config.Digest.String(), rawCfg); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return build(c, digest.String(), m, rawCfg)
}

// pinCached reads a pinned image's manifest and config from the cache.
func pinCached(c *cache.Cache, digest string) (*Image, error) {
	raw, err := c.ReadFile(cache.Blobs, digest)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOffline, err)
	}
	m, err := v1.ParseManifest(bytesReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: cached manifest: %v", ErrCorrupt, err)
	}
	rawCfg, err := c.ReadFile(cache.Blobs, m.Config.Digest.String())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrOffline, err)
	}
	return build(c, digest, m, rawCfg)
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
