package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ti "github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/layers/cache"
)

func TestHostileAndSpecialImages(t *testing.T) {
	hostile, err := ti.Hostile()
	if err != nil {
		t.Fatal(err)
	}
	special, err := ti.Special()
	if err != nil {
		t.Fatal(err)
	}
	img, err := ti.Image(v1.Config{Cmd: []string{"/bin/ping"}}, special, hostile)
	if err != nil {
		t.Fatal(err)
	}
	host := ti.Serve(t, map[string]v1.Image{"o/hostile:1": img})
	got, err := newResolver(t).Resolve(context.Background(), host+"/o/hostile:1")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"bin/ 5 755", "dev/ 5 755", "etc/ 5 755", "home/ 5 755", "home/user/ 5 755", "tmp/ 5 1777",
		"bin/ping 0 4755 ping", "dev/null 3 660", "dev/vda 4 660", "dev/fifo 6 600", "home/user/.profile 0 600 export A=1\n",
		"etc/x 0 644 x", "abs 0 644 abs", "loop-a 2 777 -> loop-b", "loop-b 2 777 -> loop-a", "shadow 2 777 -> /etc/shadow", "dup 0 600 second",
	}
	if lines := flat(t, got); !slices.Equal(lines, want) {
		t.Errorf("got\n%q\nwant\n%q", lines, want)
	}
}

// tampering is an image A whose sources are made to lie, an image B to
// lie with, and the manifests that say something else about A.
type tampering struct {
	a, b       parts
	idx, idxB  []byte // indexes of A and of B, as pushed
	cfgPlus    []byte // A's manifest, its config one byte longer
	cfgMinus   []byte
	layerPlus  []byte // A's manifest, its first layer one byte longer
	layerMinus []byte
	imgA       v1.Image
	indexA     v1.ImageIndex
}

