package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	ti "github.com/hyperbuild/hyper/internal/testimage"
)

// fixture is a two-layer image exercising whiteouts, hard links, a device
// and an xattr.
func fixture(t testing.TB) v1.Image {
	t.Helper()
	l0, err := ti.Layer(
		ti.Dir("bin", 0o755), ti.File("bin/tool", 0o755, "tool"), ti.Hardlink("bin/alias", "bin/tool"),
		ti.Dir("etc", 0o755), ti.File("etc/old", 0o644, "old"), ti.Dir("var", 0o755), ti.File("var/junk", 0o644, "j"),
	)
	if err != nil {
		t.Fatal(err)
	}
	l1, err := ti.Layer(
		ti.Whiteout("etc/old"), ti.Dir("var", 0o755), ti.Opaque("var"), ti.File("var/new", 0o600, "n"),
		ti.Dir("dev", 0o755), ti.Device("dev/null", tar.TypeChar, 1, 3),
		ti.File("bin/ping", 0o4755, "p").With(func(h *tar.Header) {
			h.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": "\x01\x00\x00\x02"}
		}),
	)
	if err != nil {
		t.Fatal(err)
	}
	img, err := ti.Image(v1.Config{Entrypoint: []string{"/bin/tool"}, Env: []string{"A=1"}}, l0, l1)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// fixtureLines is what fixture flattens to.
var fixtureLines = []string{
	"bin/ 5 755", "dev/ 5 755", "etc/ 5 755", "var/ 5 755",
	"bin/tool 0 755 tool",
	"var/new 0 600 n", "dev/null 3 660", "bin/ping 0 4755 p",
	"bin/alias 1 755 -> bin/tool",
}

func newResolver(t testing.TB, opts ...Option) *Resolver {
	return NewResolver(append([]Option{WithCacheDir(t.TempDir())}, opts...)...)
}

func digestOf(t testing.TB, img v1.Image) string {
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// flat flattens img and sums up each entry as "name type mode [-> link] [data]".
func flat(t testing.TB, img *Image) []string {
	t.Helper()
	var buf bytes.Buffer
	if err := img.Flatten(context.Background(), &buf, nil); err != nil {
		t.Fatal(err)
	}
	return tarLines(t, buf.Bytes())
}

func tarLines(t testing.TB, b []byte) []string {
	t.Helper()
	var lines []string
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return lines
		}
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(tr)
		s := h.Name + " " + string(h.Typeflag) + " " + strings.TrimLeft(octal(h.Mode), "0")
		if h.Linkname != "" {
			s += " -> " + h.Linkname
		}
		if len(data) > 0 && len(data) < 64 {
			s += " " + string(data)
		}
		lines = append(lines, s)
	}
}

func octal(m int64) string {
	const digits = "01234567"
	s := ""
	for ; m > 0; m /= 8 {
		s = string(digits[m%8]) + s
	}
	return s
}

// blobCounter counts GETs of blobs; tests can also break them.
type blobCounter struct {
	gets    atomic.Int64
	corrupt atomic.Bool   // flip a byte in every blob served
	stall   chan struct{} // closed when a stalled layer (> 64 KiB) has been half sent
	once    sync.Once
	// swap serves other bytes for a GET of a path ending so
	// ("/manifests/sha256:…", "/blobs/sha256:…"), with the real
	// response's headers. Set it before the registry starts.
	swap map[string][]byte
}

func (b *blobCounter) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for suffix, body := range b.swap {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, suffix) {
				rec := &recorder{header: http.Header{}}
				h.ServeHTTP(rec, r)
				for k, v := range rec.header {
					w.Header()[k] = v
				}
				w.Header().Del("Docker-Content-Digest")
				w.Header().Set("Content-Length", fmt.Sprint(len(body)))
				w.WriteHeader(http.StatusOK)
				w.Write(body)
				return
			}
		}
		if r.Method != http.MethodGet || !strings.Contains(r.URL.Path, "/blobs/sha256:") {
			h.ServeHTTP(w, r)
			return
		}
		b.gets.Add(1)
		if !b.corrupt.Load() && b.stall == nil {
			h.ServeHTTP(w, r)
			return
		}
		rec := &recorder{header: http.Header{}}
		h.ServeHTTP(rec, r)
		body := rec.body.Bytes()
		for k, v := range rec.header {
			w.Header()[k] = v
		}
		if rec.code != 0 && rec.code != http.StatusOK {
			w.WriteHeader(rec.code)
			w.Write(body)
			return
		}
		if b.stall != nil && len(body) > 64<<10 {
			// Half the blob, then nothing until the client gives up.
			w.WriteHeader(http.StatusOK)
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			b.once.Do(func() { close(b.stall) })
			<-r.Context().Done()
			return
		}
		if !b.corrupt.Load() {
			w.WriteHeader(http.StatusOK)
			w.Write(body)
			return
		}
		body = append([]byte(nil), body...)
		body[len(body)/2] ^= 0x40
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	})
}

type recorder struct {
	header http.Header
	body   bytes.Buffer
	code   int
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(code int)        { r.code = code }

// parts are an image's manifest, config and first layer, to swap and
// tamper with.
type parts struct {
	raw    []byte // the manifest
	digest string // of the manifest
	m      *v1.Manifest
	config []byte
	layer0 []byte // compressed
}

func partsOf(t testing.TB, img v1.Image) parts {
	t.Helper()
	raw, err := img.RawManifest()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := ls[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	l0, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return parts{raw: raw, digest: digestOf(t, img), m: m, config: cfg, layer0: l0}
}

// editJSON decodes raw into a value of type T, edits it and encodes it
// again: a manifest or an index that says something else.
func editJSON[T any](t testing.TB, raw []byte, edit func(*T)) []byte {
	t.Helper()
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	edit(&v)
	b, err := json.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func sha(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }

// rawManifest pushes bytes as they are (ti.Push, remote.Put).
type rawManifest struct {
	b  []byte
	mt types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.b, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }
