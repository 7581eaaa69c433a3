package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/internal/cli"
)

func newInspect(stdout io.Writer) *cobra.Command {
	var h hostFlag
	cmd := &cobra.Command{
		Use:   "inspect POD...",
		Short: "Describe pods as JSON",
		Long: `inspect prints a JSON array with each pod as the API reports it
(docs/api.md): its state, exit status or error, times, the supervisor's
pid, how it was asked to run and, while it runs, its containers as the
guest reports them (state, pid, restarts, exit status, start time).`,
		Example: "  hyperboot inspect web\n  hyperboot inspect web | jq '.[0].containers'",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, pods []string) error {
			c, err := h.connect(cmd.Context())
			if err != nil {
				return failed(cli.StatusError, err)
			}
			out := []api.Pod{}
			var last error
			for _, p := range pods {
				pod, err := c.Inspect(cmd.Context(), p)
				if err != nil {
					fmt.Fprintf(cmd.ErrOrStderr(), "hyperboot: %s: %v\n", p, err)
					last = err
					continue
				}
				out = append(out, pod)
			}
			data, _ := json.MarshalIndent(out, "", "  ")
			fmt.Fprintf(stdout, "%s\n", data)
			if last != nil {
				return &cli.ExitError{Status: cli.StatusError, Silent: true, Err: last}
			}
			return nil
		},
	}
	h.register(cmd)
	return cmd
}
