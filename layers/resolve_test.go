package layers

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ti "github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/layers/cache"
)

func TestTransports(t *testing.T) {
	img := fixture(t)
	want := digestOf(t, img)
	dir := t.TempDir()
	host := ti.Serve(t, map[string]v1.Image{"o/fixture:1": img})
	layout := filepath.Join(dir, "layout")
	if err := ti.WriteLayout(layout, img, "v1"); err != nil {
		t.Fatal(err)
	}
	single := filepath.Join(dir, "single")
	if err := ti.WriteLayout(single, img, ""); err != nil {
		t.Fatal(err)
	}
	if err := ti.WriteOCIArchive(filepath.Join(dir, "o.tar"), img, "v1"); err != nil {
		t.Fatal(err)
	}
	if err := ti.WriteDockerArchive(filepath.Join(dir, "d.tar"), img, "fixture:1"); err != nil {
		t.Fatal(err)
	}
	sock := fakeDaemon(t, filepath.Join(dir, "d.tar"))

	tests := []struct {
		ref        string
		opts       []Option
		sameDigest bool // archives of the docker kind re-derive the manifest
	}{
		{ref: host + "/o/fixture:1", sameDigest: true},
		{ref: "docker://" + host + "/o/fixture@" + want, sameDigest: true},
		{ref: "oci:" + layout + ":v1", sameDigest: true},
		{ref: "oci:" + single, sameDigest: true},
		{ref: "oci:layout:v1", opts: []Option{WithBaseDir(dir)}, sameDigest: true},
		{ref: "oci-archive:" + filepath.Join(dir, "o.tar") + ":v1", sameDigest: true},
		{ref: "docker-archive:" + filepath.Join(dir, "d.tar")},
		{ref: "docker-archive:" + filepath.Join(dir, "d.tar") + ":fixture:1"},
		{ref: "docker-daemon:fixture:1", opts: []Option{WithDockerHost("unix://" + sock)}},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			got, err := newResolver(t, tt.opts...).Resolve(context.Background(), tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(got.Digest, "sha256:") || (tt.sameDigest && got.Digest != want) {
				t.Errorf("digest = %s, want %s", got.Digest, want)
			}
			if got.Config.Config.Entrypoint[0] != "/bin/tool" || len(got.Layers) != 2 {
				t.Errorf("config/layers not read: %+v", got)
			}
			if lines := flat(t, got); !slices.Equal(lines, fixtureLines) {
				t.Errorf("flattened:\n%q\nwant\n%q", lines, fixtureLines)
			}
		})
	}
}

func TestSameBytesEverywhere(t *testing.T) {
	img := fixture(t)
	host := ti.Serve(t, map[string]v1.Image{"o/fixture:1": img})
	layout := t.TempDir()
	if err := ti.WriteLayout(layout, img, "v1"); err != nil {
		t.Fatal(err)
	}
	var outs [][]byte
	for _, ref := range []string{host + "/o/fixture:1", "oci:" + layout + ":v1", host + "/o/fixture:1"} {
		got, err := newResolver(t).Resolve(context.Background(), ref)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := got.Flatten(context.Background(), &buf, nil); err != nil {
			t.Fatal(err)
		}
		outs = append(outs, buf.Bytes())
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[0], outs[i]) {
			t.Errorf("flatten %d differs from flatten 0", i)
		}
	}
}

// fakeDaemon serves `docker save` output (the archive file) on a unix
// socket, the one call docker-daemon: makes.
func fakeDaemon(t *testing.T, archive string) string {
	sock := filepath.Join(t.TempDir(), "docker.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no unix sockets: %v", err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/images/fixture:1/get" {
			http.Error(w, `{"message":"No such image"}`, http.StatusNotFound)
			return
		}
		http.ServeFile(w, r, archive)
	})}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	return sock
}