func newTampering(t *testing.T) *tampering {
	a := fixture(t)
	small, err := ti.Layer(ti.File("b", 0o644, "b"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := ti.Image(v1.Config{Cmd: []string{"/b"}}, small)
	if err != nil {
		t.Fatal(err)
	}
	idxA, err := ti.Index(a)
	if err != nil {
		t.Fatal(err)
	}
	idxB, err := ti.Index(b)
	if err != nil {
		t.Fatal(err)
	}
	tm := &tampering{a: partsOf(t, a), b: partsOf(t, b), imgA: a, indexA: idxA}
	if tm.idx, err = idxA.RawManifest(); err != nil {
		t.Fatal(err)
	}
	if tm.idxB, err = idxB.RawManifest(); err != nil {
		t.Fatal(err)
	}
	if int64(len(tm.b.layer0)) >= tm.a.m.Layers[0].Size {
		t.Fatalf("B's layer (%d bytes) must be smaller than A's (%d) for the swap to show its digest", len(tm.b.layer0), tm.a.m.Layers[0].Size)
	}
	edit := func(f func(m *v1.Manifest)) []byte { return editJSON(t, tm.a.raw, f) }
	tm.cfgPlus = edit(func(m *v1.Manifest) { m.Config.Size++ })
	tm.cfgMinus = edit(func(m *v1.Manifest) { m.Config.Size-- })
	tm.layerPlus = edit(func(m *v1.Manifest) { m.Layers[0].Size++ })
	tm.layerMinus = edit(func(m *v1.Manifest) { m.Layers[0].Size-- })
	return tm
}

// tamperCase is one lie and what the error must say about it.
type tamperCase struct {
	name string
	tag  string // in the layout and in the registry's o/a; "@DIGEST" there: by digest
	only string // "layout" or "registry" when the lie exists in one only
	// layout changes the layout; swap is the registry's (see blobCounter).
	layout func(t *testing.T, dir string)
	swap   map[string][]byte
	want   []string
}

// cases are the lies a layout and a registry must refuse. The tags
// cfg-plus, layer-minus, idx-plus... name the lying manifests and indexes
// (see lies).
func (tm *tampering) cases() []tamperCase {
	a, b := tm.a, tm.b
	cfg, l0 := a.m.Config, a.m.Layers[0]
	n := int64(len(a.raw))
	swapBlob := func(digest string, with []byte) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) { putBlobAs(t, dir, digest, with) }
	}
	sizeBy := func(delta int64) func(t *testing.T, dir string) {
		return func(t *testing.T, dir string) { editIndex(t, dir, "v1", func(d *v1.Descriptor) { d.Size += delta }) }
	}
	mismatch := func(want string, wantSize int64, got string, gotSize int64) string {
		return fmt.Sprintf("expected %s (%d bytes), got %s (%d bytes)", want, wantSize, got, gotSize)
	}
	return []tamperCase{
		{name: "index.json entry to other manifest", tag: "v1", only: "layout",
			layout: swapBlob(a.digest, b.raw),
			want:   []string{"manifest named by index.json: " + mismatch(a.digest, n, b.digest, int64(len(b.raw)))}},
		{name: "index.json entry size +1", tag: "v1", only: "layout", layout: sizeBy(+1),
			want: []string{"manifest named by index.json: " + mismatch(a.digest, n+1, a.digest, n)}},
		{name: "index.json entry size -1", tag: "v1", only: "layout", layout: sizeBy(-1),
			want: []string{"manifest named by index.json: " + mismatch(a.digest, n-1, a.digest, n)}},
		// remote checks a manifest fetched by digest before hyper does,
		// in its own words: both digests, in some order.
		{name: "digest reference to other manifest", tag: "@" + a.digest, only: "registry",
			swap: map[string][]byte{"/manifests/" + a.digest: b.raw},
			want: []string{a.digest, b.digest}},
		{name: "index.json entry to other index", tag: "nested", only: "layout",
			layout: swapBlob(sha(tm.idx), tm.idxB),
			want:   []string{"index named by index.json: " + mismatch(sha(tm.idx), int64(len(tm.idx)), sha(tm.idxB), int64(len(tm.idxB)))}},
		{name: "digest reference to other index", tag: "@" + sha(tm.idx), only: "registry",
			swap: map[string][]byte{"/manifests/" + sha(tm.idx): tm.idxB},
			want: []string{sha(tm.idx), sha(tm.idxB)}},
		{name: "index entry to other manifest", tag: "nested",
			layout: swapBlob(a.digest, b.raw),
			swap:   map[string][]byte{"/manifests/" + a.digest: b.raw},
			want:   []string{a.digest, b.digest}},
		{name: "index entry size +1", tag: "idx-plus",
			want: []string{"manifest named by index " + sha(tm.idxSized(+1)) + ": " + mismatch(a.digest, n+1, a.digest, n)}},
		{name: "index entry size -1", tag: "idx-minus",
			want: []string{"manifest named by index " + sha(tm.idxSized(-1)) + ": " + mismatch(a.digest, n-1, a.digest, n)}},
		{name: "config to other blob", tag: "v1",
			layout: swapBlob(cfg.Digest.String(), b.config),
			swap:   map[string][]byte{"/blobs/" + cfg.Digest.String(): b.config},
			want:   []string{"config named by manifest " + a.digest, cfg.Digest.String(), sha(b.config)}},
		{name: "config size +1", tag: "cfg-plus",
			want: []string{"config named by manifest " + sha(tm.cfgPlus) + ": " + mismatch(cfg.Digest.String(), cfg.Size+1, cfg.Digest.String(), cfg.Size)}},
		{name: "config size -1", tag: "cfg-minus",
			want: []string{"config named by manifest " + sha(tm.cfgMinus) + ": " + mismatch(cfg.Digest.String(), cfg.Size-1, cfg.Digest.String(), cfg.Size)}},
		{name: "layer to other blob", tag: "v1",
			layout: swapBlob(l0.Digest.String(), b.layer0),
			swap:   map[string][]byte{"/blobs/" + l0.Digest.String(): b.layer0},
			want:   []string{"compressed blob: " + mismatch(l0.Digest.String(), l0.Size, sha(b.layer0), int64(len(b.layer0)))}},
		{name: "layer size +1", tag: "layer-plus",
			want: []string{"compressed blob: " + mismatch(l0.Digest.String(), l0.Size+1, l0.Digest.String(), l0.Size)}},
		// Reading stops one byte past the size: what came is only
		// known to be larger.
		{name: "layer size -1", tag: "layer-minus",
			want: []string{fmt.Sprintf("compressed blob: expected %s (%d bytes), got more than %d bytes", l0.Digest, l0.Size-1, l0.Size-1)}},
	}
}

