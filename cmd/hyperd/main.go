package main

import (
	"io"
	"os"

	"github.com/hyperbuild/hyper/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is hyperd with its arguments and streams; main only exits.
func run(args []string, stdout, stderr io.Writer) int {
	cmd := newRoot(stdout, stderr)
	cmd.SetArgs(args)
	return cli.Report(stderr, "hyperd", cmd.Execute(), cli.StatusError)
}
