package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
)

// Pending is an entry being written: Write to it, then Commit (which
// verifies the digest and renames it into place) or Abort. Until Commit
// nothing is visible under the entry's path.
type Pending struct {
	c      *Cache
	kind   Kind
	digest string
	path   string
	f      *os.File
	h      hash.Hash
	n      int64
}

// Create starts writing the entry kind/digest.
func (c *Cache) Create(kind Kind, digest string) (*Pending, error) {
	p, err := c.Path(kind, digest)
	if err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Join(c.dir, "tmp"), string(kind)+"-*")
	if err != nil {
		return nil, fmt.Errorf("caching %s: %w", digest, err)
	}
	return &Pending{c: c, kind: kind, digest: digest, path: p, f: f, h: sha256.New()}, nil
}

// Write appends b to the entry.
func (p *Pending) Write(b []byte) (int, error) {
	n, err := p.f.Write(b)
	p.h.Write(b[:n])
	p.n += int64(n)
	return n, err
}

// Size is how many bytes were written so far.
func (p *Pending) Size() int64 { return p.n }

// Digest is the digest of what was written so far.
func (p *Pending) Digest() string { return "sha256:" + hex.EncodeToString(p.h.Sum(nil)) }

// Matches reports whether what was written so far hashes to the digest.
func (p *Pending) Matches() bool { return p.Digest() == p.digest }

// Commit checks the digest and puts the entry in place; on a mismatch the
// entry is dropped and the error is ErrDigestMismatch.
func (p *Pending) Commit() error {
	got := "sha256:" + hex.EncodeToString(p.h.Sum(nil))
	if got != p.digest {
		p.Abort()
		return fmt.Errorf("%w: got %s, want %s", ErrDigestMismatch, got, p.digest)
	}
	if err := p.f.Sync(); err != nil {
		p.Abort()
		return fmt.Errorf("caching %s: %w", p.digest, err)
	}
	if err := p.f.Close(); err != nil {
		p.Abort()
		return fmt.Errorf("caching %s: %w", p.digest, err)
	}
	if err := os.Rename(p.f.Name(), p.path); err != nil {
		p.Abort()
		return fmt.Errorf("caching %s: %w", p.digest, err)
	}
	return nil
}

// Abort drops the entry. It is safe after Commit (it then does nothing).
func (p *Pending) Abort() {
	p.f.Close()
	os.Remove(p.f.Name())
}

// Put writes an entry from r, verified.
func (c *Cache) Put(kind Kind, digest string, r io.Reader) error {
	p, err := c.Create(kind, digest)
	if err != nil {
		return err
	}
	if _, err := copyBuf(p, r); err != nil {
		p.Abort()
		return fmt.Errorf("caching %s: %w", digest, err)
	}
	return p.Commit()
}

// PutBytes writes a small entry, verified.
func (c *Cache) PutBytes(kind Kind, digest string, b []byte) error {
	return c.Put(kind, digest, bytes.NewReader(b))
}

func copyBuf(w io.Writer, r io.Reader) (int64, error) {
	return io.CopyBuffer(w, r, make([]byte, 1<<20))
}

func readAllLimited(r io.Reader, max int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err == nil && int64(len(b)) > max {
		err = fmt.Errorf("larger than %d bytes", max)
	}
	return b, err
}
