package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/client"
	"github.com/hyperbuild/hyper/internal/cli"
)

// The verbs are clients of hyperd's API (package client); hyperd is
// started when its socket has nobody behind it. A verb fails with 1,
// but run and exec, which exit with a pod's or a process's status, fail
// with 125, as hyperboot IMG does.

// hostFlag is every verb's --host.
type hostFlag struct{ host string }

func (h *hostFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&h.host, "host", "H", "", "hyperd's address: unix:///PATH or tcp://HOST:PORT (default: $HYPER_HOST, else "+api.DefaultHost()+")")
}

// connect returns a client of a hyperd that answers, starting one when
// needed.
func (h *hostFlag) connect(ctx context.Context) (*client.Client, error) {
	var opts []client.Option
	if h.host != "" {
		if _, err := api.ParseHost(h.host); err != nil {
			return nil, cli.Usage(fmt.Errorf("--host: %w", err))
		}
		opts = append(opts, client.WithHost(h.host))
	}
	return client.Connect(ctx, opts...)
}

// failed is a verb's error with the status it exits with.
func failed(status int, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := err.(*cli.ExitError); ok {
		return err
	}
	return &cli.ExitError{Status: status, Err: err}
}

// verbs are hyperboot's commands besides booting an artifact.
func verbs(stdin io.Reader, stdout, stderr io.Writer) []*cobra.Command {
	cmds := []*cobra.Command{
		newRun(stdin, stdout, stderr),
		newPs(stdout),
		newLogs(stdout, stderr),
		newExec(stdin, stdout, stderr),
		newStop(stdout),
		newKill(stdout),
		newRm(stdout),
		newInspect(stdout),
	}
	for _, c := range cmds {
		switch c.Name() {
		case "logs", "rm", "inspect":
			c.ValidArgsFunction = completePods(true)
		case "exec", "stop", "kill":
			c.ValidArgsFunction = completePods(false)
		}
	}
	return cmds
}

// forEach runs fn on each pod named, printing the name of each done as
// Docker does, and fails (1) if any failed, after trying them all.
func forEach(ctx context.Context, stdout, stderr io.Writer, pods []string, fn func(string) error) error {
	failures := 0
	var last error
	for _, p := range pods {
		if err := fn(p); err != nil {
			failures++
			last = err
			if len(pods) > 1 {
				fmt.Fprintf(stderr, "hyperboot: %s: %v\n", p, err)
			}
			continue
		}
		fmt.Fprintln(stdout, p)
	}
	switch {
	case failures == 0:
		return nil
	case len(pods) == 1:
		return failed(cli.StatusError, last)
	}
	return &cli.ExitError{Status: cli.StatusError, Err: fmt.Errorf("%d of %d pods failed", failures, len(pods))}
}

// completePods offers the pods' names for a POD argument, from a hyperd
// that answers already (completion never starts one).
func completePods(all bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]cobra.Completion, cobra.ShellCompDirective) {
		if len(args) > 0 && cmd.Name() != "stop" && cmd.Name() != "kill" && cmd.Name() != "rm" && cmd.Name() != "inspect" {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		host, _ := cmd.Flags().GetString("host")
		var opts []client.Option
		if host != "" {
			opts = append(opts, client.WithHost(host))
		}
		c, err := client.New(opts...)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		pods, err := c.List(ctx, all)
		if err != nil {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		var out []cobra.Completion
		for _, p := range pods {
			out = append(out, cobra.CompletionWithDesc(p.Name, p.State))
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	}
}
