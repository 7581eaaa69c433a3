package artifact_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hyperbuild/hyper/artifact"
	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/kernelcfg"
	"github.com/hyperbuild/hyper/spec"
)

// testKernel is a real bzImage: the hyperkernel when built, else Debian's
// cloud kernel. The builder only copies it, so either will do here.
func testKernel(t *testing.T) string {
	t.Helper()
	if k, err := kernelcfg.Cached(); err == nil {
		return k.Path
	}
	m, _ := filepath.Glob("/boot/vmlinuz-*")
	if len(m) == 0 {
		t.Skip("no kernel: neither the hyperkernel (make kernel) nor one in /boot")
	}
	return m[0]
}

// buildHello builds examples/hello.hcl from busybox with a stand-in
// hyperstart: the registry code only reads the artifact.
func buildHello(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	image, err := testimage.BusyboxLayout(filepath.Join(dir, "busybox-oci"), "1.36")
	if err != nil {
		t.Skipf("busybox image: %v", err)
	}
	hs := filepath.Join(dir, "hyperstart")
	if err := os.WriteFile(hs, []byte("\x7fELF not really"), 0o755); err != nil {
		t.Fatal(err)
	}
	pod, diags := spec.NewLoader(spec.WithVars(map[string]string{"image": image})).Load("../examples/hello.hcl")
	if diags.HasErrors() {
		t.Fatal(diags)
	}
	abs, _ := filepath.Abs("../examples")
	out := filepath.Join(dir, "hello.img")
	_, err = builder.Build(context.Background(), pod, abs, out,
		builder.WithKernel(testKernel(t)), builder.WithHyperstart(hs),
		builder.WithCacheDir(t.TempDir()), builder.WithEpoch(time.Unix(1700000000, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func fileSum(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprintf("%x", sha256.Sum256(b))
}

// TestPushPull pushes an artifact, checks what a registry client sees,
// pulls it on a clean cache and compares the bytes; a second pull by
// digest needs no registry.
func TestPushPull(t *testing.T) {
	img := buildHello(t)
	host := testimage.Serve(t, nil)
	ref := host + "/pods/hello:1"
	ctx := context.Background()
	pushed, err := artifact.Push(ctx, img, ref, artifact.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(pushed.Digest, "sha256:") || pushed.Pinned != host+"/pods/hello@"+pushed.Digest {
		t.Errorf("pushed = %+v", pushed)
	}
	fi, _ := os.Stat(img)
	if pushed.Sent <= 0 || pushed.Sent > fi.Size() {
		t.Errorf("sent %d bytes for an image of %d", pushed.Sent, fi.Size())
	}

	// What crane manifest shows.
	r, _ := name.ParseReference(ref)
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	m, err := v1.ParseManifest(bytes.NewReader(desc.Manifest))
	if err != nil {
		t.Fatal(err)
	}
	if m.ArtifactType != artifact.ArtifactType || m.Config.MediaType != artifact.MediaEmpty || m.Annotations[artifact.AnnotationPod] != "hello" {
		t.Errorf("manifest: artifactType %q config %q annotations %v", m.ArtifactType, m.Config.MediaType, m.Annotations)
	}
	var got []string
	for _, l := range m.Layers {
		got = append(got, string(l.MediaType)+" "+l.Annotations[artifact.AnnotationTitle])
	}
	want := []string{string(artifact.MediaManifest) + " manifest.json", string(artifact.MediaPod) + " pod.json", string(artifact.MediaDisk) + " disk.img"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("layers = %q, want %q", got, want)
	}

	cache := t.TempDir()
	out := filepath.Join(t.TempDir(), "pulled.img")
	pulled, err := artifact.Pull(ctx, ref, out, artifact.WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if pulled.Digest != pushed.Digest || pulled.Pod != "hello" || pulled.Cached {
		t.Errorf("pulled = %+v", pulled)
	}
	if fileSum(t, out) != fileSum(t, img) {
		t.Fatal("the pulled image differs from the pushed one")
	}
	var st syscall.Stat_t
	if err := syscall.Stat(out, &st); err == nil && st.Blocks*512 > st.Size {
		t.Errorf("pulled image allocates %d bytes of %d: not sparse", st.Blocks*512, st.Size)
	}

	// By digest, from the cache: the registry is not asked.
	again, err := artifact.Fetch(ctx, pushed.Pinned, artifact.WithCacheDir(cache), artifact.WithTransport(failTransport{}))
	if err != nil || !again.Cached || again.Received != 0 {
		t.Fatalf("cached fetch = %+v, %v", again, err)
	}
	// A tag the cache never resolved, with no registry: said, no fallback.
	if _, err := artifact.Fetch(ctx, "127.0.0.1:1/pods/hello:1", artifact.WithCacheDir(cache)); !errors.Is(err, artifact.ErrUnreachable) {
		t.Errorf("fetch from a closed port: %v, want ErrUnreachable", err)
	}
}

// TestFetchOffline: with the registry gone, a tag boots the digest it
// last resolved to, from the cache.
func TestFetchOffline(t *testing.T) {
	img := buildHello(t)
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	ref := strings.TrimPrefix(srv.URL, "http://") + "/pods/hello:1"
	ctx := context.Background()
	cache := t.TempDir()
	pushed, err := artifact.Push(ctx, img, ref, artifact.WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := artifact.Fetch(ctx, ref, artifact.WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	srv.Close()
	p, err := artifact.Fetch(ctx, ref, artifact.WithCacheDir(cache))
	if err != nil || !p.Cached || p.Digest != pushed.Digest {
		t.Fatalf("offline fetch by tag = %+v, %v", p, err)
	}
}

type failTransport struct{}

func (failTransport) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("the test forbids the network")
}

// TestPushInterrupted: a push that fails while uploading the disk leaves
// no tag, and the next push succeeds.
func TestPushInterrupted(t *testing.T) {
	img := buildHello(t)
	var failing atomic.Bool
	failing.Store(true)
	host := testimage.ServeWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if failing.Load() && strings.Contains(r.URL.Path, "/blobs/uploads/") && (r.Method == http.MethodPatch || r.Method == http.MethodPut) {
				head, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
				if len(head) > 64<<10 {
					http.Error(w, "the test cuts this upload", http.StatusBadRequest)
					return
				}
				r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(head), r.Body))
			}
			h.ServeHTTP(w, r)
		})
	}, nil)
	ref := host + "/pods/hello:1"
	ctx := context.Background()
	if _, err := artifact.Push(ctx, img, ref, artifact.WithCacheDir(t.TempDir())); err == nil {
		t.Fatal("push through a failing registry succeeded")
	}
	r, _ := name.ParseReference(ref)
	if _, err := remote.Head(r); err == nil {
		t.Fatal("an interrupted push left a tag")
	}
	failing.Store(false)
	pushed, err := artifact.Push(ctx, img, ref, artifact.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := artifact.Pull(ctx, pushed.Pinned, filepath.Join(t.TempDir(), "x.img"), artifact.WithCacheDir(t.TempDir())); err != nil {
		t.Fatal(err)
	}
}

// TestPullCorrupt: a registry that serves a disk blob that does not match
// its digest is refused and nothing is written.
func TestPullCorrupt(t *testing.T) {
	img := buildHello(t)
	var corrupt atomic.Bool
	host := testimage.ServeWith(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if corrupt.Load() && r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/sha256:") {
				rec := &flipWriter{ResponseWriter: w}
				h.ServeHTTP(rec, r)
				return
			}
			h.ServeHTTP(w, r)
		})
	}, nil)
	ref := host + "/pods/hello:1"
	ctx := context.Background()
	if _, err := artifact.Push(ctx, img, ref, artifact.WithCacheDir(t.TempDir())); err != nil {
		t.Fatal(err)
	}
	corrupt.Store(true)
	cache := t.TempDir()
	dir := t.TempDir()
	out := filepath.Join(dir, "x.img")
	_, err := artifact.Pull(ctx, ref, out, artifact.WithCacheDir(cache))
	if !errors.Is(err, artifact.ErrDigestMismatch) {
		t.Fatalf("pull of a corrupt blob: %v, want ErrDigestMismatch", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("left %q", left)
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "pulled", "*")); len(left) != 0 {
		t.Errorf("left in the cache: %q", left)
	}
}

