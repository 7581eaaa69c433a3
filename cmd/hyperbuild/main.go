package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/hyperbuild/hyper/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is hyperbuild with its arguments and streams: main only exits, so
// tests (testscript) run the very same code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := newRoot(stdout, stderr)
	cmd.SetArgs(terraformFlags(args))
	cmd.SetIn(stdin)
	return cli.Report(stderr, "hyperbuild", cmd.ExecuteContext(ctx), cli.StatusError)
}

// terraformFlags accepts -var and -var-file with one dash, as Terraform
// and Packer users type them, by rewriting them to the --long form.
func terraformFlags(args []string) []string {
	out := make([]string, len(args))
	for i, a := range args {
		switch {
		case a == "-var" || a == "-var-file",
			len(a) > 5 && a[:5] == "-var=",
			len(a) > 10 && a[:10] == "-var-file=":
			a = "-" + a
		}
		out[i] = a
	}
	return out
}
