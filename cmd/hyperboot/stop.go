package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/client"
	"github.com/hyperbuild/hyper/internal/cli"
)

func newStop(stdout io.Writer) *cobra.Command {
	var h hostFlag
	var secs int
	cmd := &cobra.Command{
		Use:   "stop [-t SECS] POD...",
		Short: "Stop pods gracefully",
		Long: `stop stops each pod gracefully and returns once it has stopped: each
container gets its stop signal, then SIGKILL after its stop timeout (or
-t SECS), then the VM powers off; it is killed if it still runs 10 s
later. Stopping a stopped pod succeeds. A pod is named by its name, its ID
or a unique prefix of the ID.`,
		Example: "  hyperboot stop web\n  hyperboot stop -t 0 web db",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, pods []string) error {
			timeout := client.DefaultTimeout
			if cmd.Flags().Changed("time") {
				if secs < 0 || time.Duration(secs)*time.Second > api.MaxStopTimeout {
					return cli.Usage(fmt.Errorf("-t %d: want whole seconds, 0 to %d", secs, int(api.MaxStopTimeout/time.Second)))
				}
				timeout = time.Duration(secs) * time.Second
			}
			return eachPod(cmd, &h, stdout, pods, func(c *client.Client, p string) error {
				return c.Stop(cmd.Context(), p, timeout)
			})
		},
	}
	h.register(cmd)
	cmd.Flags().IntVarP(&secs, "time", "t", 0, "seconds from the stop signal to SIGKILL (default: each container's stop timeout)")
	return cmd
}

func newKill(stdout io.Writer) *cobra.Command {
	var h hostFlag
	cmd := &cobra.Command{
		Use:     "kill POD...",
		Short:   "Kill pods' VMs now",
		Long:    "kill ends each pod's VM at once, without stopping its containers; the pod exits with status 137.",
		Example: "  hyperboot kill web",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, pods []string) error {
			return eachPod(cmd, &h, stdout, pods, func(c *client.Client, p string) error {
				return c.Kill(cmd.Context(), p)
			})
		},
	}
	h.register(cmd)
	return cmd
}

func newRm(stdout io.Writer) *cobra.Command {
	var h hostFlag
	var force bool
	cmd := &cobra.Command{
		Use:     "rm [-f] POD...",
		Short:   "Remove stopped pods",
		Long:    "rm removes each stopped pod: its state, its logs, and its artifact when hyperd built it. -f kills a running pod first.",
		Example: "  hyperboot rm web\n  hyperboot rm -f $(hyperboot ps -aq)",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, pods []string) error {
			return eachPod(cmd, &h, stdout, pods, func(c *client.Client, p string) error {
				return c.Remove(cmd.Context(), p, force)
			})
		},
	}
	h.register(cmd)
	cmd.Flags().BoolVarP(&force, "force", "f", false, "kill a running pod, then remove it")
	return cmd
}

// eachPod connects to hyperd and applies op to each named pod, as stop,
// kill and rm do (forEach says what became of each).
func eachPod(cmd *cobra.Command, h *hostFlag, stdout io.Writer, pods []string, op func(c *client.Client, pod string) error) error {
	c, err := h.connect(cmd.Context())
	if err != nil {
		return failed(cli.StatusError, err)
	}
	return forEach(cmd.Context(), stdout, cmd.ErrOrStderr(), pods, func(p string) error { return op(c, p) })
}
