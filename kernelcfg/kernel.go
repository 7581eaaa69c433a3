package kernelcfg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Kernel is a built (or brought) hyperkernel.
type Kernel struct {
	Path       string // the bzImage
	Version    string // kernel release, e.g. 6.1.192
	ConfigHash string // hex sha256 of the final .config; empty for FromFile
	Config     string // path of the final .config; empty for FromFile
	// Origin is where it came from: OriginBuilt, the image reference it
	// was pulled by (REF@sha256:...), or empty for FromFile.
	Origin string
}

// Files of a cache entry, <cache>/kernel/<key>/.
const (
	fileBzImage  = "bzImage"
	fileConfig   = "config"
	fileVersion  = "version"
	fileFragment = "fragment"
	fileImageSum = "bzImage.sha256" // hex sha256 of bzImage, written when it is built
)

// Cached returns the kernel for the current source, fragment and compiler
// if it is in the cache, ErrNotBuilt if not. It never builds.
func Cached(opts ...Option) (*Kernel, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	key, err := o.key(context.Background())
	if err != nil {
		return nil, err
	}
	return loadEntry(o.entryDir(key))
}

func (o *options) kernelDir() string          { return filepath.Join(o.cacheDir, "kernel") }
func (o *options) entryDir(key string) string { return filepath.Join(o.kernelDir(), key) }

// loadEntry reads a complete cache entry. The entry directory appears by a
// rename only once every file is written, so a missing directory is the
// only "not built" case.
func loadEntry(dir string) (*Kernel, error) {
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s", ErrNotBuilt, dir)
	}
	version, err := os.ReadFile(filepath.Join(dir, fileVersion))
	if err != nil {
		return nil, fmt.Errorf("reading cached kernel: %w", err)
	}
	config := filepath.Join(dir, fileConfig)
	cfg, err := os.ReadFile(config)
	if err != nil {
		return nil, fmt.Errorf("reading cached kernel: %w", err)
	}
	image := filepath.Join(dir, fileBzImage)
	if err := verifyImage(dir); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(cfg)
	origin := OriginBuilt
	if b, err := os.ReadFile(filepath.Join(dir, fileOrigin)); err == nil {
		origin = strings.TrimSpace(string(b))
	}
	return &Kernel{
		Origin:     origin,
		Path:       image,
		Version:    strings.TrimSpace(string(version)),
		ConfigHash: hex.EncodeToString(sum[:]),
		Config:     config,
	}, nil
}

// imageSum is the hex sha256 of the entry's bzImage.
func imageSum(dir string) (string, error) {
	f, err := os.Open(filepath.Join(dir, fileBzImage))
	if err != nil {
		return "", fmt.Errorf("reading cached kernel: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("reading cached kernel: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// recordImage writes the entry's bzImage.sha256, when it is built.
func recordImage(dir string) error {
	sum, err := imageSum(dir)
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(dir, fileImageSum), []byte(sum+"\n"))
}

// verifyImage checks the entry's bzImage against the sha256 recorded
// when it was built: a cached kernel that changed since (a disk error, a
// stray write, a tampered cache) is not booted. An entry from before
// hashes were recorded gets its hash recorded now; if that fails (a
// read-only cache), it is used unrecorded.
func verifyImage(dir string) error {
	got, err := imageSum(dir)
	if err != nil {
		return err
	}
	want, err := os.ReadFile(filepath.Join(dir, fileImageSum))
	if errors.Is(err, fs.ErrNotExist) {
		_ = writeFileAtomic(filepath.Join(dir, fileImageSum), []byte(got+"\n"))
		return nil
	}
	if err != nil {
		return fmt.Errorf("reading cached kernel: %w", err)
	}
	if w := strings.TrimSpace(string(want)); w != got {
		return fmt.Errorf("%w: %s is sha256:%s, recorded sha256:%s", ErrCacheCorrupt, filepath.Join(dir, fileBzImage), got, w)
	}
	return nil
}
