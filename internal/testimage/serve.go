package testimage

import (
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Serve starts an in-process registry on 127.0.0.1 (plain HTTP), pushes
// imgs under their keys ("busybox:1", "o/app:latest") and returns its
// host:port. The registry stops when the test ends.
func Serve(t testing.TB, imgs map[string]v1.Image) string {
	t.Helper()
	return ServeWith(t, nil, imgs)
}

// ServeWith is Serve with the registry's handler wrapped by wrap (when
// not nil), to count, slow down or corrupt what it serves. The images are
// pushed through the wrapped handler too.
func ServeWith(t testing.TB, wrap func(http.Handler) http.Handler, imgs map[string]v1.Image) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	for ref, img := range imgs {
		Push(t, host+"/"+ref, img)
	}
	return host
}

// Push writes img (a v1.Image or a v1.ImageIndex) to ref, failing t on
// error.
func Push(t testing.TB, ref string, img remote.Taggable) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatalf("parsing %s: %v", ref, err)
	}
	switch v := img.(type) {
	case v1.ImageIndex:
		err = remote.WriteIndex(r, v)
	case v1.Image:
		err = remote.Write(r, v)
	default:
		err = remote.Put(r, v)
	}
	if err != nil {
		t.Fatalf("pushing %s: %v", ref, err)
	}
}
