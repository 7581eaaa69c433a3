package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"

	"github.com/hyperbuild/hyper/internal/scratch"
	"github.com/hyperbuild/hyper/internal/units"
	"github.com/hyperbuild/hyper/layers/cache"
)

// pullScratch prefixes Fetch's work directories in pulledDir; outScratch
// Pull's beside its output, hyperbuild's own (builder.ScratchPrefix).
const (
	pullScratch = ".pull-"
	outScratch  = ".hyperbuild-"
)

// pulledDir is where Fetch keeps pulled disks, under the cache:
// pulled/HEX.img, HEX the manifest digest's.
const pulledDir = "pulled"

// Pulled says what a pull fetched.
type Pulled struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	Pinned string `json:"pinned"`
	// Path is the disk image written (Pull) or cached (Fetch).
	Path string `json:"path"`
	Pod  string `json:"pod,omitempty"`
	// Size is the disk's size, Received the bytes of response bodies
	// (0 when the cache had it all).
	Size     int64 `json:"size"`
	Received int64 `json:"received"`
	Cached   bool  `json:"cached"`
}

// Fetch makes the pod artifact ref available in the cache, verified, and
// returns where: a REF@sha256: the cache holds needs no network; a tag is
// asked of the registry, and when it cannot be reached, the digest it
// last resolved to is used if cached (as image pulls do).
func Fetch(ctx context.Context, ref string, opts ...Option) (*Pulled, error) {
	o := makeOptions(opts...)
	r, err := o.parseRef(ref)
	if err != nil {
		return nil, err
	}
	c, err := o.cache()
	if err != nil {
		return nil, err
	}
	if d, ok := r.(name.Digest); ok {
		if p, err := o.cached(c, r, d.DigestStr()); err == nil {
			return p, nil
		}
	}
	counter := &countingTransport{next: o.transport}
	puller, err := remote.NewPuller(append(o.remote(ctx), remote.WithTransport(counter))...)
	if err != nil {
		return nil, err
	}
	digest, raw, m, err := o.manifest(ctx, puller, r)
	if err != nil {
		if errors.Is(err, ErrUnreachable) {
			if _, byTag := r.(name.Tag); byTag {
				if d, cerr := c.Ref(r.Name()); cerr == nil {
					if p, cerr := o.cached(c, r, d); cerr == nil {
						fmt.Fprintf(o.progress, "pull: %s unreachable; using %s from the cache\n", r.Context().RegistryStr(), d)
						return p, nil
					}
				}
			}
		}
		return nil, err
	}
	if p, err := o.cached(c, r, digest.String()); err == nil {
		_ = c.SetRef(r.Name(), digest.String())
		return p, nil
	}
	parts, err := podParts(ref, m)
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(c.Dir(), pulledDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref, err)
	}
	// A pull killed with SIGKILL leaves its work directory (the disk, in
	// part) behind: the next pull sweeps it, once its owner's lock is free.
	scratch.Sweep(dir, pullScratch)
	work, err := scratch.New(dir, pullScratch)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref, err)
	}
	defer work.Close()
	tmp, err := o.downloadDisk(ctx, puller, r.Context(), parts, work.Path)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref, err)
	}
	final := filepath.Join(dir, digest.Hex+".img")
	if err := os.Rename(tmp, final); err != nil {
		os.Remove(tmp)
		return nil, fmt.Errorf("pulling %s: %w", ref, err)
	}
	// The manifest goes in last: an image in pulled/ without it is not
	// used (cached), and the next Fetch writes it again.
	if err := c.PutBytes(cache.Blobs, digest.String(), raw); err != nil {
		return nil, fmt.Errorf("pulling %s: caching its manifest: %w", ref, err)
	}
	_ = c.SetRef(r.Name(), digest.String())
	return &Pulled{
		Ref: ref, Digest: digest.String(), Pinned: r.Context().Digest(digest.String()).String(),
		Path: final, Pod: m.Annotations[AnnotationPod], Size: parts.size, Received: counter.received.Load(),
	}, nil
}

// cached returns the pulled disk of manifest digest if the cache holds it
// and it still matches the manifest's recorded sha256 and size.
func (o *options) cached(c *cache.Cache, r name.Reference, digest string) (*Pulled, error) {
	raw, err := c.ReadFile(cache.Blobs, digest)
	if err != nil {
		return nil, err
	}
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("%w: cached manifest %s: %v", ErrBadArtifact, digest, err)
	}
	parts, err := podParts(r.String(), m)
	if err != nil {
		return nil, err
	}
	h, _ := strings.CutPrefix(digest, "sha256:")
	path := filepath.Join(c.Dir(), pulledDir, h+".img")
	if err := verifyFile(path, parts.size, parts.sum); err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(o.progress, "pull: cached %s: %v; pulling it again\n", path, err)
			os.Remove(path)
		}
		return nil, err
	}
	now := time.Now()
	_ = os.Chtimes(path, now, now) // used: cache prune --older-than keeps it
	return &Pulled{Ref: r.String(), Digest: digest, Pinned: r.Context().Digest(digest).String(), Path: path, Pod: m.Annotations[AnnotationPod], Size: parts.size, Cached: true}, nil
}

