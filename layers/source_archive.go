package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// fromDockerArchive reads a `docker save` tarball; tag picks one image
// when it holds several.
//
// Its manifest.json names files, not digests: there is no manifest digest
// to check, and the manifest pinned is the one go-containerregistry
// derives. What can be checked is checked: the config against the digest
// its file is named by (docker, podman and crane all name it so; a name
// that holds no digest leaves nothing to check it against), and each layer
// against the config's diff_id for it (pullLayer, as for every
// transport). manifest.json and the config are read only when they are at
// most maxDocSize.
func fromDockerArchive(file, tag string) (*source, error) {
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
	entries, err := scanArchive(file)
	if err != nil {
		return nil, err
	}
	if err := entries.check("manifest.json"); err != nil {
		return nil, err
	}
	opener := func() (io.ReadCloser, error) { return os.Open(file) }
	m, err := tarball.LoadManifest(opener)
	if err != nil {
		return nil, fmt.Errorf("%w: manifest.json: %v", ErrCorrupt, err)
	}
	cfgName, err := configName(m, t)
	if err != nil {
		return nil, err
	}
	if err := entries.check(cfgName); err != nil {
		return nil, err
	}
	img, err := tarball.Image(opener, t)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("%w: config %s: %v", ErrCorrupt, cfgName, err)
	}
	cfgDigest := fmt.Sprintf("sha256:%x", sha256.Sum256(rawCfg))
	if want, ok := digestInName(cfgName); ok && want != cfgDigest {
		return nil, fmt.Errorf("%w: config %s: expected %s (its name), got %s (%d bytes)", ErrDigestMismatch, cfgName, want, cfgDigest, len(rawCfg))
	}
	// Deriving the manifest reads (and, for uncompressed layers,
	// compresses) every layer: a malformed archive fails here, not in the
	// middle of the pull.
	raw, err := img.RawManifest()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	h, _, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return nil, err
	}
	store := archiveStore{img: img, config: rawCfg, configDigest: cfgDigest}
	return &source{desc: v1.Descriptor{Digest: h, Size: int64(len(raw))}, raw: raw, blobs: store}, nil
}

// configName finds the config file of the image tag names (the only one
// when tag is nil), as tarball.Image does.
func configName(m tarball.Manifest, tag *name.Tag) (string, error) {
	if tag == nil {
		if len(m) != 1 {
			return "", fmt.Errorf("%w: the archive holds %d images: name one as docker-archive:FILE:REF", ErrNotFound, len(m))
		}
		return m[0].Config, nil
	}
	for _, d := range m {
		for _, s := range d.RepoTags {
			if rt, err := name.NewTag(s); err == nil && rt.Name() == tag.Name() {
				return d.Config, nil
			}
		}
	}
	return "", fmt.Errorf("%w: tag %s not found in tarball", ErrNotFound, tag)
}

// digestInName reads the digest out of a config's file name: HEX.json
// (docker save before 25, podman), blobs/sha256/HEX (docker save 25 and
// later), sha256:HEX (crane).
func digestInName(file string) (string, bool) {
	base := strings.TrimPrefix(strings.TrimSuffix(path.Base(file), ".json"), "sha256:")
	if len(base) != 64 || !isHex(base) {
		return "", false
	}
	return "sha256:" + base, true
}

// archiveEntries are a tar's entries by cleaned name: the first of each
// name, as tarball reads them.
type archiveEntries map[string]*tar.Header

// scanArchive reads the headers of a tar (skipping the contents).
func scanArchive(file string) (archiveEntries, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	entries := archiveEntries{}
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return entries, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %s is not a docker archive: %v", ErrCorrupt, file, err)
		}
		if n := path.Clean(h.Name); entries[n] == nil {
			entries[n] = h
		}
	}
}

// check refuses to read name (links followed as tarball follows them)
// when it is missing or larger than maxDocSize.
func (e archiveEntries) check(name string) error {
	p := path.Clean(name)
	for hops := 0; ; hops++ {
		h := e[p]
		switch {
		case h == nil:
			return fmt.Errorf("%w: the archive has no %s", ErrCorrupt, name)
		case hops > 16:
			return fmt.Errorf("%w: %s: too many links", ErrCorrupt, name)
		case h.Typeflag == tar.TypeSymlink || h.Typeflag == tar.TypeLink:
			p = path.Join(path.Dir(p), path.Clean(h.Linkname))
			continue
		case h.Size > maxDocSize:
			return fmt.Errorf("%w: %s is %d bytes, more than the %d bytes hyper reads", ErrCorrupt, name, h.Size, maxDocSize)
		}
		return nil
	}
}

// archiveStore serves a docker archive's config and layers.
type archiveStore struct {
	img          v1.Image
	config       []byte
	configDigest string
}

func (s archiveStore) open(_ context.Context, d v1.Descriptor) (io.ReadCloser, error) {
	if d.Digest.String() == s.configDigest {
		return io.NopCloser(bytes.NewReader(s.config)), nil
	}
	l, err := s.img.LayerByDigest(d.Digest)
	if err != nil {
		return nil, err
	}
	return l.Compressed()
}

// defaultDockerHost is where the Docker daemon listens when DOCKER_HOST
// is not set.
const defaultDockerHost = "unix:///var/run/docker.sock"

// fromDaemon saves ref from the Docker daemon (GET /images/NAME/get, what
// `docker save` does) into a file in tmp and opens it as a docker archive.
func (r *Resolver) fromDaemon(ctx context.Context, ref string, tmp string) (*source, error) {
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
