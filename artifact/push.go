package artifact

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/initrd"
	"github.com/hyperbuild/hyper/internal/scratch"
	"github.com/hyperbuild/hyper/internal/units"
)

// Pushed says what a push made.
type Pushed struct {
	// Ref is the reference pushed to, Digest the manifest's digest and
	// Pinned the two together (REPO@sha256:...), what a pipeline records.
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
	Pinned string `json:"pinned"`
	// Size is the sum of the manifest's blobs, Sent the bytes of request
	// bodies sent (blobs the registry already had are not sent again).
	Size int64 `json:"size"`
	Sent int64 `json:"sent"`
}

// emptyConfig is OCI 1.1's empty descriptor's content.
var emptyConfig = []byte("{}")

// pushScratch prefixes a push's work directory in the cache's tmp.
const pushScratch = "push-"

// Push pushes the raw artifact at path (an image written by hyperbuild)
// to ref as a pod artifact.
func Push(ctx context.Context, path, ref string, opts ...Option) (*Pushed, error) {
	o := makeOptions(opts...)
	r, err := o.parseRef(ref)
	if err != nil {
		return nil, err
	}
	m, pod, err := readArtifact(path)
	if err != nil {
		return nil, err
	}
	mb, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encoding manifest.json: %w", err)
	}
	c, err := o.cache()
	if err != nil {
		return nil, err
	}
	// A push killed with SIGKILL leaves its work directory (the
	// compressed disk, as large as the artifact's data) behind: the next
	// push sweeps it, once its owner's lock is free.
	scratch.Sweep(c.Dir()+"/tmp", pushScratch)
	work, err := scratch.New(c.Dir()+"/tmp", pushScratch)
	if err != nil {
		return nil, fmt.Errorf("pushing %s: %w", path, err)
	}
	defer work.Close()
	tmp := work.Path
	fmt.Fprintf(o.progress, "push: compressing %s (zstd)\n", path)
	dl, err := compressDisk(path, tmp)
	if err != nil {
		return nil, err
	}
	defer dl.remove()
	fmt.Fprintf(o.progress, "push: disk.img is %s, %s compressed\n", units.Human(dl.rawSize), units.Human(dl.size))
	layers := []v1.Layer{
		static.NewLayer(append(mb, '\n'), MediaManifest),
		static.NewLayer(pod, MediaPod),
		dl,
	}
	descs := []v1.Descriptor{
		descriptorOf(layers[0], "manifest.json"),
		descriptorOf(layers[1], "pod.json"),
		dl.descriptor(),
	}
	ann := map[string]string{
		AnnotationPod:           m.Pod,
		AnnotationKernelVersion: m.Kernel.Version,
	}
	if !m.Built.IsZero() {
		ann[AnnotationCreated] = m.Built.UTC().Format(time.RFC3339)
	}
	return o.push(ctx, r, ArtifactType, layers, descs, ann)
}

// readArtifact reads what Push puts beside the disk: the manifest, and
// the guest's copy of the contract from the initramfs.
func readArtifact(path string) (disk.Manifest, []byte, error) {
	img, err := disk.Open(path)
	if err != nil {
		return disk.Manifest{}, nil, err
	}
	defer img.Close()
	if img.Format() != "raw" {
		return disk.Manifest{}, nil, fmt.Errorf("pushing %s: it is a %s artifact; push takes a raw image (hyperbuild POD -o OUT.img)", path, img.Format())
	}
	rd, err := img.Initrd()
	if err != nil {
		return disk.Manifest{}, nil, fmt.Errorf("pushing %s: %w", path, err)
	}
	defer rd.Close()
	pod, err := initrd.ReadFile(rd, contract.Path)
	if err != nil {
		return disk.Manifest{}, nil, fmt.Errorf("pushing %s: reading %s from its initramfs: %w", path, contract.Path, err)
	}
	return img.Manifest(), pod, nil
}

func descriptorOf(l v1.Layer, title string) v1.Descriptor {
	d, _ := l.Digest() // static layers compute it from memory: no error
	n, _ := l.Size()
	mt, _ := l.MediaType()
	return v1.Descriptor{MediaType: mt, Digest: d, Size: n, Annotations: map[string]string{AnnotationTitle: title}}
}

// push uploads the empty config and the layers, then the manifest.
func (o *options) push(ctx context.Context, ref name.Reference, artifactType string, layers []v1.Layer, descs []v1.Descriptor, ann map[string]string) (*Pushed, error) {
	cfg := static.NewLayer(emptyConfig, MediaEmpty)
	cd := descriptorOf(cfg, "")
	cd.Annotations = nil
	cd.Data = emptyConfig
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  artifactType,
		Config:        cd,
		Layers:        descs,
		Annotations:   ann,
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("encoding the manifest: %w", err)
	}
	counter := &countingTransport{next: o.transport}
	pusher, err := remote.NewPusher(append(o.remote(ctx), remote.WithTransport(counter))...)
	if err != nil {
		return nil, err
	}
	var size int64
	for i, l := range append([]v1.Layer{cfg}, layers...) {
		n, _ := l.Size()
		size += n
		what := "config"
		if i > 0 {
			what = descs[i-1].Annotations[AnnotationTitle]
		}
		fmt.Fprintf(o.progress, "push: %s (%s)\n", what, units.Human(n))
		if err := pusher.Upload(ctx, ref.Context(), l); err != nil {
			return nil, fmt.Errorf("pushing %s to %s: %w", what, ref.Context(), explain(err))
		}
	}
	digest, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.progress, "push: manifest %s\n", digest)
	if err := pusher.Put(ctx, ref, rawManifest{raw, types.OCIManifestSchema1}); err != nil {
		return nil, fmt.Errorf("pushing the manifest to %s: %w", ref, explain(err))
	}
	return &Pushed{
		Ref:    ref.String(),
		Digest: digest.String(),
		Pinned: ref.Context().Digest(digest.String()).String(),
		Size:   size + int64(len(raw)),
		Sent:   counter.sent.Load(),
	}, nil
}

// PushImage pushes an image built elsewhere (a containerdisk) to ref:
// its blobs, then its manifest.
func PushImage(ctx context.Context, img v1.Image, ref string, opts ...Option) (*Pushed, error) {
	o := makeOptions(opts...)
	r, err := o.parseRef(ref)
	if err != nil {
		return nil, err
	}
	counter := &countingTransport{next: o.transport}
	pusher, err := remote.NewPusher(append(o.remote(ctx), remote.WithTransport(counter))...)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.progress, "push: image to %s\n", r)
	if err := pusher.Push(ctx, r, img); err != nil {
		return nil, fmt.Errorf("pushing to %s: %w", r, explain(err))
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	size, err := img.Size()
	if err != nil {
		return nil, err
	}
	ls, err := img.Layers()
	if err != nil {
		return nil, err
	}
	for _, l := range ls {
		n, err := l.Size()
		if err != nil {
			return nil, err
		}
		size += n
	}
	return &Pushed{Ref: r.String(), Digest: digest.String(), Pinned: r.Context().Digest(digest.String()).String(), Size: size, Sent: counter.sent.Load()}, nil
}

// rawManifest is a manifest's bytes as remote.Put takes them.
type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (m rawManifest) RawManifest() ([]byte, error)        { return m.b, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return m.mt, nil }
