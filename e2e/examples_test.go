package e2e

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hyperbuild/hyper/internal/testimage"
)

// hello.hcl: one container prints a line and exits 3; the host sees both.
func TestHello(t *testing.T) {
	requireVM(t)
	img := build(t, examplePath("hello.hcl"), map[string]string{"image": busyboxLayout(t)})
	status, out := boot(t, context.Background(), img)
	if status != 3 {
		t.Errorf("status = %d, want 3", status)
	}
	contains(t, out, "hello from hyper")
	if strings.Contains(out, "HYPER-POD-EXIT") {
		t.Errorf("the exit line leaked onto the console:\n%s", out)
	}
}

// podfile.json, Hyper's format, pulled from a registry (in-process here).
func TestPodfile(t *testing.T) {
	requireVM(t)
	bb, err := testimage.Busybox()
	if err != nil {
		t.Skip(err)
	}
	host := testimage.Serve(t, map[string]v1.Image{"library/busybox:1.36": bb})
	src, err := os.ReadFile(examplePath("podfile.json"))
	if err != nil {
		t.Fatal(err)
	}
	pf := strings.ReplaceAll(string(src), `"busybox:1.36"`, fmt.Sprintf("%q", host+"/library/busybox:1.36"))
	if pf == string(src) {
		t.Fatal("podfile.json no longer names busybox:1.36; update this test")
	}
	path := filepath.Join(t.TempDir(), "podfile.json")
	if err := os.WriteFile(path, []byte(pf), 0o644); err != nil {
		t.Fatal(err)
	}
	status, out := boot(t, context.Background(), build(t, path, nil))
	if status != 3 {
		t.Errorf("status = %d, want 3", status)
	}
	contains(t, out, "hello from hyper")
}

// web.hcl: server and sidecar share localhost and a volume; the host
// reaches the server through the published port; a cancelled run (Ctrl-C)
// stops the pod gracefully with status 0.
func TestWeb(t *testing.T) {
	requireVM(t)
	port := freePort(t)
	img := build(t, examplePath("web.hcl"), map[string]string{"image": busyboxLayout(t), "port": fmt.Sprint(port)})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := make(chan string, 1)
	go func() {
		defer cancel()
		body <- get(ctx, fmt.Sprintf("http://127.0.0.1:%d/", port))
		time.Sleep(time.Second) // let the sidecar's line reach the console
	}()
	status, out := boot(t, ctx, img)
	if got := <-body; got != "hello from the hyper web pod\n" {
		t.Errorf("GET through the published port = %q", got)
	}
	contains(t, out, "sidecar | sidecar fetched: hello from the hyper web pod")
	if status != 0 {
		t.Errorf("status after a graceful stop = %d, want 0", status)
	}
}

// get polls url until it answers or ctx ends.
func get(ctx context.Context, url string) string {
	c := &http.Client{Timeout: 2 * time.Second}
	for ctx.Err() == nil {
		resp, err := c.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(b)
			}
		}
		time.Sleep(300 * time.Millisecond)
	}
	return ""
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// nginx.hcl needs Docker Hub. Tests never reach outside this machine on
// their own, so this one runs only when HYPER_NETWORK_TESTS=1 says a
// registry is reachable.
func TestNginx(t *testing.T) {
	requireVM(t)
	if os.Getenv("HYPER_NETWORK_TESTS") != "1" {
		t.Skip("nginx.hcl pulls from Docker Hub: set HYPER_NETWORK_TESTS=1 where a registry is reachable")
	}
	port := freePort(t)
	img := build(t, examplePath("nginx.hcl"), map[string]string{"port": fmt.Sprint(port)})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	body := make(chan string, 1)
	go func() {
		defer cancel()
		body <- get(ctx, fmt.Sprintf("http://127.0.0.1:%d/", port))
	}()
	boot(t, ctx, img)
	if got := <-body; !strings.Contains(got, "nginx") {
		t.Errorf("GET = %q, want nginx's welcome page", got)
	}
}
