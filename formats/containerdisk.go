package formats

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/internal/ctxio"
)

// KubeVirt's containerDisk conventions: the disk in /disk/, readable by
// the qemu user of its virt-launcher pods (uid and gid 107).
const (
	ContainerDiskPath = "disk/disk.img"
	ContainerDiskUID  = 107
	ContainerDiskGID  = 107
)

// Annotations of the containerDisk's manifest, beside the OCI ones.
const (
	AnnotationPod    = "org.hyperbuild.pod"
	AnnotationFormat = "org.hyperbuild.format"
)

// ContainerDisk returns the hyper artifact at rawPath (a raw or raw-bios
// image) as a KubeVirt containerDisk: an OCI image of one gzip'd layer
// holding /disk/disk.img, owned 107:107, for linux/amd64. It reads
// rawPath each time a layer's content is asked for (to digest, to push,
// to write), so the file must stay as it is while the image is in use.
// The image is reproducible: its times are WithEpoch's.
func ContainerDisk(rawPath string, opts ...Option) (v1.Image, error) {
	return containerDiskImage(context.Background(), rawPath, makeOptions(opts), "")
}

// containerDiskImage makes the image. With cache set, the layer is
// compressed once into that file, which the image then reads, rather than
// compressed again each time its digest, size or content is asked for;
// the bytes are the same either way.
func containerDiskImage(ctx context.Context, rawPath string, o options, cache string) (v1.Image, error) {
	img, err := disk.Open(rawPath)
	if err != nil {
		return nil, fmt.Errorf("containerdisk from %s: %w", rawPath, err)
	}
	m := img.Manifest()
	img.Close()
	fi, err := os.Stat(rawPath)
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("containerdisk from %s: a --format dir artifact has no disk image; build a raw one", rawPath)
	}
	size := fi.Size()
	open := func() (io.ReadCloser, error) { return diskTar(ctx, rawPath, size, o.epoch) }
	if cache != "" {
		if err := compressTo(cache, open); err != nil {
			return nil, fmt.Errorf("containerdisk layer: %w", err)
		}
		open = func() (io.ReadCloser, error) { return os.Open(cache) }
	}
	layer, err := tarball.LayerFromOpener(open, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, fmt.Errorf("containerdisk layer: %w", err)
	}
	base := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	base = mutate.ConfigMediaType(base, types.OCIConfigJSON)
	created := v1.Time{Time: o.epoch}
	base, err = mutate.ConfigFile(base, &v1.ConfigFile{
		Architecture: "amd64", OS: "linux", Created: created,
		Config: v1.Config{Labels: map[string]string{AnnotationPod: m.Pod}},
	})
	if err != nil {
		return nil, err
	}
	out, err := mutate.Append(base, mutate.Addendum{
		Layer:   layer,
		History: v1.History{Created: created, CreatedBy: "hyperbuild --format containerdisk", Comment: "KubeVirt containerDisk"},
	})
	if err != nil {
		return nil, fmt.Errorf("containerdisk image: %w", err)
	}
	ann := mutate.Annotations(out, map[string]string{
		"org.opencontainers.image.created": o.epoch.Format(time.RFC3339),
		"org.opencontainers.image.title":   m.Pod,
		AnnotationPod:                      m.Pod,
		AnnotationFormat:                   string(ContainerDiskFormat),
	})
	return ann.(v1.Image), nil
}

// compressTo writes the layer that open reads to path, gzip'd as
// go-containerregistry's tarball layers are (compress/gzip, BestSpeed, no
// header fields), so that the digest is the one ContainerDisk gives.
func compressTo(path string, open func() (io.ReadCloser, error)) error {
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	zw, err := gzip.NewWriterLevel(bw, gzip.BestSpeed)
	if err != nil {
		return err
	}
	if _, err := io.CopyBuffer(zw, rc, make([]byte, 1<<20)); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

// diskTar streams the layer: disk/ and disk/disk.img, 107:107.
func diskTar(ctx context.Context, rawPath string, size int64, epoch time.Time) (io.ReadCloser, error) {
	f, err := os.Open(rawPath)
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	go func() {
		defer f.Close()
		tw := tar.NewWriter(pw)
		err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: "disk/", Mode: 0o755,
			Uid: ContainerDiskUID, Gid: ContainerDiskGID, ModTime: epoch, Format: tar.FormatPAX})
		if err == nil {
			err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: ContainerDiskPath, Mode: 0o644, Size: size,
				Uid: ContainerDiskUID, Gid: ContainerDiskGID, ModTime: epoch, Format: tar.FormatPAX})
		}
		if err == nil {
			var n int64
			n, err = io.CopyBuffer(tw, ctxio.Reader(ctx, io.LimitReader(f, size)), make([]byte, 1<<20))
			if err == nil && n != size {
				err = fmt.Errorf("%s changed while being read: %d bytes, want %d", rawPath, n, size)
			}
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, nil
}

// containerDisk writes the image as an OCI image layout in a tar (what
// skopeo calls oci-archive:, podman load and docker load read): blobs,
// then index.json and oci-layout, every header with the epoch's time.
func (o options) containerDisk(ctx context.Context, raw, out string) error {
	cache := filepath.Join(filepath.Dir(out), "layer.tar.gz")
	defer os.Remove(cache)
	img, err := containerDiskImage(ctx, raw, o, cache)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := writeOCIArchive(ctx, f, img, o.epoch); err != nil {
		return err
	}
	return f.Close()
}

func writeOCIArchive(ctx context.Context, w io.Writer, img v1.Image, epoch time.Time) error {
	tw := tar.NewWriter(w)
	dir := func(name string) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX})
	}
	file := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: size, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
		n, err := io.CopyBuffer(tw, ctxio.Reader(ctx, r), make([]byte, 1<<20))
		if err == nil && n != size {
			err = fmt.Errorf("%s: wrote %d bytes, want %d", name, n, size)
		}
		return err
	}
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	man, err := img.RawManifest()
	if err != nil {
		return err
	}
	mdig, err := img.Digest()
	if err != nil {
		return err
	}
	if err := dir("blobs/"); err != nil {
		return err
	}
	if err := dir("blobs/sha256/"); err != nil {
		return err
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		size, err := l.Size()
		if err != nil {
			return err
		}
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		err = file("blobs/sha256/"+d.Hex, size, rc)
		rc.Close()
		if err != nil {
			return fmt.Errorf("writing the layer: %w", err)
		}
	}
	if err := file("blobs/sha256/"+cfgName.Hex, int64(len(cfg)), bytes.NewReader(cfg)); err != nil {
		return err
	}
	if err := file("blobs/sha256/"+mdig.Hex, int64(len(man)), bytes.NewReader(man)); err != nil {
		return err
	}
	idx, err := json.Marshal(v1.IndexManifest{
		SchemaVersion: 2, MediaType: types.OCIImageIndex,
		Manifests: []v1.Descriptor{{MediaType: types.OCIManifestSchema1, Digest: mdig, Size: int64(len(man)),
			Annotations: map[string]string{"org.opencontainers.image.ref.name": "latest"}}},
	})
	if err != nil {
		return err
	}
	if err := file("index.json", int64(len(idx)), bytes.NewReader(idx)); err != nil {
		return err
	}
	layout := []byte(`{"imageLayoutVersion":"1.0.0"}`)
	if err := file("oci-layout", int64(len(layout)), bytes.NewReader(layout)); err != nil {
		return err
	}
	return tw.Close()
}
