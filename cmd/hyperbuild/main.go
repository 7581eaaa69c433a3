package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/hyperbuild/hyper/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run is hyperbuild with its arguments and streams: main only exits, so
// tests (testscript) run the very same code.
//
// SIGINT or SIGTERM cancels the build: every step stops, removes what it
// wrote, and hyperbuild exits 128+signal (130, 143) as if the signal had
// killed it; a second signal kills it at once (the next build sweeps what
// that leaves).
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := cli.SignalContext(context.Background())
	defer stop()
	cmd := newRoot(stdout, stderr)
	cmd.SetArgs(terraformFlags(args))
	cmd.SetIn(stdin)
	err := cmd.ExecuteContext(ctx)
	if sig, ok := cli.Interruption(ctx); ok && err != nil {
		fmt.Fprintf(stderr, "hyperbuild: %v: stopped, nothing written\n", sig)
		return sig.Status()
	}
	return cli.Report(stderr, "hyperbuild", err, cli.StatusError)
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