func TestBusybox(t *testing.T) {
	bb, err := ti.Busybox()
	if errors.Is(err, ti.ErrNoBusybox) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	host := ti.Serve(t, map[string]v1.Image{"library/busybox:1": bb})
	img, err := newResolver(t).Resolve(context.Background(), host+"/library/busybox:1")
	if err != nil {
		t.Fatal(err)
	}
	lines := flat(t, img)
	for _, want := range []string{"bin/sh 1 755 -> bin/busybox", "tmp/ 5 1777"} {
		if !slices.Contains(lines, want) {
			t.Errorf("no %q in the flattened busybox", want)
		}
	}
	if i, j := slices.Index(lines, "bin/ 5 755"), slices.IndexFunc(lines, func(s string) bool { return strings.HasPrefix(s, "bin/busybox ") }); i < 0 || j < i {
		t.Errorf("bin/ at %d, bin/busybox at %d", i, j)
	}
}

func TestMultiArch(t *testing.T) {
	amd, arm := fixture(t), platformImage(t, "arm64")
	both, err := ti.Index(arm, amd)
	if err != nil {
		t.Fatal(err)
	}
	armOnly, err := ti.Index(arm)
	if err != nil {
		t.Fatal(err)
	}
	host := ti.Serve(t, map[string]v1.Image{"o/arm:single": arm})
	ti.Push(t, host+"/o/multi:1", both)
	ti.Push(t, host+"/o/arm:1", armOnly)
	layout := t.TempDir()
	if err := ti.WriteIndexLayout(layout, both, "multi"); err != nil {
		t.Fatal(err)
	}

	for _, ref := range []string{host + "/o/multi:1", "oci:" + layout + ":multi"} {
		img, err := newResolver(t).Resolve(context.Background(), ref)
		if err != nil {
			t.Fatalf("%s: %v", ref, err)
		}
		if img.Digest != digestOf(t, amd) {
			t.Errorf("%s: picked %s, want the amd64 image %s", ref, img.Digest, digestOf(t, amd))
		}
	}
	for _, tt := range []struct {
		ref  string
		opts []Option
	}{
		{ref: host + "/o/arm:1"},
		{ref: host + "/o/arm:single"},
		{ref: host + "/o/multi:1", opts: []Option{WithPlatform("linux/arm64")}},
	} {
		_, err := newResolver(t, tt.opts...).Resolve(context.Background(), tt.ref)
		if !errors.Is(err, ErrUnsupportedPlatform) {
			t.Errorf("%s: err = %v, want ErrUnsupportedPlatform", tt.ref, err)
		}
	}
}

func platformImage(t *testing.T, arch string) v1.Image {
	l, err := ti.Layer(ti.File(arch, 0o644, arch))
	if err != nil {
		t.Fatal(err)
	}
	img, err := ti.PlatformImage(v1.Platform{OS: "linux", Architecture: arch}, v1.Config{Cmd: []string{"/x"}}, l)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

func TestErrors(t *testing.T) {
	img := fixture(t)
	host := ti.Serve(t, map[string]v1.Image{"o/fixture:1": img})
	layout := t.TempDir()
	if err := ti.WriteLayout(layout, img, "v1"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		ref  string
		opts []Option
		want error
		text string
	}{
		{ref: host + "/o/nope:1", want: ErrNotFound, text: "pulling docker://" + host + "/o/nope:1 (registry): "},
		{ref: host + "/o/fixture:2", want: ErrNotFound, text: "check the name and tag"},
		{ref: "127.0.0.1:1/o/x:1", want: ErrUnreachable, text: "(registry)"},
		{ref: "oci:" + layout + ":v2", want: ErrNotFound, text: `no tag "v2" in the layout (tags: v1)`},
		{ref: "oci:" + filepath.Join(layout, "nothing"), want: ErrNotFound, text: "(OCI layout)"},
		{ref: "docker-archive:/no/such.tar", want: ErrNotFound, text: "(docker archive)"},
		{ref: "oci-archive:/no/such.tar", want: ErrNotFound, text: "(OCI archive)"},
		{ref: "docker-daemon:busybox:1", opts: []Option{WithDockerHost("unix:///nonexistent/docker.sock")}, want: ErrNoDaemon, text: "start Docker"},
		{ref: "ftp://x", want: ErrBadReference, text: "ftp://x"},
		{ref: "dir:/x", want: ErrBadReference, text: `transport "dir:" is not supported`},
		{ref: host + "/o/fixture:1", opts: []Option{WithPlatform("linux/riscv64")}, want: ErrUnsupportedPlatform, text: "x86-64"},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			_, err := newResolver(t, tt.opts...).Resolve(context.Background(), tt.ref)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			t.Log(err)
			if msg := err.Error(); !strings.Contains(msg, tt.text) || strings.Contains(msg, "\n") {
				t.Errorf("message %q: want one line containing %q", msg, tt.text)
			}
		})
	}
}

