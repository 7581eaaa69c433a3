package artifact

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hyperbuild/hyper/kernelcfg"
)

// kernelFiles are a hyperkernel image's layers: the file each becomes in
// the kernel cache entry, and its bound.
var kernelFiles = []struct {
	media types.MediaType
	file  string
	max   int64
}{
	{MediaBzImage, "bzImage", maxKernel},
	{MediaKernelConfig, "config", maxSmall},
	{MediaKernelVer, "version", maxSmall},
}

// PushKernel pushes a hyperkernel from the cache (Build or Cached: it has
// its final .config) to ref.
func PushKernel(ctx context.Context, k *kernelcfg.Kernel, ref string, opts ...Option) (*Pushed, error) {
	o := makeOptions(opts...)
	r, err := o.parseRef(ref)
	if err != nil {
		return nil, err
	}
	if k.Config == "" {
		return nil, fmt.Errorf("pushing kernel %s: it has no recorded configuration; push the hyperkernel (hyperbuild kernel), not a brought one", k.Path)
	}
	data := map[string][]byte{}
	for _, f := range []struct{ name, path string }{{"bzImage", k.Path}, {"config", k.Config}} {
		b, err := os.ReadFile(f.path)
		if err != nil {
			return nil, fmt.Errorf("pushing kernel: %w", err)
		}
		data[f.name] = b
	}
	data["version"] = []byte(k.Version + "\n")
	var layers []v1.Layer
	var descs []v1.Descriptor
	for _, f := range kernelFiles {
		l := static.NewLayer(data[f.file], f.media)
		layers = append(layers, l)
		descs = append(descs, descriptorOf(l, f.file))
	}
	ann := map[string]string{AnnotationKernelVersion: k.Version}
	if k.ConfigHash != "" {
		ann["org.hyper.kernel.config-sha256"] = k.ConfigHash
	}
	return o.push(ctx, r, KernelArtifactType, layers, descs, ann)
}

// PullKernel returns the hyperkernel image ref from the kernel cache,
// pulling it first if needed: a REF@sha256: the cache holds needs no
// network; a tag is asked of the registry (the digest it last resolved to
// is used when the registry cannot be reached). The kernel's Origin is
// the pinned reference, REPO@sha256:....
func PullKernel(ctx context.Context, ref string, opts ...Option) (*kernelcfg.Kernel, error) {
	o := makeOptions(opts...)
	r, err := o.parseRef(ref)
	if err != nil {
		return nil, err
	}
	var kopts []kernelcfg.Option
	if o.cacheDir != "" {
		kopts = append(kopts, kernelcfg.WithCacheDir(o.cacheDir))
	}
	if d, ok := r.(name.Digest); ok {
		if k, err := kernelcfg.ImageEntry(d.DigestStr(), kopts...); err == nil {
			return k, nil
		}
	}
	c, err := o.cache()
	if err != nil {
		return nil, err
	}
	puller, err := remote.NewPuller(o.remote(ctx)...)
	if err != nil {
		return nil, err
	}
	digest, _, m, err := o.manifest(ctx, puller, r)
	if err != nil {
		if _, byTag := r.(name.Tag); byTag && errors.Is(err, ErrUnreachable) {
			if d, cerr := c.Ref(r.Name()); cerr == nil {
				if k, kerr := kernelcfg.ImageEntry(d, kopts...); kerr == nil {
					fmt.Fprintf(o.progress, "kernel: %s unreachable; using %s from the cache\n", r.Context().RegistryStr(), d)
					return k, nil
				}
			}
		}
		return nil, fmt.Errorf("kernel image: %w", err)
	}
	if k, err := kernelcfg.ImageEntry(digest.String(), kopts...); err == nil {
		_ = c.SetRef(r.Name(), digest.String())
		return k, nil
	}
	if err := checkKind(ref, m, KernelArtifactType); err != nil {
		return nil, err
	}
	descs := map[types.MediaType]v1.Descriptor{}
	for _, l := range m.Layers {
		if _, dup := descs[l.MediaType]; dup {
			return nil, fmt.Errorf("%w: %s: two %s layers", ErrBadArtifact, ref, l.MediaType)
		}
		descs[l.MediaType] = l
	}
	tmp, err := kernelcfg.TempDir(kopts...)
	if err != nil {
		return nil, err
	}
	for _, f := range kernelFiles {
		d, ok := descs[f.media]
		if !ok {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("%w: %s has no %s layer (%s)", ErrBadArtifact, ref, f.file, f.media)
		}
		if d.Size <= 0 || d.Size > f.max {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("%w: %s: %s layer of %d bytes (at most %d)", ErrBadArtifact, ref, f.file, d.Size, f.max)
		}
		fmt.Fprintf(o.progress, "kernel: pulling %s (%d bytes)\n", f.file, d.Size)
		if err := fetchBlob(ctx, puller, r.Context(), d, filepath.Join(tmp, f.file)); err != nil {
			os.RemoveAll(tmp)
			return nil, fmt.Errorf("pulling kernel %s: %s: %w", ref, f.file, err)
		}
	}
	pinned := r.Context().Digest(digest.String()).String()
	k, err := kernelcfg.Adopt(tmp, digest.String(), pinned, kopts...)
	if err != nil {
		return nil, err
	}
	_ = c.SetRef(r.Name(), digest.String())
	return k, nil
}

// fetchBlob writes the blob d to path, checking its size and digest.
func fetchBlob(ctx context.Context, puller *remote.Puller, repo name.Repository, d v1.Descriptor, path string) error {
	l, err := puller.Layer(ctx, repo.Digest(d.Digest.String()))
	if err != nil {
		return explain(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return explain(err)
	}
	defer rc.Close()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(f, h), io.LimitReader(rc, d.Size+1))
	if err != nil {
		return mismatch(err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); n != d.Size || got != d.Digest.String() {
		return fmt.Errorf("%w: got %d bytes of %s, want %d bytes of %s", ErrDigestMismatch, n, got, d.Size, d.Digest)
	}
	return f.Close()
}

// IsPinned reports whether ref names a digest (REF@sha256:...).
func IsPinned(ref string) bool { return strings.Contains(ref, "@sha256:") }
