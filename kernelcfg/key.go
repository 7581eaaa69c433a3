package kernelcfg

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
)

// cacheFormat changes when the layout or the build recipe changes in a way
// the inputs below do not show (so that old entries are not reused).
const cacheFormat = "hyperkernel-cache-v1"

// cacheKey is the hex sha256 of everything that determines the kernel: the
// source tarball's digest, the fragment text and the compiler's version line.
func cacheKey(sourceDigest, fragment, compiler string) string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\nsource sha256:%s\ncompiler %s\nfragment\n%s", cacheFormat, sourceDigest, compiler, fragment)
	return hex.EncodeToString(h.Sum(nil))
}

// key computes the cache key for o, hashing the tarball at most once per
// (path, size, mtime).
func (o *options) key(ctx context.Context) (string, error) {
	digest, err := sourceDigest(o.source, filepath.Join(o.cacheDir, "kernel", "digests"))
	if err != nil {
		return "", err
	}
	cc, err := compilerVersion(ctx)
	if err != nil {
		return "", err
	}
	return cacheKey(digest, Fragment(), cc), nil
}

var digestMemo sync.Map // memo key -> hex digest

// sourceDigest returns the hex sha256 of the tarball. It is memoized by
// path, size and mtime, in memory and in memoDir (so a later process does not
// read 130 MB again).
func sourceDigest(path, memoDir string) (string, error) {
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("%w: %s (apt-get install linux-source-6.1, or make deps)", ErrNoSource, path)
	}
	if err != nil {
		return "", fmt.Errorf("reading linux source: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("reading linux source: %w", err)
	}
	id := sha256.Sum256(fmt.Appendf(nil, "%s\x00%d\x00%d", abs, st.Size(), st.ModTime().UnixNano()))
	memo := hex.EncodeToString(id[:])
	if d, ok := digestMemo.Load(memo); ok {
		return d.(string), nil
	}
	memoFile := filepath.Join(memoDir, memo)
	if b, err := os.ReadFile(memoFile); err == nil && len(bytes.TrimSpace(b)) == 64 {
		d := string(bytes.TrimSpace(b))
		digestMemo.Store(memo, d)
		return d, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("hashing linux source: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing linux source %s: %w", path, err)
	}
	d := hex.EncodeToString(h.Sum(nil))
	digestMemo.Store(memo, d)
	// The on-disk memo is an optimisation: a failure to write it is not an error.
	if os.MkdirAll(memoDir, 0o755) == nil {
		_ = writeFileAtomic(memoFile, []byte(d+"\n"))
	}
	return d, nil
}

// compilerVersion is the first line of `gcc --version`.
func compilerVersion(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "gcc", "--version").Output()
	if err != nil {
		return "", fmt.Errorf("%w: running gcc --version: %v (apt-get install build-essential, or make deps)", ErrMissingTool, err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	return strings.TrimSpace(line), nil
}

// writeFileAtomic writes via a temporary file and a rename, so readers never
// see a partial file.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		os.Remove(tmp.Name())
		return err
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return err
	}
	return nil
}
