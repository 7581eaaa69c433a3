package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"

	hyperartifact "github.com/hyperbuild/hyper/artifact"
)

// registry pushes artifacts to an in-process registry (loopback HTTP, so
// the figures are hyper's work, zstd and hashing, not a network) and pulls
// them into an empty cache: time and bytes moved each way, beside the raw
// image's allocated size (the goal: no more than it). The artifacts:
// examples/web.hcl (busybox) and, where present, a pod of the Debian
// bookworm test image (nginx-light, redis; $HYPER_TEST_DEBIAN_OCI).
func (b *bench) registry() error {
	image, err := b.busybox()
	if err != nil {
		return err
	}
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	hb := filepath.Join(b.bin, "hyperbuild")
	web := filepath.Join(b.work, "registry-web.img")
	if _, err := timed(nil, hb, filepath.Join(b.repo, "examples", "web.hcl"), "-q", "-o", web, "-var", "image="+image); err != nil {
		return err
	}
	if err := b.pushPull("busybox pod", web, host+"/bench/web"); err != nil {
		return err
	}
	deb := os.Getenv("HYPER_TEST_DEBIAN_OCI")
	if deb == "" {
		deb = "/work/deb/oci"
	}
	if _, err := os.Stat(filepath.Join(deb, "index.json")); err != nil {
		b.skip("registry", "Debian pod", "no Debian test image (set HYPER_TEST_DEBIAN_OCI to an OCI layout tagged bookworm)")
		return nil
	}
	podFile := filepath.Join(b.work, "registry-debian.hcl")
	src := fmt.Sprintf("pod \"debian\" {\n  container \"debian\" {\n    image   = %q\n    command = [\"true\"]\n  }\n}\n", "oci:"+deb+":bookworm")
	if err := os.WriteFile(podFile, []byte(src), 0o644); err != nil {
		return err
	}
	raw := filepath.Join(b.work, "registry-debian.img")
	if _, err := timed(nil, hb, podFile, "-q", "-o", raw); err != nil {
		return err
	}
	return b.pushPull("Debian pod", raw, host+"/bench/debian")
}

// pushPull times b.runs pushes (each to a new repository, so every blob
// is sent) and pulls (each into an empty cache).
func (b *bench) pushPull(what, img, repo string) error {
	app, alloc, err := fileSize(img)
	if err != nil {
		return err
	}
	ctx := context.Background()
	var sent, received int64
	i := 0
	push, err := median(b.runs, func() (measured, error) {
		i++
		cache, err := os.MkdirTemp(b.work, "push-cache-")
		if err != nil {
			return measured{}, err
		}
		defer os.RemoveAll(cache)
		start := time.Now()
		p, err := hyperartifact.Push(ctx, img, fmt.Sprintf("%s%d:1", repo, i), hyperartifact.WithCacheDir(cache))
		if err != nil {
			return measured{}, err
		}
		sent = p.Sent
		return measured{wall: time.Since(start)}, nil
	})
	if err != nil {
		return err
	}
	pull, err := median(b.runs, func() (measured, error) {
		cache, err := os.MkdirTemp(b.work, "pull-cache-")
		if err != nil {
			return measured{}, err
		}
		defer os.RemoveAll(cache)
		start := time.Now()
		p, err := hyperartifact.Pull(ctx, fmt.Sprintf("%s1:1", repo), filepath.Join(cache, "pulled.img"), hyperartifact.WithCacheDir(cache))
		if err != nil {
			return measured{}, err
		}
		received = p.Received
		return measured{wall: time.Since(start)}, nil
	})
	if err != nil {
		return err
	}
	mib := func(n int64) float64 { return float64(n) / (1 << 20) }
	size := fmt.Sprintf("%s, %.0f MiB image, %.1f MiB allocated", what, mib(app), mib(alloc))
	b.add(Row{Area: "registry", What: "push (" + size + ")", Value: push.wall.Seconds(), Unit: "s"})
	b.add(Row{Area: "registry", What: "pull into an empty cache (" + size + ")", Value: pull.wall.Seconds(), Unit: "s"})
	b.add(Row{Area: "registry", What: "bytes sent by a push (" + what + ")", Value: mib(sent), Unit: "MiB",
		Baseline: mib(alloc), BaseWhat: "raw image allocated", Goal: "<= allocated"})
	b.add(Row{Area: "registry", What: "bytes received by a pull (" + what + ")", Value: mib(received), Unit: "MiB",
		Baseline: mib(alloc), BaseWhat: "raw image allocated", Goal: "<= allocated"})
	return nil
}
