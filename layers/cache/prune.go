package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// Entry is one cached blob or diff.
type Entry struct {
	Kind   Kind
	Digest string
	Size   int64
	// Used is when the entry was last written or opened.
	Used time.Time
}

// List returns the entries, most recently used first.
func (c *Cache) List() ([]Entry, error) {
	var es []Entry
	for _, k := range []Kind{Blobs, Diffs} {
		dir := filepath.Join(c.dir, string(k), "sha256")
		des, err := os.ReadDir(dir)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("listing cache: %w", err)
		}
		for _, de := range des {
			info, err := de.Info()
			if err != nil || !info.Mode().IsRegular() {
				continue
			}
			d := "sha256:" + de.Name()
			if _, err := hexOf(d); err != nil {
				continue
			}
			es = append(es, Entry{Kind: k, Digest: d, Size: info.Size(), Used: info.ModTime()})
		}
	}
	sort.Slice(es, func(i, j int) bool {
		if !es[i].Used.Equal(es[j].Used) {
			return es[i].Used.After(es[j].Used)
		}
		return es[i].Digest < es[j].Digest
	})
	return es, nil
}

// Prune removes the entries not used for olderThan (all of them when it
// is zero), with the tag records when everything goes, and abandoned
// temporary files; it returns the bytes freed.
func (c *Cache) Prune(olderThan time.Duration) (int64, error) {
	es, err := c.List()
	if err != nil {
		return 0, err
	}
	cut := time.Now().Add(-olderThan)
	var freed int64
	for _, e := range es {
		if olderThan > 0 && e.Used.After(cut) {
			continue
		}
		p, _ := c.Path(e.Kind, e.Digest)
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return freed, fmt.Errorf("pruning %s: %w", e.Digest, err)
		}
		freed += e.Size
	}
	// What a build still running writes is younger than an hour.
	stale := time.Now().Add(-time.Hour)
	tmp := filepath.Join(c.dir, "tmp")
	des, _ := os.ReadDir(tmp)
	for _, de := range des {
		if info, err := de.Info(); err == nil && info.ModTime().Before(stale) {
			n := du(filepath.Join(tmp, de.Name()))
			if os.RemoveAll(filepath.Join(tmp, de.Name())) == nil {
				freed += n
			}
		}
	}
	if olderThan == 0 {
		refs := filepath.Join(c.dir, "refs")
		des, _ := os.ReadDir(refs)
		for _, de := range des {
			freed += du(filepath.Join(refs, de.Name()))
			os.Remove(filepath.Join(refs, de.Name()))
		}
	}
	return freed, nil
}

// du is the size of the files under p.
func du(p string) int64 {
	var n int64
	_ = filepath.WalkDir(p, func(_ string, de fs.DirEntry, err error) error {
		if err == nil && !de.IsDir() {
			if info, err := de.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
