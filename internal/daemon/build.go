package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/layers"
	"github.com/hyperbuild/hyper/layers/imageref"
	"github.com/hyperbuild/hyper/spec"
)

// artifactsDir is where the artifacts built for plain image references
// are kept, in the cache ($HYPER_CACHE/artifacts/KEY.img), so that the
// next run of the same image boots at once.
const artifactsDir = "artifacts"

// imagePod is the pod file of a plain image reference: one container,
// the image's own process. The reference is a variable, never pasted
// into the HCL; the name (imageName: [a-z0-9-] only) is.
const imagePod = `variable "image" {}
pod "NAME" {
  container "NAME" {
    image = var.image
  }
}
`

// BuildArtifact builds what a create request names: a pod file into the
// pod's directory (it goes with the pod), or a plain image reference into
// the cache, keyed by its resolved digests, hyperstart and the kernel.
func BuildArtifact(ctx context.Context, req *api.CreateRequest, dir string) (string, []string, error) {
	var warnings []string
	opts := []builder.Option{builder.WithWarnings(func(w string) { warnings = append(warnings, w) })}
	if req.PodFile != "" {
		l := spec.NewLoader(spec.WithVars(req.Vars))
		pod, err := load(l, req.PodFile, req.PodFile)
		if err != nil {
			return "", nil, err
		}
		out := filepath.Join(dir, builtImage)
		opts = append(opts, builder.WithInputs(builder.Input{What: "the pod file", Path: req.PodFile}))
		if _, err := builder.Build(ctx, pod, filepath.Dir(req.PodFile), out, opts...); err != nil {
			return "", warnings, buildError(req.PodFile, err)
		}
		return out, warnings, nil
	}

	file := filepath.Join(dir, "image.hcl")
	text := strings.ReplaceAll(imagePod, "NAME", imageName(req.Image))
	if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
		return "", nil, err
	}
	defer os.Remove(file)
	l := spec.NewLoader(spec.WithVars(map[string]string{"image": req.Image}))
	pod, err := load(l, file, "image "+req.Image)
	if err != nil {
		return "", nil, err
	}
	if err := builder.Resolve(ctx, pod, dir); err != nil {
		return "", nil, buildError(req.Image, err)
	}
	key, err := artifactKey(pod)
	if err != nil {
		return "", nil, err
	}
	cacheDir, err := layers.DefaultCacheDir()
	if err != nil {
		return "", nil, fmt.Errorf("finding the cache for image %s: %w", req.Image, err)
	}
	out := filepath.Join(cacheDir, artifactsDir, key+".img")
	if _, err := os.Stat(out); err == nil {
		return out, nil, nil
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o700); err != nil {
		return "", nil, fmt.Errorf("building image %s: %w", req.Image, err)
	}
	if _, err := builder.Build(ctx, pod, dir, out, opts...); err != nil {
		return "", warnings, buildError(req.Image, err)
	}
	return out, warnings, nil
}

// load loads a pod file, its diagnostics as the 400's message; what
// names the file there (the image for a made-up one).
func load(l *spec.Loader, path, what string) (*contract.Pod, error) {
	pod, diags := l.Load(path)
	if !diags.HasErrors() {
		return pod, nil
	}
	var b bytes.Buffer
	l.WriteDiagnostics(&b, diags, false)
	msg := strings.ReplaceAll(strings.TrimSpace(b.String()), path, what)
	return nil, fmt.Errorf("%w: %s: invalid pod:\n%s", api.ErrBadRequest, what, msg)
}

// buildError: a build that failed on what the request named (an image
// that does not exist, a bad reference) is the request's fault (400);
// anything else is hyperd's or the host's (500).
func buildError(what string, err error) error {
	for _, e := range []error{layers.ErrBadReference, layers.ErrNotFound, layers.ErrUnauthorized, layers.ErrUnsupportedPlatform, layers.ErrOffline, layers.ErrUnreachable, builder.ErrOutput} {
		if errors.Is(err, e) {
			return fmt.Errorf("%w: building %s: %w", api.ErrBadRequest, what, err)
		}
	}
	return fmt.Errorf("building %s: %w", what, err)
}

// artifactKey names the artifact of a resolved pod: its contract (with
// the images' digests), the hyperstart that goes in and the version of
// the tools.
func artifactKey(pod *contract.Pod) (string, error) {
	h := sha256.New()
	data, err := builder.PodJSON(pod)
	if err != nil {
		return "", err
	}
	h.Write(data)
	if hs := hyperstartPath(); hs != "" {
		if f, err := os.Open(hs); err == nil {
			io.Copy(h, f)
			f.Close()
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:32], nil
}

// hyperstartPath is the hyperstart the builder will use, as it finds it.
func hyperstartPath() string {
	if p := os.Getenv("HYPER_HYPERSTART"); p != "" {
		return p
	}
	if exe, err := os.Executable(); err == nil {
		return filepath.Join(filepath.Dir(exe), "hyperstart")
	}
	return ""
}

var notName = regexp.MustCompile(`[^a-z0-9-]+`)

// imageName is a pod and container name for an image reference: its
// repository's last element (busybox for busybox:1.36), or the local
// image's file name (bb for oci:/tmp/bb:1.36).
func imageName(ref string) string {
	var s string
	r, err := imageref.Parse(ref)
	switch {
	case err != nil:
		s = ref
	case r.IsLocal():
		s = filepath.Base(r.Path)
	default:
		s, _, _ = strings.Cut(r.Name, "@")
		s = s[strings.LastIndexByte(s, '/')+1:]
		s, _, _ = strings.Cut(s, ":")
	}
	s = strings.Trim(notName.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if s == "" || len(s) > 63 {
		return "pod"
	}
	return s
}
