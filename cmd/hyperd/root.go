package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/internal/daemon"
	"github.com/hyperbuild/hyper/internal/version"
)

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	c := daemon.Config{}
	var hosts []string
	var logFile string
	cmd := &cobra.Command{
		Use:   "hyperd",
		Short: "Serve hyper's API and supervise its pods",
		Long: `hyperd serves hyper's REST API (docs/api.md) and runs pods: each pod's VM is
owned by its own supervisor process ("hyperd shim"), so stopping,
restarting or killing hyperd leaves the pods running, and the next hyperd
finds them again in the state directory.

The API listens on a unix socket, ROOT/hyperd.sock (0660, in a state
directory only its user may enter; with --group, or as root with a
"hyper" group, that group's members may use it too). $HYPER_HOST or --host
names another socket. TCP is only served when asked (--host
tcp://ADDR:PORT), over TLS, to clients with a certificate signed by
--tlscacert or the token of --token-file.

hyperboot run/ps/logs/exec/stop/kill/rm/inspect start hyperd when its socket
has nobody behind it; contrib/systemd has units for a system-wide one.

Exit status: 0 after SIGINT/SIGTERM, 1 when hyperd could not serve, 2 for
a bad command line.`,
		Example: `  # The user's daemon, in $XDG_RUNTIME_DIR/hyper (what hyperboot starts)
  hyperd

  # Another state directory and socket
  hyperd --root /srv/hyper

  # Also over TCP, TLS with client certificates
  hyperd --host unix:///run/hyper/hyperd.sock --host tcp://0.0.0.0:2376 \
    --tlscert server.pem --tlskey server-key.pem --tlscacert ca.pem`,
		Version:       version.String(),
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(hosts) == 0 {
				if h := os.Getenv(api.EnvHost); h != "" {
					hosts = []string{h}
				}
			}
			for _, h := range hosts {
				if _, err := api.ParseHost(h); err != nil {
					return cli.Usage(fmt.Errorf("--host: %w", err))
				}
			}
			c.Hosts = hosts
			if !filepath.IsAbs(c.Root) {
				abs, err := filepath.Abs(c.Root)
				if err != nil {
					return cli.Usage(fmt.Errorf("--root: %w", err))
				}
				c.Root = abs
			}
			c.Log = stderr
			if logFile != "" {
				f, err := openLog(logFile)
				if err != nil {
					return err
				}
				defer f.Close()
				c.Log = f
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			signal.Ignore(syscall.SIGHUP, syscall.SIGPIPE)
			err := daemon.Serve(ctx, c)
			if err == nil {
				fmt.Fprintln(c.Log, "hyperd: stopped (the pods keep running)")
			}
			return err
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	fl := cmd.Flags()
	fl.StringVar(&c.Root, "root", api.DefaultRoot(), "state directory: the socket, each pod's state, logs and supervisor ($HYPER_ROOT)")
	fl.StringArrayVarP(&hosts, "host", "H", nil, "listen here: unix:///PATH, or tcp://HOST:PORT with TLS (repeatable; default: $HYPER_HOST, else ROOT/hyperd.sock)")
	fl.StringVar(&c.Group, "group", "", `group allowed to use the socket (default: "hyper" when root and it exists)`)
	fl.StringVar(&c.TLSCert, "tlscert", "", "TLS certificate for tcp:// hosts")
	fl.StringVar(&c.TLSKey, "tlskey", "", "TLS key for tcp:// hosts")
	fl.StringVar(&c.TLSCA, "tlscacert", "", "accept tcp:// clients with a certificate signed by this CA")
	fl.StringVar(&c.TokenFile, "token-file", "", "accept tcp:// clients that send this file's token (Authorization: Bearer)")
	fl.StringVar(&logFile, "log", "", "append hyperd's messages to this file instead of stderr")
	cmd.AddCommand(newShim(stderr))
	cli.Teach(cmd)
	return cmd
}

// openLog opens the log file, its directory private to this user.
func openLog(path string) (*os.File, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("--log: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("--log: %w", err)
	}
	return f, nil
}

// newShim is `hyperd shim`, which hyperd starts for each pod; it is not
// for people.
func newShim(stderr io.Writer) *cobra.Command {
	var root, id string
	cmd := &cobra.Command{
		Use:    "shim --root ROOT --id ID",
		Short:  "Supervise one pod (hyperd starts it; not for direct use)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if root == "" || id == "" {
				return cli.Usage(errors.New("shim: --root and --id are required"))
			}
			return daemon.RunShimProcess(root, id, stderr)
		},
	}
	cmd.Flags().StringVar(&root, "root", "", "hyperd's state directory")
	cmd.Flags().StringVar(&id, "id", "", "the pod's ID")
	return cmd
}
