package kernelcfg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestCheckToolsNamesMissing(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	err := checkTools()
	if !errors.Is(err, ErrMissingTool) {
		t.Fatalf("checkTools with an empty PATH: %v, want ErrMissingTool", err)
	}
	for _, s := range []string{"gcc", "flex", "bison", "bc", "apt-get install build-essential flex bison bc", "make deps"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q lacks %q", err, s)
		}
	}
}

func requireGCC(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("gcc not installed: the cache key needs its version")
	}
}

// fakeSource is a stand-in tarball: the key only hashes it.
func fakeSource(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "linux-source.tar.xz")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCached(t *testing.T) {
	requireGCC(t)
	cache := t.TempDir()
	opts := []Option{WithCacheDir(cache), WithSource(fakeSource(t, "not really linux"))}
	if _, err := Cached(opts...); !errors.Is(err, ErrNotBuilt) {
		t.Fatalf("Cached on an empty cache: %v, want ErrNotBuilt", err)
	}
	o, err := makeOptions(opts)
	if err != nil {
		t.Fatal(err)
	}
	key, err := o.key(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	entry := o.entryDir(key)
	os.MkdirAll(entry, 0o755)
	for name, text := range map[string]string{fileBzImage: "image", fileConfig: "CONFIG_64BIT=y\n", fileVersion: "6.1.192\n"} {
		os.WriteFile(filepath.Join(entry, name), []byte(text), 0o644)
	}
	k, err := Cached(opts...)
	if err != nil {
		t.Fatal(err)
	}
	want := Kernel{
		Path:       filepath.Join(entry, fileBzImage),
		Version:    "6.1.192",
		ConfigHash: sha256hex("CONFIG_64BIT=y\n"),
		Config:     filepath.Join(entry, fileConfig),
		Origin:     OriginBuilt,
	}
	if *k != want {
		t.Errorf("Cached = %+v, want %+v", *k, want)
	}
	// Another source is another kernel.
	if _, err := Cached(WithCacheDir(cache), WithSource(fakeSource(t, "other"))); !errors.Is(err, ErrNotBuilt) {
		t.Errorf("Cached with another source: %v, want ErrNotBuilt", err)
	}
}

func TestBuildFailureKeepsLog(t *testing.T) {
	if err := checkTools(); err != nil {
		t.Skipf("build tools missing: %v", err)
	}
	cache := t.TempDir()
	var progress bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	_, err := Build(ctx, WithCacheDir(cache), WithSource(fakeSource(t, "not an xz tarball")), WithProgress(&progress))
	if err == nil || !strings.Contains(err.Error(), "extracting linux source") {
		t.Fatalf("Build from a broken tarball: %v, want an extraction error", err)
	}
	logs, _ := filepath.Glob(filepath.Join(cache, "kernel", "*.failed.log"))
	work, _ := filepath.Glob(filepath.Join(cache, "kernel", "build-*"))
	if len(logs) != 1 || len(work) != 0 {
		t.Errorf("after failure: logs %v (want 1), work dirs %v (want none)", logs, work)
	}
	if !strings.Contains(err.Error(), ".failed.log") {
		t.Errorf("error %q does not point at the kept log", err)
	}
	if !strings.Contains(progress.String(), "kernel: extracting") {
		t.Errorf("progress %q does not show the step", progress.String())
	}
}

// TestBuildReal builds the hyperkernel for real: about 12 minutes on two
// cores. HYPER_KERNEL_BUILD=1 builds into (or finds in) the default cache;
// HYPER_KERNEL_BUILD=fresh builds into a temporary one.
func TestBuildReal(t *testing.T) {
	mode := os.Getenv("HYPER_KERNEL_BUILD")
	if mode == "" {
		t.Skip("set HYPER_KERNEL_BUILD=1 (default cache) or =fresh (temporary cache) to build the kernel (~12 min)")
	}
	if _, err := os.Stat(DefaultSource); err != nil {
		t.Skipf("%s missing: apt-get install linux-source-6.1", DefaultSource)
	}
	if err := checkTools(); err != nil {
		t.Skipf("build tools missing: %v", err)
	}
	opts := []Option{WithProgress(testWriter{t})}
	if mode == "fresh" {
		opts = append(opts, WithCacheDir(t.TempDir()))
	}
	k, err := Build(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	hdr, err := FromFile(k.Path)
	if err != nil {
		t.Fatal(err)
	}
	if hdr.Version != k.Version || !strings.HasPrefix(k.Version, "6.1.") {
		t.Errorf("version: header %q, cache %q, want 6.1.x in both", hdr.Version, k.Version)
	}
	if err := checkConfigFile(k.Config); err != nil {
		t.Error(err)
	}
	st, _ := os.Stat(k.Path)
	t.Logf("bzImage %s: %d bytes, release %s", k.Path, st.Size(), k.Version)
	again, err := Cached(opts[1:]...)
	if err != nil || *again != *k {
		t.Errorf("Cached after Build = %+v, %v; want %+v", again, err, k)
	}
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// TestBuildRebuildsTamperedCache: a cached bzImage that no longer matches
// the sha256 recorded when it was built is not used: Cached refuses it,
// Build warns and builds again. The build itself is a stand-in (a real
// one takes 20 minutes) that writes an entry the way buildInto does.
func TestBuildRebuildsTamperedCache(t *testing.T) {
	requireGCC(t)
	builds := 0
	fakeBuild := func(o *options) {
		o.build = func(ctx context.Context, key, final string) error {
			builds++
			out := final + ".tmp"
			if err := os.MkdirAll(out, 0o755); err != nil {
				return err
			}
			for name, text := range map[string]string{fileBzImage: fmt.Sprintf("kernel build %d", builds), fileConfig: "CONFIG_64BIT=y\n", fileVersion: "6.1.192\n"} {
				if err := os.WriteFile(filepath.Join(out, name), []byte(text), 0o644); err != nil {
					return err
				}
			}
			if err := recordImage(out); err != nil {
				return err
			}
			return os.Rename(out, final)
		}
	}
	var warnings []string
	opts := []Option{WithCacheDir(t.TempDir()), WithSource(fakeSource(t, "not really linux")), fakeBuild,
		WithWarnings(func(w string) { warnings = append(warnings, w) })}
	ctx := context.Background()
	k, err := Build(ctx, opts...)
	if err != nil || builds != 1 {
		t.Fatalf("first Build: %v, %d builds", err, builds)
	}
	if _, err := Build(ctx, opts...); err != nil || builds != 1 {
		t.Fatalf("second Build: %v, %d builds; want the cached one", err, builds)
	}
	if err := os.WriteFile(k.Path, []byte("tampered"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Cached(opts...); !errors.Is(err, ErrCacheCorrupt) {
		t.Fatalf("Cached after tampering: %v, want ErrCacheCorrupt", err)
	}
	if _, err := Build(ctx, opts...); err != nil || builds != 2 {
		t.Fatalf("Build after tampering: %v, %d builds; want a rebuild", err, builds)
	}
	if b, _ := os.ReadFile(k.Path); string(b) != "kernel build 2" {
		t.Errorf("bzImage after the rebuild: %q", b)
	}
	if len(warnings) != 1 || !strings.Contains(warnings[0], "does not match its recorded sha256") || !strings.Contains(warnings[0], "building the hyperkernel again") {
		t.Errorf("warnings %q, want one about the mismatch", warnings)
	}
	// An entry from before hashes were recorded gets one on first use.
	sumFile := filepath.Join(filepath.Dir(k.Path), fileImageSum)
	if err := os.Remove(sumFile); err != nil {
		t.Fatal(err)
	}
	if _, err := Cached(opts...); err != nil {
		t.Fatalf("Cached without a recorded sha256: %v", err)
	}
	if b, err := os.ReadFile(sumFile); err != nil || strings.TrimSpace(string(b)) != sha256hex("kernel build 2") {
		t.Errorf("recorded sha256 %q, %v; want %s", b, err, sha256hex("kernel build 2"))
	}
}
