package artifact

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/klauspost/compress/zstd"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// diskLayer is a raw disk image compressed with zstd into a file, so that
// a retried upload reads the same bytes again and memory stays bounded
// whatever the image's size.
type diskLayer struct {
	raw, comp string
	digest    v1.Hash // of the compressed bytes
	diffID    v1.Hash // of the raw image
	size      int64   // compressed
	rawSize   int64
}

var _ v1.Layer = (*diskLayer)(nil)

// compressDisk compresses the raw image at raw into a file in dir.
func compressDisk(raw, dir string) (*diskLayer, error) {
	in, err := os.Open(raw)
	if err != nil {
		return nil, fmt.Errorf("reading artifact: %w", err)
	}
	defer in.Close()
	out, err := os.CreateTemp(dir, "disk-*.zst")
	if err != nil {
		return nil, fmt.Errorf("compressing the disk: %w", err)
	}
	l := &diskLayer{raw: raw, comp: out.Name()}
	ok := false
	defer func() {
		if !ok {
			out.Close()
			os.Remove(out.Name())
		}
	}()
	ch := sha256.New()
	zw, err := zstd.NewWriter(io.MultiWriter(out, ch), zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("compressing the disk: %w", err)
	}
	rh := sha256.New()
	n, err := io.Copy(io.MultiWriter(zw, rh), in)
	if err != nil {
		zw.Close()
		return nil, fmt.Errorf("compressing the disk %s: %w", raw, err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compressing the disk: %w", err)
	}
	fi, err := out.Stat()
	if err != nil {
		return nil, fmt.Errorf("compressing the disk: %w", err)
	}
	if err := out.Close(); err != nil {
		return nil, fmt.Errorf("compressing the disk: %w", err)
	}
	l.rawSize, l.size = n, fi.Size()
	l.digest = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(ch.Sum(nil))}
	l.diffID = v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(rh.Sum(nil))}
	ok = true
	return l, nil
}

func (l *diskLayer) Digest() (v1.Hash, error)             { return l.digest, nil }
func (l *diskLayer) DiffID() (v1.Hash, error)             { return l.diffID, nil }
func (l *diskLayer) Size() (int64, error)                 { return l.size, nil }
func (l *diskLayer) MediaType() (types.MediaType, error)  { return MediaDisk, nil }
func (l *diskLayer) Compressed() (io.ReadCloser, error)   { return os.Open(l.comp) }
func (l *diskLayer) Uncompressed() (io.ReadCloser, error) { return os.Open(l.raw) }

// remove deletes the compressed file.
func (l *diskLayer) remove() { os.Remove(l.comp) }

func (l *diskLayer) descriptor() v1.Descriptor {
	return v1.Descriptor{
		MediaType: MediaDisk,
		Digest:    l.digest,
		Size:      l.size,
		Annotations: map[string]string{
			AnnotationTitle:      "disk.img",
			AnnotationDiskSHA256: l.diffID.String(),
			AnnotationDiskSize:   strconv.FormatInt(l.rawSize, 10),
		},
	}
}