// idxSized is A's index with its entry's size off by delta.
func (tm *tampering) idxSized(delta int64) []byte {
	var im v1.IndexManifest
	if err := json.Unmarshal(tm.idx, &im); err != nil {
		panic(err)
	}
	im.Manifests[0].Size += delta
	b, err := json.Marshal(&im)
	if err != nil {
		panic(err)
	}
	return b
}

// lies are the manifests and indexes that say something else about A, by
// tag.
func (tm *tampering) lies() map[string]rawManifest {
	return map[string]rawManifest{
		"cfg-plus": {tm.cfgPlus, types.OCIManifestSchema1}, "cfg-minus": {tm.cfgMinus, types.OCIManifestSchema1},
		"layer-plus": {tm.layerPlus, types.OCIManifestSchema1}, "layer-minus": {tm.layerMinus, types.OCIManifestSchema1},
		"idx-plus": {tm.idxSized(+1), types.OCIImageIndex}, "idx-minus": {tm.idxSized(-1), types.OCIImageIndex},
	}
}

// layout writes A (tag v1), A's index (tag nested) and the lies into a
// new layout.
func (tm *tampering) layout(t *testing.T) string {
	dir := t.TempDir()
	if err := ti.WriteLayout(dir, tm.imgA, "v1"); err != nil {
		t.Fatal(err)
	}
	if err := ti.WriteIndexLayout(dir, tm.indexA, "nested"); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "index.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	raw = editJSON(t, raw, func(im *v1.IndexManifest) {
		for tag, lie := range tm.lies() {
			putBlob(t, dir, lie.b)
			h, _ := v1.NewHash(sha(lie.b))
			im.Manifests = append(im.Manifests, v1.Descriptor{MediaType: lie.mt, Digest: h, Size: int64(len(lie.b)),
				Annotations: map[string]string{refNameAnnotation: tag}})
		}
	})
	if err := os.WriteFile(p, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// push puts A's index and the lies into host's o/a.
func (tm *tampering) push(t *testing.T, host string) {
	ti.Push(t, host+"/o/a:nested", tm.indexA)
	for tag, lie := range tm.lies() {
		ti.Push(t, host+"/o/a:"+tag, lie)
	}
}

// putBlobAs writes b into the layout dir as the blob digest.
func putBlobAs(t *testing.T, dir, digest string, b []byte) {
	t.Helper()
	p := filepath.Join(dir, "blobs", "sha256", strings.TrimPrefix(digest, "sha256:"))
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func putBlob(t *testing.T, dir string, b []byte) { putBlobAs(t, dir, sha(b), b) }

// editIndex changes index.json's entry tagged tag.
func editIndex(t *testing.T, dir, tag string, edit func(*v1.Descriptor)) {
	t.Helper()
	p := filepath.Join(dir, "index.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b := editJSON(t, raw, func(im *v1.IndexManifest) {
		for i := range im.Manifests {
			if im.Manifests[i].Annotations[refNameAnnotation] == tag {
				edit(&im.Manifests[i])
			}
		}
	})
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// assertRefused checks that err is a digest mismatch naming every want.
func assertRefused(t *testing.T, err error, want []string) {
	t.Helper()
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("err = %v, want ErrDigestMismatch", err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\ndoes not say %q", err, w)
		}
	}
	t.Log(err)
}

// assertCacheVerified checks that every entry in the cache is what its
// name says and that nothing was left half written: a refused source
// leaves only what was verified.
func assertCacheVerified(t *testing.T, r *Resolver) {
	t.Helper()
	c, _ := r.Cache()
	for _, kind := range []cache.Kind{cache.Blobs, cache.Diffs} {
		for _, e := range mustReadDir(t, filepath.Join(c.Dir(), string(kind), "sha256")) {
			if err := c.Verify(kind, "sha256:"+e.Name()); err != nil {
				t.Errorf("cache: %v", err)
			}
		}
	}
	if des := mustReadDir(t, filepath.Join(c.Dir(), "tmp")); len(des) != 0 {
		t.Errorf("tmp holds %d entries after a refused pull", len(des))
	}
}

// TestTamperedLayout swaps each blob an OCI layout's descriptors name for
// another, or puts each size off by one, and expects oci: and oci-archive:
// to refuse it, naming what was expected and what came.
func TestTamperedLayout(t *testing.T) {
	tm := newTampering(t)
	for _, tc := range tm.cases() {
		if tc.only == "registry" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			dir := tm.layout(t)
			if tc.layout != nil {
				tc.layout(t, dir)
			}
			archive := filepath.Join(t.TempDir(), "o.tar")
			if err := ti.WriteTar(archive, dir); err != nil {
				t.Fatal(err)
			}
			for _, ref := range []string{"oci:" + dir + ":" + tc.tag, "oci-archive:" + archive + ":" + tc.tag} {
				r := newResolver(t)
				_, err := r.Resolve(context.Background(), ref)
				assertRefused(t, err, tc.want)
				assertCacheVerified(t, r)
			}
		})
	}
}

