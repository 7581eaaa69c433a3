package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/internal/units"
	"github.com/hyperbuild/hyper/layers"
	"github.com/hyperbuild/hyper/layers/cache"
)

func newCache(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "List cached kernels, artifacts and image blobs; remove or prune blobs",
		Long: `The cache holds image blobs by digest (verified on write and on read), the
hyperkernels (built here or pulled) and pulled artifacts under $HYPER_CACHE,
by default the user cache directory's hyper/. A warm cache makes a rebuild
need no network at all. rm removes image blobs; prune removes image blobs
and pulled artifacts (kernels stay: hyperbuild kernel rebuilds one only on
purpose).`,
		Example: `  hyperbuild cache ls
  hyperbuild cache rm sha256:4f1c
  hyperbuild cache prune`,
	}
	var asJSON bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List cached kernels, pulled artifacts and image blobs",
		Long: `ls lists the kernels in the cache (built here, or pulled from a kernel image,
with where each came from; "current" marks the one a build uses), the
artifacts hyperboot REF and hyperbuild pull fetched, and the image blobs.`,
		Example: `  hyperbuild cache ls
  hyperbuild cache ls --json | jq '.kernels[] | .origin'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := layers.OpenCache("")
			if err != nil {
				return err
			}
			l, err := listCache(c)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(stdout, l)
			}
			return l.print(stdout)
		},
	}
	ls.Flags().BoolVar(&asJSON, "json", false, "print as JSON: kernels, pulled, blobs")
	var olderThan time.Duration
	prune := &cobra.Command{
		Use:   "prune",
		Short: "Remove cached blobs and pulled artifacts (all, or those unused for a while)",
		Example: `  hyperbuild cache prune
  hyperbuild cache prune --older-than 720h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if olderThan < 0 {
				return cli.Usage(fmt.Errorf("--older-than %v: want a positive duration such as 720h", olderThan))
			}
			c, err := layers.OpenCache("")
			if err != nil {
				return err
			}
			freed, err := c.Prune(olderThan)
			if err != nil {
				return err
			}
			more, err := prunePulled(c.Dir(), olderThan)
			if err != nil {
				return err
			}
			freed += more
			fmt.Fprintf(stdout, "freed %s\n", units.Human(freed))
			return nil
		},
	}
	prune.Flags().DurationVar(&olderThan, "older-than", 0, "only remove entries unused for this long (e.g. 720h)")
	cmd.AddCommand(ls, prune, newCacheRm(stdout))
	return cmd
}

func newCacheRm(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "rm DIGEST...",
		Short: "Remove cached blobs by digest",
		Long: `rm removes the entries whose digest is DIGEST, or begins with it (as cache ls
shows them; "sha256:" may be left out) when only one does. It removes what
it can and fails (status 1) naming each DIGEST that matches no entry, or
more than one.`,
		Example: `  hyperbuild cache rm sha256:4f1c0e0a
  hyperbuild cache rm 4f1c0e0a 9e2d55b1`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := layers.OpenCache("")
			if err != nil {
				return err
			}
			entries, err := c.List()
			if err != nil {
				return err
			}
			failed := 0
			for _, arg := range args {
				if err := cacheRemove(c, entries, arg, stdout); err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "hyperbuild: %v\n", err)
					failed++
				}
			}
			if failed > 0 {
				return &cli.ExitError{Status: cli.StatusError, Silent: true, Err: fmt.Errorf("cache rm: %d of %d not removed", failed, len(args))}
			}
			return nil
		},
	}
}

// cacheRemove removes the entries of one digest that arg names.
func cacheRemove(c *layers.Cache, entries []layers.Entry, arg string, stdout io.Writer) error {
	want := arg
	if !strings.HasPrefix(want, "sha256:") {
		want = "sha256:" + want
	}
	var match []layers.Entry
	for _, e := range entries {
		if strings.HasPrefix(e.Digest, want) && want != "sha256:" {
			match = append(match, e)
		}
	}
	digests := map[string]bool{}
	for _, e := range match {
		digests[e.Digest] = true
	}
	switch {
	case len(match) == 0:
		return fmt.Errorf("cache rm %s: %w", arg, cache.ErrMissing)
	case len(digests) > 1:
		return fmt.Errorf("cache rm %s: matches %d digests; give more of it", arg, len(digests))
	}
	for _, e := range match {
		p, err := c.Path(e.Kind, e.Digest)
		if err != nil {
			return fmt.Errorf("cache rm %s: %w", arg, err)
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("cache rm %s: %w", arg, err)
		}
		fmt.Fprintf(stdout, "removed %s %s (%s)\n", e.Kind, e.Digest, units.Human(e.Size))
	}
	return nil
}
