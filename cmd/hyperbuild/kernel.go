package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/kernelcfg"
)

func newKernel(stdout, stderr io.Writer) *cobra.Command {
	var printConfig bool
	cmd := &cobra.Command{
		Use:   "kernel",
		Short: "Build the hyperkernel, or show its configuration",
		Long: `kernel builds the hyperkernel from Debian's linux-source-6.1 (a fragment this
project owns, applied on tinyconfig) and caches it by the hash of its inputs
under $HYPER_CACHE (default: the user cache directory). A build takes about
12 minutes on 2 cores; afterwards it is instant. hyperbuild does the same on
demand; this command lets you do it ahead of time.

With --print-config it prints the fragment and, when built, where the final
.config is.`,
		Example: `  hyperbuild kernel
  hyperbuild kernel --print-config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if printConfig {
				fmt.Fprint(stdout, kernelcfg.Fragment())
				if k, err := kernelcfg.Cached(); err == nil {
					fmt.Fprintf(stdout, "# built: %s\n# final config: %s\n", k.Path, k.Config)
				}
				return nil
			}
			k, err := kernelcfg.Build(cmd.Context(), kernelcfg.WithProgress(stderr))
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%s\n", k.Path)
			if cli.IsTTY(stderr) {
				fmt.Fprintf(stderr, "hyperkernel %s (config %s)\n", k.Version, short(k.ConfigHash))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "print the kernel config fragment instead of building")
	return cmd
}
