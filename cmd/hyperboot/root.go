package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/internal/suggest"
	"github.com/hyperbuild/hyper/internal/version"
	"github.com/hyperbuild/hyper/runner"
	_ "github.com/hyperbuild/hyper/runner/kvm"
	_ "github.com/hyperbuild/hyper/runner/qemu"
)

const example = `  # Boot a pod; its output is shown, its exit status is hyperboot's
  hyperboot web.img

  # Publish guest port 80 on host port 8080, give it 2 CPUs and 512 MiB
  hyperboot -p 8080:80 --cpus 2 --memory 512MiB web.img

  # Boot an artifact that hyperbuild push put in a registry
  hyperboot registry.example.com/pods/web@sha256:...

  # Keep a disk volume's data on another disk; share a host directory
  hyperboot -v data=./data.ext4 -v ./src:/src:ro app.img

  # Force the QEMU backend and show the boot timeline
  hyperboot --backend qemu --trace hello.img

  # Run it in the background under hyperd, then use it
  hyperboot run -d --name web web.img
  hyperboot exec web -- ps
  hyperboot logs -f web`

func newRoot(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	var f bootFlags
	cmd := &cobra.Command{
		Use:   "hyperboot OUT.img|DIR|REF",
		Short: "Boot a hyper artifact like docker run",
		Long: `hyperboot boots an artifact built by hyperbuild (a raw image, or a --format dir
directory): the containers' stdout is hyperboot's stdout, their stderr its
stderr (prefixed "NAME | " when the pod has several containers), and
hyperstart's, the kernel's and hyperboot's own messages go to stderr too;
Ctrl-C stops the pod gracefully (each container's stop signal, then SIGKILL
after its stop timeout); nothing is left running afterwards.

REF, a registry reference such as registry.example.com/pods/web@sha256:...
(what hyperbuild push printed), is pulled into the cache, verified, and
booted; a pinned reference that the cache holds boots without the network.

Backends: kvm (the built-in pure-Go VMM, needs /dev/kvm) and qemu
(qemu-system-x86_64, with KVM when usable, else software emulation).
auto picks kvm when /dev/kvm is usable, else qemu. Both give --net user
(rootless NAT; guest 10.0.2.15, gateway 10.0.2.2, DNS 10.0.2.3) and
publish ports: QEMU with its slirp, kvm with gvisor-tap-vsock in process.

Exit status: the pod's (the first non-zero container status; 128+N when a
container was killed by signal N), 2 for a bad command line, or 125 when
hyperboot itself failed.

hyperboot IMG needs nothing but itself. The commands below are clients of
hyperd, the daemon that keeps pods running in the background (started on
demand; see hyperd --help): run -d, then ps, logs, exec, stop, kill, rm
and inspect. A file named like a command boots with a path: hyperboot ./ps.`,
		Example:       example,
		Version:       version.String(),
		Args:          cobra.ArbitraryArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				fmt.Fprint(stderr, cmd.UsageString())
				return cli.Usage(errors.New("no artifact given: hyperboot OUT.img (see hyperboot --help)"))
			}
			if len(args) == 1 && args[0] == "help" {
				return cmd.Help()
			}
			if err := checkArtifactArg(args); err != nil {
				return cli.Usage(err)
			}
			opts, err := f.options(cmd)
			if err != nil {
				return cli.Usage(err)
			}
			opts.Stdout, opts.Stderr = stdout, stderr
			if f.trace {
				opts.Trace = stderr
			}
			if f.verbose {
				opts.Verbose = stderr
			}
			path, err := resolveArtifact(cmd.Context(), args[0], stderr)
			if err != nil {
				return &cli.ExitError{Status: cli.StatusBootError, Err: err}
			}
			podAttached.Store(true)
			status, err := runner.Run(cmd.Context(), path, opts)
			if err != nil {
				return &cli.ExitError{Status: cli.StatusBootError, Err: err}
			}
			if status != 0 {
				return &cli.ExitError{Status: status, Silent: true}
			}
			return nil
		},
	}
	cmd.SetOut(stdout)
	cmd.SetErr(stderr)
	f.register(cmd)
	cmd.AddCommand(verbs(stdin, stdout, stderr)...)
	completions(cmd)
	cli.Teach(cmd)
	return cmd
}

// checkArtifactArg: one artifact; a word that names no file and looks
// like a command ("ps", "run") is reported as such, not as a missing file.
func checkArtifactArg(args []string) error {
	if len(args) > 1 {
		return fmt.Errorf("one artifact at a time, got %d arguments: %q", len(args), args)
	}
	a := args[0]
	if _, err := os.Stat(a); err == nil || !errors.Is(err, os.ErrNotExist) || !looksLikeCommand(a) {
		return nil // the runner says what is wrong with a file
	}
	msg := fmt.Sprintf("%q is not a file and not a command", a)
	if s := suggestCommand(a); s != "" {
		msg += fmt.Sprintf(": did you mean %q?", s)
	}
	return errors.New(msg)
}

// commands are the words hyperboot takes in place of an artifact (cobra
// adds completion and help only while it is being called, so they are
// listed here).
var commands = []string{"completion", "help", "run", "ps", "logs", "exec", "stop", "kill", "rm", "inspect"}

// suggestCommand is the command a word probably meant, or "".
func suggestCommand(word string) string {
	for _, c := range commands {
		if strings.HasPrefix(c, word) {
			return c
		}
	}
	return suggest.Closest(word, commands, 3)
}

// looksLikeCommand: a lower-case word, no path, no extension.
func looksLikeCommand(s string) bool {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}
