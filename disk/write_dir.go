package disk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// File names in the directory format.
const (
	DirKernel   = "bzImage"
	DirInitrd   = "initrd.img"
	DirPodFS    = "pod.ext4"
	DirCmdline  = "cmdline"
	DirManifest = "manifest.json"
)

// WriteDir writes the artifact as a directory of plain files, for
// qemu -kernel users. It is built in a temporary directory beside dir (or
// in WithTempDir's) and renamed into place; an existing dir is replaced
// only if it is empty or an artifact directory (it has manifest.json).
// WithBootloader does not apply: the directory format has no ESP.
func WriteDir(ctx context.Context, dir string, a Artifact, opts ...Option) error {
	if err := writeDir(ctx, dir, a, makeOptions(opts)); err != nil {
		return fmt.Errorf("writing artifact directory %s: %w", dir, err)
	}
	return nil
}

func writeDir(ctx context.Context, dir string, a Artifact, o options) (err error) {
	sizes, err := a.sizes()
	if err != nil {
		return err
	}
	old, err := replaceable(dir)
	if err != nil {
		return err
	}
	tempDir := o.tempDir
	if tempDir == "" {
		tempDir = filepath.Dir(dir)
	}
	tmp, err := os.MkdirTemp(tempDir, "."+filepath.Base(dir)+".*.tmp")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	m := a.Manifest
	m.Cmdline, m.Sizes = a.Cmdline, sizes
	mj, err := m.encode()
	if err != nil {
		return err
	}
	copies := []struct {
		src, name string
		size      int64
	}{{a.Kernel, DirKernel, sizes.Kernel}, {a.Initrd, DirInitrd, sizes.Initrd}, {a.PodFS, DirPodFS, sizes.PodFS}}
	for _, c := range copies {
		if err := copyFile(ctx, c.src, filepath.Join(tmp, c.name), c.size); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(tmp, DirCmdline), []byte(a.Cmdline+"\n"), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, DirManifest), mj, 0o644); err != nil {
		return err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	// Checked again: the copies may have taken a while.
	if old, err = replaceable(dir); err != nil {
		return err
	}
	if old {
		trash := tmp + ".old"
		if err := os.Rename(dir, trash); err != nil {
			return err
		}
		defer os.RemoveAll(trash)
	}
	return os.Rename(tmp, dir)
}

// replaceable reports whether dir exists and may be replaced.
func replaceable(dir string) (bool, error) {
	fi, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if !fi.IsDir() {
		// A symlink too: the rename would replace the link, not follow it.
		return false, fmt.Errorf("%w: %s exists and is %s, not a directory", ErrBadInput, dir, FileKind(fi.Mode()))
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return false, err
	}
	if len(ents) == 0 {
		return true, nil
	}
	if _, err := os.Stat(filepath.Join(dir, DirManifest)); err != nil {
		return false, fmt.Errorf("%w: %s exists and is not an artifact directory; not replacing it", ErrBadInput, dir)
	}
	return true, nil
}

// copyFile copies size bytes of src to a new file dst, keeping zero
// chunks as holes.
func copyFile(ctx context.Context, src, dst string, size int64) error {
	r, err := os.Open(src)
	if err != nil {
		return err
	}
	defer r.Close()
	w, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	n, err := copySparse(ctx, w, 0, io.LimitReader(r, size), nil)
	if err == nil && n != size {
		err = fmt.Errorf("%s: read %d bytes, want %d (file changed?)", src, n, size)
	}
	if err == nil {
		err = w.Truncate(size)
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return err
}
