package layers

import (
	"context"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	ti "github.com/hyperbuild/hyper/internal/testimage"
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
