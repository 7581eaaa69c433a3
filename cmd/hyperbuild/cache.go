package main

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/internal/units"
	"github.com/hyperbuild/hyper/layers"
)

func newCache(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "List or prune the image cache",
		Long: `The cache holds image blobs by digest (verified on write and on read) under
$HYPER_CACHE, by default the user cache directory's hyper/. A warm cache
makes a rebuild need no network at all.`,
		Example: `  hyperbuild cache ls
  hyperbuild cache prune`,
	}
	ls := &cobra.Command{
		Use:     "ls",
		Short:   "List cached blobs",
		Example: `  hyperbuild cache ls`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := layers.OpenCache("")
			if err != nil {
				return err
			}
			entries, err := c.List()
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "KIND\tDIGEST\tSIZE\tLAST USED")
			var total int64
			for _, e := range entries {
				total += e.Size
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Kind, e.Digest, units.Human(e.Size), e.Used.Format("2006-01-02 15:04"))
			}
			fmt.Fprintf(tw, "total\t%d entries\t%s\t\n", len(entries), units.Human(total))
			return tw.Flush()
		},
	}
	var olderThan time.Duration
	prune := &cobra.Command{
		Use:   "prune",
		Short: "Remove cached blobs (all, or those unused for a while)",
		Example: `  hyperbuild cache prune
  hyperbuild cache prune --older-than 720h`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := layers.OpenCache("")
			if err != nil {
				return err
			}
			freed, err := c.Prune(olderThan)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "freed %s\n", units.Human(freed))
			return nil
		},
	}
	prune.Flags().DurationVar(&olderThan, "older-than", 0, "only remove entries unused for this long (e.g. 720h)")
	cmd.AddCommand(ls, prune)
	return cmd
}
