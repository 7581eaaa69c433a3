package builder

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/hyperbuild/hyper/disk"
	"github.com/hyperbuild/hyper/formats"
	"github.com/hyperbuild/hyper/internal/ctxio"
)

// ErrOutput is an output path hyperbuild will not write (a usage error:
// nothing has been written when it is returned).
var ErrOutput = errors.New("output refused")

// Stdout is the output path that streams a raw image to standard output.
const Stdout = "-"

// OutputKind is what an output path is to hold.
type OutputKind int

// The kinds of output.
const (
	OutputRaw  OutputKind = iota // a raw GPT artifact, one file
	OutputDir                    // a --format dir artifact directory
	OutputExt4                   // an ext4 image (hyperbuild mkfs)
)

// Input is a file or directory a build reads, named for messages ("the
// pod file"); the output may be none of them, nor (a directory) hold one.
type Input struct{ What, Path string }

// CheckOutput decides, before anything is written, whether out may be
// written, and returns the path to write. A build writes only to a new
// path, over a previous artifact of its kind (a raw image whose ESP holds
// the manifest, an artifact directory, an ext4 image), or, with force,
// over any other regular file. It never writes over a device, a fifo, a
// socket, a directory (but a --format dir artifact), or any of inputs,
// compared by device and inode, not by name. When out is a symlink to a
// file it may replace, the link's target is returned, so that the link
// keeps pointing at the new artifact. Errors wrap ErrOutput, or say why
// out's directory cannot be written.
func CheckOutput(out string, kind OutputKind, inputs []Input, force bool) (string, error) {
	switch out {
	case "":
		return "", fmt.Errorf("%w: no output path given (use -o OUT.img)", ErrOutput)
	case Stdout:
		return "", fmt.Errorf("%w: %q is standard output, which only a raw image or mkfs can stream to", ErrOutput, out)
	}
	path := out
	fi, err := os.Lstat(out)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return out, checkParent(out)
	case err != nil:
		return "", fmt.Errorf("%w: %w", ErrOutput, err)
	case fi.Mode()&os.ModeSymlink != 0:
		target, terr := filepath.EvalSymlinks(out)
		if terr != nil {
			return "", fmt.Errorf("%w: %s is a symlink that leads nowhere (%w); not following it", ErrOutput, out, terr)
		}
		if fi, err = os.Stat(target); err != nil {
			return "", fmt.Errorf("%w: %w", ErrOutput, err)
		}
		path = target
	}
	if err := checkInputs(out, fi, kind, inputs); err != nil {
		return "", err
	}
	if err := checkKind(out, path, fi, kind, force); err != nil {
		return "", err
	}
	return path, checkParent(path)
}

// checkKind applies the rules for what is at the output path (fi, at
// path, which out names, perhaps through a symlink).
func checkKind(out, path string, fi os.FileInfo, kind OutputKind, force bool) error {
	m := fi.Mode()
	name := out
	if path != out {
		name = fmt.Sprintf("%s (a symlink to %s)", out, path)
	}
	switch {
	case m&os.ModeDevice != 0:
		return fmt.Errorf("%w: %s is %s; hyperbuild writes a new file or replaces its own artifact. To write the image onto a disk, stream it: -o - | dd of=%s bs=4M", ErrOutput, name, disk.FileKind(m), path)
	case m&os.ModeNamedPipe != 0:
		return fmt.Errorf("%w: %s is %s; to stream the image, use -o - and redirect standard output", ErrOutput, name, disk.FileKind(m))
	case m.IsDir() && kind == OutputDir:
		return checkArtifactDir(name, path)
	case m.IsDir():
		hint := "name a file"
		if kind == OutputRaw {
			hint = "name a file, or use --format dir to write a directory"
		}
		return fmt.Errorf("%w: %s is a directory; %s", ErrOutput, name, hint)
	case !m.IsRegular():
		return fmt.Errorf("%w: %s is %s, not a file hyperbuild may replace", ErrOutput, name, disk.FileKind(m))
	case kind == OutputDir:
		return fmt.Errorf("%w: %s is a file; --format dir writes a directory (name a new one, or remove the file)", ErrOutput, name)
	case force || isPrevious(path, kind):
		return nil
	}
	what := "a hyper artifact"
	if kind == OutputExt4 {
		what = "an ext4 image"
	}
	return fmt.Errorf("%w: %s exists and is not %s; not replacing it (add --force to replace it)", ErrOutput, name, what)
}

