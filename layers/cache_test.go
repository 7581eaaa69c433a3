package layers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ti "github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/layers/cache"
)

// flip changes one byte in the middle of a cached entry.
func flip(t *testing.T, c *cache.Cache, kind cache.Kind, digest string) {
	t.Helper()
	p, err := c.Path(kind, digest)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestCacheCorruption(t *testing.T) {
	var bc blobCounter
	host := ti.ServeWith(t, bc.wrap, map[string]v1.Image{"o/fixture:1": fixture(t)})
	r := newResolver(t)
	ctx := context.Background()
	img, err := r.Resolve(ctx, host+"/o/fixture:1")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := r.Cache()
	l := img.Layers[1]

	// A corrupt unpacked layer is unpacked again from the intact blob.
	before := bc.gets.Load()
	flip(t, c, cache.Diffs, l.DiffID)
	if img, err = r.Resolve(ctx, host+"/o/fixture:1"); err != nil {
		t.Fatal(err)
	}
	if n := bc.gets.Load() - before; n != 0 {
		t.Errorf("%d blob downloads to repair an unpacked layer, want 0", n)
	}
	if err := c.Verify(cache.Diffs, l.DiffID); err != nil {
		t.Errorf("not repaired: %v", err)
	}

	// A corrupt blob as well: fetched again.
	flip(t, c, cache.Diffs, l.DiffID)
	flip(t, c, cache.Blobs, l.Digest)
	before = bc.gets.Load()
	if img, err = r.Resolve(ctx, host+"/o/fixture:1"); err != nil {
		t.Fatal(err)
	}
	if n := bc.gets.Load() - before; n != 1 {
		t.Errorf("%d blob downloads to repair a blob, want 1", n)
	}
	if err := c.Verify(cache.Blobs, l.Digest); err != nil {
		t.Errorf("blob not repaired: %v", err)
	}
	if lines := flat(t, img); !slices.Equal(lines, fixtureLines) {
		t.Errorf("flattened after repair:\n%q", lines)
	}

	// Corrupted between Resolve and Flatten: Flatten notices.
	flip(t, c, cache.Diffs, l.DiffID)
	err = img.Flatten(ctx, &bytes.Buffer{}, nil)
	if !errors.Is(err, ErrDigestMismatch) {
		t.Errorf("Flatten of a corrupt layer = %v, want ErrDigestMismatch", err)
	}
}

func TestKilledPull(t *testing.T) {
	bc := blobCounter{stall: make(chan struct{})}
	noise := make([]byte, 1<<20) // incompressible: the blob stays big
	rand.New(rand.NewSource(1)).Read(noise)
	big, err := ti.Layer(ti.File("big", 0o644, string(noise)))
	if err != nil {
		t.Fatal(err)
	}
	img, err := ti.Image(v1.Config{Cmd: []string{"/big"}}, big)
	if err != nil {
		t.Fatal(err)
	}
	host := ti.ServeWith(t, bc.wrap, map[string]v1.Image{"o/big:1": img})
	r := newResolver(t)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-bc.stall // half the layer is downloaded: kill the pull
		cancel()
	}()
	done := make(chan error)
	go func() {
		_, err := r.Resolve(ctx, host+"/o/big:1")
		done <- err
	}()
	select {
	case err = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the pull was not stopped")
	}
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	assertNoLayers(t, r)
	d, _ := big.Digest()
	if c, _ := r.Cache(); c.Has(cache.Blobs, d.String()) {
		t.Error("the half-downloaded blob is in the cache")
	}
}

func TestOffline(t *testing.T) {
	img := fixture(t)
	dir := t.TempDir()
	ctx := context.Background()
	var host string
	t.Run("online", func(t *testing.T) {
		// The registry stops when this sub-test ends.
		host = ti.Serve(t, map[string]v1.Image{"o/fixture:1": img})
		if _, err := NewResolver(WithCacheDir(dir)).Resolve(ctx, host+"/o/fixture:1"); err != nil {
			t.Fatal(err)
		}
	})
	for _, ref := range []string{host + "/o/fixture:1", host + "/o/fixture@" + digestOf(t, img)} {
		got, err := NewResolver(WithCacheDir(dir)).Resolve(ctx, ref)
		if err != nil {
			t.Fatalf("%s offline: %v", ref, err)
		}
		if got.Digest != digestOf(t, img) || !slices.Equal(flat(t, got), fixtureLines) {
			t.Errorf("%s offline: digest %s", ref, got.Digest)
		}
	}
	if _, err := NewResolver(WithCacheDir(dir)).Resolve(ctx, host+"/o/other:1"); !errors.Is(err, ErrUnreachable) {
		t.Errorf("uncached offline: err = %v, want ErrUnreachable", err)
	}
}

func TestCacheListPrune(t *testing.T) {
	dir := t.TempDir()
	host := ti.Serve(t, map[string]v1.Image{"o/fixture:1": fixture(t)})
	if _, err := NewResolver(WithCacheDir(dir)).Resolve(context.Background(), host+"/o/fixture:1"); err != nil {
		t.Fatal(err)
	}
	c, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	es, err := c.List()
	// manifest, config, 2 blobs, 2 diffs
	if err != nil || len(es) != 6 {
		t.Fatalf("List = %d entries, %v", len(es), err)
	}
	freed, err := c.Prune(0)
	if err != nil || freed == 0 {
		t.Fatalf("Prune = %d, %v", freed, err)
	}
	if es, _ := c.List(); len(es) != 0 || len(mustReadDir(t, filepath.Join(dir, "tmp"))) != 0 {
		t.Errorf("after Prune: %d entries", len(es))
	}
}

func mustReadDir(t *testing.T, d string) []os.DirEntry {
	des, err := os.ReadDir(d)
	if err != nil {
		t.Fatal(err)
	}
	return des
}

func TestConcurrentResolves(t *testing.T) {
	host := ti.Serve(t, map[string]v1.Image{"o/fixture:1": fixture(t)})
	dir := t.TempDir()
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			img, err := NewResolver(WithCacheDir(dir)).Resolve(context.Background(), host+"/o/fixture:1")
			if err == nil {
				err = img.Flatten(context.Background(), io.Discard, nil)
			}
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
