package client

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hyperbuild/hyper/api"
)

// serve answers on a unix socket with h and returns a client of it.
func serve(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	dir, err := os.MkdirTemp("", "hyc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "s.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: h}
	go srv.Serve(l)
	t.Cleanup(func() { srv.Close() })
	c, err := New(WithHost("unix://" + sock))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestErrors(t *testing.T) {
	c := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/v1/pods/nope":
			w.WriteHeader(404)
			w.Write([]byte(`{"message":"no such pod: \"nope\""}`))
		case "/v1/pods/busy":
			w.WriteHeader(409)
			w.Write([]byte(`{"message":"pod busy is running"}`))
		default:
			w.WriteHeader(502)
			w.Write([]byte("<html>a proxy</html>"))
		}
	})
	ctx := context.Background()
	_, err := c.Inspect(ctx, "nope")
	if !IsNotFound(err) || IsConflict(err) || err.Error() != `no such pod: "nope"` {
		t.Errorf("404: %v", err)
	}
	if err := c.Remove(ctx, "busy", false); !IsConflict(err) {
		t.Errorf("409: %v", err)
	}
	var e *Error
	if _, err := c.List(ctx, true); !errors.As(err, &e) || e.StatusCode != 502 || !strings.Contains(e.Message, "502 Bad Gateway") {
		t.Errorf("a non-JSON error: %v", err)
	}
}

func TestUnreachable(t *testing.T) {
	dir := t.TempDir()
	c, err := New(WithHost("unix://" + filepath.Join(dir, "none.sock")))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "none.sock") {
		t.Errorf("ping of nothing: %v; want ErrUnreachable naming the socket", err)
	}
	if _, err := New(WithHost("http://x")); err == nil {
		t.Errorf("New accepted an http:// host")
	}
	t.Setenv(api.EnvHost, "tcp://127.0.0.1:1")
	if c, err := New(); err != nil || c.Host().String() != "tcp://127.0.0.1:1" {
		t.Errorf("New with HYPER_HOST: %v, %v", c, err)
	}
}

// Connect never starts a daemon for a TCP host.
func TestConnectTCPNotStarted(t *testing.T) {
	t.Setenv(EnvHyperd, "/nonexistent/hyperd")
	_, err := Connect(context.Background(), WithHost("tcp://127.0.0.1:1"))
	if !errors.Is(err, ErrUnreachable) || strings.Contains(err.Error(), "starting") {
		t.Errorf("Connect to a TCP host nobody serves: %v", err)
	}
}
