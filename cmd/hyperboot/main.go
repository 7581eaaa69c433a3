package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sync/atomic"
	"syscall"

	"github.com/hyperbuild/hyper/internal/cli"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// podAttached is set while hyperboot shows a pod it stops on Ctrl-C
// (hyperboot IMG, run without -d), for the first Ctrl-C to say so.
var podAttached atomic.Bool

// run is hyperboot with its arguments and streams; main only exits.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	finished := make(chan struct{})
	defer close(finished)
	go func() {
		select {
		case <-ctx.Done():
			// The first Ctrl-C stops the pod gracefully; stop() gives the
			// next one its default action, which ends hyperboot (and the
			// VM with it) at once (run, attached, kills the pod itself).
			stop()
			if podAttached.Load() {
				fmt.Fprintln(stderr, "hyperboot: stopping the pod gracefully (Ctrl-C again to kill it now)")
			}
		case <-finished:
		}
	}()
	cmd := newRoot(stdin, stdout, stderr)
	cmd.SetArgs(args)
	cmd.SetIn(stdin)
	return cli.Report(stderr, "hyperboot", cmd.ExecuteContext(ctx), cli.StatusBootError)
}