// Pull fetches ref (Fetch) and writes its disk image to out, replacing it
// by a rename once the copy is complete. The caller checks that out may
// be written.
func Pull(ctx context.Context, ref, out string, opts ...Option) (*Pulled, error) {
	p, err := Fetch(ctx, ref, opts...)
	if err != nil {
		return nil, err
	}
	in, err := os.Open(p.Path)
	if err != nil {
		return nil, fmt.Errorf("pulling %s: %w", ref, err)
	}
	defer in.Close()
	// The copy is made in a locked work directory beside out (hyperbuild's
	// prefix, so that the next build or pull there sweeps what a killed
	// pull left) and renamed into place when whole.
	scratch.Sweep(filepath.Dir(out), outScratch)
	work, err := scratch.New(filepath.Dir(out), outScratch)
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", out, err)
	}
	defer work.Close()
	f, err := os.Create(work.Join("pull.img"))
	if err != nil {
		return nil, fmt.Errorf("writing %s: %w", out, err)
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if _, err := writeSparse(ctx, f, in, nil); err != nil {
		return nil, fmt.Errorf("writing %s: %w", out, err)
	}
	if err := f.Truncate(p.Size); err != nil {
		return nil, fmt.Errorf("writing %s: %w", out, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return nil, fmt.Errorf("writing %s: %w", out, err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("writing %s: %w", out, err)
	}
	if err := os.Rename(f.Name(), out); err != nil {
		return nil, fmt.Errorf("writing %s: %w", out, err)
	}
	ok = true
	p.Path = out
	return p, nil
}

// manifest fetches ref's manifest: bounded, its digest checked against a
// REF@sha256: reference.
func (o *options) manifest(ctx context.Context, puller *remote.Puller, r name.Reference) (v1.Hash, []byte, *v1.Manifest, error) {
	desc, err := puller.Get(ctx, r)
	if err != nil {
		return v1.Hash{}, nil, nil, fmt.Errorf("fetching %s: %w", r, explain(err))
	}
	if len(desc.Manifest) > maxManifest {
		return v1.Hash{}, nil, nil, fmt.Errorf("%w: %s: manifest of %d bytes, more than %d", ErrBadArtifact, r, len(desc.Manifest), maxManifest)
	}
	sum := sha256.Sum256(desc.Manifest)
	digest := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
	if d, ok := r.(name.Digest); ok && d.DigestStr() != digest.String() {
		return v1.Hash{}, nil, nil, fmt.Errorf("%w: %s: the registry served a manifest of digest %s", ErrDigestMismatch, r, digest)
	}
	if desc.MediaType.IsIndex() {
		return v1.Hash{}, nil, nil, fmt.Errorf("%w: %s is an image index (%s), such as a multi-platform container image; hyperbuild pull and hyperboot take what hyperbuild push pushed", ErrNotArtifact, r, desc.MediaType)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		return v1.Hash{}, nil, nil, fmt.Errorf("%w: %s: %v", ErrBadArtifact, r, err)
	}
	return digest, desc.Manifest, m, nil
}

// kindOf is what a manifest holds: its artifactType, else (an artifact
// pushed by a tool that drops it, or an image) its config's media type.
func kindOf(m *v1.Manifest) string {
	if m.ArtifactType != "" {
		return m.ArtifactType
	}
	return string(m.Config.MediaType)
}

// checkKind refuses a manifest that is not of the kind want, saying what
// it is instead.
func checkKind(ref string, m *v1.Manifest, want string) error {
	got := kindOf(m)
	if got == want {
		return nil
	}
	var what string
	switch got {
	case ArtifactType:
		what = "a hyper pod artifact, not a hyperkernel"
	case KernelArtifactType:
		what = "a hyperkernel, not a pod artifact (use it with --kernel-image or kernel { image })"
	case string(types.OCIConfigJSON), string(types.DockerConfigJSON):
		what = fmt.Sprintf("a container image (config %s); put it in a pod file as an image, or push an artifact with hyperbuild push", got)
	default:
		what = fmt.Sprintf("an artifact of type %q", got)
	}
	return fmt.Errorf("%w: %s is %s", ErrNotArtifact, ref, what)
}

// podDisk is the disk layer of a pod artifact and what it unpacks to.
type podDisk struct {
	desc v1.Descriptor
	size int64
	sum  v1.Hash
}

// podParts checks a pod artifact's manifest and finds its disk.
func podParts(ref string, m *v1.Manifest) (podDisk, error) {
	if err := checkKind(ref, m, ArtifactType); err != nil {
		return podDisk{}, err
	}
	var disks []v1.Descriptor
	for _, l := range m.Layers {
		if l.MediaType == MediaDisk {
			disks = append(disks, l)
		}
	}
	if len(disks) != 1 {
		return podDisk{}, fmt.Errorf("%w: %s has %d disk layers (%s), want one", ErrBadArtifact, ref, len(disks), MediaDisk)
	}
	d := disks[0]
	size, err := strconv.ParseInt(d.Annotations[AnnotationDiskSize], 10, 64)
	if err != nil || size <= 0 || size > maxDisk {
		return podDisk{}, fmt.Errorf("%w: %s: disk size %q: want 1 to %d bytes", ErrBadArtifact, ref, d.Annotations[AnnotationDiskSize], int64(maxDisk))
	}
	sum, err := v1.NewHash(d.Annotations[AnnotationDiskSHA256])
	if err != nil || sum.Algorithm != "sha256" {
		return podDisk{}, fmt.Errorf("%w: %s: disk sha256 %q: want sha256:HEX", ErrBadArtifact, ref, d.Annotations[AnnotationDiskSHA256])
	}
	if d.Size <= 0 || d.Size > maxDisk {
		return podDisk{}, fmt.Errorf("%w: %s: disk layer of %d bytes", ErrBadArtifact, ref, d.Size)
	}
	return podDisk{desc: d, size: size, sum: sum}, nil
}

// downloadDisk writes the disk layer, decompressed, into a new file in
// dir and returns its path once the blob's digest and the disk's sha256
// and size all match.
func (o *options) downloadDisk(ctx context.Context, puller *remote.Puller, repo name.Repository, p podDisk, dir string) (string, error) {
	fmt.Fprintf(o.progress, "pull: disk.img (%s, %s compressed)\n", units.Human(p.size), units.Human(p.desc.Size))
	l, err := puller.Layer(ctx, repo.Digest(p.desc.Digest.String()))
	if err != nil {
		return "", explain(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return "", explain(err)
	}
	defer rc.Close()
	ch := sha256.New()
	comp := &countReader{r: io.TeeReader(io.LimitReader(rc, p.desc.Size+1), ch)}
	zr, err := zstd.NewReader(comp, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30), zstd.WithDecoderMaxWindow(64<<20))
	if err != nil {
		return "", err
	}
	defer zr.Close()
	f, err := os.CreateTemp(dir, ".pull-*.img")
	if err != nil {
		return "", err
	}
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	rh := sha256.New()
	n, werr := writeSparse(ctx, f, io.LimitReader(zr, p.size+1), rh)
	if werr != nil && !errors.As(werr, new(readError)) {
		return "", werr // the context, or writing the file
	}
	// What zstd did not read (padding, or all of it after a decoding
	// error) still counts: a blob that does not match its digest is
	// reported as such, whatever the decoder made of it.
	if _, err := io.Copy(io.Discard, comp); err != nil {
		return "", mismatch(err)
	}
	if got := "sha256:" + hex.EncodeToString(ch.Sum(nil)); comp.n != p.desc.Size || got != p.desc.Digest.String() {
		return "", fmt.Errorf("%w: disk layer: got %d bytes of %s, want %d bytes of %s", ErrDigestMismatch, comp.n, got, p.desc.Size, p.desc.Digest)
	}
	if werr != nil {
		return "", fmt.Errorf("%w: disk layer %s: %v", ErrBadArtifact, p.desc.Digest, werr)
	}
	if got := "sha256:" + hex.EncodeToString(rh.Sum(nil)); n != p.size || got != p.sum.String() {
		return "", fmt.Errorf("%w: disk.img: got %d bytes of %s, want %d bytes of %s", ErrDigestMismatch, n, got, p.size, p.sum)
	}
	if err := f.Truncate(n); err != nil {
		return "", err
	}
	if err := f.Chmod(0o444); err != nil {
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	ok = true
	return f.Name(), nil
}

// mismatch classifies go-containerregistry's verifying reader's failure,
// which says so only in its message.
func mismatch(err error) error {
	if strings.Contains(err.Error(), "error verifying") {
		return fmt.Errorf("%w: %v", ErrDigestMismatch, err)
	}
	return err
}

type countReader struct {
	r io.Reader
	n int64
}

func (c *countReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// verifyFile checks a file's size and sha256.
func verifyFile(path string, size int64, sum v1.Hash) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return err
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); n != size || got != sum.String() {
		return fmt.Errorf("%w: %s is %d bytes of %s, want %d bytes of %s", ErrDigestMismatch, path, n, got, size, sum)
	}
	return nil
}
