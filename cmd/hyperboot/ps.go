package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/internal/cli"
)

func newPs(stdout io.Writer) *cobra.Command {
	var h hostFlag
	var all, quiet bool
	var format string
	cmd := &cobra.Command{
		Use:   "ps [-a] [-q] [--format table|json]",
		Short: "List pods",
		Long: `ps lists the running pods, or every pod with -a (stopped ones stay until
rm). --format json prints one JSON object per pod and line (the API's
pod, docs/api.md); -q only the IDs.`,
		Example: "  hyperboot ps\n  hyperboot ps -a --format json | jq -r .name",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "table" && format != "json" {
				return cli.Usage(fmt.Errorf("--format %q: want table or json", format))
			}
			c, err := h.connect(cmd.Context())
			if err != nil {
				return failed(cli.StatusError, err)
			}
			pods, err := c.List(cmd.Context(), all)
			if err != nil {
				return failed(cli.StatusError, err)
			}
			switch {
			case quiet:
				for _, p := range pods {
					fmt.Fprintln(stdout, p.ID[:12])
				}
			case format == "json":
				enc := json.NewEncoder(stdout)
				for _, p := range pods {
					enc.Encode(p)
				}
			default:
				printPods(stdout, pods, time.Now())
			}
			return nil
		},
	}
	h.register(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&all, "all", "a", false, "list stopped pods too")
	fl.BoolVarP(&quiet, "quiet", "q", false, "print only the pods' IDs")
	fl.StringVar(&format, "format", "table", "table or json (one object per line)")
	return cmd
}

func printPods(w io.Writer, pods []api.Pod, now time.Time) {
	tw := tabwriter.NewWriter(w, 0, 4, 3, ' ', 0)
	fmt.Fprintln(tw, "POD ID\tNAME\tSTATUS\tCREATED\tCONTAINERS\tARTIFACT")
	for _, p := range pods {
		var names []string
		for _, c := range p.Containers {
			names = append(names, c.Name)
		}
		art := p.Artifact
		if p.Source != "" {
			art = p.Source
		} else if art != "" {
			art = filepath.Base(art)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s ago\t%s\t%s\n", p.ID[:12], p.Name, status(p, now), ago(now.Sub(p.Created)), strings.Join(names, ","), art)
	}
	tw.Flush()
}

// status says what a pod is doing, as docker ps does.
func status(p api.Pod, now time.Time) string {
	switch p.State {
	case api.StateRunning:
		return "Up " + ago(now.Sub(p.StartedAt))
	case api.StateStopping:
		return "Stopping"
	case api.StateCreated:
		return "Created"
	}
	when := ago(now.Sub(p.FinishedAt)) + " ago"
	if p.ExitStatus != nil {
		return fmt.Sprintf("Exited (%d) %s", *p.ExitStatus, when)
	}
	return "Failed " + when
}

// ago is a duration as people say it: "3 seconds", "About a minute".
func ago(d time.Duration) string {
	switch s := int(d.Seconds()); {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return fmt.Sprintf("%d seconds", s)
	case s < 120:
		return "About a minute"
	case s < 3600:
		return fmt.Sprintf("%d minutes", s/60)
	case s < 7200:
		return "About an hour"
	case s < 48*3600:
		return fmt.Sprintf("%d hours", s/3600)
	}
	return fmt.Sprintf("%d days", int(d.Hours()/24))
}
