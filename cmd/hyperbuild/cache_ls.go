package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/hyperbuild/hyper/internal/units"
	"github.com/hyperbuild/hyper/kernelcfg"
	"github.com/hyperbuild/hyper/layers"
)

// cacheListing is what `cache ls --json` prints.
type cacheListing struct {
	Kernels []kernelcfg.Entry `json:"kernels"`
	Pulled  []pulledEntry     `json:"pulled"`
	Blobs   []layers.Entry    `json:"blobs"`
}

// pulledEntry is an artifact disk that hyperboot REF or hyperbuild pull
// fetched (cache/pulled/HEX.img, HEX its manifest digest's).
type pulledEntry struct {
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	Path   string `json:"path"`
}

func listCache(c *layers.Cache) (*cacheListing, error) {
	l := &cacheListing{Kernels: []kernelcfg.Entry{}, Pulled: []pulledEntry{}}
	var err error
	if l.Blobs, err = c.List(); err != nil {
		return nil, err
	}
	if l.Kernels, err = kernelcfg.List(kernelcfg.WithCacheDir(c.Dir())); err != nil {
		return nil, err
	}
	if l.Kernels == nil {
		l.Kernels = []kernelcfg.Entry{}
	}
	m, _ := filepath.Glob(filepath.Join(c.Dir(), "pulled", "*.img"))
	for _, p := range m {
		fi, err := os.Stat(p)
		if err != nil {
			continue
		}
		l.Pulled = append(l.Pulled, pulledEntry{Digest: "sha256:" + strings.TrimSuffix(filepath.Base(p), ".img"), Size: fi.Size(), Path: p})
	}
	return l, nil
}

func (l *cacheListing) print(w io.Writer) error {
	if len(l.Kernels) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "KERNEL\tVERSION\tSIZE\tORIGIN")
		for _, k := range l.Kernels {
			name := k.Name
			if len(name) > 19 {
				name = name[:19]
			}
			mark := ""
			if k.Current {
				mark = " (current)"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s%s\n", name, k.Version, units.Human(k.Size), k.Origin, mark)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	if len(l.Pulled) > 0 {
		tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "PULLED ARTIFACT\tSIZE")
		for _, p := range l.Pulled {
			fmt.Fprintf(tw, "%s\t%s\n", p.Digest, units.Human(p.Size))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
		fmt.Fprintln(w)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tDIGEST\tSIZE\tLAST USED")
	var total int64
	for _, e := range l.Blobs {
		total += e.Size
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Kind, e.Digest, units.Human(e.Size), e.Used.Format("2006-01-02 15:04"))
	}
	fmt.Fprintf(tw, "total\t%d entries\t%s\t\n", len(l.Blobs), units.Human(total))
	return tw.Flush()
}

// prunePulled removes the pulled artifacts (cache/pulled/*.img) unused
// for olderThan (all when 0): hyperboot REF and pull mark one used each
// time they take it from the cache. It returns the bytes freed.
func prunePulled(dir string, olderThan time.Duration) (int64, error) {
	m, err := filepath.Glob(filepath.Join(dir, "pulled", "*.img"))
	if err != nil {
		return 0, err
	}
	var freed int64
	for _, p := range m {
		fi, err := os.Stat(p)
		if err != nil || olderThan > 0 && time.Since(fi.ModTime()) < olderThan {
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return freed, fmt.Errorf("cache prune: %w", err)
		}
		freed += fi.Size()
	}
	return freed, nil
}
