package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/sbom"
)

// sbomFlags ask the build for an SBOM of the pod's images.
type sbomFlags struct {
	path   string
	format string
	parsed sbom.Format
}

func (f *sbomFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.path, "sbom", "", "also write an SBOM here: each image's packages from its dpkg or apk database (--force replaces a file that is no SBOM)")
	fl.StringVar(&f.format, "sbom-format", string(sbom.SPDX), "the SBOM's format: spdx (SPDX 2.3 JSON) or cyclonedx (CycloneDX 1.5 JSON)")
	// Setting up completions for flags this command has cannot fail.
	_ = cmd.RegisterFlagCompletionFunc("sbom", cli.CompleteFiles(".json"))
	_ = cmd.RegisterFlagCompletionFunc("sbom-format", cli.CompleteValues(
		"spdx\tSPDX 2.3 JSON (default)",
		"cyclonedx\tCycloneDX 1.5 JSON"))
}

// options is the builder's option for the flags; a bad --sbom-format, or
// one without --sbom, is a usage error.
func (f *sbomFlags) options(cmd *cobra.Command) ([]builder.Option, error) {
	bf, err := sbom.ParseFormat(f.format)
	f.parsed = bf
	if err != nil {
		return nil, cli.Usage(fmt.Errorf("--sbom-format: %w", err))
	}
	if f.path == "" {
		if cmd.Flags().Changed("sbom-format") {
			return nil, cli.Usage(fmt.Errorf("--sbom-format %s: add --sbom FILE to say where the SBOM goes", f.format))
		}
		return nil, nil
	}
	return []builder.Option{builder.WithSBOM(f.path, bf)}, nil
}

// report says where the SBOM went.
func (f *sbomFlags) report(stderr io.Writer, quiet bool) {
	if f.path != "" && !quiet {
		fmt.Fprintf(stderr, "wrote the SBOM (%s) to %s\n", f.parsed, f.path)
	}
}
