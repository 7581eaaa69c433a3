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

// run is hyperboot with its arguments and streams; main only exits.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	cmd := newRoot(stdout, stderr)
	cmd.SetArgs(args)
	cmd.SetIn(stdin)
	return cli.Report(stderr, "hyperboot", cmd.ExecuteContext(ctx), cli.StatusBootError)
}
