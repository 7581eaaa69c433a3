package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/artifact"
	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/kernelcfg"
)

func newKernel(stdout, stderr io.Writer) *cobra.Command {
	var (
		printConfig bool
		push        string
		image       string
		asJSON      bool
		insecure    []string
	)
	cmd := &cobra.Command{
		Use:   "kernel",
		Short: "Build, push or pull the hyperkernel, or show where it comes from",
		Long: `kernel builds the hyperkernel from Debian's linux-source-6.1 (a fragment this
project owns, applied on tinyconfig) and caches it by the hash of its inputs
under $HYPER_CACHE (default: the user cache directory). A build takes about
12 minutes on 2 cores and shows its progress as objects compiled of the
total; afterwards it is instant. A pod build never compiles it unasked: it
says how to get one instead.

--push REF pushes the hyperkernel in the cache to a registry as
an OCI artifact and prints its pinned reference; a CI job then builds with
--kernel-image REF@sha256:... (or kernel { image } in the pod file) and
pulls 10 MB instead of compiling. --kernel-image REF alone pulls it into
the cache ahead of time.

--print-config says where the kernel comes from (built here, pulled from
REF@sha256:..., or not there yet), then prints the config fragment and
where the final .config is.`,
		Example: `  hyperbuild kernel
  hyperbuild kernel --push registry.example.com/hyper/kernel:6.1
  hyperbuild kernel --kernel-image registry.example.com/hyper/kernel@sha256:...
  hyperbuild kernel --print-config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if push != "" && image != "" {
				return cli.Usage(errors.New("--push pushes the kernel built here; --kernel-image pulls one: give one of them"))
			}
			aopts := []artifact.Option{artifact.WithInsecureRegistries(insecure...), artifact.WithProgress(stderr)}
			switch {
			case printConfig:
				return printKernelConfig(cmd.Context(), stdout, image, aopts)
			case image != "":
				k, err := artifact.PullKernel(cmd.Context(), image, aopts...)
				if err != nil {
					return registryError(err)
				}
				fmt.Fprintf(stdout, "%s\n", k.Path)
				fmt.Fprintf(stderr, "hyperkernel %s from %s\n", k.Version, k.Origin)
				return nil
			}
			if push != "" {
				if err := artifact.CheckRef(push); err != nil {
					return cli.Usage(fmt.Errorf("--push: %w", err))
				}
				// Pushing never starts a 12-minute build as a side effect.
				k, err := kernelcfg.Cached()
				if err != nil {
					return fmt.Errorf("kernel --push: %w; build it first", err)
				}
				p, err := artifact.PushKernel(cmd.Context(), k, push, aopts...)
				if err != nil {
					return registryError(err)
				}
				return printPushed(stdout, stderr, p, asJSON, false)
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
	fl := cmd.Flags()
	fl.BoolVar(&printConfig, "print-config", false, "say where the kernel comes from and print its config fragment instead of building")
	fl.StringVar(&push, "push", "", "push the hyperkernel in the cache to this registry reference")
	fl.StringVar(&image, "kernel-image", "", "pull this kernel image into the cache (with --print-config: describe it)")
	fl.BoolVar(&asJSON, "json", false, "with --push: print the result as JSON")
	fl.StringArrayVar(&insecure, "insecure-registry", nil, "allow plain HTTP to this registry host (localhost is always allowed)")
	return cmd
}

// printKernelConfig says where the kernel a build would use comes from,
// then prints the fragment and where the final .config is.
func printKernelConfig(ctx context.Context, stdout io.Writer, image string, aopts []artifact.Option) error {
	var (
		k   *kernelcfg.Kernel
		err error
	)
	if image != "" {
		if k, err = artifact.PullKernel(ctx, image, aopts...); err != nil {
			return registryError(err)
		}
	} else {
		k, err = kernelcfg.Cached()
	}
	switch {
	case err == nil:
		digest, derr := k.Digest()
		if derr != nil {
			return derr
		}
		fmt.Fprintf(stdout, "# kernel: hyperkernel %s, %s\n# bzImage: %s (%s)\n# final config: %s\n", k.Version, originText(k.Origin), k.Path, digest, k.Config)
	case errors.Is(err, kernelcfg.ErrNotBuilt):
		fmt.Fprintf(stdout, "# kernel: not in the cache; hyperbuild kernel builds it (about 12 minutes on 2 cores), --kernel-image REF pulls a prebuilt one\n")
	default:
		return err
	}
	if image == "" {
		fmt.Fprint(stdout, kernelcfg.Fragment())
	}
	return nil
}

func originText(origin string) string {
	if origin == kernelcfg.OriginBuilt {
		return "built here from " + kernelcfg.DefaultSource
	}
	return "pulled from " + origin
}