// checkArtifactDir accepts an empty directory or one that disk.Open reads
// as an artifact. --force does not apply: replacing a directory removes
// everything in it.
func checkArtifactDir(name, dir string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrOutput, err)
	}
	if len(ents) == 0 {
		return nil
	}
	img, err := disk.Open(dir)
	if err != nil {
		return fmt.Errorf("%w: %s is a directory that is not a hyper artifact (%w); not replacing it: remove it yourself or name a new directory", ErrOutput, name, err)
	}
	img.Close()
	return nil
}

// isPrevious reports whether the regular file at path is what a build of
// this kind wrote: an artifact whose ESP holds the manifest, a file in one
// of the converted formats (by its headers: formats.Detect), or an ext4
// image.
func isPrevious(path string, kind OutputKind) bool {
	if kind == OutputExt4 {
		return isExt4(path)
	}
	if _, ok := formats.Detect(path); ok {
		return true // a qcow2, vhd, vmdk, gce or containerdisk artifact
	}
	img, err := disk.Open(path)
	if err != nil {
		return false
	}
	img.Close()
	return true
}

// isExt4 reports whether the file at path starts with an ext2/3/4
// superblock (its magic, 0xEF53, at byte 1024+56).
func isExt4(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var magic [2]byte
	if _, err := f.ReadAt(magic[:], 1024+56); err != nil {
		return false
	}
	return magic == [2]byte{0x53, 0xef}
}

// checkInputs refuses an output that is one of the inputs or, for a
// directory output, holds one.
func checkInputs(out string, fi os.FileInfo, kind OutputKind, inputs []Input) error {
	for _, in := range inputs {
		if in.Path == "" {
			continue
		}
		real, err := filepath.EvalSymlinks(in.Path)
		if err != nil {
			continue // an input that is missing fails the build on its own
		}
		st, err := os.Stat(real)
		if err != nil {
			continue
		}
		if os.SameFile(fi, st) {
			return fmt.Errorf("%w: %s is %s (%s), an input of this build; choose another output", ErrOutput, out, in.What, in.Path)
		}
		if kind != OutputDir || !fi.IsDir() {
			continue
		}
		abs, err := filepath.Abs(real)
		if err != nil {
			continue
		}
		for p := filepath.Dir(abs); ; p = filepath.Dir(p) {
			if st, err := os.Stat(p); err == nil && os.SameFile(fi, st) {
				return fmt.Errorf("%w: %s holds %s (%s), an input of this build; replacing the directory would remove it, so choose another output", ErrOutput, out, in.What, in.Path)
			}
			if p == filepath.Dir(p) {
				break
			}
		}
	}
	return nil
}

// checkParent fails early, before any slow step, when path's directory
// cannot be written.
func checkParent(path string) error {
	dir := filepath.Dir(path)
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("output directory %s: %w", dir, err)
	}
	if !st.IsDir() {
		return fmt.Errorf("output directory %s is not a directory", dir)
	}
	probe, err := os.CreateTemp(dir, ".hyperbuild-probe-")
	if err != nil {
		return fmt.Errorf("output directory %s is not writable: %w", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	return nil
}

// copyOut streams the finished image at path to w, stopping when ctx is
// done.
func copyOut(ctx context.Context, w io.Writer, path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	n, err := io.CopyBuffer(w, ctxio.Reader(ctx, f), make([]byte, 1<<20))
	if err != nil {
		return n, fmt.Errorf("writing the image to standard output: %w", err)
	}
	return n, nil
}
