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
	"sort"
	"strings"
)

// fileOrigin says where a cache entry came from: absent for a kernel built
// here, the image reference (REF@sha256:...) for one pulled (Adopt).
const fileOrigin = "origin"

// imagePrefix starts the name of a pulled kernel's entry; the rest is the
// hex of the manifest digest it was pulled by.
const imagePrefix = "image-"

// OriginBuilt is the Origin of a kernel built here by Build.
const OriginBuilt = "built here"

// ImageEntry returns the pulled kernel whose image manifest has digest
// (sha256:HEX), ErrNotBuilt when the cache does not hold it. The bzImage
// is checked against its recorded sha256 (ErrCacheCorrupt).
func ImageEntry(digest string, opts ...Option) (*Kernel, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	dir, err := o.imageDir(digest)
	if err != nil {
		return nil, err
	}
	return loadEntry(dir)
}

func (o *options) imageDir(digest string) (string, error) {
	h, ok := strings.CutPrefix(digest, "sha256:")
	if !ok || len(h) != 64 || strings.Trim(h, "0123456789abcdef") != "" {
		return "", fmt.Errorf("kernel image digest %q: want sha256: and 64 hex digits", digest)
	}
	return o.entryDir(imagePrefix + h), nil
}

// TempDir makes a directory under the kernel cache for Adopt to take in
// (same file system, so the entry appears by a rename).
func TempDir(opts ...Option) (string, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(o.kernelDir(), 0o755); err != nil {
		return "", fmt.Errorf("creating kernel cache: %w", err)
	}
	d, err := os.MkdirTemp(o.kernelDir(), "pull-")
	if err != nil {
		return "", fmt.Errorf("creating kernel cache entry: %w", err)
	}
	return d, nil
}

// Adopt checks a kernel pulled into dir (from TempDir: bzImage, config,
// version) and makes it the cache entry of the image manifest digest,
// recording origin (the reference it came by). The bzImage must be a
// 64-bit bzImage whose release is version's, and config must build in
// what a pod needs (BootFeatures). dir is consumed: renamed into place,
// or removed on error. An entry already there is kept.
func Adopt(dir, digest, origin string, opts ...Option) (k *Kernel, err error) {
	defer func() {
		if err != nil {
			os.RemoveAll(dir)
		}
	}()
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	final, err := o.imageDir(digest)
	if err != nil {
		return nil, err
	}
	if err := checkPulled(dir); err != nil {
		return nil, fmt.Errorf("kernel image %s: %w", origin, err)
	}
	if err := recordImage(dir); err != nil {
		return nil, fmt.Errorf("recording the kernel's sha256: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, fileOrigin), []byte(origin+"\n"), 0o644); err != nil {
		return nil, fmt.Errorf("recording the kernel's origin: %w", err)
	}
	if err := os.Rename(dir, final); err != nil {
		if !errors.Is(err, fs.ErrExist) && !errors.Is(err, fs.ErrPermission) {
			if _, serr := os.Stat(final); serr != nil {
				return nil, fmt.Errorf("installing pulled kernel: %w", err)
			}
		}
		os.RemoveAll(dir) // another pull of the same digest got there first
	}
	return loadEntry(final)
}

// checkPulled checks the files of a pulled kernel.
func checkPulled(dir string) error {
	f, err := os.Open(filepath.Join(dir, fileBzImage))
	if err != nil {
		return err
	}
	defer f.Close()
	release, _, err := readBzImage(f)
	if err != nil {
		return err
	}
	want, err := os.ReadFile(filepath.Join(dir, fileVersion))
	if err != nil {
		return err
	}
	if w := strings.TrimSpace(string(want)); w != release {
		return fmt.Errorf("%w: the bzImage is release %s, the image says %s", ErrNotBzImage, release, w)
	}
	cf, err := os.Open(filepath.Join(dir, fileConfig))
	if err != nil {
		return err
	}
	defer cf.Close()
	cfg, err := ParseConfig(cf)
	if err != nil {
		return err
	}
	if missing := MissingForBoot(cfg); len(missing) > 0 {
		return fmt.Errorf("%w (%s):\n  %s", ErrMissingBuiltins, release, strings.Join(missing, "\n  "))
	}
	return nil
}

// Entry is one kernel in the cache, as `hyperbuild cache ls` lists it.
type Entry struct {
	// Name is the entry's directory name: the build key, or image-HEX.
	Name string `json:"name"`
	// Origin is OriginBuilt, or the reference the kernel was pulled by.
	Origin  string `json:"origin"`
	Version string `json:"version"`
	// Digest is the bzImage's sha256:HEX, as recorded in the entry.
	Digest string `json:"digest,omitempty"`
	Size   int64  `json:"size"`
	Path   string `json:"path"`
	// Current: the entry Build would use now (this source, fragment and
	// compiler).
	Current bool `json:"current,omitempty"`
}

// List lists the kernels in the cache, without hashing them (Build,
// Cached and ImageEntry verify before use), built ones first.
func List(opts ...Option) ([]Entry, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, err
	}
	des, err := os.ReadDir(o.kernelDir())
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("listing kernel cache: %w", err)
	}
	current := ""
	if key, err := o.key(context.Background()); err == nil {
		current = key
	}
	var out []Entry
	for _, de := range des {
		if !de.IsDir() || de.Name() == "digests" || strings.HasPrefix(de.Name(), "build-") || strings.HasPrefix(de.Name(), "pull-") {
			continue
		}
		dir := o.entryDir(de.Name())
		fi, err := os.Stat(filepath.Join(dir, fileBzImage))
		if err != nil {
			continue // not an entry
		}
		e := Entry{Name: de.Name(), Origin: OriginBuilt, Size: fi.Size(), Path: filepath.Join(dir, fileBzImage), Current: de.Name() == current}
		if b, err := os.ReadFile(filepath.Join(dir, fileVersion)); err == nil {
			e.Version = strings.TrimSpace(string(b))
		}
		if b, err := os.ReadFile(filepath.Join(dir, fileOrigin)); err == nil {
			e.Origin = strings.TrimSpace(string(b))
		}
		if b, err := os.ReadFile(filepath.Join(dir, fileImageSum)); err == nil {
			e.Digest = "sha256:" + strings.TrimSpace(string(b))
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool {
		bi, bj := out[i].Origin == OriginBuilt, out[j].Origin == OriginBuilt
		if bi != bj {
			return bi
		}
		return out[i].Name < out[j].Name
	})
	return out, nil
}

// Digest is the sha256:HEX of k's bzImage.
func (k *Kernel) Digest() (string, error) {
	f, err := os.Open(k.Path)
	if err != nil {
		return "", fmt.Errorf("hashing kernel: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("hashing kernel %s: %w", k.Path, err)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}
