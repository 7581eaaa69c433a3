package layers

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ti "github.com/hyperbuild/hyper/internal/testimage"
)

// syncBuffer is written by mpb's goroutine and read by the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestProgress(t *testing.T) {
	host := ti.Serve(t, map[string]v1.Image{"o/fixture:1": fixture(t)})
	for _, tty := range []bool{false, true} {
		var out syncBuffer
		img, err := newResolver(t, WithProgress(&out, tty)).Resolve(context.Background(), host+"/o/fixture:1")
		if err != nil {
			t.Fatal(err)
		}
		name := short(img.Layers[0].Digest)
		if got := strings.Contains(out.String(), name); got != tty {
			t.Errorf("tty=%v: bar for %s shown: %v (output %q)", tty, name, got, out.String())
		}
	}
}