// TestTamperedRegistry is TestTamperedLayout for a registry: it serves
// other bytes than a digest names, or manifests whose sizes are off.
func TestTamperedRegistry(t *testing.T) {
	tm := newTampering(t)
	for _, tc := range tm.cases() {
		if tc.only == "layout" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			bc := &blobCounter{swap: tc.swap}
			host := ti.ServeWith(t, bc.wrap, map[string]v1.Image{"o/a:v1": tm.imgA})
			tm.push(t, host)
			ref := host + "/o/a:" + tc.tag
			if strings.HasPrefix(tc.tag, "@") {
				ref = host + "/o/a" + tc.tag
			}
			r := newResolver(t)
			_, err := r.Resolve(context.Background(), ref)
			assertRefused(t, err, tc.want)
			assertCacheVerified(t, r)
		})
	}
}

// TestTamperedCache reuses a warm cache for manifests that lie about the
// sizes of blobs the cache holds, and for a cached manifest swapped for
// another: the cache vouches for digests only.
func TestTamperedCache(t *testing.T) {
	tm := newTampering(t)
	host := ti.Serve(t, map[string]v1.Image{"o/a:v1": tm.imgA})
	tm.push(t, host)
	r := newResolver(t)
	ctx := context.Background()
	img, err := r.Resolve(ctx, host+"/o/a:v1")
	if err != nil {
		t.Fatal(err)
	}
	cfg, l0 := tm.a.m.Config, tm.a.m.Layers[0]

	_, err = r.Resolve(ctx, host+"/o/a:cfg-plus")
	assertRefused(t, err, []string{fmt.Sprintf("expected %s (%d bytes), got %s (%d bytes)", cfg.Digest, cfg.Size+1, cfg.Digest, cfg.Size)})

	// Without the unpacked layer, the cached blob is read again.
	c, _ := r.Cache()
	p, _ := c.Path(cache.Diffs, img.Layers[0].DiffID)
	os.Remove(p)
	_, err = r.Resolve(ctx, host+"/o/a:layer-plus")
	assertRefused(t, err, []string{fmt.Sprintf("compressed blob (cached): expected %s (%d bytes), got %s (%d bytes)", l0.Digest, l0.Size+1, l0.Digest, l0.Size)})

	// A cached manifest that is not what its digest names is dropped and
	// fetched again, not pinned.
	p, _ = c.Path(cache.Blobs, tm.a.digest)
	if err := os.WriteFile(p, tm.b.raw, 0o644); err != nil {
		t.Fatal(err)
	}
	img, err = r.Resolve(ctx, host+"/o/a@"+tm.a.digest)
	if err != nil {
		t.Fatal(err)
	}
	if img.Digest != tm.a.digest || len(img.Layers) != 2 {
		t.Errorf("pinned %s with %d layers, want %s with 2", img.Digest, len(img.Layers), tm.a.digest)
	}
}