// flipWriter flips one bit in the middle of a large body.
type flipWriter struct {
	http.ResponseWriter
	n int
}

func (f *flipWriter) Write(b []byte) (int, error) {
	c := append([]byte(nil), b...)
	if i := 100000 - f.n; i >= 0 && i < len(c) {
		c[i] ^= 1
	}
	f.n += len(b)
	return f.ResponseWriter.Write(c)
}

// TestPullNotOurs: a container image is not an artifact, and says so.
func TestPullNotOurs(t *testing.T) {
	bb, err := testimage.Busybox()
	if err != nil {
		t.Skipf("busybox image: %v", err)
	}
	host := testimage.Serve(t, map[string]v1.Image{"library/busybox:1": bb})
	dir := t.TempDir()
	_, err = artifact.Pull(context.Background(), host+"/library/busybox:1", filepath.Join(dir, "x.img"), artifact.WithCacheDir(t.TempDir()))
	if !errors.Is(err, artifact.ErrNotArtifact) || !strings.Contains(err.Error(), "container image") {
		t.Fatalf("pull of a container image: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*")); len(left) != 0 {
		t.Errorf("left %q", left)
	}
}

// TestKernelPushPull pushes the hyperkernel and pulls it into a clean
// cache by digest; the entry says where it came from.
func TestKernelPushPull(t *testing.T) {
	k, err := kernelcfg.Cached()
	if err != nil {
		t.Skipf("no hyperkernel (make kernel): %v", err)
	}
	host := testimage.Serve(t, nil)
	ctx := context.Background()
	pushed, err := artifact.PushKernel(ctx, k, host+"/hyper/kernel:6.1", artifact.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	got, err := artifact.PullKernel(ctx, pushed.Pinned, artifact.WithCacheDir(cache))
	if err != nil {
		t.Fatal(err)
	}
	if fileSum(t, got.Path) != fileSum(t, k.Path) || got.Version != k.Version || got.Origin != pushed.Pinned || got.ConfigHash != k.ConfigHash {
		t.Errorf("pulled kernel %+v, pushed %+v", got, k)
	}
	// Pinned and cached: no network.
	again, err := artifact.PullKernel(ctx, pushed.Pinned, artifact.WithCacheDir(cache), artifact.WithTransport(failTransport{}))
	if err != nil || again.Path != got.Path {
		t.Fatalf("cached kernel: %+v, %v", again, err)
	}
	es, err := kernelcfg.List(kernelcfg.WithCacheDir(cache))
	if err != nil || len(es) != 1 || es[0].Origin != pushed.Pinned {
		t.Errorf("cache list = %+v, %v", es, err)
	}
	// A pod artifact is not a kernel.
	if _, err := artifact.PullKernel(ctx, "docker://"+host+"/hyper/nothing:1", artifact.WithCacheDir(cache)); err == nil {
		t.Error("pulled a kernel that does not exist")
	}
}

func TestLooksLikeRef(t *testing.T) {
	for _, tc := range []struct {
		s    string
		want bool
	}{
		{"registry.example.com/pods/web:1", true},
		{"localhost:5000/web:1", true},
		{"ghcr.io/o/web@sha256:" + strings.Repeat("a", 64), true},
		{"docker://busybox:1", true},
		{"web.img", false},
		{"out/web.img", false},
		{"./x.io/web:1", false},
		{"/abs/x:1", false},
		{"out.d/web.img", false},
	} {
		if got := artifact.LooksLikeRef(tc.s); got != tc.want {
			t.Errorf("LooksLikeRef(%q) = %v, want %v", tc.s, got, tc.want)
		}
	}
}

// TestPushSweepsKilled: the work directory of a push killed with SIGKILL
// (its owner's lock free, the compressed disk still in it) is removed by
// the next push, which leaves nothing of its own behind.
func TestPushSweepsKilled(t *testing.T) {
	img := buildHello(t)
	host := testimage.ServeWith(t, func(h http.Handler) http.Handler { return h }, nil)
	cache := t.TempDir()
	stale := filepath.Join(cache, "tmp", "push-killed")
	if err := os.MkdirAll(stale, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{".owner", "disk-1.zst"} {
		if err := os.WriteFile(filepath.Join(stale, f), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := artifact.Push(context.Background(), img, host+"/pods/hello:1", artifact.WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	left, err := filepath.Glob(filepath.Join(cache, "tmp", "push-*"))
	if err != nil || len(left) > 0 {
		t.Fatalf("left in the cache's tmp after a push: %v (%v)", left, err)
	}
}

// TestPullSweepsKilled: what a pull killed with SIGKILL left (a work
// directory in the cache's pulled/ and one beside -o's path, their
// owners' locks free) is removed by the next pull, which leaves nothing
// of its own behind.
func TestPullSweepsKilled(t *testing.T) {
	img := buildHello(t)
	host := testimage.ServeWith(t, func(h http.Handler) http.Handler { return h }, nil)
	ctx := context.Background()
	pushed, err := artifact.Push(ctx, img, host+"/pods/hello:1", artifact.WithCacheDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	cache, outDir := t.TempDir(), t.TempDir()
	stale := []string{filepath.Join(cache, "pulled", ".pull-killed"), filepath.Join(outDir, ".hyperbuild-killed")}
	for _, d := range stale {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{".owner", "part.img"} {
			if err := os.WriteFile(filepath.Join(d, f), []byte("x"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := filepath.Join(outDir, "hello.img")
	if _, err := artifact.Pull(ctx, pushed.Pinned, out, artifact.WithCacheDir(cache)); err != nil {
		t.Fatal(err)
	}
	for _, pattern := range []string{filepath.Join(cache, "pulled", ".*"), filepath.Join(outDir, ".*")} {
		if left, _ := filepath.Glob(pattern); len(left) > 0 {
			t.Errorf("left after a pull: %v", left)
		}
	}
	if fileSum(t, out) != fileSum(t, img) {
		t.Error("the pulled artifact differs from the pushed one")
	}
}
