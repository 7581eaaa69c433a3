package layers

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hyperbuild/hyper/layers/imageref"
)

// refNameAnnotation holds a tag in an OCI layout's index (oci:DIR:TAG).
const refNameAnnotation = "org.opencontainers.image.ref.name"

// fromLayout reads the manifest of the image tagged tag (the only one
// when tag is empty) in the OCI layout dir, every step checked against
// the descriptor that named it, starting from index.json.
func fromLayout(ctx context.Context, dir, tag string, want v1.Platform) (*source, error) {
	f, err := os.Open(filepath.Join(dir, "index.json"))
	if err != nil {
		return nil, fmt.Errorf("%w: no OCI layout at %s (no index.json)", ErrNotFound, dir)
	}
	defer f.Close()
	b, err := readLimited(f, maxDocSize, "index.json")
	if err != nil {
		return nil, err
	}
	im, err := v1.ParseIndexManifest(bytesReader(b))
	if err != nil {
		return nil, fmt.Errorf("%w: reading layout %s: index.json: %v", ErrCorrupt, dir, err)
	}
	var tags []string
	var found []v1.Descriptor
	for _, d := range im.Manifests {
		t := d.Annotations[refNameAnnotation]
		if t != "" {
			tags = append(tags, t)
		}
		if tag == "" || t == tag {
			found = append(found, d)
		}
	}
	switch {
	case len(found) == 0 && tag != "":
		return nil, fmt.Errorf("%w: no tag %q in the layout (tags: %s)", ErrNotFound, tag, strings.Join(tags, ", "))
	case len(found) == 0:
		return nil, fmt.Errorf("%w: the layout is empty", ErrNotFound)
	case len(found) > 1:
		return nil, fmt.Errorf("%w: the layout holds %d images: name one as oci:DIR:TAG (tags: %s)", ErrNotFound, len(found), strings.Join(tags, ", "))
	}
	return follow(ctx, layoutStore{dir}, found[0], want, "index.json")
}

// layoutStore reads blobs from an OCI layout's blobs/ directory.
type layoutStore struct{ dir string }

var _ manifestStore = layoutStore{}

func (l layoutStore) open(_ context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	// checkHash keeps the path inside blobs/.
	if err := checkHash(d.Digest, "blob"); err != nil {
		return nil, err
	}
	f, err := os.Open(filepath.Join(l.dir, "blobs", d.Digest.Algorithm, d.Digest.Hex))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: the layout has no blob %s", ErrCorrupt, d.Digest)
	}
	return f, err
}

func (l layoutStore) openManifest(ctx context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	return l.open(ctx, d)
}

// unpackLayout extracts an OCI archive (a tar of a layout) into dir,
// regular files and directories only, every name confined to dir.
func unpackLayout(file, dir string) error {
	f, err := os.Open(file)
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("%w: no file %s", ErrNotFound, file)
	}
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: %s is not a tar of an OCI layout: %v", ErrCorrupt, file, err)
		}
		name := filepath.Clean("/" + h.Name)
		p := filepath.Join(dir, name)
		switch h.Typeflag {
		case tar.TypeDir:
			err = os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			err = writeFile(p, tr)
		}
		if err != nil {
			return fmt.Errorf("unpacking %s: %w", file, err)
		}
	}
}

func writeFile(p string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	f, err := os.Create(p)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// localPath checks that a file or directory source exists.
func localPath(ref imageref.Ref) error {
	if _, err := os.Stat(ref.Path); err != nil {
		return fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	return nil
}
