package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/api"
	"github.com/hyperbuild/hyper/client"
	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/cli"
)

func newExec(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var h hostFlag
	var interactive, tty bool
	var container, user, workdir string
	var env []string
	cmd := &cobra.Command{
		Use:   "exec [-i] [-t] POD [-c CONTAINER] [-e KEY=VALUE] [-u USER] [-w DIR] -- CMD [ARG...]",
		Short: "Run a command in a running pod",
		Long: `exec runs CMD in one of a running pod's containers (-c; may be left out
when the pod has one), in its root and namespaces, with its environment
(plus -e), user (-u) and working directory (-w) unless given, and exits
with its status (125 when it could not run: no such pod or container,
the pod or container not running).

-i passes stdin to the command; -t gives it a terminal (stdout and stderr
are one stream then), following this terminal's size; -it with a
terminal puts it in raw mode, so that Ctrl-C and the like reach the
command. Without -t, SIGINT and SIGTERM are passed on to the command.`,
		Example: `  hyperboot exec web -- cat /etc/os-release
  hyperboot exec -it web -- sh
  echo hi | hyperboot exec -i web -c sidecar -- wc -c`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			argv, err := execArgs(args, cmd.ArgsLenAtDash())
			if err != nil {
				return cli.Usage(err)
			}
			req := api.ExecRequest{Container: container, ExecRequest: contract.ExecRequest{
				Args: argv, User: user, Workdir: workdir, TTY: tty, Stdin: interactive,
			}}
			for _, e := range env {
				if !strings.Contains(e, "=") {
					v, ok := os.LookupEnv(e)
					if !ok {
						continue // docker's -e NAME: only when set here
					}
					e += "=" + v
				}
				req.Env = append(req.Env, e)
			}
			c, err := h.connect(cmd.Context())
			if err != nil {
				return failed(cli.StatusBootError, err)
			}
			eio := client.ExecIO{Stdout: stdout, Stderr: stderr}
			if interactive {
				eio.Stdin = stdin
			}
			if tty {
				req.Size, _ = windowSize(stdout, stdin)
				resize := make(chan contract.WindowSize, 1)
				eio.Resize = resize
				winch := make(chan os.Signal, 1)
				signal.Notify(winch, syscall.SIGWINCH)
				defer signal.Stop(winch)
				go func() {
					for range winch {
						if ws, ok := windowSize(stdout, stdin); ok {
							select {
							case resize <- ws:
							default:
							}
						}
					}
				}()
				if fd, ok := terminalFd(stdin); ok && interactive {
					restore, err := makeRaw(fd)
					if err != nil {
						return failed(cli.StatusBootError, fmt.Errorf("putting the terminal in raw mode: %w", err))
					}
					defer restore()
				}
			} else {
				// Ctrl-C and SIGTERM go to the command, as docker's
				// --sig-proxy; the command's end ends exec.
				sigs := make(chan os.Signal, 4)
				signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
				defer signal.Stop(sigs)
				fwd := make(chan string, 4)
				eio.Signal = fwd
				go func() {
					for s := range sigs {
						name := "TERM"
						if s == os.Interrupt {
							name = "INT"
						}
						select {
						case fwd <- name:
						default:
						}
					}
				}()
			}
			// Not cmd.Context(): Ctrl-C goes to the command (above), and
			// the command's end ends exec.
			status, err := c.Exec(context.Background(), args[0], req, eio)
			if err != nil {
				return failed(cli.StatusBootError, err)
			}
			if status != 0 {
				return &cli.ExitError{Status: status, Silent: true}
			}
			return nil
		},
	}
	h.register(cmd)
	fl := cmd.Flags()
	fl.BoolVarP(&interactive, "interactive", "i", false, "pass stdin to the command")
	fl.BoolVarP(&tty, "tty", "t", false, "give the command a terminal")
	fl.StringVarP(&container, "container", "c", "", "the container to run in (default: the pod's only one)")
	fl.StringArrayVarP(&env, "env", "e", nil, "set an environment variable: KEY=VALUE, or KEY to pass this one's (repeatable)")
	fl.StringVarP(&user, "user", "u", "", "run as USER[:GROUP] or UID[:GID] (default: the container's)")
	fl.StringVarP(&workdir, "workdir", "w", "", "working directory, absolute (default: the container's)")
	return cmd
}

// execArgs is the command after POD: everything after "--", or after POD
// when there is no "--" (then the command's own flags need the "--").
func execArgs(args []string, dash int) ([]string, error) {
	switch {
	case dash == 0:
		return nil, errors.New("no pod given: exec POD -- CMD")
	case dash > 1:
		return nil, fmt.Errorf("one pod before --, got %q", args[:dash])
	case len(args) < 2:
		return nil, errors.New("no command given: exec POD -- CMD [ARG...]")
	}
	return args[1:], nil
}
