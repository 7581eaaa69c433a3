package main

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hyperbuild/hyper/contract"
	"github.com/hyperbuild/hyper/internal/cli"
	"github.com/hyperbuild/hyper/internal/units"
	"github.com/hyperbuild/hyper/internal/version"
	"github.com/hyperbuild/hyper/runner"
	_ "github.com/hyperbuild/hyper/runner/kvm"
	_ "github.com/hyperbuild/hyper/runner/qemu"
)

const example = `  # Boot a pod; its output is shown, its exit status is hyperboot's
  hyperboot web.img

  # Publish guest port 80 on host port 8080, give it 2 CPUs and 512 MiB
  hyperboot -p 8080:80 --cpus 2 --memory 512MiB web.img

  # Force the QEMU backend and show the boot timeline
  hyperboot --backend qemu --trace hello.img`

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	var (
		backend string
		cpus    int
		memory  string
		ports   []string
		netw    string
		trace   bool
		verbose bool
	)
	cmd := &cobra.Command{
		Use:   "hyperboot OUT.img|DIR",
		Short: "Boot a hyper artifact like docker run",
		Long: `hyperboot boots an artifact built by hyperbuild (a raw image, or a --format dir
directory): the pod's output appears on the terminal, prefixed by container
name; Ctrl-C stops the pod gracefully (each container's stop signal, then
SIGKILL after its stop timeout); nothing is left running afterwards.

Backends: kvm (the built-in pure-Go VMM, needs /dev/kvm) and qemu
(qemu-system-x86_64, with KVM when usable, else software emulation).
auto picks kvm when /dev/kvm is usable, else qemu.

Exit status: the pod's (the first non-zero container status; 128+N when a
container was killed by signal N), or 125 when hyperboot itself failed.`,
		Example:       example,
		Version:       version.String(),
		Args:          cobra.ExactArgs(1),
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := runner.Options{
				Backend: backend,
				CPUs:    cpus,
				Net:     netw,
				Stdout:  stdout,
			}
			if cmd.Flags().Changed("cpus") {
				if err := contract.CheckCPUs(cpus); err != nil {
					return cli.Usage(fmt.Errorf("--cpus: %w", err))
				}
			}
			if cmd.Flags().Changed("memory") {
				n, err := parseMemory(memory)
				if err != nil {
					return cli.Usage(err)
				}
				opts.MemoryMiB = n
			}
			for _, p := range ports {
				port, err := parsePort(p)
				if err != nil {
					return cli.Usage(err)
				}
				opts.Ports = append(opts.Ports, port)
			}
			if trace {
				opts.Trace = stderr
			}
			if verbose {
				opts.Verbose = stderr
			}
			status, err := runner.Run(cmd.Context(), args[0], opts)
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
	fl := cmd.Flags()
	fl.StringVar(&backend, "backend", "auto", "auto, kvm or qemu")
	fl.IntVar(&cpus, "cpus", 0, fmt.Sprintf("virtual CPUs, 1 to %d (default: the pod's)", contract.MaxCPUs))
	fl.StringVar(&memory, "memory", "", fmt.Sprintf("guest memory, %d MiB or more, e.g. 512MiB (default: the pod's)", contract.MinMemoryMiB))
	fl.StringArrayVarP(&ports, "publish", "p", nil, "publish a guest port: HOST:GUEST[/tcp|udp] (repeatable; the pod's ports are always published)")
	fl.StringVar(&netw, "net", "user", "network: user (rootless, qemu), tap:NAME (root), none")
	fl.BoolVar(&trace, "trace", false, "print the boot timeline (VMM start, kernel, hyperstart steps, first container)")
	fl.BoolVarP(&verbose, "verbose", "v", false, "say which backend runs and show its command line")
	cli.Teach(cmd)
	return cmd
}

// parseMemory reads --memory as whole MiB within the contract's limits.
func parseMemory(s string) (int64, error) {
	n, err := units.ParseSize(s)
	if err != nil {
		return 0, fmt.Errorf("--memory: %w", err)
	}
	if err := contract.CheckMemoryMiB(n >> 20); err != nil {
		hint := ""
		if strings.TrimLeft(strings.TrimSpace(s), "0123456789.") == "" {
			hint = " (a number without a unit is bytes: say 512MiB)"
		}
		return 0, fmt.Errorf("--memory %s: %w%s", s, err, hint)
	}
	return n >> 20, nil
}

// parsePort reads -p HOST:GUEST[/tcp|udp].
func parsePort(s string) (contract.Port, error) {
	spec, proto, _ := strings.Cut(s, "/")
	if proto == "" {
		proto = "tcp"
	}
	if proto != "tcp" && proto != "udp" {
		return contract.Port{}, fmt.Errorf("-p %s: protocol %q, want tcp or udp", s, proto)
	}
	h, g, ok := strings.Cut(spec, ":")
	if !ok {
		return contract.Port{}, fmt.Errorf("-p %s: want HOST:GUEST[/tcp|udp], e.g. 8080:80", s)
	}
	host, err1 := strconv.Atoi(h)
	guest, err2 := strconv.Atoi(g)
	if err1 != nil || err2 != nil || host < 1 || host > 65535 || guest < 1 || guest > 65535 {
		return contract.Port{}, fmt.Errorf("-p %s: ports must be numbers in 1..65535", s)
	}
	return contract.Port{Host: host, Guest: guest, Protocol: proto}, nil
}
