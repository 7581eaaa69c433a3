package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/artifact"
	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/internal/units"
)

func newPull(stdout, stderr io.Writer) *cobra.Command {
	var (
		out      string
		asJSON   bool
		quiet    bool
		force    bool
		insecure []string
	)
	cmd := &cobra.Command{
		Use:   "pull REF -o OUT.img",
		Short: "Pull an artifact from an OCI registry",
		Long: `pull fetches an artifact that hyperbuild push pushed, checks it (the
manifest's digest for REF@sha256:..., every blob's digest, the disk's own
sha256 and size) and writes the disk image to -o, which then boots with
hyperboot like any build's output. It keeps a copy in the cache, so the
same digest pulls again without the network. Nothing is written to -o
unless all of it matched. A container image, or anything else that is not
a hyper artifact, is refused as such.

-o takes a new path or a previous artifact; --force lets it replace another
regular file.`,
		Example: `  hyperbuild pull registry.example.com/pods/web@sha256:... -o web.img
  hyperboot web.img`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return cli.Usage(errors.New("no output given: add -o OUT.img"))
			}
			dest, err := builder.CheckOutput(out, builder.OutputRaw, nil, force)
			if err != nil {
				return cli.Usage(err)
			}
			opts := []artifact.Option{artifact.WithInsecureRegistries(insecure...)}
			if !quiet && !asJSON {
				opts = append(opts, artifact.WithProgress(stderr))
			}
			p, err := artifact.Pull(cmd.Context(), args[0], dest, opts...)
			if err != nil {
				return registryError(err)
			}
			p.Path = out
			if asJSON {
				return writeJSON(stdout, p)
			}
			if !quiet {
				from := fmt.Sprintf("%s received", units.Human(p.Received))
				if p.Cached {
					from = "from the cache"
				}
				fmt.Fprintf(stderr, "pulled %s to %s: pod %q, %s (%s)\n", p.Pinned, out, p.Pod, units.Human(p.Size), from)
			}
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the disk image here")
	cmd.Flags().BoolVar(&force, "force", false, "let -o replace a regular file that is not a previous artifact")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON (ref, digest, pinned, path, pod, size, received, cached)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print nothing but errors")
	cmd.Flags().StringArrayVar(&insecure, "insecure-registry", nil, "allow plain HTTP to this registry host (localhost is always allowed)")
	return cmd
}
