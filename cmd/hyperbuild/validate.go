package main

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/builder"
	"github.com/hyperbuild/hyper/internal/cli"
)

func newValidate(stdout, stderr io.Writer) *cobra.Command {
	var (
		sf       specFlags
		asJSON   bool
		resolve  bool
		insecure []string
	)
	cmd := &cobra.Command{
		Use:   "validate POD.hcl|POD.json",
		Short: "Check a pod file without building it",
		Long: `validate parses and checks a pod file and reports every problem with its
file:line:col and the offending source. It writes nothing.

With --json it prints the normalized pod (the guest contract hyperstart will
read), with defaults filled in. With --resolve it also resolves each image
(pulling into the cache) and shows its digest and the merged process.

Exit status: 0 valid, 2 invalid, 1 an image could not be resolved.`,
		Example: `  hyperbuild validate examples/hello.hcl
  hyperbuild validate --json -var status=7 examples/hello.hcl
  hyperbuild validate --resolve --json examples/web.hcl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			sr, err := sf.load(args[0], stderr)
			if err != nil {
				return err
			}
			if resolve {
				if err := builder.Resolve(cmd.Context(), sr.pod, sr.dir, builder.WithInsecureRegistries(insecure...), builder.WithProgress(stderr, cli.IsTTY(stderr))); err != nil {
					return err
				}
			}
			if asJSON {
				b, err := builder.PodJSON(sr.pod)
				if err != nil {
					return err
				}
				_, err = stdout.Write(b)
				return err
			}
			fmt.Fprintf(stdout, "%s: pod %q is valid: %d container(s)", args[0], sr.pod.Name, len(sr.pod.Containers))
			if len(sr.pod.Volumes) > 0 {
				fmt.Fprintf(stdout, ", %d volume(s)", len(sr.pod.Volumes))
			}
			if len(sr.pod.Ports) > 0 {
				fmt.Fprintf(stdout, ", %d port(s)", len(sr.pod.Ports))
			}
			fmt.Fprintln(stdout)
			for _, c := range sr.pod.Containers {
				fmt.Fprintf(stdout, "  container %-12s %s", c.Name, c.Image)
				if c.Digest != "" {
					fmt.Fprintf(stdout, "@%s", c.Digest)
				}
				fmt.Fprintln(stdout)
			}
			return nil
		},
	}
	sf.register(cmd)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the normalized pod as JSON")
	cmd.Flags().BoolVar(&resolve, "resolve", false, "also resolve images: pin digests and merge image configs")
	cmd.Flags().StringArrayVar(&insecure, "insecure-registry", nil, "allow plain HTTP to this registry host")
	return cmd
}
