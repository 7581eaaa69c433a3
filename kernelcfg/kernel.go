package kernelcfg

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
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
}

// Files of a cache entry, <cache>/kernel/<key>/.
const (
	fileBzImage  = "bzImage"
	fileConfig   = "config"
	fileVersion  = "version"
	fileFragment = "fragment"
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
	if _, err := os.Stat(image); err != nil {
		return nil, fmt.Errorf("reading cached kernel: %w", err)
	}
	sum := sha256.Sum256(cfg)
	return &Kernel{
		Path:       image,
		Version:    strings.TrimSpace(string(version)),
		ConfigHash: hex.EncodeToString(sum[:]),
		Config:     config,
	}, nil
}
