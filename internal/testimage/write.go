package testimage

import (
	"archive/tar"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// refName is the annotation skopeo's oci:DIR:TAG looks up.
const refName = "org.opencontainers.image.ref.name"

// WriteLayout writes img into the OCI layout dir (created or appended to),
// tagged tag (no tag annotation when tag is empty).
func WriteLayout(dir string, img v1.Image, tag string) error {
	p, err := openLayout(dir)
	if err != nil {
		return err
	}
	if err := p.AppendImage(img, annotations(tag)...); err != nil {
		return fmt.Errorf("writing image to %s: %w", dir, err)
	}
	return nil
}

// WriteIndexLayout writes a multi-platform index into the OCI layout dir.
func WriteIndexLayout(dir string, idx v1.ImageIndex, tag string) error {
	p, err := openLayout(dir)
	if err != nil {
		return err
	}
	if err := p.AppendIndex(idx, annotations(tag)...); err != nil {
		return fmt.Errorf("writing index to %s: %w", dir, err)
	}
	return nil
}

func openLayout(dir string) (layout.Path, error) {
	if p, err := layout.FromPath(dir); err == nil {
		return p, nil
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return "", fmt.Errorf("creating layout %s: %w", dir, err)
	}
	return p, nil
}

func annotations(tag string) []layout.Option {
	if tag == "" {
		return nil
	}
	return []layout.Option{layout.WithAnnotations(map[string]string{refName: tag})}
}

// WriteDockerArchive writes img as `docker save` would, tagged ref
// (e.g. "busybox:1").
func WriteDockerArchive(file string, img v1.Image, ref string) error {
	tag, err := name.NewTag(ref)
	if err != nil {
		return fmt.Errorf("parsing tag %q: %w", ref, err)
	}
	if err := tarball.WriteToFile(file, tag, img); err != nil {
		return fmt.Errorf("writing docker archive %s: %w", file, err)
	}
	return nil
}

// WriteOCIArchive writes img as a tar of an OCI layout (oci-archive:).
func WriteOCIArchive(file string, img v1.Image, tag string) error {
	dir, err := os.MkdirTemp("", "testimage-oci-*")
	if err != nil {
		return fmt.Errorf("creating temp layout: %w", err)
	}
	defer os.RemoveAll(dir)
	if err := WriteLayout(dir, img, tag); err != nil {
		return err
	}
	return WriteTar(file, dir)
}

// WriteTar writes the tree under dir as the tar file file: an
// oci-archive: of a layout changed by hand.
func WriteTar(file, dir string) error {
	f, err := os.Create(file)
	if err != nil {
		return fmt.Errorf("creating %s: %w", file, err)
	}
	if err := tarDir(f, dir); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", file, err)
	}
	return f.Close()
}

func tarDir(w io.Writer, dir string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = filepath.ToSlash(rel)
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
}
