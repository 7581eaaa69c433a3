package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/artifact"
	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/internal/units"
)

func newPush(stdout, stderr io.Writer) *cobra.Command {
	var (
		asJSON   bool
		quiet    bool
		insecure []string
	)
	cmd := &cobra.Command{
		Use:   "push OUT.img REF",
		Short: "Push an artifact to an OCI registry",
		Long: `push uploads a raw artifact to a registry as an OCI artifact (artifactType
` + artifact.ArtifactType + `): the disk as one zstd layer, manifest.json and
pod.json as small layers beside it (docs/registry.md). Every blob goes
first and the manifest last, so an interrupted push leaves no tag; the next
push sends only what is missing. It prints the pinned reference,
REPO@sha256:..., which hyperboot and hyperbuild pull take.

Credentials come from the Docker keychain: docker login, ~/.docker/config.json
and its credential helpers.`,
		Example: `  hyperbuild push web.img registry.example.com/pods/web:1
  hyperboot registry.example.com/pods/web@sha256:...
  hyperbuild push --json web.img localhost:5000/web:1 | jq -r .pinned`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := []artifact.Option{artifact.WithInsecureRegistries(insecure...)}
			if !quiet && !asJSON {
				opts = append(opts, artifact.WithProgress(stderr))
			}
			p, err := artifact.Push(cmd.Context(), args[0], args[1], opts...)
			if err != nil {
				return registryError(err)
			}
			return printPushed(stdout, stderr, p, asJSON, quiet)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON (ref, digest, pinned, size, sent)")
	cmd.Flags().BoolVarP(&quiet, "quiet", "q", false, "print only the pinned reference")
	cmd.Flags().StringArrayVar(&insecure, "insecure-registry", nil, "allow plain HTTP to this registry host (localhost is always allowed)")
	return cmd
}

func printPushed(stdout, stderr io.Writer, p *artifact.Pushed, asJSON, quiet bool) error {
	if asJSON {
		return writeJSON(stdout, p)
	}
	if !quiet {
		fmt.Fprintf(stderr, "pushed %s: %s of blobs, %s sent\n", p.Ref, units.Human(p.Size), units.Human(p.Sent))
	}
	_, err := fmt.Fprintln(stdout, p.Pinned)
	return err
}

func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", b)
	return err
}

// registryError makes a bad reference a usage error (status 2).
func registryError(err error) error {
	if errors.Is(err, artifact.ErrBadReference) {
		return cli.Usage(err)
	}
	return err
}
