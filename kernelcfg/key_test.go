package kernelcfg

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCacheKeyStable(t *testing.T) {
	// A change here invalidates every cached kernel: bump cacheFormat
	// on purpose, never by accident.
	got := cacheKey(strings.Repeat("ab", 32), "CONFIG_64BIT=y\n", "gcc (Debian 12.2.0-14+deb12u1) 12.2.0")
	const want = "f462998e1752f94e54efffecc9aaf925b57b34583e8016fed87b59ed1ab4d3e1"
	if got != want {
		t.Errorf("cacheKey = %s, want %s", got, want)
	}
	if again := cacheKey(strings.Repeat("ab", 32), "CONFIG_64BIT=y\n", "gcc (Debian 12.2.0-14+deb12u1) 12.2.0"); again != got {
		t.Errorf("cacheKey not deterministic: %s then %s", got, again)
	}
}

func TestCacheKeyInputs(t *testing.T) {
	base := [3]string{strings.Repeat("ab", 32), "CONFIG_64BIT=y\n", "gcc 12"}
	key := func(in [3]string) string { return cacheKey(in[0], in[1], in[2]) }
	seen := map[string]string{key(base): "base"}
	for i, name := range []string{"source digest", "fragment", "compiler"} {
		in := base
		in[i] += "x"
		k := key(in)
		if prev, ok := seen[k]; ok {
			t.Errorf("changing the %s gives the same key as %s", name, prev)
		}
		seen[k] = name
	}
}

func TestSourceDigestMemo(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "linux.tar.xz")
	memo := filepath.Join(dir, "memo")
	if err := os.WriteFile(src, []byte("one"), 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Unix(1700000000, 0)
	os.Chtimes(src, mtime, mtime)
	sum := func(s string) string { h := sha256.Sum256([]byte(s)); return hex.EncodeToString(h[:]) }

	got, err := sourceDigest(src, memo)
	if err != nil || got != sum("one") {
		t.Fatalf("sourceDigest = %s, %v; want %s", got, err, sum("one"))
	}
	// Same path, size and mtime: the memo answers, the file is not read again.
	os.WriteFile(src, []byte("two"), 0o644)
	os.Chtimes(src, mtime, mtime)
	if got, _ := sourceDigest(src, memo); got != sum("one") {
		t.Errorf("memoized digest = %s, want the first one %s", got, sum("one"))
	}
	// The memo survives the process: drop the in-memory copy.
	digestMemo.Clear()
	if got, _ := sourceDigest(src, memo); got != sum("one") {
		t.Errorf("on-disk memo digest = %s, want %s", got, sum("one"))
	}
	// A new mtime means a new file.
	later := mtime.Add(time.Second)
	os.Chtimes(src, later, later)
	if got, _ := sourceDigest(src, memo); got != sum("two") {
		t.Errorf("after touch: digest = %s, want %s", got, sum("two"))
	}
}

func TestSourceDigestMissing(t *testing.T) {
	_, err := sourceDigest(filepath.Join(t.TempDir(), "nope.tar.xz"), t.TempDir())
	if !errors.Is(err, ErrNoSource) || !strings.Contains(err.Error(), "apt-get install linux-source-6.1") {
		t.Errorf("err = %v, want ErrNoSource naming the package", err)
	}
}

func sha256hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}
