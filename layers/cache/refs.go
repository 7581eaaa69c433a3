package cache

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ref is what a refs/ entry records: the reference as written and the
// manifest digest it last resolved to.
type ref struct {
	Ref    string `json:"ref"`
	Digest string `json:"digest"`
}

func (c *Cache) refPath(name string) string {
	return filepath.Join(c.dir, "refs", fmt.Sprintf("%x", sha256.Sum256([]byte(name))))
}

// SetRef records that the reference name (a tag) resolved to digest.
func (c *Cache) SetRef(name, digest string) error {
	if _, err := hexOf(digest); err != nil {
		return err
	}
	b, err := json.Marshal(ref{name, digest})
	if err != nil {
		return fmt.Errorf("recording %s: %w", name, err)
	}
	f, err := os.CreateTemp(filepath.Join(c.dir, "tmp"), "ref-*")
	if err != nil {
		return fmt.Errorf("recording %s: %w", name, err)
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), c.refPath(name))
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("recording %s: %w", name, err)
	}
	return nil
}

// Ref is the digest name last resolved to; ErrMissing when unknown.
func (c *Cache) Ref(name string) (string, error) {
	b, err := os.ReadFile(c.refPath(name))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("%w: %s", ErrMissing, name)
	}
	if err != nil {
		return "", fmt.Errorf("reading cached %s: %w", name, err)
	}
	var r ref
	if err := json.Unmarshal(b, &r); err != nil || r.Ref != name {
		return "", fmt.Errorf("%w: %s (unreadable record)", ErrMissing, name)
	}
	if _, err := hexOf(r.Digest); err != nil {
		return "", fmt.Errorf("%w: %s (unreadable record)", ErrMissing, name)
	}
	return r.Digest, nil
}
