package cache

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func digest(b []byte) string { return fmt.Sprintf("sha256:%x", sha256.Sum256(b)) }

func open(t *testing.T) *Cache {
	c, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tmpFiles(t *testing.T, c *Cache) int {
	des, err := os.ReadDir(filepath.Join(c.Dir(), "tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return len(des)
}

func TestPutVerify(t *testing.T) {
	c := open(t)
	b := []byte("layer bytes")
	d := digest(b)
	if err := c.PutBytes(Blobs, d, b); err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(Blobs, d); err != nil {
		t.Fatal(err)
	}
	got, err := c.ReadFile(Blobs, d)
	if err != nil || string(got) != string(b) {
		t.Fatalf("ReadFile = %q, %v", got, err)
	}

	// A flipped byte is detected and the entry dropped.
	p, _ := c.Path(Blobs, d)
	flipped := append([]byte(nil), b...)
	flipped[3] ^= 1
	if err := os.WriteFile(p, flipped, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.Verify(Blobs, d); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("Verify after a flip = %v, want ErrDigestMismatch", err)
	}
	if c.Has(Blobs, d) {
		t.Error("corrupt entry kept")
	}
	if err := c.Verify(Blobs, d); !errors.Is(err, ErrMissing) {
		t.Errorf("Verify of a dropped entry = %v, want ErrMissing", err)
	}
}

func TestPutWrongDigest(t *testing.T) {
	c := open(t)
	d := digest([]byte("something else"))
	if err := c.PutBytes(Diffs, d, []byte("data")); !errors.Is(err, ErrDigestMismatch) {
		t.Fatalf("err = %v, want ErrDigestMismatch", err)
	}
	if c.Has(Diffs, d) || tmpFiles(t, c) != 0 {
		t.Error("a mismatched write left something behind")
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	c := open(t)
	b := []byte("partial")
	p, err := c.Create(Blobs, digest(b))
	if err != nil {
		t.Fatal(err)
	}
	p.Write(b[:3])
	p.Abort()
	if c.Has(Blobs, digest(b)) || tmpFiles(t, c) != 0 {
		t.Error("an aborted write left something behind")
	}
}

func TestBadDigest(t *testing.T) {
	c := open(t)
	for _, d := range []string{"", "sha256:../../etc/passwd", "md5:abc", "sha256:" + strings.Repeat("AB", 32)} {
		if err := c.PutBytes(Blobs, d, nil); !errors.Is(err, ErrBadDigest) {
			t.Errorf("PutBytes(%q) = %v, want ErrBadDigest", d, err)
		}
	}
}

func TestRefs(t *testing.T) {
	c := open(t)
	if _, err := c.Ref("localhost:5000/a:1"); !errors.Is(err, ErrMissing) {
		t.Fatalf("Ref of unknown = %v", err)
	}
	d := digest([]byte("m"))
	if err := c.SetRef("localhost:5000/a:1", d); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Ref("localhost:5000/a:1"); err != nil || got != d {
		t.Errorf("Ref = %q, %v; want %q", got, err, d)
	}
}

func TestListPrune(t *testing.T) {
	c := open(t)
	old, recent := []byte("old"), []byte("recent!")
	for _, b := range [][]byte{old, recent} {
		if err := c.PutBytes(Blobs, digest(b), b); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := c.Path(Blobs, digest(old))
	week := time.Now().Add(-7 * 24 * time.Hour)
	os.Chtimes(p, week, week)

	es, err := c.List()
	if err != nil || len(es) != 2 || es[0].Digest != digest(recent) || es[1].Size != 3 {
		t.Fatalf("List = %+v, %v", es, err)
	}
	freed, err := c.Prune(24 * time.Hour)
	if err != nil || freed != 3 || c.Has(Blobs, digest(old)) || !c.Has(Blobs, digest(recent)) {
		t.Fatalf("Prune(24h) = %d, %v", freed, err)
	}
	if freed, err := c.Prune(0); err != nil || freed < 7 {
		t.Fatalf("Prune(0) = %d, %v", freed, err)
	}
	if es, _ := c.List(); len(es) != 0 {
		t.Errorf("after Prune(0): %+v", es)
	}

	// A killed build's leftovers go once they are an hour old.
	left := filepath.Join(c.Dir(), "tmp", "source-1")
	os.MkdirAll(left, 0o755)
	os.WriteFile(filepath.Join(left, "image.tar"), []byte("x"), 0o644)
	if c.Prune(0); tmpFiles(t, c) != 1 {
		t.Error("a fresh temporary directory was pruned")
	}
	hour := time.Now().Add(-2 * time.Hour)
	os.Chtimes(left, hour, hour)
	if freed, _ := c.Prune(0); tmpFiles(t, c) != 0 || freed != 1 {
		t.Errorf("a stale temporary directory was kept (freed %d)", freed)
	}
}

func TestDefaultDir(t *testing.T) {
	t.Setenv(EnvDir, "/x/y")
	if d, err := DefaultDir(); err != nil || d != "/x/y" {
		t.Errorf("DefaultDir = %q, %v", d, err)
	}
}
