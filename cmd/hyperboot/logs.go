package main

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/cli"
)

func newLogs(stdout, stderr io.Writer) *cobra.Command {
	var h hostFlag
	var follow, stamps bool
	var tail, since string
	cmd := &cobra.Command{
		Use:   "logs [-f] [--tail N] [--since WHEN] [-t] POD [CONTAINER]",
		Short: "Show a pod's output",
		Long: `logs shows what a pod's containers wrote, stdout on stdout and stderr on
stderr, as hyperboot IMG does ("NAME | " before each line when the pod has
several containers and no CONTAINER is named). hyperd keeps the newest
lines (up to 8 MiB per pod) after the pod stopped, until rm. -f follows
new lines until the pod stops; --since takes RFC 3339, Unix seconds or a
duration before now (10m).`,
		Example: "  hyperboot logs -f web\n  hyperboot logs --tail 20 web nginx",
		Args:    cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var q api.LogsQuery
			q.Follow = follow
			if tail != "all" {
				n, err := strconv.Atoi(tail)
				if err != nil || n < 0 {
					return cli.Usage(fmt.Errorf("--tail %q: want a count or all", tail))
				}
				q.Tail = n
			}
			if since != "" {
				t, err := api.ParseSince(since, time.Now())
				if err != nil {
					return cli.Usage(fmt.Errorf("--since: %w", err))
				}
				q.Since = t
			}
			if len(args) == 2 {
				q.Container = args[1]
			}
			c, err := h.connect(cmd.Context())
			if err != nil {
				return failed(cli.StatusError, err)
			}
			pod, err := c.Inspect(cmd.Context(), args[0])
			if err != nil {
				return failed(cli.StatusError, err)
			}
			p := &logPrinter{stdout: stdout, stderr: stderr, names: q.Container == "" && len(pod.Containers) > 1, stamps: stamps}
			err = c.Logs(cmd.Context(), pod.ID, q, p.print)
			if err != nil && cmd.Context().Err() == nil {
				return failed(cli.StatusError, err)
			}
			return nil
		},
	}
	h.register(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&follow, "follow", "f", false, "follow new lines until the pod stops")
	fl.StringVarP(&tail, "tail", "n", "all", "show the last N lines (all: every line kept)")
	fl.StringVar(&since, "since", "", "show lines since this time (RFC 3339, Unix seconds, or a duration: 10m)")
	fl.BoolVarP(&stamps, "timestamps", "t", false, "show each line's time (RFC 3339, UTC)")
	return cmd
}

// logPrinter writes log lines as hyperboot IMG shows the console.
type logPrinter struct {
	stdout, stderr io.Writer
	names, stamps  bool
}

func (p *logPrinter) print(e contract.LogEntry) error {
	w := p.stdout
	if e.Stream == contract.Stderr {
		w = p.stderr
	}
	line := e.Line + "\n"
	if p.names {
		line = e.Container + contract.StdoutSep + line
	}
	if p.stamps {
		line = e.Time.UTC().Format(time.RFC3339Nano) + " " + line
	}
	_, err := io.WriteString(w, line)
	return err
}
