package layers

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// fromDockerArchive opens a `docker save` tarball; tag picks one image
// when it holds several.
func fromDockerArchive(file, tag string) (v1.Image, error) {
	if _, err := os.Stat(file); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotFound, err)
	}
	var t *name.Tag
	if tag != "" {
		nt, err := name.NewTag(tag)
		if err != nil {
			return nil, fmt.Errorf("%w: tag %q: %v", ErrBadReference, tag, err)
		}
		t = &nt
	}
	img, err := tarball.ImageFromPath(file, t)
	if err != nil {
		if strings.Contains(err.Error(), "not found in tarball") {
			return nil, fmt.Errorf("%w: %v", ErrNotFound, err)
		}
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	// Reading the manifest now turns a malformed archive into an error
	// here, not in the middle of the pull.
	if _, err := img.Manifest(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return img, nil
}

// defaultDockerHost is where the Docker daemon listens when DOCKER_HOST
// is not set.
const defaultDockerHost = "unix:///var/run/docker.sock"

// fromDaemon saves ref from the Docker daemon (GET /images/NAME/get, what
// `docker save` does) into a file in tmp and opens it as a docker archive.
func (r *Resolver) fromDaemon(ctx context.Context, ref string, tmp string) (v1.Image, error) {
	client, err := dockerClient(first(r.o.dockerHost, defaultDockerHost))
	if err != nil {
		return nil, err
	}
	// The daemon spells Docker Hub names without the registry.
	short := strings.TrimPrefix(strings.TrimPrefix(ref, "index.docker.io/"), "library/")
	segs := strings.Split(short, "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://docker/images/"+strings.Join(segs, "/")+"/get", nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNoDaemon, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		if resp.StatusCode == http.StatusNotFound {
			return nil, fmt.Errorf("%w: the daemon has no image %s", ErrNotFound, short)
		}
		return nil, fmt.Errorf("the daemon answered %s: %s", resp.Status, strings.TrimSpace(string(msg)))
	}
	file := filepath.Join(tmp, "image.tar")
	if err := writeFile(file, resp.Body); err != nil {
		return nil, fmt.Errorf("saving from the daemon: %w", err)
	}
	return fromDockerArchive(file, "")
}

// dockerClient talks HTTP to a daemon at unix:///PATH or tcp://HOST:PORT.
func dockerClient(host string) (*http.Client, error) {
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("%w: DOCKER_HOST %q: %v", ErrNoDaemon, host, err)
	}
	var dial func(ctx context.Context) (net.Conn, error)
	switch u.Scheme {
	case "unix":
		if _, err := os.Stat(u.Path); err != nil {
			return nil, fmt.Errorf("%w: no socket at %s", ErrNoDaemon, u.Path)
		}
		dial = func(ctx context.Context) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", u.Path)
		}
	case "tcp", "http":
		dial = func(ctx context.Context) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", u.Host)
		}
	default:
		return nil, fmt.Errorf("%w: DOCKER_HOST %q: only unix:// and tcp:// (plain) are supported", ErrNoDaemon, host)
	}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
	}}, nil
}
