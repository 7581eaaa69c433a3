package builder

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/internal/scratch"
	"github.com/hyperbuild/hyper/internal/version"
	"github.com/hyperbuild/hyper/layers"
	"github.com/hyperbuild/hyper/layers/imageref"
	"github.com/hyperbuild/hyper/sbom"
)

// WithSBOM writes an SBOM of the pod's images to path, in format f (see
// package sbom), beside the artifact: it is checked before any slow step,
// made from the same flattened roots that go onto the pod disk, and put
// in place only once the artifact is.
func WithSBOM(path string, f sbom.Format) Option {
	return func(o *options) { o.sbom = &sbomOutput{path: path, format: f} }
}

// sbomOutput is one build's SBOM: where it goes, and the scans of each
// image's root, keyed by the image's digest.
type sbomOutput struct {
	path   string
	format sbom.Format
	target string // path, through a symlink

	scans map[string]*imageScan // by image digest; writePodFS's goroutine only
	work  *scratch.Dir          // holds the rendered SBOM until commit
}

type imageScan struct {
	done chan struct{}
	inv  *sbom.Inventory
	err  error
}

var errScanStopped = errors.New("the SBOM's scan stopped reading")

// checkSBOM decides, before anything is written, whether the SBOM may go
// to its path: a new file, a previous SBOM, or (force) another regular
// file; never an input, the artifact itself or a path inside it, nor
// standard output.
func (o *options) checkSBOM(out, dest string, inputs []Input) error {
	s := o.sbom
	if s == nil {
		return nil
	}
	refuse := func(format string, args ...any) error {
		return fmt.Errorf("%w: --sbom %s %s", ErrOutput, s.path, fmt.Sprintf(format, args...))
	}
	switch {
	case s.path == "":
		return fmt.Errorf("%w: --sbom: no path given", ErrOutput)
	case s.path == Stdout:
		return fmt.Errorf("%w: --sbom -: name a file; standard output is for the image (-o -) or the build's report", ErrOutput)
	}
	if _, err := sbom.ParseFormat(string(s.format)); err != nil {
		return fmt.Errorf("%w: --sbom: %w", ErrOutput, err)
	}
	abs, err := filepath.Abs(s.path)
	if err != nil {
		return fmt.Errorf("%w: --sbom: %w", ErrOutput, err)
	}
	if out != Stdout {
		if a, err := filepath.Abs(dest); err == nil && (abs == a || strings.HasPrefix(abs, a+string(filepath.Separator))) {
			return refuse("is the artifact (-o %s) or inside it; name another file", out)
		}
	}
	s.target = s.path
	fi, err := os.Stat(s.path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		if _, lerr := os.Lstat(s.path); lerr == nil {
			return refuse("is a symlink that leads nowhere; not following it")
		}
		return checkParent(s.path)
	case err != nil:
		return fmt.Errorf("%w: --sbom: %w", ErrOutput, err)
	case !fi.Mode().IsRegular():
		return refuse("is %s; name a file", disk.FileKind(fi.Mode()))
	}
	if err := checkInputs(s.path, fi, OutputRaw, inputs); err != nil {
		return err
	}
	if !o.force && !sbom.IsDocument(s.path) {
		return refuse("exists and is not an SBOM; not replacing it (add --force to replace it)")
	}
	if s.target, err = filepath.EvalSymlinks(s.path); err != nil {
		return fmt.Errorf("%w: --sbom: %w", ErrOutput, err)
	}
	return checkParent(s.target)
}

// writer is where Flatten writes image digest's root: w, teed to a scan
// of it the first time that image is flattened. finish must be called
// with Flatten's error. Without an SBOM (s nil) it is w.
func (s *sbomOutput) writer(w io.Writer, digest string) (io.Writer, func(error)) {
	if s == nil {
		return w, func(error) {}
	}
	if s.scans == nil {
		s.scans = map[string]*imageScan{}
	}
	if _, ok := s.scans[digest]; ok {
		return w, func(error) {}
	}
	sc := &imageScan{done: make(chan struct{})}
	s.scans[digest] = sc
	sr, sw := io.Pipe()
	go func() {
		defer close(sc.done)
		sc.inv, sc.err = sbom.Scan(sr)
		// Scan reads to the end but for a broken stream; then the tee's
		// writes fail instead of blocking.
		sr.CloseWithError(errScanStopped)
	}()
	return io.MultiWriter(w, sw), func(err error) { sw.CloseWithError(err) }
}

// render writes the SBOM of the pod's images (resolved, their roots
// scanned by writePodFS) into a work directory beside its path; commit
// puts it in place.
func (s *sbomOutput) render(pod *contract.Pod, images []*layers.Image, o *options) error {
	if s == nil {
		return nil
	}
	d := &sbom.Document{Pod: pod.Name, Created: o.epoch, ToolVersion: version.String()}
	byDigest := map[string]int{}
	for i, c := range pod.Containers {
		if j, ok := byDigest[c.Digest]; ok {
			d.Images[j].Containers = append(d.Images[j].Containers, c.Name)
			continue
		}
		sc, ok := s.scans[c.Digest]
		if !ok {
			return fmt.Errorf("writing the SBOM: container %q's image %s was not scanned", c.Name, c.Digest)
		}
		<-sc.done
		if sc.err != nil {
			return fmt.Errorf("writing the SBOM: container %q's image %s: %w (build without --sbom to go on)", c.Name, c.Image, sc.err)
		}
		img := sbom.Image{Ref: c.Image, Digest: c.Digest, Containers: []string{c.Name}, Inventory: *sc.inv}
		img.Name, img.Repository = imageNames(images[i].Ref)
		byDigest[c.Digest] = len(d.Images)
		d.Images = append(d.Images, img)
	}

	dir := filepath.Dir(s.target)
	scratch.Sweep(dir, ScratchPrefix)
	work, err := scratch.New(dir, ScratchPrefix)
	if err != nil {
		return fmt.Errorf("writing the SBOM: %w", err)
	}
	s.work = work
	f, err := os.Create(work.Join("sbom.json"))
	if err != nil {
		return fmt.Errorf("writing the SBOM: %w", err)
	}
	defer f.Close()
	if err := d.Write(f, s.format); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the SBOM: %w", err)
	}
	return nil
}

// commit renames the rendered SBOM into place (0644, as a build's
// outputs are) and removes its work directory.
func (s *sbomOutput) commit() error {
	if s == nil {
		return nil
	}
	src := s.work.Join("sbom.json")
	if err := os.Chmod(src, 0o644); err != nil {
		return fmt.Errorf("writing the SBOM: %w", err)
	}
	if err := os.Rename(src, s.target); err != nil {
		return fmt.Errorf("writing the SBOM to %s: %w", s.path, err)
	}
	return s.discard()
}

// discard removes what render left, on the way out of a failed build.
func (s *sbomOutput) discard() error {
	if s == nil || s.work == nil {
		return nil
	}
	err := s.work.Close()
	s.work = nil
	return err
}

// imageNames gives an image's short name and, for a registry image, its
// repository: busybox and index.docker.io/library/busybox; a local
// image is named after its directory or file.
func imageNames(r imageref.Ref) (short, repo string) {
	if r.IsLocal() {
		return filepath.Base(r.Path), ""
	}
	ref, err := name.ParseReference(r.Name)
	if err != nil {
		return r.Name, ""
	}
	repo = ref.Context().Name()
	return repo[strings.LastIndex(repo, "/")+1:], repo
}

// written is where commit put the SBOM, for Result.
func (s *sbomOutput) written() string {
	if s == nil {
		return ""
	}
	return s.path
}
