package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/spf13/pflag"

	"github.com/hyperbuild/hyper/artifact"
	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/internal/scratch"
)

// publishFlags are the build's registry flags: the kernel image to boot,
// where to push the artifact, and the result as JSON for pipelines.
type publishFlags struct {
	kernelImage string
	push        string
	asJSON      bool
}

func (f *publishFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.kernelImage, "kernel-image", "", "boot a hyperkernel pulled from a registry (hyperbuild kernel --push), best REF@sha256:...")
	fl.StringVar(&f.push, "push", "", "push the artifact to this registry reference once built (raw, raw-bios or containerdisk)")
	fl.BoolVar(&f.asJSON, "json", false, "print what was built as JSON on standard output (path, format, size, sha256, pod, images, kernel, pushed)")
}

// pushable are the formats --push takes: a raw image as a hyper artifact,
// a containerdisk as the OCI image it is.
var pushable = map[string]bool{"raw": true, "raw-bios": true, "containerdisk": true}

// check refuses, before the build, what the flags cannot do together.
func (f *publishFlags) check(out string, format builder.Format) error {
	switch {
	case f.asJSON && out == builder.Stdout:
		return cli.Usage(errors.New("--json prints to standard output, which -o - takes for the image; write the image to a file"))
	case f.push != "" && out == builder.Stdout:
		return cli.Usage(errors.New("--push pushes the file -o writes; give -o a path"))
	case f.push != "" && !pushable[string(format)]:
		return cli.Usage(fmt.Errorf("--push takes --format raw, raw-bios or containerdisk, not %s", format))
	case f.push != "":
		if err := artifact.CheckRef(f.push); err != nil {
			return cli.Usage(fmt.Errorf("--push: %w", err))
		}
	}
	return nil
}

func (f *publishFlags) options() []builder.Option {
	if f.kernelImage == "" {
		return nil
	}
	return []builder.Option{builder.WithKernelImage(f.kernelImage)}
}

// finish pushes the artifact when asked and prints the JSON result.
func (f *publishFlags) finish(ctx context.Context, res *builder.Result, insecure []string, stdout, stderr io.Writer, quiet bool) error {
	var pushed *artifact.Pushed
	if f.push != "" {
		opts := []artifact.Option{artifact.WithInsecureRegistries(insecure...)}
		if !quiet && !f.asJSON {
			opts = append(opts, artifact.WithProgress(stderr))
		}
		var err error
		if res.Format == "containerdisk" {
			pushed, err = pushContainerDisk(ctx, res.Output, f.push, opts)
		} else {
			pushed, err = artifact.Push(ctx, res.Output, f.push, opts...)
		}
		if err != nil {
			return fmt.Errorf("built %s, but pushing it failed: %w", res.Output, err)
		}
		if !f.asJSON {
			if err := printPushed(stdout, stderr, pushed, false, quiet); err != nil {
				return err
			}
		}
	}
	if !f.asJSON {
		return nil
	}
	r, err := buildResultOf(res)
	if err != nil {
		return err
	}
	r.Pushed = pushed
	return writeJSON(stdout, r)
}

// buildResult is `hyperbuild --json`'s output (docs/registry.md).
type buildResult struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	Size   int64  `json:"size"`
	// SHA256 is the output file's; empty for --format dir.
	SHA256 string           `json:"sha256,omitempty"`
	Pod    podResult        `json:"pod"`
	Images []imageResult    `json:"images"`
	Kernel kernelResult     `json:"kernel"`
	Pushed *artifact.Pushed `json:"pushed,omitempty"`
	// SBOM is the file --sbom wrote; absent without one.
	SBOM string `json:"sbom,omitempty"`
}

type podResult struct {
	Name string `json:"name"`
	// Digest is the sha256 of the resolved pod contract, as
	// hyperbuild validate --json prints it.
	Digest string `json:"digest"`
}

type imageResult struct {
	Container string `json:"container"`
	Image     string `json:"image"`
	Digest    string `json:"digest"`
}

type kernelResult struct {
	Version string `json:"version"`
	// Digest is the bzImage's sha256.
	Digest string `json:"digest"`
	// Origin: "built here", the pinned image reference it was pulled
	// by, or empty for a brought bzImage (Path).
	Origin string `json:"origin,omitempty"`
	Path   string `json:"path,omitempty"`
}

func buildResultOf(res *builder.Result) (*buildResult, error) {
	r := &buildResult{Path: res.Output, Format: string(res.Format), Size: res.Size, Images: []imageResult{}}
	if fi, err := os.Stat(res.Output); err == nil && fi.Mode().IsRegular() {
		sum, err := fileSHA256(res.Output)
		if err != nil {
			return nil, err
		}
		r.SHA256 = sum
	}
	pj, err := builder.PodJSON(res.Pod)
	if err != nil {
		return nil, err
	}
	r.Pod = podResult{Name: res.Pod.Name, Digest: fmt.Sprintf("sha256:%x", sha256.Sum256(pj))}
	r.SBOM = res.SBOM
	for _, c := range res.Pod.Containers {
		r.Images = append(r.Images, imageResult{Container: c.Name, Image: c.Image, Digest: c.Digest})
	}
	kd, err := res.Kernel.Digest()
	if err != nil {
		return nil, err
	}
	r.Kernel = kernelResult{Version: res.Kernel.Version, Digest: kd, Origin: res.Kernel.Origin}
	if res.Kernel.Origin == "" {
		r.Kernel.Path = res.Kernel.Path
	}
	return r, nil
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing %s: %w", path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// pushContainerDisk pushes the OCI image archive a containerdisk build
// wrote: unpacked beside it into a locked scratch directory, read as an
// OCI layout, pushed as the image it is.
func pushContainerDisk(ctx context.Context, archive, ref string, opts []artifact.Option) (*artifact.Pushed, error) {
	dir, err := scratch.New(filepath.Dir(archive), builder.ScratchPrefix)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	root := dir.Join("layout")
	if err := untar(archive, root); err != nil {
		return nil, fmt.Errorf("reading %s: %w", archive, err)
	}
	idx, err := layout.ImageIndexFromPath(root)
	if err != nil {
		return nil, fmt.Errorf("reading %s as an OCI layout: %w", archive, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	if len(im.Manifests) != 1 {
		return nil, fmt.Errorf("reading %s: %d images in it, want one", archive, len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		return nil, err
	}
	return artifact.PushImage(ctx, img, ref, opts...)
}

// untar unpacks the regular files and directories of an archive that
// this build just wrote, refusing any name that leaves dst.
func untar(archive, dst string) error {
	f, err := os.Open(archive)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		name := filepath.Clean(h.Name)
		if filepath.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") {
			return fmt.Errorf("entry %q leaves the archive", h.Name)
		}
		p := filepath.Join(dst, name)
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				return err
			}
			w, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
			if err != nil {
				return err
			}
			_, err = io.Copy(w, tr)
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		}
	}
}
