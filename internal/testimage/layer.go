package testimage

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"path"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Epoch is the modification time of every entry the helpers below make:
// fixed, with nanoseconds, so tests can check that times survive.
var Epoch = time.Unix(1700000000, 123456789).UTC()

// Entry is one tar entry of a layer: a header and, for regular files, its
// data (Header.Size is set from Data when it is zero).
type Entry struct {
	Header tar.Header
	Data   []byte
}

func entry(name string, typ byte, mode int64) Entry {
	return Entry{Header: tar.Header{
		Name: name, Typeflag: typ, Mode: mode, ModTime: Epoch,
		Format: tar.FormatPAX,
	}}
}

// File is a regular file.
func File(name string, mode int64, data string) Entry {
	e := entry(name, tar.TypeReg, mode)
	e.Data = []byte(data)
	return e
}

// Dir is a directory.
func Dir(name string, mode int64) Entry { return entry(name, tar.TypeDir, mode) }

// Symlink is a symbolic link to target, kept verbatim.
func Symlink(name, target string) Entry {
	e := entry(name, tar.TypeSymlink, 0o777)
	e.Header.Linkname = target
	return e
}

// Hardlink is a hard link to target (a path in the image).
func Hardlink(name, target string) Entry {
	e := entry(name, tar.TypeLink, 0o644)
	e.Header.Linkname = target
	return e
}

// Device is a character (tar.TypeChar) or block (tar.TypeBlock) device.
func Device(name string, typ byte, major, minor int64) Entry {
	e := entry(name, typ, 0o660)
	e.Header.Devmajor, e.Header.Devminor = major, minor
	return e
}

// Whiteout hides name in the layers below: an empty file .wh.BASE.
func Whiteout(name string) Entry {
	dir, base := path.Split(name)
	return entry(dir+".wh."+base, tar.TypeReg, 0o644)
}

// Opaque hides everything the layers below put in dir.
func Opaque(dir string) Entry {
	return entry(path.Join(dir, ".wh..wh..opq"), tar.TypeReg, 0o644)
}

// With returns e with f applied to its header (owner, xattrs, ...).
func (e Entry) With(f func(h *tar.Header)) Entry {
	f(&e.Header)
	return e
}

// Tar writes entries as an uncompressed tar stream.
func Tar(entries ...Entry) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := e.Header
		if h.Typeflag == tar.TypeReg && h.Size == 0 {
			h.Size = int64(len(e.Data))
		}
		if err := tw.WriteHeader(&h); err != nil {
			return nil, fmt.Errorf("writing %s: %w", h.Name, err)
		}
		if _, err := tw.Write(e.Data); err != nil {
			return nil, fmt.Errorf("writing %s: %w", h.Name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, fmt.Errorf("closing tar: %w", err)
	}
	return buf.Bytes(), nil
}

// Layer makes a gzip-compressed layer of entries.
func Layer(entries ...Entry) (v1.Layer, error) {
	b, err := Tar(entries...)
	if err != nil {
		return nil, err
	}
	return LayerFromTar(b)
}

// LayerFromTar makes a gzip-compressed layer of raw, possibly malformed,
// tar bytes.
func LayerFromTar(b []byte) (v1.Layer, error) {
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	})
}

// SizeClaim is a raw tar stream whose one file's header claims size bytes
// but which holds only data: a truncated or hostile layer.
func SizeClaim(name string, size int64, data []byte) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	h := entry(name, tar.TypeReg, 0o644).Header
	h.Size = size
	_ = tw.WriteHeader(&h) // into a bytes.Buffer: cannot fail
	_, _ = tw.Write(data)
	return buf.Bytes() // not closed: the stream stops short
}
