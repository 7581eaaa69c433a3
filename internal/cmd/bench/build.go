package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hyperbuild/hyper/internal/testimage"
	"github.com/hyperbuild/hyper/layers"
)

// busybox writes the offline busybox image once and returns its oci: ref.
func (b *bench) busybox() (string, error) {
	if b.busyboxRef == "" {
		ref, err := testimage.BusyboxLayout(filepath.Join(b.work, "busybox-oci"), "1.36")
		if err != nil {
			return "", err
		}
		b.busyboxRef = ref
	}
	return b.busyboxRef, nil
}

// coldCache is an empty image cache that shares the built kernel, so a
// cold build measures images and assembly, not a 12-minute kernel build.
func (b *bench) coldCache(i int) (string, error) {
	def, err := layers.DefaultCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(b.work, fmt.Sprintf("cache-%d", i))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	return dir, os.Symlink(filepath.Join(def, "kernel"), filepath.Join(dir, "kernel"))
}

func (b *bench) build() error {
	image, err := b.busybox()
	if err != nil {
		return err
	}
	out := filepath.Join(b.work, "web.img")
	pod := filepath.Join(b.repo, "examples", "web.hcl")
	hb := filepath.Join(b.bin, "hyperbuild")
	args := []string{pod, "-q", "-o", out, "-var", "image=" + image}
	i := 0
	var warmCache string
	cold, err := median(b.runs, func() (measured, error) {
		i++
		c, err := b.coldCache(i)
		if err != nil {
			return measured{}, err
		}
		warmCache = c
		return timed([]string{"HYPER_CACHE=" + c}, hb, args...)
	})
	if err != nil {
		return err
	}
	warm, err := median(b.runs, func() (measured, error) {
		return timed([]string{"HYPER_CACHE=" + warmCache}, hb, args...)
	})
	if err != nil {
		return err
	}
	b.add(Row{Area: "build", What: "examples/web.hcl, warm cache", Value: warm.wall.Seconds(), Unit: "s",
		Baseline: cold.wall.Seconds(), BaseWhat: "cold cache", Goal: "warm < 0.5 s"})
	b.add(Row{Area: "build", What: "hyperbuild peak RSS (warm)", Value: warm.rssMiB, Unit: "MiB"})
	app, alloc, err := fileSize(out)
	if err != nil {
		return err
	}
	b.add(Row{Area: "build", What: "artifact size, web.hcl (2 containers)", Value: float64(alloc) / (1 << 20), Unit: "MiB",
		Baseline: float64(app) / (1 << 20), BaseWhat: "apparent size"})
	return nil
}