// TestTamperedDockerArchive swaps a docker archive's config: its file name
// is the one digest such an archive has.
func TestTamperedDockerArchive(t *testing.T) {
	tm := newTampering(t)
	file := filepath.Join(t.TempDir(), "d.tar")
	if err := ti.WriteDockerArchive(file, tm.imgA, "a:1"); err != nil {
		t.Fatal(err)
	}
	cfg := tm.a.m.Config.Digest.String()
	rewriteTar(t, file, cfg, tm.b.config)
	r := newResolver(t)
	_, err := r.Resolve(context.Background(), "docker-archive:"+file)
	assertRefused(t, err, []string{fmt.Sprintf("expected %s (its name), got %s", cfg, sha(tm.b.config))})
	assertNoLayers(t, r)
}

// rewriteTar replaces the content of the entry name in the tar file.
func rewriteTar(t *testing.T, file, name string, data []byte) {
	t.Helper()
	in, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	tr := tar.NewReader(bytes.NewReader(in))
	found := false
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		if h.Name == name {
			body, h.Size, found = data, int64(len(data)), true
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if !found {
		t.Fatalf("no %s in %s", name, file)
	}
	if err := os.WriteFile(file, out.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestOversizedDocuments: an index, a manifest or a config is read into
// memory only up to 4 MiB, whatever its descriptor or the source claims.
func TestOversizedDocuments(t *testing.T) {
	tm := newTampering(t)
	big := editJSON(t, tm.a.raw, func(m *v1.Manifest) {
		m.Annotations = map[string]string{"pad": strings.Repeat("x", maxDocSize)}
	})
	tests := []struct {
		name   string
		layout func(t *testing.T, dir string)
		want   string
	}{
		{"index.json", func(t *testing.T, dir string) {
			p := filepath.Join(dir, "index.json")
			raw, _ := os.ReadFile(p)
			os.WriteFile(p, append(raw, bytes.Repeat([]byte(" "), maxDocSize)...), 0o644)
		}, "index.json is more than the 4194304 bytes"},
		{"manifest", func(t *testing.T, dir string) {
			putBlob(t, dir, big)
			editIndex(t, dir, "v1", func(d *v1.Descriptor) {
				d.Digest, d.Size = v1.Hash{Algorithm: "sha256", Hex: sha(big)[7:]}, int64(len(big))
			})
		}, "more than the 4194304 bytes"},
		{"config", func(t *testing.T, dir string) {
			raw := editJSON(t, tm.a.raw, func(m *v1.Manifest) { m.Config.Size = 1 << 40 })
			putBlob(t, dir, raw)
			editIndex(t, dir, "v1", func(d *v1.Descriptor) {
				d.Digest, d.Size = v1.Hash{Algorithm: "sha256", Hex: sha(raw)[7:]}, int64(len(raw))
			})
		}, "is 1099511627776 bytes, more than the 4194304"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := tm.layout(t)
			tt.layout(t, dir)
			_, err := newResolver(t).Resolve(context.Background(), "oci:"+dir+":v1")
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want ErrCorrupt saying %q", err, tt.want)
			}
		})
	}
	t.Run("registry manifest", func(t *testing.T) {
		host := ti.Serve(t, map[string]v1.Image{"o/a:v1": tm.imgA})
		ti.Push(t, host+"/o/a:big", rawManifest{big, types.OCIManifestSchema1})
		_, err := newResolver(t).Resolve(context.Background(), host+"/o/a:big")
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "more than the 4194304 bytes") {
			t.Fatalf("err = %v, want ErrCorrupt", err)
		}
	})
}