func TestWrongCredentials(t *testing.T) {
	auth := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if u, p, ok := r.BasicAuth(); !ok || u != "me" || p != "secret" {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
				return
			}
			h.ServeHTTP(w, r)
		})
	}
	authed := ti.ServeWith(t, auth, nil)
	_, err := newResolver(t, WithKeychain(staticKeychain{"me", "wrong"})).Resolve(context.Background(), authed+"/o/x:1")
	if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "docker login") {
		t.Errorf("err = %v, want ErrUnauthorized with a hint", err)
	}
}

func TestCorruptSource(t *testing.T) {
	var bc blobCounter
	host := ti.ServeWith(t, bc.wrap, map[string]v1.Image{"o/fixture:1": fixture(t)})
	r := newResolver(t)
	img, err := r.Resolve(context.Background(), host+"/o/fixture:1")
	if err != nil {
		t.Fatal(err)
	}
	// Keep the manifest and config, drop the layers, and serve them corrupt.
	c, _ := r.Cache()
	for _, l := range img.Layers {
		for _, e := range []struct {
			kind   cache.Kind
			digest string
		}{{cache.Blobs, l.Digest}, {cache.Diffs, l.DiffID}} {
			p, _ := c.Path(e.kind, e.digest)
			os.Remove(p)
		}
	}
	bc.corrupt.Store(true)
	_, err = r.Resolve(context.Background(), host+"/o/fixture:1")
	if !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("err = %v, want ErrDigestMismatch", err)
	}
	t.Log(err)
	assertNoLayers(t, r)
}

func TestTruncatedLayer(t *testing.T) {
	l, err := ti.LayerFromTar(ti.SizeClaim("big", 2<<30, []byte("tiny")))
	if err != nil {
		t.Fatal(err)
	}
	bad, err := ti.Image(v1.Config{Cmd: []string{"/big"}}, l)
	if err != nil {
		t.Fatal(err)
	}
	host := ti.Serve(t, map[string]v1.Image{"o/bad:1": bad})
	img, err := newResolver(t).Resolve(context.Background(), host+"/o/bad:1")
	if err != nil {
		t.Fatal(err)
	}
	err = img.Flatten(context.Background(), io.Discard, nil)
	if !errors.Is(err, ErrCorrupt) || !strings.HasPrefix(err.Error(), "flattening docker://") {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
	t.Log(err)
}

func TestTruncatedArchive(t *testing.T) {
	file := filepath.Join(t.TempDir(), "d.tar")
	if err := ti.WriteDockerArchive(file, fixture(t), "fixture:1"); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(file)
	if err := os.Truncate(file, info.Size()/2); err != nil {
		t.Fatal(err)
	}
	r := newResolver(t)
	_, err := r.Resolve(context.Background(), "docker-archive:"+file)
	if err == nil || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want a one-line error", err)
	}
	assertNoLayers(t, r)
}

// assertNoLayers checks that nothing was left in the cache but manifests
// and configs: no layer, nothing temporary.
func assertNoLayers(t *testing.T, r *Resolver) {
	t.Helper()
	c, _ := r.Cache()
	for _, d := range []string{"diffs/sha256", "tmp"} {
		des, _ := os.ReadDir(filepath.Join(c.Dir(), d))
		if len(des) != 0 {
			t.Errorf("%s holds %d entries after a failed pull", d, len(des))
		}
	}
}
