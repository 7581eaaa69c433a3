package layers

import (
	"context"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/hyperbuild/hyper/internal/syncbuf"
	ti "github.com/hyperbuild/hyper/internal/testimage"
)

func TestProgress(t *testing.T) {
	host := ti.Serve(t, map[string]v1.Image{"o/fixture:1": fixture(t)})
	for _, tty := range []bool{false, true} {
		var out syncbuf.Buffer
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
