package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Errors, checked with errors.Is.
var (
	// ErrDigestMismatch is content that does not hash to its digest.
	ErrDigestMismatch = errors.New("digest mismatch")
	// ErrBadDigest is a digest that is not "sha256:" and 64 hex digits.
	ErrBadDigest = errors.New("unsupported digest")
	// ErrMissing is an entry the cache does not hold.
	ErrMissing = errors.New("not in the cache")
)

// Kind is a family of entries.
type Kind string

// The kinds of entries.
const (
	Blobs Kind = "blobs" // compressed layers, manifests and configs, by digest
	Diffs Kind = "diffs" // uncompressed layer tars, by DiffID
)

// Cache is a cache directory. Several processes may use one at a time:
// entries appear atomically and are never modified in place.
type Cache struct {
	dir string
}

// EnvDir is the environment variable that overrides the default directory.
const EnvDir = "HYPER_CACHE"

// DefaultDir is $HYPER_CACHE, else the user cache directory's "hyper".
func DefaultDir() (string, error) {
	if d := os.Getenv(EnvDir); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("finding the cache directory (set %s): %w", EnvDir, err)
	}
	return filepath.Join(d, "hyper"), nil
}

// Open opens (creating it if needed) the cache at dir.
func Open(dir string) (*Cache, error) {
	for _, d := range []string{"blobs/sha256", "diffs/sha256", "refs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("opening cache: %w", err)
		}
	}
	return &Cache{dir: dir}, nil
}

// Dir is the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// hexOf checks a digest and returns its hex part.
func hexOf(digest string) (string, error) {
	h, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		return "", fmt.Errorf("%w: %q", ErrBadDigest, digest)
	}
	return h, nil
}

// Path is where the entry kind/digest lives (whether or not it exists).
func (c *Cache) Path(kind Kind, digest string) (string, error) {
	h, err := hexOf(digest)
	if err != nil {
		return "", err
	}
	return filepath.Join(c.dir, string(kind), "sha256", h), nil
}

// Has reports whether the entry exists (without verifying it).
func (c *Cache) Has(kind Kind, digest string) bool {
	p, err := c.Path(kind, digest)
	if err != nil {
		return false
	}
	_, err = os.Stat(p)
	return err == nil
}

// Open opens an entry for reading and marks it used (for Prune). It does
// not verify it: see Verify.
func (c *Cache) Open(kind Kind, digest string) (*os.File, error) {
	p, err := c.Path(kind, digest)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s %s", ErrMissing, kind, digest)
	}
	if err != nil {
		return nil, fmt.Errorf("opening cached %s: %w", digest, err)
	}
	now := time.Now()
	_ = os.Chtimes(p, now, now) // best effort: only Prune's order depends on it
	return f, nil
}

// ReadFile returns a small entry (a manifest, a config), verified; a
// corrupt one is removed and reported as ErrMissing.
func (c *Cache) ReadFile(kind Kind, digest string) ([]byte, error) {
	f, err := c.Open(kind, digest)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := readAllLimited(f, 64<<20)
	if err != nil {
		return nil, fmt.Errorf("reading cached %s: %w", digest, err)
	}
	if got := fmt.Sprintf("sha256:%x", sha256.Sum256(b)); got != digest {
		c.remove(kind, digest)
		return nil, fmt.Errorf("%w: %s %s was corrupt and is dropped", ErrMissing, kind, digest)
	}
	return b, nil
}

// Verify hashes an entry; one that does not match is removed and reported
// as ErrDigestMismatch, a missing one as ErrMissing.
func (c *Cache) Verify(kind Kind, digest string) error {
	f, err := c.Open(kind, digest)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := copyBuf(h, f); err != nil {
		return fmt.Errorf("verifying cached %s: %w", digest, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != digest {
		c.remove(kind, digest)
		return fmt.Errorf("%w: cached %s hashes to %s; dropped", ErrDigestMismatch, digest, got)
	}
	return nil
}

func (c *Cache) remove(kind Kind, digest string) {
	if p, err := c.Path(kind, digest); err == nil {
		_ = os.Remove(p)
	}
}
